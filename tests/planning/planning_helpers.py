"""Small builders for planning tests: GeoJSON networks around ArduPilot SITL's home."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dronepatrol.geo import offset

HOME = (-35.363261, 149.165230)
REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "missions" / "canberra-sitl.geojson"


def lonlat(north_m: float, east_m: float) -> list[float]:
    lat, lon = offset(HOME[0], HOME[1], north_m, east_m)
    return [round(lon, 8), round(lat, 8)]


def ring(corners: list[tuple[float, float]]) -> list[list[float]]:
    pts = [lonlat(n, e) for n, e in corners]
    return [*pts, pts[0]]


def feature(kind: str, fid: str | None, geometry: dict[str, Any] | None, **props: Any) -> dict:
    properties = {"kind": kind, **props}
    if fid is not None:
        properties["id"] = fid
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def point(n: float, e: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": lonlat(n, e)}


def polygon(corners: list[tuple[float, float]], *holes: list[tuple[float, float]]) -> dict:
    return {"type": "Polygon", "coordinates": [ring(corners), *(ring(h) for h in holes)]}


def line(corners: list[tuple[float, float]]) -> dict[str, Any]:
    return {"type": "LineString", "coordinates": [lonlat(n, e) for n, e in corners]}


def collection(*features: dict) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def flat_plan_length_m(network, profile, station_ids=None) -> float:
    """Total flight length [m] of the previous planner's plan: every chunk of a station one
    node of a single dense tour (``order_pieces``), the reference the planner is held to.

    Runs the planner's stages as it did, station by station; raises when a chunk set is
    too large for its dense matrices (which is why the planner no longer works this way).
    """
    from dronepatrol.geo import LocalFrame
    from dronepatrol.planning.pieces import build_target, split_piece
    from dronepatrol.planning.routing import TransitRouter
    from dronepatrol.planning.sorties import build_sorties, order_pieces, split_into_sorties

    frame = LocalFrame(*network.centre())
    zones_xy = [(z, frame.geometry_to_xy(z.geometry)) for z in network.nofly]
    router = TransitRouter([p for _, p in zones_xy], profile.nofly_margin_m)
    total = 0.0
    for station in network.stations:
        if station_ids is not None and station.id not in station_ids:
            continue
        sx, sy = frame.to_xy(station.lon_deg, station.lat_deg)
        station_xy = (float(sx), float(sy))
        if router.inside_blocked(station_xy):
            continue
        pieces = []
        for target in network.targets_of(station.id):
            geometry = frame.geometry_to_xy(target.geometry)
            plan = build_target(target, geometry, profile, router, zones_xy)
            for piece in [] if plan.skipped else plan.pieces:
                pieces += split_piece(piece, profile, station_xy, chunk_share=1.0)
        ordered, _ = order_pieces(station_xy, pieces, router)
        runs, _ = split_into_sorties(profile, station_xy, ordered, router)
        built, _ = build_sorties(profile, station_xy, runs, router)
        total += sum(b.length_m for b in built)
    return total
