"""The planner's front door: :func:`plan_sorties` turns a patrol network into sorties.

Stages, per station: targets -> pieces (coverage, line parts, point
inspections; skipped targets with reasons; long pieces cut into battery-sized
chunks) -> one tour over the targets, chunks in order inside each
(:mod:`~dronepatrol.planning.touring`) -> sorties that fit the
battery -> missions (items, fence, rally point) -> safety check. Pure and
deterministic: no files, no MAVLink; the same network and profile always give
the same plan. The CLI (``dronepatrol plan``), the web app and the scheduler
all call this function.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely

from dronepatrol.geo import LocalFrame
from dronepatrol.mission import Mission
from dronepatrol.network.model import Kind, Network, Station, Target
from dronepatrol.planning.errors import PlanningError
from dronepatrol.planning.geofence import station_fence
from dronepatrol.planning.limits import PlanningLimits, check_limits, check_nofly
from dronepatrol.planning.pieces import Piece, TargetPlan, build_target, split_piece
from dronepatrol.planning.profile import DroneProfile
from dronepatrol.planning.routing import TransitRouter
from dronepatrol.planning.safety import check_mission, fence_polygon
from dronepatrol.planning.sorties import (
    ESTIMATE_HEADROOM,
    BuiltSortie,
    build_sorties,
    fits_estimate,
    least_energy_frac,
    split_into_sorties,
    steps_to_items,
)
from dronepatrol.planning.touring import order_stops

GEOS_RELATES_COLLECTIONS = shapely.geos_version >= (3, 13, 0)
"""GEOS evaluates predicates on geometry collections from 3.13 on (RelateNG)."""

Progress = Callable[[str, int, int], None]
"""progress(label, done, total): called as stations are planned."""


@dataclass(frozen=True)
class Sortie:
    """One planned flight: take-off at ``station``, the targets, landing back there.

    Attributes:
        id: ``<station>-<n>``, e.g. ``S01-1``.
        station: the station id.
        mission: items, fence and rally point, ready to upload or write.
        targets: ids of the targets flown (in flight order, each once).
        length_m: horizontal track length [m].
        duration_s: estimated flight time [s].
        energy_frac: estimated share of a full battery used.
    """

    id: str
    station: str
    mission: Mission
    targets: tuple[str, ...]
    length_m: float
    duration_s: float
    energy_frac: float
    track: tuple[tuple[float, float, float], ...] = field(default=(), repr=False)
    """(lat [deg], lon [deg], alt above home [m]) of each position flown, take-off to landing."""
    rtl_clear: bool = True
    """False when a straight return home (a failsafe RTL) from some waypoint of this sortie
    would cross a no-fly zone: fly it with ArduPilot's fence-aware path planning (OA_TYPE 2,
    Dijkstra) enabled and the plan's fence uploaded."""
    number: int = 0
    """Its place among the station's sorties of the plan (the ``n`` of its id)."""

    @property
    def label(self) -> str:
        """What people call it: "sortie 1 from S01" (its id ``S01-1`` reads like a drone's
        name: the demo names drones after their station too)."""
        return f"sortie {self.number} from {self.station}"


@dataclass(frozen=True)
class TargetStatus:
    """What became of one target: ``planned``, ``partial`` or ``skipped``, and why."""

    id: str
    status: str
    reason: str = ""
    sorties: tuple[str, ...] = ()
    coverage_frac: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"status": self.status}
        if self.reason:
            out["reason"] = self.reason
        if self.coverage_frac is not None:
            out["coverage_frac"] = round(self.coverage_frac, 4)
        if self.sorties:
            out["sorties"] = list(self.sorties)
        out.update(self.details)
        return out


