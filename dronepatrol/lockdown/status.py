"""The lockdown in force: which drone holds which overwatch point, and how each hold is going.

:meth:`Dispatcher.lockdown <dronepatrol.dispatch.Dispatcher.lockdown>` keeps
the latest activation as a :class:`Lockdown`; :func:`lockdown_status` joins it
with the incident book for every hold's live status. A lockdown is in force
while any of its holds is (a drone dispatched to its point or circling over
it): one lockdown at a time, so two plans never compete for the same drones.
Each hold is an ordinary key-priority incident, so a single hold can also be
released from the incident list; the lockdown ends when its last hold does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from dronepatrol.incidents.book import IncidentBook
from dronepatrol.lockdown.plan import LockdownPlan, OverwatchPoint

HOLDING = frozenset({"dispatched", "on_scene"})
"""Incident statuses of a hold in force (on its way, or circling over the point)."""

UNCOVERED = "uncovered"
"""The status of a point no drone was assigned to."""


class OverwatchLike(Protocol):
    """What a lockdown needs of a network's overwatch point (``dronepatrol.network.Overwatch``)."""

    id: str
    name: str

    @property
    def lat_deg(self) -> float: ...

    @property
    def lon_deg(self) -> float: ...


def overwatch_points(points: Iterable[OverwatchLike]) -> list[OverwatchPoint]:
    """A network plan's overwatch points as the lockdown assignment takes them."""
    return [OverwatchPoint(p.id, p.lat_deg, p.lon_deg, p.name) for p in points]


@dataclass(frozen=True)
class Lockdown:
    """One activation of a lockdown plan.

    Attributes:
        name: the plan's name.
        points: every overwatch point of the plan, in plan order.
        plan: the assignment (drone per point, ETAs, uncovered points with reasons).
        incidents: point id -> the incident of its hold (covered points only).
        actor: who activated it.
        started_s: when [s since the epoch].
    """

    name: str
    points: tuple[OverwatchPoint, ...]
    plan: LockdownPlan
    incidents: dict[str, int]
    actor: str
    started_s: float


@dataclass(frozen=True)
class Hold:
    """One overwatch point of a lockdown and how its hold is going.

    Attributes:
        point: the overwatch point.
        vehicle_id: the drone assigned to it, None when uncovered.
        eta_s: planned arrival [s after activation], None when uncovered.
        incident_id: the hold's incident, None when uncovered.
        status: the incident's status (dispatched, on_scene, released, failed)
            or ``"uncovered"``.
        reason: why it is uncovered or why the hold failed; empty otherwise.
        cause: an uncovered point's cause (:class:`dronepatrol.lockdown.causes.Cause`
            value: out_of_range, battery_low, on_patrol, in_the_air, holds_another,
            unavailable, no_drone); empty otherwise or when no drone was asked
            (a point no drone may watch from outside a no-fly zone).
    """

    point: OverwatchPoint
    vehicle_id: str | None
    eta_s: float | None
    incident_id: int | None
    status: str
    reason: str = ""
    cause: str = ""


@dataclass(frozen=True)
class LockdownStatus:
    """A lockdown with the live status of every point, in plan order."""

    lockdown: Lockdown
    holds: tuple[Hold, ...]

    @property
    def name(self) -> str:
        return self.lockdown.name

    @property
    def active(self) -> bool:
        """True while any drone is on its way to, or holding, its point."""
        return any(h.status in HOLDING for h in self.holds)

    @property
    def holding(self) -> tuple[Hold, ...]:
        """The holds in force."""
        return tuple(h for h in self.holds if h.status in HOLDING)

    @property
    def uncovered(self) -> tuple[Hold, ...]:
        """The points no drone was assigned to."""
        return tuple(h for h in self.holds if h.status == UNCOVERED)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: name, active, start, worst ETA [s], points, uncovered reasons."""
        lockdown = self.lockdown
        return {
            "name": lockdown.name,
            "active": self.active,
            "started_s": lockdown.started_s,
            "started_by": lockdown.actor,
            "worst_eta_s": lockdown.plan.worst_eta_s,
            "points": [
                {
                    "id": h.point.point_id,
                    "name": h.point.name,
                    "lat": h.point.lat_deg,
                    "lon": h.point.lon_deg,
                    "vehicle": h.vehicle_id,
                    "eta_s": h.eta_s,
                    "incident": h.incident_id,
                    "status": h.status,
                    "reason": h.reason,
                    "cause": h.cause,
                }
                for h in self.holds
            ],
            "uncovered": dict(lockdown.plan.uncovered),
        }


def lockdown_status(lockdown: Lockdown, book: IncidentBook) -> LockdownStatus:
    """``lockdown`` with each hold's status read from the incident book now."""
    assigned = {a.point_id: a for a in lockdown.plan.assignments}
    holds = []
    for point in lockdown.points:
        assignment = assigned.get(point.point_id)
        incident_id = lockdown.incidents.get(point.point_id)
        if assignment is None or incident_id is None:
            reason = lockdown.plan.uncovered.get(point.point_id, "not assigned")
            cause = lockdown.plan.cause_of(point.point_id)
            holds.append(
                Hold(point, None, None, None, UNCOVERED, reason, cause.value if cause else "")
            )
            continue
        incident = book.get(incident_id)
        holds.append(
            Hold(
                point,
                incident.vehicle_id or assignment.vehicle_id,
                assignment.eta_s,
                incident_id,
                incident.status,
                incident.failure if incident.status == "failed" else "",
            )
        )
    return LockdownStatus(lockdown, tuple(holds))


__all__ = [
    "HOLDING",
    "UNCOVERED",
    "Hold",
    "Lockdown",
    "LockdownStatus",
    "OverwatchLike",
    "lockdown_status",
    "overwatch_points",
]
