"""Patrol performance reports: which day, and one day's figures."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from dronepatrol.web.schema.base import Query, Reply


class DayQuery(Query):
    date: str | None = Field(default=None, description="the day, YYYY-MM-DD (default: today)")
    tz: str | None = Field(
        default=None,
        description="its time zone: an IANA zone, UTC or an offset such as +08:00 "
        "(default: the server's local time)",
    )


class Spread(Reply):
    """How many, and the median and 95th percentile [s] (null with none)."""

    count: int
    median_s: float | None
    p95_s: float | None


class Responses(Reply):
    to_dispatch: Spread
    to_airborne: Spread
    to_scene: Spread


class Group(Reply):
    """A station, a priority level or the whole fleet over the day."""

    level: Literal["fleet", "priority", "station"]
    key: str
    name: str
    targets: int
    patrolled_targets: int
    deadlines_met: int
    deadlines_missed: int
    on_time_rate: float | None
    overdue_targets: int
    mean_coverage: float | None
    mean_fresh_frac: float | None
    incidents: int
    incidents_answered: int
    response: Responses
    sorties: int
    flight_hours: float


class DayReport(Reply):
    """Per target, station, priority level, vehicle and the whole fleet; a day not over yet
    is measured up to now ([s since the epoch])."""

    day: str = Field(description="YYYY-MM-DD")
    zone: str
    start_s: float
    end_s: float
    as_of_s: float
    complete: bool
    fleet: Group
    priorities: list[Group]
    stations: list[Group]
    vehicles: list[dict[str, Any]] = Field(
        description="vehicle_id, sorties, flight_hours, battery_cycles, ..."
    )
    targets: list[dict[str, Any]] = Field(
        description="id, kind, station, priority, on_time_rate, coverage, ..."
    )


CSV = {
    "description": "the CSV file",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}