@dataclass(frozen=True)
class PlanResult:
    """Every sortie planned and the status of every target asked for."""

    profile: DroneProfile
    sorties: tuple[Sortie, ...]
    targets: dict[str, TargetStatus]
    network_name: str = ""

    def tracks_geojson(self) -> dict[str, Any]:
        """Each sortie's planned track as a GeoJSON LineString (lon, lat, alt above home [m]),
        for map previews; properties carry the sortie id, station, targets and energy."""
        features = [
            {
                "type": "Feature",
                "geometry": {
                    "type": "LineString",
                    "coordinates": [[lon, lat, alt] for lat, lon, alt in s.track],
                },
                "properties": {
                    "sortie": s.id,
                    "station": s.station,
                    "targets": list(s.targets),
                    "length_m": round(s.length_m, 1),
                    "duration_s": round(s.duration_s, 1),
                    "energy_frac": round(s.energy_frac, 4),
                },
            }
            for s in self.sorties
        ]
        return {"type": "FeatureCollection", "features": features}

    def summary(self) -> dict[str, Any]:
        """The ``summary.json`` document (file names follow the sortie ids).

        Keys: ``profile`` (the drone profile with ``swath_width_m``, ``lane_spacing_m``,
        ``altitude_m``); ``sorties`` (id, station, plan and waypoints file names, targets,
        items, length_m, duration_s, energy_frac, rtl_clear, label); ``targets`` (per id: status
        planned / partial / skipped, reason, sorties, kind, priority, notes; grids:
        coverage_frac of the flyable area, sweep_angle_deg, flyable_area_m2; lines:
        flown_frac of the length; points: inspection hover or orbit, dwell_s,
        orbit_radius_m); ``totals``.
        """
        sorties = [
            {
                "id": s.id,
                "label": s.label,
                "station": s.station,
                "plan": f"{s.id}.plan",
                "waypoints": f"{s.id}.waypoints",
                "targets": list(s.targets),
                "items": len(s.mission.items),
                "length_m": round(s.length_m, 1),
                "duration_s": round(s.duration_s, 1),
                "energy_frac": round(s.energy_frac, 4),
                "rtl_clear": s.rtl_clear,
            }
            for s in self.sorties
        ]
        statuses = [t.status for t in self.targets.values()]
        grid_cover = [t.coverage_frac for t in self.targets.values() if t.coverage_frac is not None]
        totals = {
            "sorties": len(self.sorties),
            "stations": len({s.station for s in self.sorties}),
            "items": sum(len(s.mission.items) for s in self.sorties),
            "length_m": round(sum(s.length_m for s in self.sorties), 1),
            "duration_s": round(sum(s.duration_s for s in self.sorties), 1),
            "max_energy_frac": round(max((s.energy_frac for s in self.sorties), default=0.0), 4),
            "targets_planned": statuses.count("planned"),
            "targets_partial": statuses.count("partial"),
            "targets_skipped": statuses.count("skipped"),
            "min_grid_coverage_frac": round(min(grid_cover), 4) if grid_cover else None,
        }
        return {
            "network": self.network_name,
            "profile": self.profile.as_dict(),
            "sorties": sorties,
            "targets": {tid: t.as_dict() for tid, t in self.targets.items()},
            "totals": totals,
        }


def _select(
    network: Network, station_ids: Iterable[str] | None, target_ids: Iterable[str] | None
) -> tuple[list[Station], dict[str, list[str]]]:
    problems = []
    stations = list(network.stations)
    if station_ids is not None:
        wanted = list(dict.fromkeys(station_ids))
        known = {s.id for s in network.stations}
        problems += [
            f"unknown station {sid!r}; the network has: {', '.join(sorted(known)) or 'none'}"
            for sid in wanted
            if sid not in known
        ]
        stations = [network.station(sid) for sid in wanted if sid in known]
    chosen: dict[str, list[str]] = {
        s.id: [t.id for t in network.targets_of(s.id)] for s in stations
    }
    if target_ids is not None:
        wanted_t = list(dict.fromkeys(target_ids))
        known_t = {t.id for t in network.targets}
        problems += [
            f"unknown target {tid!r}; give ids of grids, lines or points in the network"
            for tid in wanted_t
            if tid not in known_t
        ]
        keep = set(wanted_t)
        owners = {network.target(t).station for t in wanted_t if t in known_t}
        if station_ids is None:
            stations = [s for s in network.stations if s.id in owners]
        for tid in wanted_t:
            if tid in known_t and network.target(tid).station not in {s.id for s in stations}:
                problems.append(
                    f"target {tid!r} belongs to station {network.target(tid).station!r}, "
                    "which is not among the stations asked for"
                )
        chosen = {s.id: [t.id for t in network.targets_of(s.id) if t.id in keep] for s in stations}
    if problems:
        raise PlanningError(problems)
    return stations, chosen


