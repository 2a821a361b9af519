"""A harder generated city, shaped like a real one (issue: city scale).

:func:`real_city_network` builds what a city's patrol network looks like,
not a tidy lattice of small star-shaped grids:

* grids are merged Voronoi cells (many fine cells, each given to its nearest
  grid seed, then unioned), so they are concave with ragged edges; seeds
  crowd the centre, so grids are small there and 5-25 km2 at the edge, and
  together they tile the whole city (420 km2 by default);
* districts: the grids are grouped (k-means on their seeds) into one district
  per station; the station sits near its district's middle, and owns its grids;
* lines are long roads (518 km in all by default) that bend as they go; some
  run through no-fly zones and some run out over the city edge;
* points crowd the centre like the grids; no-fly zones are up to 600 m across.

:class:`CitySpec` sets the size: the default is the whole city, and
:data:`SMALL_HARD_CITY` is a small one with the same traits, for fast tests.
The same seed and spec always give the same network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point, Polygon

from dronepatrol.geo import LocalFrame
from dronepatrol.network.synthetic import CITY_CENTRE, point_properties


@dataclass(frozen=True)
class CitySpec:
    """What to generate: counts, the city's area [km2] and the roads' length [km]."""

    grids: int = 129
    lines: int = 105
    points: int = 677
    stations: int = 16
    nofly: int = 12
    area_km2: float = 420.0
    lines_km: float = 518.0
    nofly_max_m: float = 600.0
    fine_cells_per_grid: int = 7


SMALL_HARD_CITY = CitySpec(
    grids=14, lines=8, points=60, stations=3, nofly=4, area_km2=45.0, lines_km=30.0
)
"""A small city with the full one's traits (concave grids, a large edge grid,
lines through no-fly zones and over the edge): planned in seconds, for tests."""

CROWDING = 1.6
"""Fine seeds are drawn at radius R * u**(CROWDING/2): 1 is uniform; more crowds the centre."""

SPACING_CENTRE, SPACING_EDGE = 0.35, 4.0
"""Grid seeds keep apart by s0 * (centre + (edge - centre) * (r / R)**3), s0 shrinking
until every seed fits: small grids in the centre, grids many times larger at the edge."""

STATION_CLEARANCE_M = 400.0
"""No-fly zones keep this far from every station [m]."""


def _boundary(rng: np.random.Generator, area_m2: float) -> Polygon:
    """A lobed, roughly round city edge of the given area."""
    theta = np.linspace(0, 2 * math.pi, 96, endpoint=False)
    phase = rng.uniform(0, 2 * math.pi, 3)
    shape = (
        1.0
        + 0.10 * np.sin(3 * theta + phase[0])
        + 0.06 * np.sin(5 * theta + phase[1])
        + 0.03 * np.sin(9 * theta + phase[2])
    )
    ring = np.column_stack([shape * np.cos(theta), shape * np.sin(theta)])
    unit = Polygon(ring)
    return Polygon(ring * math.sqrt(area_m2 / unit.area))


def _seeds(rng: np.random.Generator, edge: Polygon, count: int) -> np.ndarray:
    """``count`` points inside the edge, crowded towards the centre."""
    radius = math.sqrt(edge.area / math.pi) * 1.25
    out: list[np.ndarray] = []
    while len(out) < count:
        r = radius * rng.uniform() ** (CROWDING / 2)
        a = rng.uniform(0, 2 * math.pi)
        p = np.array([r * math.cos(a), r * math.sin(a)])
        if edge.contains(Point(p)):
            out.append(p)
    return np.array(out)


def _grid_seeds(rng: np.random.Generator, edge: Polygon, count: int) -> np.ndarray:
    """``count`` seeds spaced closely in the centre and widely at the edge (dart throwing)."""
    radius = math.sqrt(edge.area / math.pi)
    spacing0 = 2.0 * math.sqrt(edge.area / count)
    out: list[np.ndarray] = []
    misses = 0
    xmin, ymin, xmax, ymax = edge.bounds
    while len(out) < count:
        p = rng.uniform((xmin, ymin), (xmax, ymax))
        if not edge.contains(Point(p)):
            continue
        r = min(1.0, math.hypot(*p) / radius)
        need = spacing0 * (SPACING_CENTRE + (SPACING_EDGE - SPACING_CENTRE) * r**3)
        if out and np.hypot(*(np.array(out) - p).T).min() < need:
            misses += 1
            if misses > 500:
                spacing0 *= 0.97
                misses = 0
            continue
        out.append(p)
    return np.array(out)


def _merged_voronoi(
    rng: np.random.Generator, edge: Polygon, seeds: np.ndarray, fine: int
) -> list[Polygon]:
    """One concave polygon per seed: fine Voronoi cells given to their nearest seed, unioned."""
    fine_pts = np.concatenate([seeds, _seeds(rng, edge, fine * len(seeds))])
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(fine_pts), extend_to=edge.buffer(1000))
    )
    cells = shapely.intersection(cells, edge)
    centres = shapely.get_coordinates(shapely.centroid(cells))
    near = np.argmin(
        np.hypot(*(centres[:, None, :] - seeds[None, :, :]).transpose(2, 0, 1)), axis=1
    )
    grids = []
    for k in range(len(seeds)):
        merged = shapely.union_all(shapely.set_precision(cells[near == k], 0.01))
        parts = sorted(
            (p for p in shapely.get_parts(merged) if isinstance(p, Polygon)), key=lambda p: -p.area
        )
        grids.append(Polygon(parts[0].exterior).simplify(0.5))
    return grids


def _districts(points: np.ndarray, count: int, weights: np.ndarray) -> np.ndarray:
    """District index of each point: weighted k-means, started from spread-out points."""
    centres = [points[int(np.argmax(weights))]]
    while len(centres) < count:
        d = np.min(np.hypot(*(points[:, None, :] - np.array(centres)[None]).transpose(2, 0, 1)), 1)
        centres.append(points[int(np.argmax(d))])
    c = np.array(centres)
    for _ in range(30):
        label = np.argmin(np.hypot(*(points[:, None, :] - c[None]).transpose(2, 0, 1)), axis=1)
        for k in range(count):
            mine = label == k
            if mine.any():
                c[k] = np.average(points[mine], axis=0, weights=weights[mine])
    return label


def real_city_network(seed: int = 0, spec: CitySpec = CitySpec()) -> dict[str, Any]:
    """The generated city as a GeoJSON FeatureCollection (lon/lat), see the module docstring."""
    rng = np.random.default_rng(seed)
    frame = LocalFrame(*CITY_CENTRE)
    edge = _boundary(rng, spec.area_km2 * 1e6)
    features: list[dict[str, Any]] = []
    levels, weights = ["key", "attention", "general"], [0.2, 0.3, 0.5]

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

    seeds = _grid_seeds(rng, edge, spec.grids)
    grids = _merged_voronoi(rng, edge, seeds, spec.fine_cells_per_grid)
    areas = np.array([g.area for g in grids])
    centres = shapely.get_coordinates(shapely.centroid(grids))
    district = _districts(centres, spec.stations, areas)

    stations = []
    for k in range(spec.stations):
        mine = district == k
        middle = np.average(centres[mine], axis=0, weights=1 / areas[mine])
        # the station stands in the district's grid nearest its (small-grid-weighted) middle
        home = np.flatnonzero(mine)[int(np.argmin(np.hypot(*(centres[mine] - middle).T)))]
        p = shapely.get_coordinates(grids[home].point_on_surface())[0]
        stations.append(p)
        add(
            "station",
            f"S{k + 1:02d}",
            {"type": "Point", "coordinates": lonlat(p[None])[0]},
            name=f"Station {k + 1}",
        )
    station_xy = np.array(stations)

    zones: list[Polygon] = []
    while len(zones) < spec.nofly:
        c = _seeds(rng, edge, 1)[0]
        radius = rng.uniform(0.25, 0.5) * spec.nofly_max_m
        corners = np.sort(rng.uniform(0, 2 * math.pi, int(rng.integers(5, 9))))
        ring = c + radius * np.column_stack([np.cos(corners), np.sin(corners)])
        zone = Polygon(ring).convex_hull
        if zone.distance(shapely.multipoints(station_xy)) < STATION_CLEARANCE_M:
            continue
        if any(zone.distance(z) < 300 for z in zones):
            continue
        zones.append(zone)
        add(
            "nofly",
            f"NF{len(zones):02d}",
            {"type": "Polygon", "coordinates": [lonlat(np.asarray(zone.exterior.coords))]},
            name=f"No-fly zone {len(zones)}",
        )

    for k, grid in enumerate(grids):
        ring = np.asarray(grid.exterior.coords)
        if not shapely.is_ccw(grid.exterior):
            ring = ring[::-1]
        add(
            "grid",
            f"G{k + 1:03d}",
            {"type": "Polygon", "coordinates": [lonlat(ring)]},
            priority=str(rng.choice(levels, p=weights)),
            station=f"S{district[k] + 1:02d}",
        )

    # roads: bending walks; every 7th runs through a no-fly zone, every 9th out over the edge
    mean_m = spec.lines_km * 1000 / spec.lines
    reach = math.sqrt(edge.area / math.pi)
    for k in range(spec.lines):
        length = mean_m * rng.uniform(0.5, 1.5)
        if k % 7 == 3 and zones:
            zone = zones[k % len(zones)]
            through = np.asarray(zone.centroid.coords)[0]
            heading = rng.uniform(0, 2 * math.pi)
            start = through - rng.uniform(0.3, 0.7) * length * np.array(
                [math.cos(heading), math.sin(heading)]
            )
        elif k % 9 == 4:
            a = rng.uniform(0, 2 * math.pi)
            start = 0.75 * reach * np.array([math.cos(a), math.sin(a)])
            heading = a + rng.normal(0, 0.3)
        else:
            start = _seeds(rng, edge, 1)[0]
            heading = rng.uniform(0, 2 * math.pi)
        pts = [start]
        walked = 0.0
        bend = 0.0
        while walked < length:
            step = min(rng.uniform(300, 900), length - walked)
            if k % 7 != 3 or walked > 0.8 * length:
                bend = 0.7 * bend + rng.normal(0, 0.12)
                heading += bend
            pts.append(pts[-1] + step * np.array([math.cos(heading), math.sin(heading)]))
            walked += step
        add(
            "line",
            f"L{k + 1:03d}",
            {"type": "LineString", "coordinates": lonlat(np.array(pts))},
            priority=str(rng.choice(levels, p=weights)),
        )

    blocked = shapely.union_all(zones) if zones else Polygon()
    made = 0
    while made < spec.points:
        p = _seeds(rng, edge, 1)[0]
        if blocked.contains(Point(p)):
            continue
        made += 1
        props = point_properties(rng, levels, weights)
        add("point", f"P{made:03d}", {"type": "Point", "coordinates": lonlat(p[None])[0]}, **props)
    return {
        "type": "FeatureCollection",
        "name": f"Generated real-shaped city (seed {seed})",
        "features": features,
    }
