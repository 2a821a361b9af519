"""Large events: the event file (GeoJSON), an event as listed, and a refused file's issues."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from dronepatrol.web.schema.base import Error, Reply, Request


class EventFile(Request):
    """The event's GeoJSON FeatureCollection: a zone feature (id, name, start, end,
    intervals_min) and its targets.

    Only its outline is checked here; the event book checks the features as
    a whole and names every problem (see :class:`BadEventFile`).
    """

    model_config = ConfigDict(extra="allow", strict=True)

    type: Literal["FeatureCollection"]
    features: list[dict[str, Any]]


class LargeEvent(Reply):
    """An event with its status and times [s since the epoch]."""

    id: str
    name: str
    status: Literal["scheduled", "active", "ended", "cancelled"]
    active: bool
    start_s: float
    end_s: float
    ended_s: float | None
    time_left_s: float = Field(description="until it ends [s]; 0 once over")
    targets: int
    intervals_min: dict[str, float] = Field(description="revisit interval per priority [min]")
    creator: str
    created_s: float
    ended_by: str | None


class LargeEvents(Reply):
    events: list[LargeEvent]


class Issue(Reply):
    severity: str
    feature: str
    message: str


class AddedEvent(LargeEvent):
    """The event, with the file's warnings."""

    warnings: list[Issue]


class BadEventFile(Error):
    """Every problem of the file, in ``issues``."""

    issues: list[Issue] = Field(default_factory=list)
