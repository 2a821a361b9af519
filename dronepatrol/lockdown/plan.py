"""Lockdown ("close the city gates"): cover the overwatch points, worst arrival first.

On activation the available drones are matched to the plan's overwatch
points (city exits, checkpoints). The assignment covers as many points as
the fleet can, and among all assignments that cover that many it minimises
the latest arrival: a bottleneck assignment. Found by binary search over the
arrival times with a bipartite matching at each threshold; ties in the
matching prefer each drone's quicker points, so the plan is deterministic.
Points left uncovered are reported with every drone's reason
(:mod:`dronepatrol.lockdown.causes`): out of range, battery too low, away on
patrol, in the air elsewhere, or holding another point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from dronepatrol.geo import distance_m
from dronepatrol.lockdown.causes import Cause, DroneCause, describe, drone_causes, headline
from dronepatrol.responders import DistanceFn, Responder, ResponseModel, reach


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
        uncovered: point id -> why nobody holds it, in words.
        worst_eta_s: latest arrival among the assignments [s] (0 with none).
        causes: uncovered point id -> each drone's cause, the best placed first.
    """

    assignments: tuple[Assignment, ...]
    uncovered: dict[str, str]
    worst_eta_s: float
    causes: dict[str, tuple[DroneCause, ...]] = field(default_factory=dict)

    def cause_of(self, point_id: str) -> Cause | None:
        """The uncovered point's cause (its best-placed drone's); None when it has none."""
        found = self.causes.get(point_id)
        return None if found is None else headline(found)


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
    holds = {a.vehicle_id: a.point_id for a in assignments}
    causes = {
        point.point_id: drone_causes(responders, [row[j] for row in reaches], holds)
        for j, point in enumerate(points)
        if point.point_id not in covered
    }
    worst = max((a.eta_s for a in assignments), default=0.0)
    return LockdownPlan(
        assignments=assignments,
        uncovered={point_id: describe(found) for point_id, found in causes.items()},
        worst_eta_s=worst,
        causes=causes,
    )


__all__ = ["Assignment", "LockdownPlan", "OverwatchPoint", "plan_lockdown"]