@functools.lru_cache(maxsize=8)
def _frame(lat0_deg: float, lon0_deg: float) -> LocalFrame:
    """The local frame of a network centre, built once (a projection takes tens of ms)."""
    return LocalFrame(lat0_deg, lon0_deg)


@functools.lru_cache(maxsize=4)
def _router(zones_wkb: tuple[bytes, ...], margin_m: float) -> TransitRouter:
    """The transit graph around these no-fly zones, built once: the scheduler plans the
    same network again and again. Callers take :meth:`TransitRouter.with_empty_cache`."""
    return TransitRouter([shapely.from_wkb(z) for z in zones_wkb], margin_m)


@dataclass(frozen=True)
class _NetworkFrame:
    """What every planning run over one network starts from: its local frame and its
    no-fly zones in it (with their WKB, keying the router and the piece cache)."""

    frame: LocalFrame
    zones_xy: list
    zones_wkb: tuple[bytes, ...]
    zones_key: tuple
    battery_needs: dict[tuple[DroneProfile, str], int] = field(default_factory=dict)
    """:func:`batteries_needed` answers for this network object, by (profile, target id)."""


_network_frames: OrderedDict[int, tuple[Network, _NetworkFrame]] = OrderedDict()


def _network_frame(network: Network) -> _NetworkFrame:
    """The network's frame and zones, computed once per network object (its bounds and
    every zone's projection take milliseconds; the scheduler asks many times a pass)."""
    with _target_plans_lock:
        held = _network_frames.get(id(network))
        if held is not None and held[0] is network:
            return held[1]
    frame = _frame(*network.centre())
    zones_xy = [(z, frame.geometry_to_xy(z.geometry)) for z in network.nofly]
    zones_wkb = tuple(shapely.to_wkb(p) for _, p in zones_xy)
    made = _NetworkFrame(frame, zones_xy, zones_wkb, (*zones_wkb, *(z.id for z, _ in zones_xy)))
    with _target_plans_lock:
        _network_frames[id(network)] = (network, made)
        while len(_network_frames) > 4:
            _network_frames.popitem(last=False)
    return made


TARGET_PLANS_KEPT = 4096
"""Targets whose pieces (coverage lanes, line parts) are kept between planning runs."""

_target_plans: OrderedDict[tuple, TargetPlan] = OrderedDict()
_target_plans_lock = threading.Lock()


def _target_plan(
    target: Target,
    frame: LocalFrame,
    profile: DroneProfile,
    router: TransitRouter,
    zones_xy: list,
    zones_key: tuple,
) -> TargetPlan:
    """:func:`build_target`, remembered: the scheduler plans the same targets again and
    again in different company, and a grid's coverage is the costly part. The key holds
    everything the pieces depend on; callers get their own copy to change."""
    key = (target, frame.lat0_deg, frame.lon0_deg, profile, zones_key)
    with _target_plans_lock:
        plan = _target_plans.get(key)
        if plan is not None:
            _target_plans.move_to_end(key)
    if plan is None:
        geometry = frame.geometry_to_xy(target.geometry)
        plan = build_target(target, geometry, profile, router, zones_xy)
        with _target_plans_lock:
            _target_plans[key] = plan
            while len(_target_plans) > TARGET_PLANS_KEPT:
                _target_plans.popitem(last=False)
    return dataclasses.replace(plan, pieces=list(plan.pieces), notes=list(plan.notes))


