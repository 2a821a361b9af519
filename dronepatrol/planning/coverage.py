"""Boustrophedon (lawnmower) coverage of a grid's flyable area.

Stages, all in local metres:

1. Sweep angle: every candidate direction (the convex hull's edge directions
   and the minimum rotated rectangle's) is tried; the one with the least
   estimated flight time (lane length / speed + one turnaround per lane) wins.
2. Lanes: parallel lines ``spacing_m`` apart, clipped to the area shrunk by a
   hair, so every lane lies inside the flyable area. A concave area or one
   with holes cuts a sweep line into several lanes.
3. Cells (boustrophedon cell decomposition): lanes on neighbouring sweep
   lines whose spans overlap, one to one, belong to one cell; a cell is
   flown as one zigzag. Cells are visited nearest first.
4. Connecting legs: straight when that stays inside the area, otherwise the
   shortest path inside it (:class:`~dronepatrol.planning.routing.AreaRouter`).
5. Headland: when the lanes' swaths leave more than half a percent of the
   area unseen (triangles at slanted edges between lane ends, sharp tips), a
   perimeter pass just inside the boundary (and around each hole) is flown
   first.

``coverage_frac`` is the fraction of the flyable area inside the swaths of
the whole flown path (camera footprint ``swath_m`` wide, flat at the path's
ends).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import LineString, MultiPolygon, Polygon

from dronepatrol.planning.routing import XY, AreaRouter, path_length

LANE_INSET_M = 0.5
"""Lanes end this far inside the boundary so that they never touch it [m]."""

HEADLAND_TRIGGER = 0.995
"""Below this coverage by lanes alone, a perimeter pass is added."""

HEADLAND_INSET = 0.05
"""The perimeter pass runs this many swath widths inside the boundary. Close to the
boundary, its swath still reaches every gap between lane ends (those lie within
spacing - swath/2 <= swath/2 of the boundary) and its corners reach into sharp tips."""

MIN_LANE_M = 1.0


@dataclass(frozen=True)
class Coverage:
    """How one connected piece of a grid is flown.

    Attributes:
        waypoints: the flown polyline [m], lanes and connecting legs in order.
        lanes: the survey lanes, each ((x0, y0), (x1, y1)), in flight order.
        legs: the connecting legs between lanes (and headland rings), each a polyline.
        sweep_angle_deg: lane direction, counter-clockwise from east [deg].
        coverage_frac: fraction of the area inside the swaths of ``waypoints``.
        turns: number of turnarounds (lane ends) flown.
        headland: True when a perimeter pass was added.
    """

    waypoints: tuple[XY, ...]
    lanes: tuple[tuple[XY, XY], ...]
    legs: tuple[tuple[XY, ...], ...]
    sweep_angle_deg: float
    coverage_frac: float
    turns: int
    headland: bool

    @property
    def length_m(self) -> float:
        return path_length(self.waypoints)


def swath_polygon(waypoints: list[XY] | tuple[XY, ...], swath_m: float) -> shapely.Geometry:
    """The ground the camera sees along a path: a band ``swath_m`` wide [m].

    Flat at the two ends (the footprint's length along track is not counted,
    a conservative choice), round at the turns, where the footprint swings.
    """
    if len(waypoints) == 1:
        return shapely.points(waypoints[0]).buffer(swath_m / 2.0, quad_segs=4)
    return shapely.buffer(
        LineString(waypoints), swath_m / 2.0, cap_style="flat", join_style="round", quad_segs=2
    )


def covered_fraction(area: shapely.Geometry, waypoints, swath_m: float) -> float:
    """Fraction of ``area`` inside the swath of the path through ``waypoints``."""
    if area.area <= 0:
        return 0.0
    seen = shapely.intersection(area, swath_polygon(waypoints, swath_m)).area
    return min(1.0, float(seen / area.area))


def _candidate_angles(area: Polygon | MultiPolygon) -> list[float]:
    hull = np.asarray(area.convex_hull.exterior.coords)
    edges = np.diff(hull, axis=0)
    lengths = np.hypot(edges[:, 0], edges[:, 1])
    angles = np.degrees(np.arctan2(edges[:, 1], edges[:, 0])) % 180.0
    weight: dict[float, float] = {}
    for angle, length in zip(angles.tolist(), lengths.tolist(), strict=True):
        key = round(angle * 2) / 2 % 180.0
        weight[key] = weight.get(key, 0.0) + length
    rect = np.asarray(area.minimum_rotated_rectangle.exterior.coords)
    if len(rect) >= 3:
        edge = rect[1] - rect[0]
        key = round(math.degrees(math.atan2(edge[1], edge[0])) % 180.0 * 2) / 2 % 180.0
        weight[key] = weight.get(key, 0.0) + 1e9  # always try it
    ranked = sorted(weight, key=lambda a: (-weight[a], a))[:5]
    return sorted(ranked)


def _rotate(points: np.ndarray, angle_deg: float, origin: XY) -> np.ndarray:
    t = math.radians(angle_deg)
    c, s = math.cos(t), math.sin(t)
    p = points - origin
    return np.column_stack([c * p[:, 0] - s * p[:, 1], s * p[:, 0] + c * p[:, 1]]) + origin


def _sweep(inner_rot: shapely.Geometry, spacing_m: float) -> list[list[tuple[float, float]]]:
    """Per sweep line (bottom to top, y = its height), the x spans inside the area."""
    xmin, ymin, xmax, ymax = inner_rot.bounds
    height = ymax - ymin
    n = max(1, math.ceil(height / spacing_m))
    first = ymin + (height - (n - 1) * spacing_m) / 2.0
    ys = first + spacing_m * np.arange(n)
    coords = np.zeros((n, 2, 2))
    coords[:, 0, 0], coords[:, 1, 0] = xmin - 1.0, xmax + 1.0
    coords[:, :, 1] = ys[:, None]
    cuts = shapely.intersection(shapely.linestrings(coords), inner_rot)
    parts, line_of = shapely.get_parts(cuts, return_index=True)
    keep = (shapely.get_type_id(parts) == 1) & (shapely.length(parts) >= MIN_LANE_M)
    parts, line_of = parts[keep], line_of[keep]
    out: list[list[tuple[float, float, float]]] = [[] for _ in range(n)]
    if len(parts):
        xy, part_of = shapely.get_coordinates(parts, return_index=True)
        starts = np.flatnonzero(np.r_[True, part_of[1:] != part_of[:-1]])
        lo = np.minimum.reduceat(xy[:, 0], starts)
        hi = np.maximum.reduceat(xy[:, 0], starts)
        for k, a, b in zip(line_of.tolist(), lo.tolist(), hi.tolist(), strict=True):
            out[k].append((a, b, float(ys[k])))
        for spans in out:
            spans.sort()
    return out


def _cells(lines: list[list[tuple[float, float, float]]]) -> list[list[tuple[float, float, float]]]:
    """Group lanes into cells: chains of one-to-one overlapping lanes on adjacent sweeps."""
    cell_of: dict[tuple[int, int], int] = {}
    cells: list[list[tuple[float, float, float]]] = []
    succ: dict[tuple[int, int], list[int]] = {}
    pred: dict[tuple[int, int], list[int]] = {}
    for k in range(len(lines) - 1):
        for i, (a, b, _) in enumerate(lines[k]):
            for j, (c, d, _) in enumerate(lines[k + 1]):
                if min(b, d) - max(a, c) > 0:
                    succ.setdefault((k, i), []).append(j)
                    pred.setdefault((k + 1, j), []).append(i)
    for k, spans in enumerate(lines):
        for i, span in enumerate(spans):
            before = pred.get((k, i), [])
            if len(before) == 1 and succ.get((k - 1, before[0])) == [i]:
                cell = cell_of[(k - 1, before[0])]
            else:
                cell = len(cells)
                cells.append([])
            cell_of[(k, i)] = cell
            cells[cell].append(span)
    return cells


def _estimate_s(lines, speed_mps: float, turnaround_s: float) -> float:
    length = sum(b - a for spans in lines for a, b, _ in spans)
    count = sum(len(spans) for spans in lines)
    return length / speed_mps + count * turnaround_s


def _zigzag(cell, from_top: bool, left_first: bool) -> list[tuple[XY, XY]]:
    lanes = list(reversed(cell)) if from_top else list(cell)
    out = []
    left = left_first
    for a, b, y in lanes:
        out.append(((a, y), (b, y)) if left else ((b, y), (a, y)))
        left = not left
    return out


def _headland_rings(area: shapely.Geometry, swath_m: float) -> list[np.ndarray]:
    for inset in (HEADLAND_INSET * swath_m, 2 * LANE_INSET_M):
        ring_area = shapely.buffer(area, -inset, join_style="mitre", mitre_limit=3.0)
        if not ring_area.is_empty:
            rings = []
            for poly in shapely.get_parts(ring_area):
                rings.append(np.asarray(poly.exterior.coords))
                rings.extend(np.asarray(r.coords) for r in poly.interiors)
            return rings
    return []


class _PathBuilder:
    """Appends pieces to the flown path, joining them by legs that stay inside the area."""

    def __init__(self, router: AreaRouter) -> None:
        self.router = router
        self.points: list[XY] = []
        self.legs: list[tuple[XY, ...]] = []

    def go_to(self, p: XY) -> bool:
        if not self.points:
            self.points.append(p)
            return True
        here = self.points[-1]
        if math.dist(here, p) < 1e-6:
            return True
        leg = self.router.path(here, p)
        if leg is None:
            return False
        self.legs.append(tuple(leg))
        self.points.extend(leg[1:])
        return True


def plan_coverage(
    area: Polygon,
    swath_m: float,
    spacing_m: float,
    speed_mps: float = 10.0,
    turnaround_s: float = 6.0,
    start: XY | None = None,
) -> Coverage | None:
    """Plan the survey of one connected flyable area; None when it is too thin to fly.

    Args:
        area: the flyable polygon (holes allowed) [m].
        swath_m: the camera's swath width on the ground [m].
        spacing_m: distance between lanes [m] (swath less side overlap).
        speed_mps, turnaround_s: for the flight-time estimate that picks the sweep angle.
        start: where the drone comes from, to pick the nearest entry.
    """
    inner = shapely.buffer(area, -LANE_INSET_M, join_style="mitre", mitre_limit=3.0)
    if inner.is_empty:
        return None
    origin = (float(area.centroid.x), float(area.centroid.y))
    best = None
    for angle in _candidate_angles(area):
        rotated = shapely.affinity.rotate(inner, -angle, origin=origin)
        lines = _sweep(rotated, spacing_m)
        if not any(lines):
            continue
        cost = _estimate_s(lines, speed_mps, turnaround_s)
        if best is None or cost < best[0] - 1e-9:
            best = (cost, angle, lines)
    if best is None:
        return None
    _, angle, lines = best
    # everything below runs in the rotated frame (lanes along x)
    area_rot = shapely.affinity.rotate(area, -angle, origin=origin)
    router = AreaRouter(area_rot, node_inset_m=LANE_INSET_M * 0.6)
    cells = _cells(lines)
    here_rot = tuple(_rotate(np.array([start]), -angle, origin)[0]) if start is not None else None

    def build(with_headland: bool) -> tuple[_PathBuilder, list[tuple[XY, XY]]] | None:
        builder = _PathBuilder(router)
        position = here_rot
        if with_headland:
            rings = _headland_rings(area_rot, swath_m)
            while rings:
                pos = np.array(position if position is not None else rings[0][0])
                k, v = min(
                    ((k, int(np.argmin(np.hypot(*(r - pos).T)))) for k, r in enumerate(rings)),
                    key=lambda kv: math.dist(tuple(rings[kv[0]][kv[1]]), tuple(pos)),
                )
                ring = rings.pop(k)
                loop = np.concatenate([ring[v:-1], ring[:v], ring[v : v + 1]])
                if not builder.go_to((float(loop[0][0]), float(loop[0][1]))):
                    return None
                ring_pts = [(float(x), float(y)) for x, y in loop]
                builder.legs.append(tuple(ring_pts))
                builder.points.extend(ring_pts[1:])
                position = builder.points[-1]
        flown: list[tuple[XY, XY]] = []
        remaining = list(range(len(cells)))
        while remaining:
            options = []
            for c in remaining:
                cell = cells[c]
                for from_top in (False, True):
                    a, b, y = cell[-1] if from_top else cell[0]
                    for left_first in (True, False):
                        entry = (a, y) if left_first else (b, y)
                        d = 0.0 if position is None else math.dist(position, entry)
                        options.append((d, c, from_top, left_first))
            _, c, from_top, left_first = min(options)
            remaining.remove(c)
            for lane in _zigzag(cells[c], from_top, left_first):
                if not builder.go_to(lane[0]):
                    return None
                builder.points.append(lane[1])
                flown.append(lane)
            position = builder.points[-1]
        return builder, flown

    def finish(builder: _PathBuilder, flown, headland: bool) -> Coverage:
        # rotate everything back in one go: waypoints, lane ends, then leg points
        pieces = [builder.points, [p for lane in flown for p in lane]]
        pieces += [list(leg) for leg in builder.legs]
        sizes = [len(p) for p in pieces]
        flat = _rotate(np.asarray([p for part in pieces for p in part], dtype=float), angle, origin)
        coords = [
            tuple((float(x), float(y)) for x, y in part)
            for part in np.split(flat, np.cumsum(sizes)[:-1])
        ]
        waypoints, ends, legs = coords[0], coords[1], coords[2:]
        return Coverage(
            waypoints=waypoints,
            lanes=tuple((ends[2 * k], ends[2 * k + 1]) for k in range(len(flown))),
            legs=tuple(legs),
            sweep_angle_deg=float(angle),
            coverage_frac=covered_fraction(area, waypoints, swath_m),
            turns=len(flown),
            headland=headland,
        )

    built = build(with_headland=False)
    if built is None:
        return None
    plain = finish(*built, headland=False)
    if plain.coverage_frac >= HEADLAND_TRIGGER:
        return plain
    built = build(with_headland=True)
    if built is None:
        return plain
    with_ring = finish(*built, headland=True)
    return with_ring if with_ring.coverage_frac > plain.coverage_frac else plain
