"""The command centre's view of the city: stations, their vehicles, commands through them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from dronepatrol.web.schema.base import Reply, Request


class CityStation(Reply):
    station: str
    online: bool = Field(description="the station's retained presence (false: its last will)")
    stale: bool = Field(
        description="offline, or unheard for longer than stale_after_s: the picture is old"
    )
    last_heard_age_s: float | None = Field(description="seconds since the station was heard")
    heartbeat_age_s: float | None = Field(description="seconds since its last heartbeat")
    outbox: int | None = Field(
        description="records the station still holds for the centre, from a heartbeat "
        "since it was last stale (null: not known yet)"
    )
    vehicles: list[str]
    summary: dict[str, Any] = Field(description="open incidents, lockdown, alerts in brief")
    has_network: bool = Field(
        description="the station sent its patrol network: GET /api/city/stations/<id>/network"
    )


class CityVehicle(Reply):
    station: str
    vehicle: str
    time_s: float = Field(description="when the sample was taken [s since the epoch]")
    stale: bool = Field(description="its station is stale: the vehicle may have moved")
    telemetry: dict[str, Any] = Field(description="lat_deg, lon_deg, alt_rel_m, mode, armed...")


class CityPicture(Reply):
    mode: Literal["centre"]
    contract_version: int
    stale_after_s: float
    stations: list[CityStation]
    vehicles: list[CityVehicle]


class CityCommand(Request):
    """A command for a station's vehicle, passed on by the station (rtl, land, pause, resume)."""

    command: Literal["rtl", "land", "pause", "resume"]


class CityCommandAccepted(Reply):
    request_id: str = Field(description="the request's id; the outcome arrives as a reply")
    station: str
    vehicle: str
    command: str
    status: Literal["accepted"]
    command_id: str = Field(description="the station's command id (its command events')")


class CityCommandOutcome(Reply):
    """How a command sent through a station ended, once the station's record arrived."""

    command_id: str
    station: str
    vehicle: str
    status: Literal["pending", "completed", "failed"] = Field(
        description="pending: no result recorded at the centre yet"
    )
    result: str | None = Field(description="the vehicle's answer: ACCEPTED, DENIED, TIMEOUT...")
    reason: str | None = Field(description="why it failed, as the vehicle or station said")
