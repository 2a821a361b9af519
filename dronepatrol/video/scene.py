"""A synthetic city for the simulated camera, built from a patrol network.

Roads follow the must-patrol lines, hedges mark grid borders, plazas sit on
points, and buildings and fields fill the grids (placed by a seeded random
generator, or given). People walk the pavements and vehicles drive the
carriageways; each mover's true ground position is known at any time, so
detection and geotagging can be checked against ground truth.

Inputs are plain shapely geometries in lon/lat [deg]; everything here works
in a :class:`dronepatrol.geo.LocalFrame` (x east, y north) [m]. Pure: no
OpenCV, no I/O; the same inputs and seed give the same scene.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon, box
from shapely.ops import unary_union

from dronepatrol.geo import LocalFrame

ROAD_HALF_WIDTH_M = 4.0
"""Half the carriageway width [m] (two lanes)."""
PAVEMENT_M = 2.5
"""Pavement width beside the carriageway [m]."""

PERSON = "person"
VEHICLE = "vehicle"


@dataclass(frozen=True)
class Mover:
    """Someone or something travelling a closed loop at constant speed.

    Attributes:
        mover_id: stable id, e.g. ``vehicle-3``.
        kind: :data:`PERSON` or :data:`VEHICLE`.
        loop_xy: closed path in the local frame [m] (first point == last).
        speed_mps: along-path speed [m/s].
        start_m: distance along the loop at time 0 [m].
        length_m, width_m: footprint [m].
        colour: BGR body colour.
    """

    mover_id: str
    kind: str
    loop_xy: np.ndarray
    speed_mps: float
    start_m: float
    length_m: float
    width_m: float
    colour: tuple[int, int, int]
    _cum: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        seg = np.hypot(*np.diff(self.loop_xy, axis=0).T)
        object.__setattr__(self, "_cum", np.concatenate([[0.0], np.cumsum(seg)]))

    def state_at(self, t_s: float) -> tuple[float, float, float]:
        """(x, y, heading_deg) at time ``t_s`` [s since the scene's epoch]."""
        total = self._cum[-1]
        s = (self.start_m + self.speed_mps * t_s) % total
        x = float(np.interp(s, self._cum, self.loop_xy[:, 0]))
        y = float(np.interp(s, self._cum, self.loop_xy[:, 1]))
        k = min(int(np.searchsorted(self._cum, s, side="right")) - 1, len(self.loop_xy) - 2)
        dx, dy = self.loop_xy[k + 1] - self.loop_xy[k]
        return x, y, math.degrees(math.atan2(dx, dy)) % 360.0


@dataclass(frozen=True)
class GroundTruth:
    """Where one mover really is: local (x, y) [m], (lon, lat) [deg], heading [deg]."""

    mover_id: str
    kind: str
    x_m: float
    y_m: float
    lon_deg: float
    lat_deg: float
    heading_deg: float


class Scene:
    """The synthetic ground and its movers, in a local frame around the network.

    Args:
        lines: must-patrol lines (lon/lat LineStrings): roads are built along them.
        grids: patrol grids (lon/lat Polygons): hedges along their borders;
            buildings and fields are generated inside them.
        points: must-patrol points (lon/lat Points): paved plazas.
        buildings, fields: explicit lon/lat Polygons; when None they are generated.
        origin: (lat, lon) [deg] of the local frame; default the network's centre.
        seed: random seed for generated buildings, fields and movers.
        people_per_km, vehicles_per_km: mover density per kilometre of line.
    """

    def __init__(
        self,
        lines: Sequence[LineString] = (),
        grids: Sequence[Polygon] = (),
        points: Sequence[Point] = (),
        buildings: Sequence[Polygon] | None = None,
        fields: Sequence[Polygon] | None = None,
        origin: tuple[float, float] | None = None,
        seed: int = 0,
        people_per_km: float = 40.0,
        vehicles_per_km: float = 12.0,
    ) -> None:
        everything = [*lines, *grids, *points]
        if origin is None:
            if not everything:
                raise ValueError("a scene needs at least one line, grid or point, or an origin")
            centre = unary_union(everything).envelope.centroid
            origin = (centre.y, centre.x)
        self.frame = LocalFrame(*origin)
        self.lines = [self.frame.geometry_to_xy(g) for g in lines]
        self.grids = [self.frame.geometry_to_xy(g) for g in grids]
        self.points = [self.frame.geometry_to_xy(g) for g in points]
        rng = random.Random(seed)
        road_area = unary_union(
            [ln.buffer(ROAD_HALF_WIDTH_M + PAVEMENT_M + 2.0) for ln in self.lines]
            + [p.buffer(12.0) for p in self.points]
        )
        if buildings is None or fields is None:
            gen_buildings, gen_fields = _fill_grids(self.grids, road_area, rng)
        self.buildings = (
            [self.frame.geometry_to_xy(g) for g in buildings]
            if buildings is not None
            else gen_buildings
        )
        self.fields = (
            [self.frame.geometry_to_xy(g) for g in fields] if fields is not None else gen_fields
        )
        self.movers = _make_movers(self.lines, rng, people_per_km, vehicles_per_km)
        groups: dict[int, list[int]] = {}
        for i, mover in enumerate(self.movers):
            groups.setdefault(id(mover.loop_xy), []).append(i)
        self._groups = [
            (self.movers[idx[0]].loop_xy, self.movers[idx[0]]._cum, np.array(idx))
            for idx in groups.values()
        ]

    def truth_at(self, t_s: float) -> list[GroundTruth]:
        """Every mover's true position at ``t_s`` [s since the scene's epoch]."""
        if not self.movers:
            return []
        xs, ys, headings = self.states_at(t_s)
        lons, lats = self.frame.to_lonlat(xs, ys)
        return [
            GroundTruth(m.mover_id, m.kind, float(x), float(y), float(lo), float(la), float(h))
            for m, x, y, lo, la, h in zip(self.movers, xs, ys, lons, lats, headings, strict=True)
        ]

    def states_at(self, t_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Arrays of every mover's x, y [m] and heading [deg] at ``t_s``, in mover order."""
        xs = np.empty(len(self.movers))
        ys = np.empty(len(self.movers))
        headings = np.empty(len(self.movers))
        for loop, cum, index in self._groups:
            speeds = np.array([self.movers[i].speed_mps for i in index])
            starts = np.array([self.movers[i].start_m for i in index])
            s = (starts + speeds * t_s) % cum[-1]
            xs[index] = np.interp(s, cum, loop[:, 0])
            ys[index] = np.interp(s, cum, loop[:, 1])
            k = np.minimum(np.searchsorted(cum, s, side="right") - 1, len(loop) - 2)
            d = loop[k + 1] - loop[k]
            headings[index] = np.degrees(np.arctan2(d[:, 0], d[:, 1])) % 360.0
        return xs, ys, headings

    def bounds_xy(self) -> tuple[float, float, float, float]:
        """(minx, miny, maxx, maxy) [m] of everything in the scene."""
        geoms = [*self.lines, *self.grids, *self.points, *self.buildings, *self.fields]
        if not geoms:
            return (-100.0, -100.0, 100.0, 100.0)
        return tuple(shapely.total_bounds(geoms))  # type: ignore[return-value]


def _fill_grids(
    grids: list[Polygon], keep_out: shapely.Geometry, rng: random.Random
) -> tuple[list[Polygon], list[Polygon]]:
    """Blocks of buildings and fields inside each grid, clear of roads and plazas."""
    buildings: list[Polygon] = []
    fields: list[Polygon] = []
    block = 45.0
    for grid in grids:
        minx, miny, maxx, maxy = grid.bounds
        inner = grid.buffer(-3.0)
        for bx in np.arange(minx, maxx, block):
            for by in np.arange(miny, maxy, block):
                cell = box(bx + 3, by + 3, bx + block - 3, by + block - 3)
                if not inner.contains(cell) or cell.intersects(keep_out):
                    continue
                if rng.random() < 0.35:
                    fields.append(cell)
                    continue
                for _ in range(rng.randint(1, 3)):
                    w, h = rng.uniform(8, 20), rng.uniform(8, 18)
                    cx = rng.uniform(bx + 4 + w / 2, bx + block - 4 - w / 2)
                    cy = rng.uniform(by + 4 + h / 2, by + block - 4 - h / 2)
                    shape = affinity.rotate(
                        box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2), rng.uniform(-8, 8)
                    )
                    if not any(shape.intersects(b) for b in buildings[-3:]):
                        buildings.append(shape)
    return buildings, fields


_PERSON_COLOURS = [(40, 40, 200), (200, 60, 30), (30, 30, 30), (230, 230, 230), (40, 160, 230)]
_VEHICLE_COLOURS = [(240, 240, 240), (30, 30, 30), (40, 40, 190), (150, 90, 20), (30, 200, 230)]


def _loop(line: LineString, offset_m: float) -> np.ndarray | None:
    """A closed path: along ``line`` offset to the right, back along the other side."""
    if line.length < 4 * offset_m + 10:
        return None
    right = line.offset_curve(-offset_m)
    left = line.offset_curve(offset_m)
    if right.is_empty or left.is_empty or right.geom_type != "LineString":
        return None
    if left.geom_type != "LineString":
        return None
    there = np.asarray(right.coords)
    back = np.asarray(left.coords)[::-1]
    return np.vstack([there, back, there[:1]])


def _make_movers(
    lines: list[LineString], rng: random.Random, people_per_km: float, vehicles_per_km: float
) -> list[Mover]:
    movers: list[Mover] = []
    for line in lines:
        lanes = _loop(line, ROAD_HALF_WIDTH_M / 2)
        walks = _loop(line, ROAD_HALF_WIDTH_M + PAVEMENT_M / 2)
        km = line.length / 1000.0
        for loop, kind, count in (
            (lanes, VEHICLE, round(vehicles_per_km * 2 * km)),
            (walks, PERSON, round(people_per_km * 2 * km)),
        ):
            if loop is None:
                continue
            total = float(np.hypot(*np.diff(loop, axis=0).T).sum())
            for k in range(int(count)):
                n = sum(1 for m in movers if m.kind == kind)
                if kind == VEHICLE:
                    speed, size = rng.uniform(8.0, 12.0), (4.6, 1.9)
                    colour = _VEHICLE_COLOURS[n % len(_VEHICLE_COLOURS)]
                else:
                    speed, size = rng.uniform(1.2, 1.8), (0.6, 0.6)
                    colour = _PERSON_COLOURS[n % len(_PERSON_COLOURS)]
                movers.append(
                    Mover(
                        mover_id=f"{kind}-{n + 1}",
                        kind=kind,
                        loop_xy=loop,
                        speed_mps=speed,
                        start_m=total * (k + rng.uniform(0.0, 0.6)) / max(count, 1),
                        length_m=size[0],
                        width_m=size[1],
                        colour=colour,
                    )
                )
    return movers
