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
