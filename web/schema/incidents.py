"""Incidents and dispatch: a new incident, its record with the dispatch proposal, the answers."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dronepatrol.incidents import IncidentView
from dronepatrol.web.schema.base import Reply, Request
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


class Incident(Reply):
    """An incident and its response times [s since the epoch], null until reached."""

    id: int
    created_s: float
    lat_deg: float
    lon_deg: float
    priority: str
    note: str
    creator: str
    status: IncidentStatus
    vehicle_id: str | None
    dispatched_by: str | None
    dispatched_s: float | None
    airborne_s: float | None
    on_scene_s: float | None
    released_s: float | None
    paused_seq: int | None
    failure: str
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
