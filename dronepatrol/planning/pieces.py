"""Patrol targets turned into pieces of flight: polylines to fly and points to inspect.

A :class:`Piece` is what the ordering and the sortie split work with: a
polyline (one position for a point) flown at one altitude, with its time on
target. A grid gives one piece per connected flyable part (split further when
a part is too big for one sortie); a line gives one piece per part outside the
no-fly zones; a point gives one piece. Targets that cannot be flown come back
as skipped, with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import LineString, Point, Polygon

from dronepatrol.network.model import Kind, NoFlyZone, Target
from dronepatrol.planning.coverage import covered_fraction, plan_coverage
from dronepatrol.planning.flight import FlightCost, hop_energy_s
from dronepatrol.planning.profile import DroneProfile
from dronepatrol.planning.routing import XY, TransitRouter, path_length

MIN_PART_AREA_M2 = 25.0
"""Flyable slivers smaller than this are not worth a lane [m^2]."""

NECK_M = 1.5
"""Necks of a flyable area narrower than twice this are cut when its lanes cannot be joined [m]."""

LINE_CUT_M = 0.5
"""A line is cut this far outside a no-fly zone's margin [m]."""

MAX_ORBIT_M = 255.0
"""Largest orbit radius ArduPilot keeps to the metre in a LOITER_TURNS item [m]."""

MIN_ORBIT_M = 10.0
"""An orbit squeezed below this radius by a no-fly zone becomes a hover [m]."""


@dataclass(frozen=True)
class Piece:
    """One stretch of flight over a target, in local metres.

    Attributes:
        target_id: the target it belongs to.
        kind: grid, line or point.
        points: the polyline flown (one position for a point).
        alt_m: altitude above the station [m].
        turns: sharp turns flown (each costs the profile's turnaround time).
        dwell_s: time over a point [s].
        orbit_radius_m: orbit radius around a point [m] (0: hover).
        part: index of this piece among its target's pieces.
    """

    target_id: str
    kind: Kind
    points: tuple[XY, ...]
    alt_m: float
    turns: int = 0
    dwell_s: float = 0.0
    orbit_radius_m: float = 0.0
    part: int = 0

    @property
    def entry(self) -> XY:
        return self.points[0]

    @property
    def exit(self) -> XY:
        return self.points[-1]

    @property
    def length_m(self) -> float:
        return path_length(self.points)

    def orbit_turns(self, profile: DroneProfile) -> int:
        """Whole orbits flown to spend at least ``dwell_s`` (at least one)."""
        if self.orbit_radius_m <= 0:
            return 0
        period = 2 * math.pi * self.orbit_radius_m / profile.orbit_speed_mps
        return max(1, math.ceil(self.dwell_s / period - 1e-9))

    def time_on_target(self, profile: DroneProfile) -> tuple[float, float]:
        """(moving time [s], hovering time [s]) spent over the target."""
        if self.kind is Kind.POINT:
            if self.orbit_radius_m > 0:
                turns = self.orbit_turns(profile)
                return turns * 2 * math.pi * self.orbit_radius_m / profile.orbit_speed_mps, 0.0
            return 0.0, self.dwell_s
        moving = self.length_m / profile.cruise_speed_mps + self.turns * profile.turnaround_s
        return moving, 0.0

    def reversed(self) -> Piece:
        """The same piece flown the other way."""
        return Piece(
            self.target_id,
            self.kind,
            self.points[::-1],
            self.alt_m,
            self.turns,
            self.dwell_s,
            self.orbit_radius_m,
            self.part,
        )


@dataclass
class TargetPlan:
    """What became of one target while building pieces."""

    target: Target
    pieces: list[Piece] = field(default_factory=list)
    skipped: str = ""
    notes: list[str] = field(default_factory=list)
    coverage_frac: float | None = None
    sweep_angle_deg: float | None = None
    flyable_area_m2: float | None = None
    line_flown_frac: float | None = None


