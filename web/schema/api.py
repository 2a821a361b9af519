"""Read-only views of ``/api``: liveness, the patrol network, target freshness."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from dronepatrol.web.schema.base import Reply


class Health(Reply):
    status: Literal["ok"]
    version: str


class FeatureCollection(Reply):
    """A GeoJSON FeatureCollection (RFC 7946); features as GeoJSON has them."""

    model_config = ConfigDict(extra="allow")

    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]]


class TargetFreshness(Reply):
    """One target in force: when it was last patrolled and how overdue it is [s]."""

    id: str
    priority: str
    interval_s: float
    last_patrolled_s: float | None
    due_in_s: float | None
    overdue: bool
    staleness: float | None = Field(description="time since the last patrol / interval")
    event: str | None = Field(description="the large event the target belongs to")
    tightened_by: str | None = Field(description="the event whose zone tightened its interval")


class Freshness(Reply):
    targets: list[TargetFreshness]
