"""A station's pieces ordered into one tour, split into sorties, built into missions.

Route first, split second: the station and every piece are ordered into one
closed tour (:func:`~dronepatrol.planning.ordering.solve_tour`), then the tour
is cut into sorties greedily so that each one's energy, from take-off at the
station to landing back there, stays within the usable battery.

Each sortie becomes a mission ArduCopter flies as is: take-off to transit
altitude, a speed change to cruise speed, transit legs around the no-fly
zones, the pieces' items, transit back and a landing at the station.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace

import numpy as np

from dronepatrol.mission import Cmd, Frame, MissionItem
from dronepatrol.network.model import Kind
from dronepatrol.planning.flight import FlightCost, hop_estimate
from dronepatrol.planning.ordering import LINK, solve_tour
from dronepatrol.planning.pieces import Piece
from dronepatrol.planning.profile import DroneProfile
from dronepatrol.planning.routing import XY, TransitRouter, path_length

ESTIMATE_HEADROOM = 0.97
"""The split aims at this share of the usable battery; the exact check follows."""

UNREACHABLE_M = 1e9


@dataclass(frozen=True)
class Step:
    """One mission item in local metres, before projection to lat/lon.

    ``xy`` is None for items without a position; ``alt_m`` is relative to home.
    """

    command: int
    xy: XY | None = None
    alt_m: float = 0.0
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0


@dataclass(frozen=True)
class BuiltSortie:
    """A sortie in local metres: its pieces, mission steps and cost."""

    pieces: tuple[Piece, ...]
    steps: tuple[Step, ...]
    track: tuple[tuple[float, float, float], ...]
    length_m: float
    duration_s: float
    energy_frac: float


def order_pieces(
    station_xy: XY,
    pieces: list[Piece],
    router: TransitRouter,
    iterations_per_node: float = 0.5,
    seed: int = 0,
) -> tuple[list[Piece], list[Piece]]:
    """The pieces in tour order (each flown in its chosen direction) and the unreachable ones.

    One dense tour over every piece: memory grows with the square of the pieces, so
    the planner tours targets instead (:func:`dronepatrol.planning.touring.order_stops`);
    this stays as the reference its flight length is held to (within 3 %).
    """
    if not pieces:
        return [], []
    nodes: list[XY] = [station_xy]
    owner: list[tuple[int, bool]] = [(-1, False)]  # (piece index, is exit node)
    for k, piece in enumerate(pieces):
        nodes.append(piece.entry)
        owner.append((k, False))
        if piece.kind is not Kind.POINT:
            nodes.append(piece.exit)
            owner.append((k, True))
    dist = router.distances(np.array(nodes))
    router.remember(nodes, dist.copy())
    unreachable = {owner[i][0] for i in np.flatnonzero(~np.isfinite(dist[0])).tolist()}
    dist[~np.isfinite(dist)] = UNREACHABLE_M
    for i in range(1, len(nodes) - 1):
        if owner[i][0] == owner[i + 1][0]:
            dist[i, i + 1] = dist[i + 1, i] = -LINK
    tour = solve_tour(dist, start=0, iterations=int(iterations_per_node * len(nodes)), seed=seed)
    ordered: list[Piece] = []
    seen: set[int] = set()
    for node in tour[1:]:
        k, is_exit = owner[node]
        if k in seen or k in unreachable:
            continue
        seen.add(k)
        ordered.append(pieces[k].reversed() if is_exit else pieces[k])
    return ordered, [pieces[k] for k in sorted(unreachable)]


def _hop_m(router: TransitRouter, a: XY, b: XY) -> float:
    found = router.length(a, b)
    return found if math.isfinite(found) else UNREACHABLE_M


def _piece_cost(cost: FlightCost, piece: Piece, profile: DroneProfile) -> None:
    pts = piece.points
    for a, b in itertools.pairwise(pts):
        cost.leg(math.dist(a, b), 0.0)
    if piece.kind is Kind.POINT:
        moving, hover = piece.time_on_target(profile)
        cost.moving(moving)
        cost.hover(hover)
    else:
        cost.moving(piece.turns * profile.turnaround_s)


def least_energy_frac(profile: DroneProfile, station_xy: XY, pieces: list[Piece]) -> float:
    """A lower bound on the battery share [fraction of a full battery] of any sortie from
    ``station_xy`` that flies all of ``pieces``, in the split's own estimate.

    Take-off, the pieces themselves, landing, and the straight hops out to the nearest
    piece end and home from it; the hops between pieces, detours and any company count
    nothing. Straight hops are never longer than routed ones and a hop's energy grows
    with its length, so the estimate :func:`split_into_sorties` makes of a run holding
    these pieces is at least this. Pieces at different altitudes give 0 (no bound
    claimed): a hop's energy need not grow with its height change.
    """
    transit = profile.transit_altitude_m
    if not pieces or len({piece.alt_m for piece in pieces}) > 1:
        return 0.0
    ends = [p for piece in pieces for p in (piece.entry, piece.exit)]
    nearest = min(math.dist(station_xy, p) for p in ends)
    alt = pieces[0].alt_m
    cost = FlightCost(profile)
    cost.leg(0.0, transit)
    hop_estimate(cost, nearest, transit, alt)
    for piece in pieces:
        _piece_cost(cost, piece, profile)
    hop_estimate(cost, nearest, alt, transit)
    cost.leg(0.0, -transit)
    return cost.energy_frac


def fits_estimate(profile: DroneProfile, energy_frac: float) -> bool:
    """Whether a run of this estimated battery share [fraction] is one :func:`split_into_sorties`
    may keep together."""
    return energy_frac <= profile.usable_battery_frac * ESTIMATE_HEADROOM


SORTIE_OVERHEAD_S = 120.0
"""Cost of one more sortie in the split [s]: landing, battery swap, checks, take-off."""


def split_into_sorties(
    profile: DroneProfile, station_xy: XY, ordered: list[Piece], router: TransitRouter
) -> tuple[list[list[Piece]], list[Piece]]:
    """Cut the ordered pieces into runs that fit the battery; returns (runs, too far).

    The split is optimal for the tour order (Beasley's route-first,
    cluster-second): a shortest path over cut points where a run of pieces
    i..j costs its flight time, from take-off to landing, plus
    :data:`SORTIE_OVERHEAD_S`, and is allowed only when its energy fits.
    Pieces that do not fit even alone are returned as too far.
    """
    limit = profile.usable_battery_frac * ESTIMATE_HEADROOM
    transit = profile.transit_altitude_m
    router.prime(
        [(station_xy, p.entry) for p in ordered]
        + [(p.exit, station_xy) for p in ordered]
        + [(a.exit, b.entry) for a, b in itertools.pairwise(ordered)]
    )

    def alone(piece: Piece) -> float:
        cost = FlightCost(profile)
        cost.leg(0.0, transit)
        hop_estimate(cost, _hop_m(router, station_xy, piece.entry), transit, piece.alt_m)
        _piece_cost(cost, piece, profile)
        hop_estimate(cost, _hop_m(router, piece.exit, station_xy), piece.alt_m, transit)
        cost.leg(0.0, -transit)
        return cost.energy_frac

    fit_alone = [alone(p) <= limit for p in ordered]
    fits = [p for p, ok in zip(ordered, fit_alone, strict=True) if ok]
    too_far = [p for p, ok in zip(ordered, fit_alone, strict=True) if not ok]
    m = len(fits)
    best = [math.inf] * (m + 1)
    cut = [0] * (m + 1)
    best[0] = 0.0
    for i in range(m):  # run starts with fits[i]
        if not math.isfinite(best[i]):
            continue
        cost = FlightCost(profile)
        cost.leg(0.0, transit)
        here, alt = station_xy, transit
        for j in range(i, m):
            piece = fits[j]
            hop_estimate(cost, _hop_m(router, here, piece.entry), alt, piece.alt_m)
            _piece_cost(cost, piece, profile)
            here, alt = piece.exit, piece.alt_m
            home = replace(cost)
            hop_estimate(home, _hop_m(router, here, station_xy), alt, transit)
            home.leg(0.0, -transit)
            if home.energy_frac > limit and j > i:
                break
            total = best[i] + home.duration_s + SORTIE_OVERHEAD_S
            if total < best[j + 1] - 1e-9:
                best[j + 1] = total
                cut[j + 1] = i
    runs: list[list[Piece]] = []
    j = m
    while j > 0:
        i = cut[j]
        runs.append(fits[i:j])
        j = i
    return runs[::-1], too_far


SAME_PLACE_M = 0.05
"""A waypoint this close to the previous one at the same altitude is not repeated [m]
(a chunk starts where the one before it ended; a mission item is a place apart)."""


def build_sortie(
    profile: DroneProfile, station_xy: XY, run: list[Piece], router: TransitRouter
) -> BuiltSortie:
    """The mission steps and exact cost of flying ``run`` from and back to the station."""
    steps: list[Step] = []
    track: list[tuple[float, float, float]] = [(station_xy[0], station_xy[1], 0.0)]
    cost = FlightCost(profile)
    transit = profile.transit_altitude_m

    def fly_to(xy: XY, alt: float, command: int = Cmd.NAV_WAYPOINT, **params: float) -> None:
        x0, y0, z0 = track[-1]
        cost.leg(math.dist((x0, y0), xy), alt - z0)
        track.append((xy[0], xy[1], alt))
        steps.append(Step(command, xy, alt, **params))

    steps.append(Step(Cmd.NAV_TAKEOFF, station_xy, transit))
    cost.leg(0.0, transit)
    track.append((station_xy[0], station_xy[1], transit))
    steps.append(Step(Cmd.DO_CHANGE_SPEED, None, 0.0, 1.0, profile.cruise_speed_mps, -1.0))

    def hop(to: XY, to_alt: float) -> None:
        here = (track[-1][0], track[-1][1])
        here_alt = track[-1][2]
        route = router.path(here, to)
        if route is None:
            raise RuntimeError(f"no transit path from {here} to {to}")  # caller checked
        vias = route[1:-1]
        long = path_length(route) >= profile.short_hop_m
        cruise = max(transit, here_alt, to_alt) if long else max(here_alt, to_alt)
        if long and not vias:
            mid = ((here[0] + to[0]) / 2, (here[1] + to[1]) / 2)
            vias = [mid]
        for via in vias:
            fly_to(via, cruise)

    for piece in run:
        hop(piece.entry, piece.alt_m)
        if piece.kind is Kind.POINT:
            (p,) = piece.points
            steps.append(Step(Cmd.DO_SET_ROI_LOCATION, p, 0.0))
            moving, hover = piece.time_on_target(profile)
            if piece.orbit_radius_m > 0:
                fly_to(
                    p,
                    piece.alt_m,
                    Cmd.NAV_LOITER_TURNS,
                    param1=float(piece.orbit_turns(profile)),
                    param3=piece.orbit_radius_m,
                )
            else:
                fly_to(p, piece.alt_m, Cmd.NAV_LOITER_TIME, param1=piece.dwell_s)
            cost.moving(moving)
            cost.hover(hover)
            steps.append(Step(Cmd.DO_SET_ROI_NONE))
            if piece.orbit_radius_m > 0:
                # back to the centre: the orbit ends anywhere on the circle, and the next leg
                # was planned (and checked against the no-fly zones) from the centre
                fly_to(p, piece.alt_m)
        else:
            for p in piece.points:
                x0, y0, z0 = track[-1]
                if z0 == piece.alt_m and math.dist((x0, y0), p) < SAME_PLACE_M:
                    continue  # where the previous chunk of this grid or line ended
                fly_to(p, piece.alt_m)
            cost.moving(piece.turns * profile.turnaround_s)
    hop(station_xy, transit)
    fly_to(station_xy, transit)
    steps.append(Step(Cmd.NAV_LAND, station_xy, 0.0))
    cost.leg(0.0, -transit)
    track.append((station_xy[0], station_xy[1], 0.0))
    return BuiltSortie(
        pieces=tuple(run),
        steps=tuple(steps),
        track=tuple(track),
        length_m=cost.length_m,
        duration_s=cost.duration_s,
        energy_frac=cost.energy_frac,
    )


def build_sorties(
    profile: DroneProfile, station_xy: XY, runs: list[list[Piece]], router: TransitRouter
) -> tuple[list[BuiltSortie], list[Piece]]:
    """Build every run; returns (sorties, pieces that cannot fit a battery even alone).

    A run whose exact energy exceeds the usable battery is halved until it fits;
    a single piece that still does not fit is given up, never flown over budget.
    """
    out: list[BuiltSortie] = []
    rejected: list[Piece] = []
    queue = list(runs)
    while queue:
        run = queue.pop(0)
        built = build_sortie(profile, station_xy, run, router)
        if built.energy_frac > profile.usable_battery_frac:
            if len(run) > 1:
                half = len(run) // 2
                queue[0:0] = [run[:half], run[half:]]
            else:
                rejected.extend(run)
            continue
        out.append(built)
    return out, rejected


def steps_to_items(steps: tuple[Step, ...], to_lonlat) -> tuple[MissionItem, ...]:
    """Project steps to lat/lon mission items (``to_lonlat(x, y) -> (lon, lat)`` on arrays)."""
    with_pos = [s for s in steps if s.xy is not None]
    xs = np.array([s.xy[0] for s in with_pos])  # type: ignore[index]
    ys = np.array([s.xy[1] for s in with_pos])  # type: ignore[index]
    lon, lat = to_lonlat(xs, ys) if len(with_pos) else (np.zeros(0), np.zeros(0))
    coords = iter(zip(np.atleast_1d(lat).tolist(), np.atleast_1d(lon).tolist(), strict=True))
    items = []
    for s in steps:
        la, lo = next(coords) if s.xy is not None else (0.0, 0.0)
        items.append(
            MissionItem(
                command=int(s.command),
                # DO items without a place carry the MISSION frame, as QGroundControl writes them
                frame=Frame.GLOBAL_RELATIVE_ALT if s.xy is not None else Frame.MISSION,
                param1=s.param1,
                param2=s.param2,
                param3=s.param3,
                param4=s.param4,
                lat_deg=round(la, 7),
                lon_deg=round(lo, 7),
                alt_m=round(s.alt_m, 2),
            )
        )
    return tuple(items)
