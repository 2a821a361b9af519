"""Lockdown assignment: as many points as possible, then the earliest worst arrival."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from dronepatrol.geo import distance_m, offset
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
    for reason in plan.uncovered.values():
        assert reason == "every drone that can reach it holds another point"


def test_unreachable_point_is_reported_with_the_battery_reason() -> None:
    drones = [_drone(0, 0, 0, battery=0.5), _drone(1, 100, 0, battery=0.5)]
    far = _point(9, 9000, 0)  # 18 km round trip: more than half a battery
    near = _point(1, 500, 0)
    plan = plan_lockdown(drones, [near, far], hold_s=300)
    assert [a.point_id for a in plan.assignments] == ["P1"]
    assert plan.uncovered["P9"].startswith("no drone has the battery to fly there, hold 5 min")


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
    assert plan.uncovered == {"P0": "no drone available"}


def test_only_busy_drones() -> None:
    busy = _drone(0, 0, 0, state=ResponderState.RETURNING)
    plan = plan_lockdown([busy], [_point(0, 0, 0)], hold_s=60)
    assert plan.uncovered["P0"].startswith("no drone available (all busy")
    assert plan.worst_eta_s == 0.0


def test_duplicate_point_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        plan_lockdown([_drone(0, 0, 0)], [_point(0, 0, 0), _point(0, 10, 0)], hold_s=60)
