"""A simulated 24-hour patrol day: the real scheduler and planner, a kinematic stand-in for flight.

What is real: the scheduler's choice of each sortie
(:func:`dronepatrol.schedule.choice.propose_sortie`, which plans with
:func:`dronepatrol.planning.plan_sorties`), the battery turnaround model, the
dispatch choice (:func:`dronepatrol.dispatch.choice.propose_dispatch`), and the
on-time accounting of the reports (:mod:`dronepatrol.freshness.ontime`).

What stands in for the simulator: a drone flies its planned sortie in the
planner's estimated time; a target counts as patrolled when the drone passes
the last point of its plan (the planner's coverage is >= 99 %, and the flight
tests show the flown track judged patrolled); a diverted sortie keeps what it
finished before the incident and abandons the rest. Battery drains linearly
over a sortie by its estimated energy; after landing the pack is swapped.

Incidents arrive as a Poisson process (``--incidents-per-hour`` over the whole
city), each at a uniformly random place within ``--incident-radius-km`` of a
random station, outside no-fly zones. The dispatcher sends the drone with the
earliest feasible arrival (idle or diverted from patrol), which holds
``--hold-min`` over the scene and flies home; an incident nobody can answer
waits for the first drone that can.

The day is measured after a warm-up (``--warmup-h``) so that it does not
start from a city never patrolled. Prints one block per fleet size tried,
then the fleet each station needs to meet the goals (key on-time >= 95 %,
median on-scene <= 3 min for the incidents nearest it), then one JSON line with
every figure. ``--fleet-search MAX`` finds that fleet: from the first ``--drones``
figure, every station that missed a goal gets half as many drones again and the
day is flown again, until each meets them or has MAX drones.

Targets too large for one battery are patrolled in sections
(:mod:`dronepatrol.planning.sections`, cut once before the day; the time it
takes is printed): each section is a target of its own for the scheduler,
and the whole target is as fresh as its stalest section
(:func:`dronepatrol.freshness.ontime.on_time_in_sections`). Targets (or
sections) the scheduler cannot patrol (beyond a battery's reach of their
station, inside a no-fly zone) are listed and counted by priority; the
on-time figures leave them out. Targets never patrolled whole during the
day (every section at least once) are counted by priority.

Each run also reports how long one scheduler pass takes (every drone looked at
in one simulation step, planner runs included, CPU time; goal <= 200 ms for 48 drones),
how many drones a pass left to the next because its planning budget was spent (as the
scheduler does, :data:`dronepatrol.schedule.scheduler.PLAN_BUDGET_S`), and the process's
peak resident memory.

The whole city: ``--city`` plans the generated real-shaped city
(:func:`dronepatrol.network.city.real_city_network`: 129 grids, 105 lines,
677 points, 16 stations), e.g.
``python bench/patrol_day.py --city --drones 3`` (20 incidents an hour by default
there; goal: a 24 h day with 48 drones in <= 5 min wall, <= 2 GiB), and
``python bench/patrol_day.py --city --drones 3 --fleet-search 12`` for the fleet
each station needs.

Usage: python bench/patrol_day.py [--drones 1,2,3] [--fleet-search MAX]
       [--network FILE | --city] [--seed N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import resource
import statistics
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from shapely.geometry import Point

from dronepatrol.dispatch.choice import propose_dispatch
from dronepatrol.freshness.ontime import on_time, on_time_in_sections, pooled_rate
from dronepatrol.geo import distance_m, offset
from dronepatrol.network import Network, load_network, parse_network
from dronepatrol.network.city import real_city_network
from dronepatrol.network.revisit import PRIORITY_ORDER, RevisitPolicy, freshness
from dronepatrol.planning import DroneProfile, PlanResult, load_profile, plan_sorties
from dronepatrol.planning.sections import sections_of, whole_id
from dronepatrol.responders import Responder, ResponderState, ResponseModel
from dronepatrol.schedule.choice import Turnaround, propose_sortie
from dronepatrol.schedule.scheduler import PLAN_BUDGET_S

EXAMPLE = Path(__file__).resolve().parents[1] / "missions" / "canberra-sitl.geojson"
STEP_S = 15.0
"""Simulation step [s]: the scheduler looks at the fleet this often."""


@dataclass
class Flight:
    """What a drone is doing in the air (a patrol sortie or an incident)."""

    kind: str  # "patrol" or "incident"
    start_s: float
    end_s: float
    track_xy: np.ndarray  # (n, 2) lat, lon of the path flown
    track_t: np.ndarray  # time at each track vertex [s]
    energy_frac: float  # battery this flight uses, 0..1
    completions: dict[str, float] = field(default_factory=dict)  # target -> patrolled at [s]


@dataclass
class Drone:
    id: str
    station: str
    lat: float
    lon: float
    ready_s: float = 0.0
    flight: Flight | None = None
    flight_s: float = 0.0
    sorties: int = 0
    incident_flights: int = 0

    def position(self, t: float) -> tuple[float, float]:
        if self.flight is None:
            return self.lat, self.lon
        f = self.flight
        lat = float(np.interp(t, f.track_t, f.track_xy[:, 0]))
        lon = float(np.interp(t, f.track_t, f.track_xy[:, 1]))
        return lat, lon

    def battery(self, t: float) -> float:
        if self.flight is None:
            return 1.0
        f = self.flight
        done = min(1.0, max(0.0, (t - f.start_s) / max(1.0, f.end_s - f.start_s)))
        return 1.0 - f.energy_frac * done


def _completions(network: Network, sortie, start_s: float) -> tuple[np.ndarray, np.ndarray, dict]:
    """Track vertices with times, and when each target of the sortie is finished [s]."""
    track = np.array([(lat, lon) for lat, lon, _ in sortie.track], dtype=float)
    if len(track) < 2:
        track = np.vstack([track, track])
    steps = np.array([distance_m(*a, *b) for a, b in itertools.pairwise(track)], dtype=float)
    cumulative = np.concatenate([[0.0], np.cumsum(steps)])
    total = cumulative[-1] or 1.0
    times = start_s + sortie.duration_s * cumulative / total
    done: dict[str, float] = {}
    for target_id in sortie.targets:
        geometry = network.target(target_id).geometry.buffer(40.0 / 111_000.0)
        inside = [i for i, (lat, lon) in enumerate(track) if geometry.contains(Point(lon, lat))]
        index = (
            inside[-1]
            if inside
            else int(np.argmin([Point(lon, lat).distance(geometry) for lat, lon in track]))
        )
        done[target_id] = float(times[index])
    return track, times, done


def _incident_place(rng: random.Random, network: Network, radius_m: float) -> tuple[float, float]:
    station = rng.choice(network.stations)
    while True:
        r = radius_m * math.sqrt(rng.random())
        bearing = rng.uniform(0.0, 2.0 * math.pi)
        lat, lon = offset(
            station.lat_deg, station.lon_deg, r * math.cos(bearing), r * math.sin(bearing)
        )
        if not any(z.geometry.contains(Point(lon, lat)) for z in network.nofly):
            return lat, lon


@dataclass
class DayResult:
    drones_per_station: int
    """The fleet at the busiest station (every station's when the fleet is uniform)."""
    on_time: dict[str, float | None]
    fresh_frac: dict[str, float]
    station_key_on_time: dict[str, float | None]
    incidents: int
    answered: int
    on_scene_median_s: float | None
    on_scene_p95_s: float | None
    station_on_scene_median_s: dict[str, float | None]
    flight_hours: float
    sorties: int
    battery_cycles: int
    unschedulable: dict[str, str]
    scheduler_calls: int
    planner_calls: int
    wall_s: float
    cpu_s: float = 0.0
    pass_ms: list[float] = field(default_factory=list)
    """CPU time of each scheduler pass that looked at a drone [ms] (CPU, not wall: the
    machine may be shared; one pass runs on one core)."""
    deferrals: int = 0
    """Idle drones left to the next pass because the pass's planning budget was spent."""
    peak_rss_mib: float = 0.0
    fleet: dict[str, int] = field(default_factory=dict)
    """Drones at each station."""
    never_patrolled: dict[str, int] = field(default_factory=dict)
    """Targets never patrolled whole during the day (warm-up included), by priority."""
    sections: int = 0
    """Sections of the targets too large for one battery."""
    sections_flown: int = 0
    """Sections patrolled at least once (warm-up included)."""
    sections_cpu_s: float = 0.0
    """CPU time cutting the sections [s] (once per network and profile)."""
    on_time_sectioned: dict[str, float | None] = field(default_factory=dict)
    """On-time rate of the targets patrolled in sections alone, by priority."""
    on_time_whole: dict[str, float | None] = field(default_factory=dict)
    """On-time rate of the targets flown whole (one battery) alone, by priority."""

    @property
    def drones(self) -> int:
        return sum(self.fleet.values())


def simulate_day(
    network: Network,
    profile: DroneProfile,
    drones_per_station: int | dict[str, int],
    *,
    hours: float = 24.0,
    warmup_h: float = 2.0,
    incidents_per_hour: float = 2.0,
    incident_radius_m: float = 3000.0,
    hold_s: float = 600.0,
    turnaround: Turnaround | None = None,
    horizon_s: float = 1800.0,
    response_speed_mps: float = 15.0,
    seed: int = 1,
    plan_budget_s: float = PLAN_BUDGET_S,
) -> DayResult:
    """One simulated day with ``drones_per_station`` drones at every station (a number for
    each, or one number for all)."""
    fleet = (
        dict(drones_per_station)
        if isinstance(drones_per_station, dict)
        else {s.id: drones_per_station for s in network.stations}
    )
    cutting = time.process_time()
    sectioning = sections_of(network, profile)  # remembered: the next day does not cut again
    sections_cpu_s = time.process_time() - cutting
    units = sectioning.units_of(network)
    started = time.perf_counter()
    cpu_started = time.process_time()
    turnaround = turnaround or Turnaround()
    policy = RevisitPolicy()
    model = ResponseModel(cruise_speed_mps=response_speed_mps)
    rng = random.Random(seed)
    planner_calls = 0

    @lru_cache(maxsize=4096)
    def cached_plan(station_id: str, target_ids: tuple[str, ...]) -> PlanResult:
        nonlocal planner_calls
        planner_calls += 1
        return plan_sorties(units, profile, [station_id], list(target_ids))

    def planner(net, prof, station_ids, target_ids):  # plan_sorties' signature, memoised
        return cached_plan(station_ids[0], tuple(target_ids))

    drones = [
        Drone(f"{s.id}-{k + 1}", s.id, s.lat_deg, s.lon_deg)
        for s in network.stations
        for k in range(fleet[s.id])
    ]
    targets = [(t.id, str(t.priority), t.revisit_min) for t in units.targets]
    patrols: dict[str, list[float]] = {t.id: [] for t in units.targets}
    claimed: dict[str, set[str]] = {d.id: set() for d in drones}  # targets a flight will patrol
    unschedulable: dict[str, str] = dict(sectioning.beyond_reach)

    end_s = (warmup_h + hours) * 3600.0
    day_start = warmup_h * 3600.0
    arrivals: list[float] = []
    t = 0.0
    while True:
        t += rng.expovariate(incidents_per_hour / 3600.0)
        if t >= end_s:
            break
        arrivals.append(t)
    incidents = [(a, *_incident_place(rng, network, incident_radius_m)) for a in arrivals]
    waiting: list[tuple[float, float, float]] = []
    on_scene: list[tuple[float, float, str]] = []  # (created, on-scene delay [s], station)

    def nearest_station(lat: float, lon: float) -> str:
        return min(network.stations, key=lambda s: distance_m(lat, lon, s.lat_deg, s.lon_deg)).id

    scheduler_calls = 0
    pass_ms: list[float] = []

    def land(drone: Drone, at_s: float) -> None:
        drone.flight_s += drone.flight.end_s - drone.flight.start_s
        charge = drone.battery(at_s)
        drone.flight = None
        drone.ready_s = at_s + turnaround.ground_time_s(charge)
        claimed[drone.id] = set()

    def responder(drone: Drone, now: float) -> Responder:
        lat, lon = drone.position(now)
        station = network.station(drone.station)
        if drone.flight is None:
            state = ResponderState.IDLE if drone.ready_s <= now else ResponderState.CHARGING
        else:
            state = (
                ResponderState.PATROLLING
                if drone.flight.kind == "patrol"
                else ResponderState.ON_INCIDENT
            )
        return Responder(
            drone.id,
            state,
            lat,
            lon,
            0.0 if drone.flight is None else profile.patrol_altitude_m,
            drone.battery(now),
            station.lat_deg,
            station.lon_deg,
        )

    def dispatch(created: float, lat: float, lon: float, now: float) -> bool:
        proposal = propose_dispatch([responder(d, now) for d in drones], lat, lon, hold_s, model)
        if proposal.chosen is None:
            return False
        drone = next(d for d in drones if d.id == proposal.chosen.vehicle_id)
        here = drone.position(now)
        battery = drone.battery(now)
        if drone.flight is not None:  # diverted: what is done stays done, the rest is left
            drone.flight_s += now - drone.flight.start_s
            for target_id, at in list(drone.flight.completions.items()):
                if at > now:
                    patrols[target_id].remove(at)
            claimed[drone.id] = set()
        arrive = now + proposal.chosen.eta_s
        leave = arrive + hold_s
        station = network.station(drone.station)
        home = leave + model.return_s(distance_m(lat, lon, station.lat_deg, station.lon_deg))
        drone.flight = Flight(
            "incident",
            now,
            home,
            np.array([here, (lat, lon), (lat, lon), (station.lat_deg, station.lon_deg)]),
            np.array([now, arrive, leave, home]),
            energy_frac=min(battery, model.battery_frac_for(home - now)),
        )
        drone.incident_flights += 1
        if created >= day_start:
            on_scene.append((created, arrive - created, nearest_station(lat, lon)))
        return True

    now = 0.0
    next_incident = 0
    deferred: set[str] = set()
    deferrals = 0
    while now < end_s:
        for drone in drones:
            if drone.flight is not None and drone.flight.end_s <= now:
                land(drone, drone.flight.end_s)
        while next_incident < len(incidents) and incidents[next_incident][0] <= now:
            waiting.append(incidents[next_incident])
            next_incident += 1
        waiting = [w for w in waiting if not dispatch(*w, now)]
        pass_started = time.process_time()  # a pass: freshness, then every idle drone
        states = freshness(
            targets,
            {
                tid: max((p for p in ps if p <= now), default=None)
                for tid, ps in patrols.items()
                if any(p <= now for p in ps)
            },
            now,
            policy,
        )
        looked = False
        # as the scheduler: planning stops when the pass's budget is spent; drones left
        # over go first in the next pass
        order = [d for d in drones if d.id in deferred] + [
            d for d in drones if d.id not in deferred
        ]
        deferred = set()
        for drone in order:
            if drone.flight is not None or drone.ready_s > now:
                continue
            if looked and time.process_time() - pass_started > plan_budget_s:
                deferred.add(drone.id)
                deferrals += 1
                continue
            looked = True
            scheduler_calls += 1
            busy = set().union(*claimed.values()) | set(unschedulable)
            choice = propose_sortie(
                units,
                profile,
                drone.station,
                states,
                horizon_s=horizon_s,
                exclude=busy,
                planner=planner,
                sections=sectioning,
            )
            unschedulable.update(choice.unschedulable)
            if choice.proposal is None:
                continue
            sortie = choice.proposal.sortie
            track, times, done = _completions(units, sortie, now)
            done = {tid: at for tid, at in done.items() if tid in choice.proposal.targets}
            drone.flight = Flight(
                "patrol", now, now + sortie.duration_s, track, times, sortie.energy_frac, done
            )
            drone.sorties += 1
            claimed[drone.id] = set(done)
            for target_id, at in done.items():
                patrols[target_id].append(at)
        if looked:
            pass_ms.append((time.process_time() - pass_started) * 1000.0)
        now += STEP_S

    by_priority: dict[str, list] = {p: [] for p in PRIORITY_ORDER}
    by_station_key: dict[str, list] = {s.id: [] for s in network.stations}
    never_patrolled = dict.fromkeys(PRIORITY_ORDER, 0)
    sectioned: dict[str, list] = {p: [] for p in PRIORITY_ORDER}
    whole: dict[str, list] = {p: [] for p in PRIORITY_ORDER}
    left_out = {whole_id(unit) for unit in unschedulable}
    for target in network.targets:
        interval = policy.interval_s(str(target.priority), target.revisit_min)
        section_ids = sectioning.section_ids(target.id)
        if section_ids:  # as fresh as its stalest section
            record = on_time_in_sections(
                [[p for p in patrols[s] if p < end_s] for s in section_ids],
                interval,
                day_start,
                end_s,
            )
        else:
            times = sorted(p for p in patrols[target.id] if p < end_s)
            before = [p for p in times if p < day_start]
            record = on_time(
                [p for p in times if p >= day_start],
                interval,
                day_start,
                end_s,
                before[-1] if before else None,
            )
        if record.last_patrol_s is None:
            never_patrolled[str(target.priority)] += 1
        if target.id in left_out:
            continue  # reported separately: no fleet size patrols it
        by_priority[str(target.priority)].append(record)
        (sectioned if section_ids else whole)[str(target.priority)].append(record)
        if str(target.priority) == "key":
            by_station_key[target.station].append(record)
    delays = [d for _, d, _ in on_scene]
    by_station_delays: dict[str, list[float]] = {s.id: [] for s in network.stations}
    for _, delay, station_id in on_scene:
        by_station_delays[station_id].append(delay)
    return DayResult(
        drones_per_station=max(fleet.values()),
        fleet=fleet,
        on_time={p: pooled_rate(r) for p, r in by_priority.items()},
        fresh_frac={
            p: statistics.fmean(x.fresh_frac for x in r) if r else 1.0
            for p, r in by_priority.items()
        },
        station_key_on_time={s: pooled_rate(r) for s, r in by_station_key.items()},
        incidents=sum(1 for a in arrivals if a >= day_start),
        answered=len(delays),
        on_scene_median_s=statistics.median(delays) if delays else None,
        on_scene_p95_s=float(np.percentile(delays, 95, method="linear")) if delays else None,
        station_on_scene_median_s={
            s: statistics.median(d) if d else None for s, d in by_station_delays.items()
        },
        flight_hours=sum(d.flight_s for d in drones) / 3600.0,
        sorties=sum(d.sorties for d in drones),
        battery_cycles=sum(d.sorties + d.incident_flights for d in drones),
        unschedulable=unschedulable,
        scheduler_calls=scheduler_calls,
        planner_calls=planner_calls,
        wall_s=time.perf_counter() - started,
        cpu_s=time.process_time() - cpu_started,
        pass_ms=pass_ms,
        deferrals=deferrals,
        peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        never_patrolled=never_patrolled,
        sections=sum(len(v) for v in sectioning.sections.values()),
        sections_flown=sum(
            1
            for v in sectioning.sections.values()
            for s in v
            if any(p < end_s for p in patrols[s.id])
        ),
        sections_cpu_s=sections_cpu_s,
        on_time_sectioned={p: pooled_rate(r) for p, r in sectioned.items()},
        on_time_whole={p: pooled_rate(r) for p, r in whole.items()},
    )


def pass_figures(result: DayResult) -> dict[str, float | None]:
    """Median, 95th percentile and worst scheduler pass [ms]."""
    if not result.pass_ms:
        return {"median_ms": None, "p95_ms": None, "max_ms": None}
    return {
        "median_ms": round(statistics.median(result.pass_ms), 2),
        "p95_ms": round(float(np.percentile(result.pass_ms, 95)), 2),
        "max_ms": round(max(result.pass_ms), 2),
    }


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def _fleet_text(fleet: dict[str, int]) -> str:
    sizes = set(fleet.values())
    if len(sizes) == 1:
        return f"{sizes.pop()} drone(s) per station"
    return f"{sum(fleet.values())} drones: " + ", ".join(f"{s} {n}" for s, n in fleet.items())


def _print(result: DayResult) -> None:
    print(f"-- {_fleet_text(result.fleet)}")
    for level in PRIORITY_ORDER:
        print(
            f"   on-time {level:<9} {_pct(result.on_time[level]):>8}"
            f"   (fresh {result.fresh_frac[level] * 100:.1f} % of the day)"
        )
    for station, rate in result.station_key_on_time.items():
        median = result.station_on_scene_median_s.get(station)
        print(
            f"   at {station} ({result.fleet[station]} drones): key on-time {_pct(rate)}, "
            "median on-scene " + ("n/a" if median is None else f"{median / 60:.2f} min")
        )
    med = result.on_scene_median_s
    p95 = result.on_scene_p95_s
    print(
        f"   incidents {result.incidents}, answered {result.answered}; on scene median "
        f"{'n/a' if med is None else f'{med / 60:.2f} min'}, p95 "
        f"{'n/a' if p95 is None else f'{p95 / 60:.2f} min'}"
    )
    print(
        f"   flight hours {result.flight_hours:.1f}, sorties {result.sorties}, "
        f"battery cycles {result.battery_cycles}; planner runs {result.planner_calls} "
        f"for {result.scheduler_calls} scheduler calls; {result.wall_s:.1f} s wall, "
        f"{result.cpu_s:.1f} s CPU"
    )
    print(
        "   of which targets flown whole: "
        + ", ".join(f"{k} {_pct(v)}" for k, v in result.on_time_whole.items())
        + "; targets in sections: "
        + ", ".join(f"{k} {_pct(v)}" for k, v in result.on_time_sectioned.items())
    )
    print(
        "   never patrolled whole in the day: "
        + ", ".join(f"{k} {v}" for k, v in result.never_patrolled.items())
        + f"; sections flown {result.sections_flown} of {result.sections} "
        f"(cut in {result.sections_cpu_s:.1f} s CPU before the day)"
    )
    passes = pass_figures(result)
    print(
        f"   scheduler pass over {result.drones} drones (CPU): median "
        f"{passes['median_ms']} ms, p95 {passes['p95_ms']} ms, worst {passes['max_ms']} ms "
        f"(planner runs included; {result.deferrals} drone looks left to the next pass by "
        f"the planning budget); peak memory {result.peak_rss_mib:.0f} MiB"
    )


KEY_ON_TIME_GOAL = 0.95
"""Share of key targets' revisit deadlines met at a station."""

ON_SCENE_GOAL_S = 180.0
"""Median time from an incident's report to a drone over it, for incidents nearest a station [s]."""


def key_on_time_met(result: DayResult, station: str) -> bool:
    """The station's key targets met >= 95 % of their deadlines (or it has none to meet)."""
    rate = result.station_key_on_time.get(station)
    return rate is None or rate >= KEY_ON_TIME_GOAL


def on_scene_met(result: DayResult, station: str) -> bool:
    """The incidents nearest the station had a drone over them within 3 min (median)."""
    median = result.station_on_scene_median_s.get(station)
    return median is None or median <= ON_SCENE_GOAL_S


def grown_fleet(result: DayResult, most: int) -> dict[str, int] | None:
    """The next fleet to try: every station that missed a goal gets half as many drones
    again (at least one more, at most ``most``); None when none missed, or every one that
    did is at ``most`` already."""
    fleet = dict(result.fleet)
    grew = False
    for station, n in fleet.items():
        if key_on_time_met(result, station) and on_scene_met(result, station):
            continue
        bigger = min(most, n + max(1, n // 2))
        if bigger > n:
            fleet[station] = bigger
            grew = True
    return fleet if grew else None


def fleet_needed(results: list[DayResult], met) -> dict[str, int | None]:
    """Per station, the fleet there from which ``met(run, station)`` holds in every later
    run (runs in the order flown, fleets growing); None when the last run missed."""
    needed: dict[str, int | None] = dict.fromkeys(results[0].fleet if results else {})
    for station in needed:
        for r in results:
            if not met(r, station):
                needed[station] = None
            elif needed[station] is None:
                needed[station] = r.fleet[station]
    return needed


def section_demand(
    network: Network, profile: DroneProfile, turnaround: Turnaround, policy: RevisitPolicy
) -> dict[str, float]:
    """Drones each station would keep busy all day flying its grid sections alone at their
    revisit intervals: each section's sortie plus a battery turnaround, once per interval.
    Line sections and targets flown whole come on top: a floor on the fleet, not its size."""
    sectioning = sections_of(network, profile)
    busy = dict.fromkeys((s.id for s in network.stations), 0.0)
    for target_id, sections in sectioning.sections.items():
        target = network.target(target_id)
        interval = policy.interval_s(str(target.priority), target.revisit_min)
        for section in sections:
            sortie = sectioning.sortie_for(section.id)
            if sortie is not None and section.id not in sectioning.beyond_reach:
                ground_s = turnaround.ground_time_s(1.0 - sortie.energy_frac)
                busy[target.station] += (sortie.duration_s + ground_s) / interval
    return busy


def unpatrollable_counts(network: Network, unschedulable: dict[str, str]) -> dict[str, int]:
    """Targets the scheduler leaves out (whole, or some of their sections), by priority."""
    counts = dict.fromkeys(PRIORITY_ORDER, 0)
    for target_id in {whole_id(unit) for unit in unschedulable}:
        counts[str(network.target(target_id).priority)] += 1
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--network", type=Path, default=EXAMPLE)
    parser.add_argument(
        "--city", action="store_true", help="the generated real-shaped city instead of --network"
    )
    parser.add_argument("--city-seed", type=int, default=0)
    parser.add_argument("--drones", default="1,2,3", help="drones per station to try")
    parser.add_argument(
        "--fleet-search",
        type=int,
        default=0,
        metavar="MAX",
        help="from the first --drones figure, grow the fleet of each station that misses a "
        "goal (by half again) and fly the day again, until every station meets them or "
        "has MAX drones",
    )
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--warmup-h", type=float, default=2.0)
    parser.add_argument(
        "--incidents-per-hour",
        type=float,
        default=None,
        help="over the whole network (default 20 with --city, else 2)",
    )
    parser.add_argument("--incident-radius-km", type=float, default=3.0)
    parser.add_argument("--hold-min", type=float, default=10.0)
    parser.add_argument("--swap-min", type=float, default=5.0)
    parser.add_argument("--horizon-min", type=float, default=30.0)
    parser.add_argument(
        "--response-speed", type=float, default=15.0, help="dispatch cruise speed [m/s]"
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.incidents_per_hour is None:
        args.incidents_per_hour = 20.0 if args.city else 2.0

    if args.city:
        network, _ = parse_network(real_city_network(args.city_seed))
    else:
        network = load_network(args.network)
    profile = load_profile()
    turnaround = Turnaround(mode="swap", swap_s=args.swap_min * 60.0)
    print(
        f"network {network.name or args.network.name}: {len(network.targets)} targets, "
        f"{len(network.stations)} stations; {args.hours:g} h after {args.warmup_h:g} h warm-up; "
        f"incidents {args.incidents_per_hour:g}/h within {args.incident_radius_km:g} km of a "
        f"station, held {args.hold_min:g} min; battery swap {args.swap_min:g} min; "
        f"scheduler horizon {args.horizon_min:g} min; response speed "
        f"{args.response_speed:g} m/s; seed {args.seed}"
    )

    def fly(fleet: int | dict[str, int]) -> DayResult:
        result = simulate_day(
            network,
            profile,
            fleet,
            hours=args.hours,
            warmup_h=args.warmup_h,
            incidents_per_hour=args.incidents_per_hour,
            incident_radius_m=args.incident_radius_km * 1000.0,
            hold_s=args.hold_min * 60.0,
            turnaround=turnaround,
            horizon_s=args.horizon_min * 60.0,
            response_speed_mps=args.response_speed,
            seed=args.seed,
        )
        _print(result)
        return result

    sizes = [int(x) for x in args.drones.split(",")]
    results: list[DayResult] = []
    if args.fleet_search:
        fleet: dict[str, int] | None = {s.id: sizes[0] for s in network.stations}
        while fleet is not None:
            results.append(fly(fleet))
            fleet = grown_fleet(results[-1], args.fleet_search)
    else:
        results = [fly(n) for n in sizes]
    most = max(max(r.fleet.values()) for r in results)
    unschedulable = results[0].unschedulable if results else {}
    for target_id, reason in sorted(unschedulable.items()):
        print(f"   not schedulable: {target_id}: {reason}")
    left_out = unpatrollable_counts(network, unschedulable)
    print(
        f"targets the scheduler cannot patrol (whole, or some sections): {sum(left_out.values())} "
        f"of {len(network.targets)} "
        "(" + ", ".join(f"{k} {v}" for k, v in left_out.items()) + "); the on-time figures "
        "leave them out"
    )
    demand = section_demand(network, profile, turnaround, RevisitPolicy())
    print(
        f"drones kept busy by the grid sections alone at their revisit intervals: "
        f"{sum(demand.values()):.0f} (a floor on the fleet): "
        + ", ".join(f"{k} {v:.1f}" for k, v in demand.items())
    )
    needed = fleet_needed(results, key_on_time_met)
    on_scene_needed = fleet_needed(results, on_scene_met)
    both = fleet_needed(results, lambda r, s: key_on_time_met(r, s) and on_scene_met(r, s))
    for station in needed:
        print(
            f"{station} needs: key on-time >= 95 % "
            + (f"{needed[station]} drone(s)" if needed[station] else f"more than {most}")
            + "; median on-scene <= 3 min "
            + (
                f"{on_scene_needed[station]} drone(s)"
                if on_scene_needed[station]
                else f"more than {most}"
            )
            + "; both "
            + (f"{both[station]} drone(s)" if both[station] else f"more than {most}")
        )
    incident_fleet = next(
        (
            r.drones_per_station
            for r in results
            if r.on_scene_median_s is not None and r.on_scene_median_s <= ON_SCENE_GOAL_S
        ),
        None,
    )
    print(
        "median on-scene <= 3 min city-wide needs: "
        + (
            f"{incident_fleet} drone(s) at the busiest station"
            if incident_fleet
            else f"more than {most} per station"
        )
    )
    print(
        json.dumps(
            {
                "network": network.name,
                "incidents_per_hour": args.incidents_per_hour,
                "swap_min": args.swap_min,
                "response_speed_mps": args.response_speed,
                "fleet_search_max": args.fleet_search or None,
                "key_fleet_needed_per_station": needed,
                "on_scene_fleet_needed_per_station": incident_fleet,
                "on_scene_fleet_needed_by_station": on_scene_needed,
                "fleet_needed_by_station": both,
                "unschedulable_targets": sum(left_out.values()),
                "unschedulable_units": len(unschedulable),
                "unschedulable_by_priority": left_out,
                "section_demand_drones_by_station": {k: round(v, 1) for k, v in demand.items()},
                "runs": [
                    {
                        "drones_per_station": r.drones_per_station,
                        "drones": r.drones,
                        "fleet": r.fleet,
                        "on_time": {
                            k: None if v is None else round(v, 4) for k, v in r.on_time.items()
                        },
                        "key_on_time_by_station": {
                            k: None if v is None else round(v, 4)
                            for k, v in r.station_key_on_time.items()
                        },
                        "incidents": r.incidents,
                        "answered": r.answered,
                        "on_scene_median_s": r.on_scene_median_s and round(r.on_scene_median_s, 1),
                        "on_scene_p95_s": r.on_scene_p95_s and round(r.on_scene_p95_s, 1),
                        "flight_hours": round(r.flight_hours, 2),
                        "sorties": r.sorties,
                        "battery_cycles": r.battery_cycles,
                        "wall_s": round(r.wall_s, 1),
                        "cpu_s": round(r.cpu_s, 1),
                        "scheduler_pass": pass_figures(r),
                        "deferrals": r.deferrals,
                        "peak_rss_mib": round(r.peak_rss_mib, 1),
                        "never_patrolled_by_priority": r.never_patrolled,
                        "on_time_whole": {
                            k: None if v is None else round(v, 4)
                            for k, v in r.on_time_whole.items()
                        },
                        "on_time_sectioned": {
                            k: None if v is None else round(v, 4)
                            for k, v in r.on_time_sectioned.items()
                        },
                        "sections": r.sections,
                        "sections_flown": r.sections_flown,
                        "sections_cpu_s": round(r.sections_cpu_s, 2),
                    }
                    for r in results
                ],
            }
        )
    )


if __name__ == "__main__":
    main()
