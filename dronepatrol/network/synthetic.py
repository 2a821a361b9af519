"""A city-scale patrol network, generated: the size the survey report describes.

``city_network(seed)`` builds a GeoJSON FeatureCollection with 129 grids
(star-shaped, mostly concave polygons, a dozen placed over no-fly zones'
corners so that their flyable area is cut), 105 lines along a road-like random
walk, 677 points, 8 no-fly zones and 12 stations, over about 30 x 30 km.
The same seed always gives the same network; benchmarks and tests use it.

Run ``python -m dronepatrol.network.synthetic --out city.geojson [--seed N] [--real]``
to write one; ``--real`` writes the harder, real-shaped city of
:func:`dronepatrol.network.city.real_city_network` (concave merged-Voronoi grids
up to 25 km2, 16 districts, roads through no-fly zones and over the edge).
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon

from dronepatrol.geo import LocalFrame

CITY_CENTRE = (-35.363261, 149.165230)
"""(lat, lon) [deg]: ArduPilot SITL's default home, so simulated drones can fly it."""

COUNTS = {"grid": 129, "line": 105, "point": 677, "nofly": 8, "station": 12}
"""Features of each kind (the report's grids, lines and points)."""

HALF_SIZE_M = 15_000.0

BITTEN_GRIDS = 12
"""Grids placed over a no-fly zone's corner, so that their flyable area is cut."""

REACH_M = 5_000.0
"""Every target lies within this distance of its nearest station: in a drone's range."""


def _star_polygon(rng: np.random.Generator, centre, radius_m: float, corners: int) -> Polygon:
    angles = np.sort(rng.uniform(0, 2 * math.pi, corners))
    radii = radius_m * rng.uniform(0.45, 1.0, corners)
    ring = np.column_stack([centre[0] + radii * np.cos(angles), centre[1] + radii * np.sin(angles)])
    return Polygon(ring)


def point_properties(
    rng: np.random.Generator, levels: list[str], weights: list[float]
) -> dict[str, Any]:
    """A generated must-patrol point's priority level; half the key ones are orbited
    (40 m) with a 30 s dwell. Draws from ``rng`` in a fixed order (seeded cities)."""
    props: dict[str, Any] = {"priority": str(rng.choice(levels, p=weights))}
    if props["priority"] == "key" and rng.uniform() < 0.5:
        props["orbit_radius_m"] = 40.0
        props["dwell_s"] = 30.0
    return props


