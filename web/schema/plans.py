"""Planning: what to plan, the plan with its preview tracks, and a sortie's upload."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from dronepatrol.web.schema.base import Reply, Request


class PlanRequest(Request):
    """Stations and/or targets to plan for (ids); with neither, every station. May be empty."""

    model_config = ConfigDict(extra="forbid", strict=True, openapi_extra={"required": False})

    stations: list[str] | None = None
    targets: list[str] | None = None
    vehicle: str | None = Field(
        default=None, description="plan with this drone's own pack and consumption"
    )


class SortieSummary(Reply):
    id: str
    label: str = Field(description='what people call it: "sortie 1 from S01"')
    station: str
    plan: str = Field(description="the sortie's .plan file name")
    waypoints: str = Field(description="the sortie's .waypoints file name")
    targets: list[str]
    items: int
    length_m: float
    duration_s: float
    energy_frac: float = Field(description="share of a full battery the sortie needs")
    rtl_clear: bool


class PlanSummary(Reply):
    """The planner's summary: profile, sorties, per-target outcome and totals."""

    network: str | None
    profile: dict[str, Any]
    sorties: list[SortieSummary]
    targets: dict[str, dict[str, Any]] = Field(description="per target id: status, reason, ...")
    totals: dict[str, Any]


class Plan(Reply):
    id: str
    summary: PlanSummary
    tracks: dict[str, list[list[float]]] = Field(
        description="per sortie id: its preview track, [lat, lon] pairs [deg]"
    )


class MissionUpload(Request):
    """Sortie ``sortie`` of plan ``plan`` (see POST /api/plans)."""

    plan: str
    sortie: str


class MissionQueued(Reply):
    request_id: str = Field(description="the command_result event's command_id")
    vehicle: str
    sortie: str
    status: Literal["queued"]
