"""Lockdown ("close the city gates"): cover the overwatch points, worst arrival first.

On activation the available drones are matched to the plan's overwatch
points (city exits, checkpoints). The assignment covers as many points as
the fleet can, and among all assignments that cover that many it minimises
the latest arrival: a bottleneck assignment. Found by binary search over the
arrival times with a bipartite matching at each threshold; ties in the
matching prefer each drone's quicker points, so the plan is deterministic.
Points no drone can cover are reported with the reason.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from dronepatrol.geo import distance_m
from dronepatrol.responders import DistanceFn, Reach, Responder, ResponseModel, reach


@dataclass(frozen=True)
class OverwatchPoint:
    """A point a lockdown plan holds: id, position [deg], and a human name (may be empty)."""

    point_id: str
    lat_deg: float
    lon_deg: float
    name: str = ""


@dataclass(frozen=True)
class Assignment:
    """One drone holding one point, arriving after ``eta_s`` [s]."""

    vehicle_id: str
    point_id: str
    eta_s: float


@dataclass(frozen=True)
class LockdownPlan:
    """The lockdown's answer.

    Attributes:
        assignments: drone -> point pairs, ordered by point id.
        uncovered: point id -> why nobody holds it.
        worst_eta_s: latest arrival among the assignments [s] (0 with none).
    """

    assignments: tuple[Assignment, ...]
    uncovered: dict[str, str]
    worst_eta_s: float


def _max_matching(adjacency: list[list[int]], n_points: int) -> list[int]:
    """Kuhn's augmenting paths: match[point] = drone index or -1."""
    match = [-1] * n_points

    def augment(drone: int, seen: list[bool]) -> bool:
        for point in adjacency[drone]:
            if seen[point]:
                continue
            seen[point] = True
            if match[point] == -1 or augment(match[point], seen):
                match[point] = drone
                return True
        return False

    for drone in range(len(adjacency)):
        augment(drone, [False] * n_points)
    return match


def _why_uncovered(options: list[Reach], hold_s: float) -> str:
    """An operator's reason for a point left uncovered, from every drone's reach of it."""
    if not options:
        return "no drone available"
    if any(o.feasible for o in options):
        return "every drone that can reach it holds another point"
    short = [o.battery_needed_frac for o in options if math.isfinite(o.battery_needed_frac)]
    if short:
        return (
            f"no drone has the battery to fly there, hold {hold_s / 60:.0f} min and return "
            f"(the best placed needs {min(short):.0%})"
        )
    return "no drone available (all busy, returning or out of contact)"


def plan_lockdown(
    responders: Sequence[Responder],
    points: Sequence[OverwatchPoint],
    hold_s: float,
    model: ResponseModel | None = None,
    distance_fn: DistanceFn = distance_m,
) -> LockdownPlan:
    """Assign drones to overwatch points: most points covered, then the earliest worst arrival.

    ``hold_s`` [s] is how long each drone must be able to hold before it has
    to return; a drone whose battery cannot do there, hold and back is not
    given that point.
    """
    model = model or ResponseModel()
    ids = [p.point_id for p in points]
    if len(set(ids)) != len(ids):
        raise ValueError("overwatch point ids must be unique")
    reaches = [
        [reach(r, p.lat_deg, p.lon_deg, hold_s, model, distance_fn) for p in points]
        for r in responders
    ]
    eta = [[r.eta_s if r.feasible else math.inf for r in row] for row in reaches]

    def adjacency_within(limit_s: float) -> list[list[int]]:
        return [
            sorted(
                (j for j, t in enumerate(row) if math.isfinite(t) and t <= limit_s),
                key=lambda j, row=row: (row[j], points[j].point_id),
            )
            for row in eta
        ]

    best = _max_matching(adjacency_within(math.inf), len(points))
    coverable = sum(1 for d in best if d != -1)
    thresholds = sorted({t for row in eta for t in row if math.isfinite(t)})
    if coverable and thresholds:
        # smallest threshold whose matching still covers `coverable` points
        lo, hi = 0, len(thresholds) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            size = sum(
                1 for d in _max_matching(adjacency_within(thresholds[mid]), len(points)) if d != -1
            )
            if size == coverable:
                hi = mid
            else:
                lo = mid + 1
        best = _max_matching(adjacency_within(thresholds[lo]), len(points))

    assignments = tuple(
        sorted(
            (
                Assignment(responders[d].vehicle_id, points[j].point_id, eta[d][j])
                for j, d in enumerate(best)
                if d != -1
            ),
            key=lambda a: a.point_id,
        )
    )
    covered = {a.point_id for a in assignments}
    uncovered: dict[str, str] = {}
    for j, point in enumerate(points):
        if point.point_id not in covered:
            uncovered[point.point_id] = _why_uncovered([row[j] for row in reaches], hold_s)
    worst = max((a.eta_s for a in assignments), default=0.0)
    return LockdownPlan(assignments=assignments, uncovered=uncovered, worst_eta_s=worst)


__all__ = ["Assignment", "LockdownPlan", "OverwatchPoint", "plan_lockdown"]
