"""Incidents and dispatch: a new incident, its record with the dispatch proposal, the answers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dronepatrol.incidents import IncidentView
from dronepatrol.web.schema.base import Reply, Request, reply_of
from dronepatrol.web.schema.vehicles import Lat, Lon, Watch

IncidentStatus = Literal["open", "dispatched", "on_scene", "released", "failed"]


class NewIncident(Request):
    """Where [deg], how urgent (a priority level of the city) and what was seen."""

    lat: Lat
    lon: Lon
    priority: Literal["key", "attention", "general"] = "key"
    note: str = Field(default="", max_length=2000)


class DispatchChoice(Request):
    """The drone to send; by default the proposed one."""

    vehicle: str | None = None


class DispatchOption(Reply):
    vehicle: str
    eta_s: float | None = Field(description="flight time to the scene [s]; null if unreachable")
    feasible: bool
    reason: str


class Proposal(Reply):
    chosen: str | None = Field(description="the vehicle proposed, earliest feasible ETA")
    diverts_patrol: bool
    options: list[DispatchOption]


class Incident(reply_of(IncidentView, "IncidentFields")):  # type: ignore[misc]
    """An incident and its response times [s since the epoch], null until reached."""

    # the fields are the incident book's; these narrow a type, or add what it computes
    status: IncidentStatus
    response_s: float | None = Field(description="created to on scene [s]")
    kind: Literal["incident", "hold"] = Field(
        default="incident", description="a reported incident, or a lockdown's overwatch hold"
    )
    proposal: Proposal | None = Field(
        default=None, description="while unanswered: every drone's ETA, the chosen one first"
    )
    watch: Watch | None = Field(
        default=None, description="where a drone would watch from; null when none may go"
    )
    refused: str | None = Field(
        default=None, description="why no drone may go (inside a no-fly zone, out of view)"
    )

    @classmethod
    def of(
        cls,
        view: IncidentView,
        proposal: Proposal | None = None,
        watch: Watch | None = None,
        refused: str | None = None,
    ) -> Incident:
        return cls(**view.as_dict(), proposal=proposal, watch=watch, refused=refused)


class Incidents(Reply):
    incidents: list[Incident]


class IncidentAction(Reply):
    """A dispatch or release under way; its stages arrive as ``dispatch`` events."""

    incident: int
    vehicle: str | None
    status: Literal["queued"]
    watch: Watch | None = Field(default=None, description="where the drone is sent to watch from")
