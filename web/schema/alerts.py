"""Operator alerts: the list, and acknowledging one."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from dronepatrol.alerts import Alert as AlertRecord
from dronepatrol.web.schema.base import Query, Reply, reply_of


class AlertsQuery(Query):
    recent: Literal["0", "1", "true", "false"] | None = Field(
        default=None, description="1: the last acknowledged alerts too"
    )


class Alert(reply_of(AlertRecord, "AlertFields")):  # type: ignore[misc]
    """One alert: plain text for the operator (never HTML), times [s since the epoch]."""

    # the fields are the alert book's; these add a description or a narrower type
    id: str = Field(description="A<n>, unique in this app's lifetime")
    kind: str = Field(description="low_battery, return_now, link_lost, failsafe, fence, ...")
    severity: Literal["critical", "warning"]
    active_condition: bool = Field(description="false once the condition cleared")

    @classmethod
    def of(cls, alert: Any) -> Alert:
        return cls(**alert.as_dict())


class Alerts(Reply):
    alerts: list[Alert]


class Acknowledged(Reply):
    alert: Alert