BATTERY_NEEDS_KEPT = 4096
"""Targets whose battery need from their station is kept between planning runs."""

_battery_needs: OrderedDict[tuple, int] = OrderedDict()


def batteries_needed(network: Network, profile: DroneProfile, target_id: str) -> int:
    """Sorties a target certainly needs from its own station to be patrolled whole:
    when even the least a sortie flying all its pieces' chunks could use
    (:func:`least_energy_frac`) is past one battery, that least over one battery
    (at least 2: a lower bound, since the sorties together use at least as much);
    otherwise 1 (whether it fits in company, the planner decides), and 0 when the target
    cannot be flown at all (inside a no-fly zone, or its station is).

    The scheduler asks this before planning a target among others, so that a grid far
    too large for one battery is not planned again and again only to be found so.
    Remembered per target, keyed as its pieces are, with the station's position.
    Raises :class:`PlanningLimitError` when the network's no-fly zones are past a
    planning limit (before any transit graph is built).
    """
    held = _network_frame(network)
    known = held.battery_needs.get((profile, target_id))
    if known is not None:  # asked for every due target of every pass: no hashing of shapes
        return known
    target = network.target(target_id)
    station = network.station(target.station)
    frame, zones_xy, zones_wkb, zones_key = (
        held.frame,
        held.zones_xy,
        held.zones_wkb,
        held.zones_key,
    )
    sx, sy = frame.to_xy(station.lon_deg, station.lat_deg)
    station_xy = (float(sx), float(sy))
    key = (target, frame.lat0_deg, frame.lon0_deg, profile, zones_key, station_xy)
    with _target_plans_lock:
        need = _battery_needs.get(key)
        if need is not None:
            _battery_needs.move_to_end(key)
            held.battery_needs[(profile, target_id)] = need
            return need
    check_nofly(network.nofly)
    router = _router(zones_wkb, profile.nofly_margin_m).with_empty_cache()
    plan = _target_plan(target, frame, profile, router, zones_xy, zones_key)
    if plan.skipped or router.inside_blocked(station_xy):
        need = 0
    else:
        chunks = [c for p in plan.pieces for c in split_piece(p, profile, station_xy, router)]
        least = least_energy_frac(profile, station_xy, chunks)
        if fits_estimate(profile, least) or len(chunks) < 2:
            need = 1
        else:  # sorties together use at least the least one sortie flying all would
            battery = profile.usable_battery_frac * ESTIMATE_HEADROOM
            need = max(2, math.ceil(least / battery))
    with _target_plans_lock:
        _battery_needs[key] = need
        while len(_battery_needs) > BATTERY_NEEDS_KEPT:
            _battery_needs.popitem(last=False)
    held.battery_needs[(profile, target_id)] = need
    return need


