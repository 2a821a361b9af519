"""Lockdown assignment: as many points as possible, then the earliest worst arrival."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from dronepatrol.geo import distance_m, offset
from dronepatrol.lockdown.causes import Cause
from dronepatrol.lockdown.plan import OverwatchPoint, plan_lockdown
from dronepatrol.responders import Responder, ResponderState, ResponseModel, reach

CITY = (-35.363261, 149.165230)
MODEL = ResponseModel()


def _drone(
    i: int, north_m: float, east_m: float, state=ResponderState.IDLE, battery=1.0
) -> Responder:
    lat, lon = offset(*CITY, north_m, east_m)
    return Responder(
        f"D{i}", state, lat, lon, 0.0 if state is ResponderState.IDLE else 60.0, battery, lat, lon
    )


def _point(i: int, north_m: float, east_m: float) -> OverwatchPoint:
    lat, lon = offset(*CITY, north_m, east_m)
    return OverwatchPoint(f"P{i}", lat, lon)


def _brute_force(drones, points, hold_s):
    """Best (covered, worst ETA) over every injective drone -> point assignment."""
    eta = [
        [
            (r.eta_s if r.feasible else math.inf)
            for r in (reach(d, p.lat_deg, p.lon_deg, hold_s, MODEL) for p in points)
        ]
        for d in drones
    ]
    best = (0, 0.0)
    k = min(len(drones), len(points))
    for chosen in itertools.permutations(range(len(points)), k):
        times = [eta[d][p] for d, p in enumerate(chosen) if math.isfinite(eta[d][p])]
        candidate = (len(times), -max(times, default=0.0))
        if candidate > (best[0], -best[1]):
            best = (len(times), max(times, default=0.0))
    return best


@pytest.mark.parametrize("seed", range(6))
def test_five_drones_eight_points_is_bottleneck_optimal(seed: int) -> None:
    rng = random.Random(seed)
    drones = [_drone(i, rng.uniform(-2500, 2500), rng.uniform(-2500, 2500)) for i in range(5)]
    points = [_point(j, rng.uniform(-3500, 3500), rng.uniform(-3500, 3500)) for j in range(8)]
    plan = plan_lockdown(drones, points, hold_s=300)
    covered, worst = _brute_force(drones, points, 300)
    assert len(plan.assignments) == covered == 5
    assert plan.worst_eta_s == pytest.approx(worst)
    assert len({a.vehicle_id for a in plan.assignments}) == 5
    assert len(plan.uncovered) == 3
    holds = {a.vehicle_id: a.point_id for a in plan.assignments}
    by_id = {p.point_id: p for p in points}
    for point_id, causes in plan.causes.items():
        point = by_id[point_id]
        # every drone is free and near: it either holds another point or cannot go at all
        for c in causes:
            drone = next(d for d in drones if d.vehicle_id == c.vehicle_id)
            feasible = reach(drone, point.lat_deg, point.lon_deg, 300, MODEL).feasible
            if feasible:
                assert c.cause is Cause.HOLDS_ANOTHER
                assert c.text == f"{c.vehicle_id} holds another point ({holds[c.vehicle_id]})"
            else:
                assert c.cause is Cause.OUT_OF_RANGE
        assert plan.uncovered[point_id].startswith("; ".join(c.text for c in causes[:3]))
        assert plan.cause_of(point_id) is causes[0].cause


def test_a_point_beyond_a_full_pack_is_out_of_range() -> None:
    drones = [_drone(0, 0, 0, battery=0.5), _drone(1, 100, 0, battery=0.5)]
    far = _point(9, 9000, 0)  # 18 km round trip and 5 min hold: more than a full pack
    near = _point(1, 500, 0)
    plan = plan_lockdown(drones, [near, far], hold_s=300)
    assert [a.point_id for a in plan.assignments] == ["P1"]
    assert plan.cause_of("P9") is Cause.OUT_OF_RANGE
    d1 = distance_m(drones[1].lat_deg, drones[1].lon_deg, far.lat_deg, far.lon_deg)
    back = distance_m(far.lat_deg, far.lon_deg, drones[1].lat_deg, drones[1].lon_deg)
    flight = MODEL.travel_s(drones[1], d1) - MODEL.launch_delay_s + 300 + MODEL.return_s(back)
    need = flight / MODEL.endurance_s + MODEL.reserve_frac  # more than 1: no pack would do
    assert need > 1.0
    first = plan.uncovered["P9"].split("; ")[0]
    assert first == (
        f"D1 is out of range (going, holding and coming back needs {need * 100:.0f} % "
        "of a full pack)"
    )


def test_busy_drones_are_not_used_and_ties_are_deterministic() -> None:
    drones = [
        _drone(0, 0, 0),
        _drone(1, 0, 0, state=ResponderState.ON_INCIDENT),
        _drone(2, 0, 0),
    ]
    points = [_point(0, 1000, 0), _point(1, -1000, 0)]
    first = plan_lockdown(drones, points, hold_s=60)
    again = plan_lockdown(list(reversed(drones)), points, hold_s=60)
    assert {a.vehicle_id for a in first.assignments} == {"D0", "D2"}
    assert {(a.vehicle_id, a.point_id) for a in first.assignments} == {
        (a.vehicle_id, a.point_id) for a in plan_lockdown(drones, points, hold_s=60).assignments
    }
    assert first.worst_eta_s == again.worst_eta_s


def test_minimises_the_worst_not_the_sum() -> None:
    # D0 sits on P0; D1 is 2 km from P0 and 4 km from P1. Greedy nearest would
    # give D0 -> P0 and D1 -> P1 (worst 4 km); the bottleneck answer sends D0
    # (1.5 km from P1) to P1 and D1 to P0 (worst 2 km).
    drones = [_drone(0, 0, 0), _drone(1, 2000, 0)]
    points = [_point(0, 0, 0), _point(1, -1500, 0)]
    plan = plan_lockdown(drones, points, hold_s=60)
    pairs = {(a.vehicle_id, a.point_id) for a in plan.assignments}
    assert pairs == {("D0", "P1"), ("D1", "P0")}
    d = distance_m(drones[1].lat_deg, drones[1].lon_deg, points[0].lat_deg, points[0].lon_deg)
    assert plan.worst_eta_s == pytest.approx(MODEL.travel_s(drones[1], d))


def test_no_drones_at_all() -> None:
    plan = plan_lockdown([], [_point(0, 0, 0)], hold_s=60)
    assert plan.assignments == ()
    assert plan.uncovered == {"P0": "no drone in the fleet"}
    assert plan.cause_of("P0") is Cause.NO_DRONE


def test_only_busy_drones() -> None:
    busy = _drone(0, 0, 0, state=ResponderState.RETURNING)
    plan = plan_lockdown([busy], [_point(0, 0, 0)], hold_s=60)
    assert plan.uncovered["P0"] == "D0 is in the air elsewhere (returning home)"
    assert plan.worst_eta_s == 0.0


def test_duplicate_point_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        plan_lockdown([_drone(0, 0, 0)], [_point(0, 0, 0), _point(0, 10, 0)], hold_s=60)


# ---------------------------------------------------------------- each cause, named


def _trip_need(drone: Responder, point: OverwatchPoint, hold_s: float) -> float:
    """Battery share [0..1] for there, hold and back, with the reserve (as the model counts)."""
    there = distance_m(drone.lat_deg, drone.lon_deg, point.lat_deg, point.lon_deg)
    back = distance_m(point.lat_deg, point.lon_deg, drone.station_lat_deg, drone.station_lon_deg)
    launch = MODEL.launch_delay_s if drone.state is ResponderState.IDLE else 0.0
    flight = MODEL.travel_s(drone, there) - launch + hold_s + MODEL.return_s(back)
    return flight / MODEL.endurance_s + MODEL.reserve_frac


def test_a_drone_at_its_station_short_of_battery_is_named_with_its_figures() -> None:
    drone = _drone(0, 0, 0, battery=0.3)
    point = _point(0, 3000, 0)
    plan = plan_lockdown([drone], [point], hold_s=300)
    need = _trip_need(drone, point, 300)
    assert 0.3 < need < 1.0  # a fresh pack would do
    assert plan.cause_of("P0") is Cause.BATTERY_LOW
    assert plan.uncovered["P0"] == (
        f"D0 has too little battery (30 %, needs {need * 100:.0f} %): a fresh pack would do"
    )


def test_a_drone_away_on_patrol_with_its_charge_spent_is_not_said_to_hold_another_point() -> None:
    """The field report: a point 'every drone that can reach it holds another point'
    while the drone that could have gone was away on patrol with a low battery."""
    guard = _drone(0, 0, 0)  # idle, full: takes the near point
    patrol = _drone(1, 2500, 0, state=ResponderState.PATROLLING, battery=0.3)
    near, far = _point(0, 200, 0), _point(1, 2600, 0)
    plan = plan_lockdown([guard, patrol], [near, far], hold_s=600)
    assert [(a.vehicle_id, a.point_id) for a in plan.assignments] == [("D0", "P0")]
    need = _trip_need(patrol, far, 600)
    # the patrolling drone is right there (its ETA the earliest): it heads the reason
    assert plan.cause_of("P1") is Cause.ON_PATROL
    assert plan.uncovered["P1"] == (
        f"D1 is away on patrol with too little battery (30 %, needs {need * 100:.0f} %); "
        "D0 holds another point (P0)"
    )


def test_drones_busy_in_the_air_or_unavailable_are_named_as_such() -> None:
    drones = [
        _drone(0, 0, 0, state=ResponderState.ON_INCIDENT),
        _drone(1, 0, 0, state=ResponderState.RETURNING),
        _drone(2, 0, 0, state=ResponderState.UNAVAILABLE),
    ]
    plan = plan_lockdown(drones, [_point(0, 500, 0)], hold_s=60)
    assert plan.assignments == ()
    assert [c.cause for c in plan.causes["P0"]] == [
        Cause.IN_THE_AIR,
        Cause.IN_THE_AIR,
        Cause.UNAVAILABLE,
    ]
    assert plan.uncovered["P0"] == (
        "D0 is in the air elsewhere (answering an incident); "
        "D1 is in the air elsewhere (returning home); "
        "D2 is not available (no link, no position or not ready)"
    )


def test_no_flyable_route_is_out_of_range() -> None:
    walled = plan_lockdown(
        [_drone(0, 0, 0)], [_point(0, 500, 0)], hold_s=60, distance_fn=lambda *_: math.inf
    )
    assert walled.cause_of("P0") is Cause.OUT_OF_RANGE
    assert walled.uncovered["P0"] == "D0 is out of range (no flyable route)"


def test_a_large_fleet_names_the_best_placed_three_and_counts_the_rest() -> None:
    drones = [_drone(i, 100 * i, 0) for i in range(4)]  # D0 nearest the points
    drones += [_drone(9, 0, 0, state=ResponderState.RETURNING)]
    drones += [_drone(8, 1000, 0, battery=0.21)]  # farther, and short of battery
    points = [_point(j, -300 - 10 * j, 0) for j in range(5)]
    plan = plan_lockdown(drones, points, hold_s=60)
    assert len(plan.assignments) == 4
    (uncovered,) = plan.uncovered
    reason = plan.uncovered[uncovered]
    assert reason.count("holds another point") == 3
    assert reason.endswith(
        "; 3 more: 1 holding other points, 1 short of battery, 1 in the air elsewhere"
    )