def city_network(seed: int = 0) -> dict[str, Any]:
    """The generated city network as a GeoJSON FeatureCollection (lon/lat)."""
    rng = np.random.default_rng(seed)
    frame = LocalFrame(*CITY_CENTRE)
    features: list[dict[str, Any]] = []

    def lonlat(points: np.ndarray) -> list[list[float]]:
        lon, lat = frame.to_lonlat(points[:, 0], points[:, 1])
        return [[round(a, 7), round(b, 7)] for a, b in zip(lon.tolist(), lat.tolist(), strict=True)]

    def add(kind: str, fid: str, geometry: dict[str, Any], **props: Any) -> None:
        features.append(
            {
                "type": "Feature",
                "properties": {"kind": kind, "id": fid, **props},
                "geometry": geometry,
            }
        )

    # stations on a jittered 4 x 3 lattice
    stations = []
    for k in range(COUNTS["station"]):
        gx, gy = k % 4, k // 4
        p = np.array(
            [
                -HALF_SIZE_M + (gx + 0.5) * 2 * HALF_SIZE_M / 4 + rng.uniform(-1500, 1500),
                -HALF_SIZE_M + (gy + 0.5) * 2 * HALF_SIZE_M / 3 + rng.uniform(-1500, 1500),
            ]
        )
        stations.append(p)
        add(
            "station",
            f"S{k + 1:02d}",
            {"type": "Point", "coordinates": lonlat(p[None])[0]},
            name=f"Station {k + 1}",
        )
    station_xy = np.array(stations)

    # no-fly zones away from stations
    zones: list[Polygon] = []
    while len(zones) < COUNTS["nofly"]:
        c = rng.uniform(-HALF_SIZE_M * 0.9, HALF_SIZE_M * 0.9, 2)
        if not 2000 <= np.hypot(*(station_xy - c).T).min() <= 3500:
            continue  # clear of the stations, but among their targets
        zone = _star_polygon(rng, c, rng.uniform(300, 900), int(rng.integers(5, 9))).convex_hull
        if any(zone.distance(z) < 200 for z in zones):
            continue
        zones.append(zone)
        ring = np.asarray(zone.exterior.coords)
        add(
            "nofly",
            f"NF{len(zones):02d}",
            {"type": "Polygon", "coordinates": [lonlat(ring)]},
            name=f"No-fly zone {len(zones)}",
        )
    blocked = shapely.union_all(zones)

    levels = ["key", "attention", "general"]
    weights = [0.2, 0.3, 0.5]

    def near_station(spread_m: float) -> np.ndarray:
        s = station_xy[int(rng.integers(len(station_xy)))]
        return s + rng.normal(0, spread_m, 2)

    def in_reach(points: np.ndarray) -> bool:
        far = np.hypot(*(points[:, None, :] - station_xy[None, :, :]).transpose(2, 0, 1))
        return bool(far.min(axis=1).max() <= REACH_M)

    made = tries = 0
    while made < COUNTS["grid"]:
        tries += 1
        if (
            made < BITTEN_GRIDS and tries < 50 * BITTEN_GRIDS
        ):  # around a no-fly zone's corner: the zone bites into the grid
            corner = np.asarray(zones[made % len(zones)].exterior.coords)[made // len(zones)]
            c = corner + rng.normal(0, 150, 2)
        else:
            c = near_station(2500)
        poly = _star_polygon(rng, c, rng.uniform(250, 550), int(rng.integers(6, 12)))
        if (
            not poly.is_valid
            or np.abs(c).max() > HALF_SIZE_M
            or poly.within(blocked)
            or not in_reach(np.asarray(poly.exterior.coords))
        ):
            continue
        made += 1
        ring = np.asarray(poly.exterior.coords)
        if shapely.is_ccw(poly.exterior):
            ring = ring[::-1]
        add(
            "grid",
            f"G{made:03d}",
            {"type": "Polygon", "coordinates": [lonlat(ring[::-1])]},
            priority=str(rng.choice(levels, p=weights)),
        )
    made = 0
    while made < COUNTS["line"]:
        start = near_station(3000)
        heading = rng.uniform(0, 2 * math.pi)
        pts = [start]
        for _ in range(int(rng.integers(2, 6))):
            heading += rng.normal(0, 0.35)
            pts.append(
                pts[-1] + rng.uniform(300, 900) * np.array([math.cos(heading), math.sin(heading)])
            )
        if not in_reach(np.array(pts)):
            continue
        made += 1
        add(
            "line",
            f"L{made:03d}",
            {"type": "LineString", "coordinates": lonlat(np.array(pts))},
            priority=str(rng.choice(levels, p=weights)),
        )
    made = 0
    while made < COUNTS["point"]:
        p = near_station(3000)
        if not in_reach(p[None]):
            continue
        made += 1
        props = point_properties(rng, levels, weights)
        add("point", f"P{made:03d}", {"type": "Point", "coordinates": lonlat(p[None])[0]}, **props)
    return {
        "type": "FeatureCollection",
        "name": f"Generated city (seed {seed})",
        "features": features,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write a generated city-scale patrol network.")
    parser.add_argument("--out", required=True, type=Path, help="GeoJSON file to write")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--real", action="store_true", help="the harder, real-shaped city (see network.city)"
    )
    args = parser.parse_args(argv)
    if args.real:
        from dronepatrol.network.city import real_city_network

        data = real_city_network(args.seed)
    else:
        data = city_network(args.seed)
    args.out.write_text(json.dumps(data) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
