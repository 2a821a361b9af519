"""Operator alerts: the list, and acknowledging one."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from dronepatrol.web.schema.base import Query, Reply


class AlertsQuery(Query):
    recent: Literal["0", "1", "true", "false"] | None = Field(
        default=None, description="1: the last acknowledged alerts too"
    )


class Alert(Reply):
    """One alert: plain text for the operator (never HTML), times [s since the epoch]."""

    id: str = Field(description="A<n>, unique in this app's lifetime")
    vehicle_id: str
    kind: str = Field(description="low_battery, return_now, link_lost, failsafe, fence, ...")
    severity: Literal["critical", "warning"]
    text: str
    raised_s: float
    updated_s: float
    active_condition: bool = Field(description="false once the condition cleared")
    acknowledged_by: str | None
    acknowledged_s: float | None

    @classmethod
    def of(cls, alert: Any) -> Alert:
        return cls(**alert.as_dict())


class Alerts(Reply):
    alerts: list[Alert]


class Acknowledged(Reply):
    alert: Alert