def _zone_hit(geom: shapely.Geometry, zones: list[tuple[NoFlyZone, Polygon]]) -> str:
    for zone, poly in zones:
        if poly.intersects(geom):
            return zone.id
    return ""


def _count_turns(points: tuple[XY, ...], min_deg: float = 60.0) -> int:
    pts = np.asarray(points, dtype=float)
    if len(pts) < 3:
        return 0
    v = np.diff(pts, axis=0)
    a1 = np.arctan2(v[:-1, 1], v[:-1, 0])
    a2 = np.arctan2(v[1:, 1], v[1:, 0])
    turn = np.abs((a2 - a1 + np.pi) % (2 * np.pi) - np.pi)
    return int((np.degrees(turn) >= min_deg).sum())


def build_target(
    target: Target,
    geometry_xy: shapely.Geometry,
    profile: DroneProfile,
    router: TransitRouter,
    zones: list[tuple[NoFlyZone, Polygon]],
) -> TargetPlan:
    """Pieces for one target (its geometry already in local metres), or why it is skipped."""
    plan = TargetPlan(target)
    alt = target.altitude_m if target.altitude_m is not None else profile.patrol_altitude_m
    if alt > profile.max_altitude_m:
        plan.skipped = (
            f"altitude_m {alt:g} is above the profile's max_altitude_m {profile.max_altitude_m:g}"
        )
        return plan
    blocked = router.blocked
    margin = profile.nofly_margin_m
    if target.kind is Kind.POINT:
        p = (float(geometry_xy.x), float(geometry_xy.y))
        inside = _zone_hit(geometry_xy, zones)
        if inside:
            plan.skipped = f"inside no-fly {inside}"
            return plan
        if router.inside_blocked(p):
            near = _zone_hit(geometry_xy.buffer(margin), zones)
            plan.skipped = f"within {margin:g} m of no-fly {near}"
            return plan
        dwell = target.dwell_s if target.dwell_s is not None else profile.dwell_s
        radius = (
            target.orbit_radius_m if target.orbit_radius_m is not None else profile.orbit_radius_m
        )
        if radius > 0 and blocked.intersects(geometry_xy.buffer(radius)):
            room = float(geometry_xy.distance(blocked)) - 1.0
            near = _zone_hit(geometry_xy.buffer(radius + margin), zones)
            if room >= MIN_ORBIT_M:
                plan.notes.append(f"orbit radius cut to {room:.0f} m by no-fly {near}")
                radius = room
            else:
                plan.notes.append(f"hovering instead of orbiting: no-fly {near} too close")
                radius = 0.0
        # ArduPilot stores whole seconds and whole metres (radius up to 255 m) for these items
        dwell = float(math.ceil(dwell))
        radius = float(min(math.floor(radius), MAX_ORBIT_M))
        plan.pieces.append(Piece(target.id, Kind.POINT, (p,), alt, 0, dwell, radius))
        return plan
    if target.kind is Kind.LINE:
        # cut a hair beyond the margin, so the parts' ends can be reached by transit legs
        outside = shapely.difference(geometry_xy, shapely.buffer(blocked, LINE_CUT_M))
        parts = [
            g for g in shapely.get_parts(outside) if isinstance(g, LineString) and g.length > 1
        ]
        if not parts:
            plan.skipped = f"inside no-fly {_zone_hit(geometry_xy, zones)}"
            return plan
        flown = sum(g.length for g in parts)
        plan.line_flown_frac = min(1.0, flown / geometry_xy.length) if geometry_xy.length else 0.0
        if flown < geometry_xy.length - 1.0:
            plan.notes.append(
                f"{geometry_xy.length - flown:.0f} m of the line is in or near no-fly zones "
                f"({_zone_hit(geometry_xy, zones)}) and is not flown"
            )
        for k, g in enumerate(parts):
            pts = tuple((float(x), float(y)) for x, y in g.coords)
            plan.pieces.append(Piece(target.id, Kind.LINE, pts, alt, _count_turns(pts), part=k))
        return plan
    # grid
    flyable = shapely.difference(geometry_xy, blocked)
    parts = [g for g in shapely.get_parts(flyable) if isinstance(g, Polygon)]
    parts = [g for g in parts if g.area >= MIN_PART_AREA_M2]
    area = float(sum(g.area for g in parts))
    plan.flyable_area_m2 = area
    if not parts:
        plan.skipped = f"flyable area is empty (no-fly {_zone_hit(geometry_xy, zones)})"
        return plan
    swath = profile.swath_width_m(alt)
    spacing = profile.lane_spacing_m(alt)
    seen = 0.0
    queue = sorted(parts, key=lambda g: (-g.area, g.bounds))
    split_necks = set()
    k = 0
    while queue:
        part = queue.pop(0)
        cover = plan_coverage(part, swath, spacing, profile.cruise_speed_mps, profile.turnaround_s)
        if cover is None and id(part) not in split_necks:
            # a neck narrower than the lanes' inset can cut the inside in two: fly each side
            opened = shapely.buffer(shapely.buffer(part, -NECK_M), NECK_M)
            sides = [g for g in shapely.get_parts(opened) if g.area >= MIN_PART_AREA_M2]
            if len(sides) > 1:
                split_necks.update(id(g) for g in sides)
                queue[0:0] = sides
                continue
        if cover is None:
            plan.notes.append(f"a flyable part of {part.area:.0f} m2 is too thin to fly")
            continue
        seen += cover.coverage_frac * part.area
        if plan.sweep_angle_deg is None:
            plan.sweep_angle_deg = cover.sweep_angle_deg
        plan.pieces.append(Piece(target.id, Kind.GRID, cover.waypoints, alt, cover.turns, part=k))
        k += 1
    if not plan.pieces:
        plan.skipped = "flyable area too thin to fly a lane"
        return plan
    plan.coverage_frac = seen / area if area > 0 else 0.0
    return plan