def plan_sorties(
    network: Network,
    profile: DroneProfile | None = None,
    station_ids: Iterable[str] | None = None,
    target_ids: Iterable[str] | None = None,
    progress: Progress | None = None,
    limits: PlanningLimits | None = None,
) -> PlanResult:
    """Plan safe sorties over a patrol network.

    Args:
        network: the validated patrol network.
        profile: the drone profile (default: the shipped one).
        station_ids: plan only these stations (default: every station).
        target_ids: plan only these targets (default: every target of the stations).
        progress: called with (station id, stations done, stations in all).
        limits: the largest request planned (default :class:`PlanningLimits`'s defaults).

    Returns:
        The sorties, station by station, and the status of every target asked for
        (planned with its coverage, or skipped with the reason).

    Raises:
        PlanningError: unknown station or target ids, or a mission that fails the
            safety check (the message lists every problem).
        PlanningLimitError: (a PlanningError) the request goes past a limit; raised
            before any planning work.
    """
    from dronepatrol.planning.profile import load_profile

    profile = profile or load_profile()
    stations, chosen = _select(network, station_ids, target_ids)
    held = _network_frame(network)
    frame, zones_xy, zones_key = held.frame, held.zones_xy, held.zones_key
    check_limits(
        network, [t for s in stations for t in chosen[s.id]], limits or PlanningLimits(), frame
    )
    router = _router(held.zones_wkb, profile.nofly_margin_m).with_empty_cache()
    sorties: list[Sortie] = []
    statuses: dict[str, TargetStatus] = {}
    problems: list[str] = []
    for done, station in enumerate(stations):
        if progress:
            progress(station.id, done, len(stations))
        sx, sy = frame.to_xy(station.lon_deg, station.lat_deg)
        station_xy = (float(sx), float(sy))
        plans = [
            _target_plan(network.target(tid), frame, profile, router, zones_xy, zones_key)
            for tid in chosen[station.id]
        ]
        blocked_home = router.inside_blocked(station_xy)
        stops: list[list[Piece]] = []
        for plan in plans:
            if blocked_home and not plan.skipped:
                plan.skipped = (
                    f"station {station.id} is within {profile.nofly_margin_m:g} m of a no-fly zone"
                )
            if plan.skipped:
                continue
            stops += [split_piece(piece, profile, station_xy, router) for piece in plan.pieces]
        ordered, unreachable = order_stops(station_xy, stops, router)
        runs, too_far = split_into_sorties(profile, station_xy, ordered, router)
        built, over_budget = build_sorties(profile, station_xy, runs, router)
        too_far = too_far + over_budget
        station_sorties = _to_sorties(station, built, frame, profile, zones_xy, problems)
        for sortie in station_sorties:
            breaches = check_mission(
                sortie.mission, frame, [(z.id, p) for z, p in zones_xy], profile.max_altitude_m
            )
            problems += [f"{sortie.id}: {b}" for b in breaches]
        sorties += station_sorties
        lost = {id(p): "no transit path around the no-fly zones" for p in unreachable}
        lost.update({id(p): "out of battery range from the station" for p in too_far})
        _statuses(plans, station_sorties, unreachable + too_far, lost, statuses)
    if progress:
        progress("", len(stations), len(stations))
    if problems:
        raise PlanningError(problems)
    return PlanResult(profile, tuple(sorties), statuses, network.name)


def _to_sorties(
    station: Station,
    built: list[BuiltSortie],
    frame: LocalFrame,
    profile: DroneProfile,
    zones_xy,
    problems: list[str],
) -> list[Sortie]:
    """The station's sorties as missions; a fence that cannot fit is added to ``problems``."""
    if not built:
        return []
    reach = [np.asarray([(x, y) for x, y, _ in b.track]) for b in built]
    for b in built:
        for piece in b.pieces:
            if piece.orbit_radius_m > 0:
                circle = shapely.buffer(shapely.points(piece.points[0]), piece.orbit_radius_m)
                reach.append(np.asarray(circle.exterior.coords))
    fence_xy = fence_polygon(np.concatenate(reach), profile.fence_margin_m)
    parts = [
        shapely.multipoints(r) if len(r) < 2 else shapely.linestrings(r)
        for r in reach[: len(built)]
    ] + [shapely.Polygon(r) for r in reach[len(built) :]]
    # the fence only asks whether shapes touch or cover these: GEOS 3.13+ answers that for
    # a collection as it stands; noding a station's thousands of lanes into one union took
    # a second of the whole city's planning
    flown = (
        shapely.geometrycollections(parts) if GEOS_RELATES_COLLECTIONS else shapely.union_all(parts)
    )
    fence = station_fence(
        fence_xy,
        [(z.id, poly) for z, poly in zones_xy],
        frame,
        profile.fence_capacity,
        flown=flown,
    )
    problems += [f"station {station.id}: {p}" for p in fence.problems]
    home = (round(station.lat_deg, 7), round(station.lon_deg, 7), station.elevation_m)
    out = []
    for k, b in enumerate(built, 1):
        items = steps_to_items(b.steps, frame.to_lonlat)
        targets = tuple(dict.fromkeys(p.target_id for p in b.pieces))
        xs = np.array([t[0] for t in b.track])
        ys = np.array([t[1] for t in b.track])
        lon, lat = frame.to_lonlat(xs, ys)
        track = tuple(
            (round(a, 7), round(o, 7), round(z, 2))
            for a, o, z in zip(lat.tolist(), lon.tolist(), [t[2] for t in b.track], strict=True)
        )
        mission = Mission(
            items=items,
            home=home,
            fence_inclusions=(fence.inclusion,),
            fence_exclusions=fence.exclusions,
            fence_exclusion_circles=fence.circles,
            rally_points=((home[0], home[1], profile.transit_altitude_m),),
        )
        out.append(
            Sortie(
                id=f"{station.id}-{k}",
                number=k,
                station=station.id,
                mission=mission,
                targets=targets,
                length_m=b.length_m,
                duration_s=b.duration_s,
                energy_frac=b.energy_frac,
                track=track,
                rtl_clear=_rtl_clear(b, [poly for _, poly in zones_xy]),
            )
        )
    return out


