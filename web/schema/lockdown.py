"""Lockdown: the network's plans, an activation (a plan or explicit points), its status."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from dronepatrol.web.schema.base import Reply, Request
from dronepatrol.web.schema.vehicles import Lat, Lon, Watch

HoldStatus = Literal["uncovered", "open", "dispatched", "on_scene", "released", "failed"]


ID_MAX = 100
"""Longest id or name of a lockdown or a point [characters] (a target id's limit too)."""
POINTS_MAX = 1000
"""Most points one lockdown holds: more than any city's exits and checkpoints."""


class OverwatchPointIn(Request):
    id: str = Field(min_length=1, max_length=ID_MAX)
    lat: Lat
    lon: Lon
    name: str = Field(default="", max_length=ID_MAX)


class Activation(Request):
    """``{"plan": NAME}`` (a plan of the network) or ``{"name": .., "points": [...]}``."""

    plan: str | None = Field(
        default=None,
        min_length=1,
        max_length=ID_MAX,
        description="a plan of GET /api/lockdown/plans",
    )
    name: str | None = Field(
        default=None, min_length=1, max_length=ID_MAX, description="with explicit points"
    )
    points: list[OverwatchPointIn] | None = Field(
        default=None,
        min_length=1,
        max_length=POINTS_MAX,
        description="explicit points; their ids must differ",
    )

    @model_validator(mode="after")
    def _one_form(self) -> Activation:
        if self.plan is not None and (self.points is not None or self.name is not None):
            raise ValueError("give either 'plan' (a plan of the network) or 'name' and 'points'")
        if self.plan is None and (self.name is None or self.points is None):
            raise ValueError(
                'send {"plan": NAME} or {"name": .., "points": [{"id", "lat", "lon"}]}'
            )
        if self.points is not None and len({p.id for p in self.points}) != len(self.points):
            raise ValueError("overwatch point ids must be unique")
        return self


class OverwatchPoint(Reply):
    id: str
    name: str
    lat: float
    lon: float


class LockdownPlan(Reply):
    name: str
    points: list[OverwatchPoint]


class LockdownPlans(Reply):
    plans: list[LockdownPlan]


class Hold(Reply):
    """One point of a lockdown: its drone, ETA [s], incident and live status."""

    id: str
    name: str
    lat: float
    lon: float
    vehicle: str | None
    eta_s: float | None
    incident: int | None
    status: HoldStatus
    reason: str = Field(description="why it is uncovered (each drone's cause) or why it failed")
    cause: str = Field(
        default="",
        description="an uncovered point's cause, its best-placed drone's: out_of_range, "
        "battery_low, on_patrol, in_the_air, holds_another, unavailable or no_drone",
    )


class LockdownStatus(Reply):
    name: str
    active: bool
    started_s: float
    started_by: str
    worst_eta_s: float | None
    points: list[Hold]
    uncovered: dict[str, str] = Field(description="point id: why no drone holds it")


class CurrentLockdown(Reply):
    lockdown: LockdownStatus | None = Field(description="null before any lockdown")


class Assignment(Reply):
    point: str
    vehicle: str
    eta_s: float | None
    incident: int | None
    watch: Watch | None = Field(
        default=None, description="a point in a no-fly zone is held from outside it"
    )


class Activated(Reply):
    """The drones are on their way; uncovered points with the reasons."""

    name: str
    assignments: list[Assignment]
    uncovered: dict[str, str]
    worst_eta_s: float | None
    lockdown: LockdownStatus | None


class Released(Reply):
    name: str
    released: list[int] = Field(description="the incidents (holds) released")
    status: Literal["queued"]