def coverage_of(pieces: list[Piece], area: shapely.Geometry, swath_m: float) -> float:
    """Fraction of ``area`` seen by the swaths of ``pieces`` (for checks and tests)."""
    if not pieces:
        return 0.0
    swaths = [covered_fraction(area, p.points, swath_m) * area.area for p in pieces]
    return min(1.0, sum(swaths) / area.area)


DETOUR = 1.2
"""Allowance for transit around no-fly zones when sizing chunks (the split checks exactly)."""

STEP_M = 40.0
"""Granularity of chunk cuts along a polyline [m]."""

CHUNK_BATTERY_SHARE = 1 / 8
"""Most of a battery one chunk's own flying may take (of the share a chunk may use at
all). A chunk sized to fill a battery alone leaves each sortie its unused remainder and
pays the transit out and back for every one; chunks of an eighth let the sortie split fill
each battery from a run of them (and nearby stops): in the real-shaped city, 7 % less
flight over the same coverage, and no station longer than with the previous planner
(one tour over every battery-sized chunk; it was 7 % longer at one station)."""


def split_piece(
    piece: Piece,
    profile: DroneProfile,
    station_xy: XY,
    router: TransitRouter | None = None,
    chunk_share: float = CHUNK_BATTERY_SHARE,
) -> list[Piece]:
    """Cut a grid or line piece into chunks that each fit one sortie from ``station_xy``.

    Walks the polyline in steps of STEP_M; a chunk ends where flying on would
    leave too little battery to get home (take-off, transit out to the chunk's
    start, the chunk, transit home and landing), or where its own flying reaches
    ``chunk_share`` of a battery (default CHUNK_BATTERY_SHARE; 1 sizes chunks by the
    battery alone, as the previous planner did). Transit is the straight
    distance where ``router`` finds the straight line from the station clear, and
    DETOUR times it elsewhere (or everywhere without a router): a far grid is then
    cut into chunks as long as the battery allows, not into slivers.

    Where not even one step fits from a fresh chunk (that part of the piece lies
    beyond the battery's reach by this estimate), each such step is a chunk of
    its own: the sortie split, which measures transit exactly, flies those that
    fit and finds the rest too far, and the reachable rest of a grid or line that
    strays out of range is still flown (the target is partial, not skipped). A
    piece that fits whole, or no step of which fits, comes back as is.
    """
    if piece.kind is Kind.POINT:
        return [piece]
    limit_s = profile.usable_battery_frac * 0.92 * profile.hover_endurance_s
    speed, turn_s = profile.cruise_speed_mps, profile.turnaround_s
    transit = profile.transit_altitude_m
    ratio = profile.cruise_power_ratio
    pts = piece.points
    # every step's end, with the factor on its straight distance from the station
    walk: list[tuple[XY | None, bool, XY]] = []  # (segment start on its first step, last?, end)
    for k in range(1, len(pts)):
        a, b = pts[k - 1], pts[k]
        steps = max(1, math.ceil(math.dist(a, b) / STEP_M))
        for m in range(1, steps + 1):
            q = (a[0] + (b[0] - a[0]) * m / steps, a[1] + (b[1] - a[1]) * m / steps)
            walk.append((a if m == 1 else None, m == steps, q))
    every = list(dict.fromkeys([*pts, *(q for _, _, q in walk)]))
    xy = np.asarray(every, dtype=float)
    straight = np.hypot(xy[:, 0] - station_xy[0], xy[:, 1] - station_xy[1])
    if router is not None:
        straight = np.where(router.clear_from(station_xy, xy), straight, straight * DETOUR)
    else:
        straight = straight * DETOUR
    # energy of the hop out to each position and of the hop home from it [s of hover]
    out_s = hop_energy_s(profile, straight, transit, piece.alt_m).tolist()
    home_s = hop_energy_s(profile, straight, piece.alt_m, transit).tolist()
    ends = FlightCost(profile)
    ends.leg(0.0, transit)
    ends.leg(0.0, -transit)
    index = {p: k for k, p in enumerate(every)}

    def trip_s(start: XY, end: XY) -> float:
        return ends.energy_s + out_s[index[start]] + home_s[index[end]]

    moving, _ = piece.time_on_target(profile)
    if trip_s(piece.entry, piece.exit) + moving * ratio <= limit_s:
        return [piece]
    chunks: list[list[XY]] = [[pts[0]]]
    used_s = 0.0
    here = pts[0]
    reached = False  # some step fitted in a chunk

    chunk_s = chunk_share * limit_s

    def fits(start: XY, end: XY, moving_s: float) -> bool:
        return trip_s(start, end) + moving_s * ratio <= limit_s

    for segment_start, last_step, q in walk:
        if segment_start is not None:
            here = segment_start
        step_s = math.dist(here, q) / speed
        if (used_s + step_s) * ratio > chunk_s or not fits(chunks[-1][0], q, used_s + step_s):
            if chunks[-1][-1] != here:
                chunks[-1].append(here)
            if len(chunks[-1]) > 1:
                chunks.append([here])
                used_s = 0.0
            if not fits(here, q, step_s):  # beyond reach even alone: a sliver of its own
                chunks[-1].append(q)
                chunks.append([q])
                here = q
                continue
        reached = True
        used_s += step_s
        if last_step:
            chunks[-1].append(q)
            if piece.kind is Kind.GRID:
                used_s += turn_s
        here = q
    if chunks[-1][-1] != here:
        chunks[-1].append(here)
    if not reached:
        return [piece]  # beyond reach all along: too far for any chunk
    out = []
    for k, chunk in enumerate(c for c in chunks if len(c) >= 2 and path_length(c) > 0.5):
        pts_k = tuple(chunk)
        out.append(
            Piece(
                piece.target_id,
                piece.kind,
                pts_k,
                piece.alt_m,
                _count_turns(pts_k),
                part=piece.part * 1000 + k,
            )
        )
    return out


def point_xy(p: XY) -> Point:
    return Point(p)