def _rtl_clear(built: BuiltSortie, zones: list[shapely.Geometry]) -> bool:
    """True when the straight line home from every planned position misses every no-fly zone."""
    if not zones:
        return True
    pts = np.asarray([(x, y) for x, y, _ in built.track])
    home = np.broadcast_to(pts[0], pts.shape)
    lines = shapely.linestrings(np.stack([pts[1:], home[1:]], axis=1))
    return not any(bool(shapely.intersects(zone, lines).any()) for zone in zones)


def _statuses(
    plans: list[TargetPlan],
    sorties: list[Sortie],
    lost: list[Piece],
    reasons: dict[int, str],
    out: dict[str, TargetStatus],
) -> None:
    flown: dict[str, list[str]] = {}
    for s in sorties:
        for tid in s.targets:
            flown.setdefault(tid, []).append(s.id)
    lost_reason: dict[str, str] = {}
    for piece in lost:
        lost_reason.setdefault(piece.target_id, reasons[id(piece)])
    for plan in plans:
        t = plan.target
        details: dict[str, Any] = {"kind": t.kind.value, "priority": t.priority.value}
        if plan.notes:
            details["notes"] = list(plan.notes)
        if plan.sweep_angle_deg is not None:
            details["sweep_angle_deg"] = round(plan.sweep_angle_deg, 1)
        if plan.flyable_area_m2 is not None:
            details["flyable_area_m2"] = round(plan.flyable_area_m2, 1)
        if plan.line_flown_frac is not None:
            details["flown_frac"] = round(plan.line_flown_frac, 4)
        if t.kind is Kind.POINT and plan.pieces:
            radius = plan.pieces[0].orbit_radius_m
            details["inspection"] = "orbit" if radius > 0 else "hover"
            if radius > 0:
                details["orbit_radius_m"] = round(radius, 1)
            details["dwell_s"] = plan.pieces[0].dwell_s
        if plan.skipped:
            out[t.id] = TargetStatus(t.id, "skipped", plan.skipped, details=details)
            continue
        ids = tuple(flown.get(t.id, ()))
        if t.id in lost_reason:
            status = "partial" if ids else "skipped"
            out[t.id] = TargetStatus(t.id, status, lost_reason[t.id], ids, None, details)
            continue
        cover = plan.coverage_frac if t.kind is Kind.GRID else None
        if cover is not None and not math.isfinite(cover):
            cover = 0.0
        out[t.id] = TargetStatus(t.id, "planned", "", ids, cover, details)
