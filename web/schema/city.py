"""The command centre's view of the city: stations, their vehicles, commands through them."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, RootModel

from dronepatrol.web.schema.base import Reply, Request
from dronepatrol.web.schema.vehicles import Alt, Lat, Lon, Radius, Watch


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


class CityOrder(Request):
    """An order with no argument, passed on by the station."""

    command: Literal["rtl", "land", "pause", "resume"]

    def arguments(self) -> list[float]:
        return []


class CityGoto(Request):
    """Send the drone to a place; the station routes it round its no-fly zones, and a place
    inside one is watched from the nearest safe point outside (or refused, with why)."""

    command: Literal["goto"]
    lat: Lat
    lon: Lon
    alt_m: Alt

    def arguments(self) -> list[float]:
        return [self.lat, self.lon, self.alt_m]


class CityOrbit(Request):
    """Circle a place; refused by the station when the circle would enter a no-fly zone."""

    command: Literal["orbit"]
    lat: Lat
    lon: Lon
    alt_m: Alt
    radius_m: Radius = 50.0

    def arguments(self) -> list[float]:
        return [self.lat, self.lon, self.alt_m, self.radius_m]


CITY_COMMANDS: dict[str, type[Request]] = {
    "rtl": CityOrder,
    "land": CityOrder,
    "pause": CityOrder,
    "resume": CityOrder,
    "goto": CityGoto,
    "orbit": CityOrbit,
}
"""The orders the centre passes to a station (its CENTRE_OPERATIONS), by request name."""


class CityCommand(
    RootModel[Annotated[CityOrder | CityGoto | CityOrbit, Field(discriminator="command")]]
):
    """``{"command": NAME, ...its arguments}``: rtl, land, pause, resume; goto with
    ``lat``, ``lon``, ``alt_m``; orbit with those and ``radius_m`` [deg, m above home, m]."""

    __tagged__: ClassVar[bool] = True
    __variants__: ClassVar[dict[str, type[Request]]] = CITY_COMMANDS


class CityCommandAccepted(Reply):
    request_id: str = Field(description="the request's id; the outcome arrives as a reply")
    station: str
    vehicle: str
    command: str
    status: Literal["accepted"]
    command_id: str = Field(description="the station's command id (its command events')")
    route: list[list[float]] | None = Field(
        default=None,
        description="the path the station flies round its no-fly zones, [lat, lon] corners",
    )
    watch: Watch | None = Field(
        default=None, description="a goto into a no-fly zone watches the place from outside"
    )


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


class CityIncident(Reply):
    """One open incident of a station (text as the station sent it: escape it)."""

    id: int = Field(description="the station's incident id")
    kind: Literal["incident", "hold"]
    status: Literal["open", "dispatched", "on_scene"]
    priority: Literal["key", "attention", "general"]
    note: str = Field(description="its note, cut to 200 characters")
    lat_deg: float
    lon_deg: float
    vehicle: str | None = Field(description="the drone sent to it, if any")
    created_s: float = Field(description="when it was reported [s since the epoch]")


class CityOverwatchHold(Reply):
    """One overwatch point of a station's lockdown and the drone holding it."""

    id: str
    name: str
    lat_deg: float
    lon_deg: float
    vehicle: str | None = Field(description="the drone assigned to it (null: uncovered)")
    status: Literal["open", "dispatched", "on_scene", "released", "failed", "uncovered"]


class CityLockdown(Reply):
    name: str
    started_by: str
    started_s: float = Field(description="when it was activated [s since the epoch]")
    points: list[CityOverwatchHold]


class CityStationSituation(Reply):
    station: str
    stale: bool = Field(description="its station is stale: the situation may be old")
    time_s: float = Field(description="when the station took it [s since the epoch]")
    received_age_s: float = Field(description="seconds since the centre received it")
    open_incidents: int = Field(description="open in all (at most 100 most recent are listed)")
    incidents: list[CityIncident] = Field(description="open incidents, most recent first")
    lockdown: CityLockdown | None = Field(description="the lockdown in force (null: none)")


class CitySituation(Reply):
    """Every station's open incidents and lockdown in force, as each last sent them."""

    stale_after_s: float
    stations: list[CityStationSituation]


class CityWebRTC(Reply):
    api: str = Field(description="the signed-in Janus API to signal through")
    mountpoint: int = Field(description="the media server's mountpoint to watch")


class CityVideo(Reply):
    """How the centre plays a station's drone's feed, or why it cannot."""

    station: str
    vehicle: str
    stale: bool = Field(description="its station is stale: the feed may have stopped")
    webrtc: CityWebRTC | None = Field(description="watch this over WebRTC (null: see reason)")
    reason: str | None = Field(description="why there is no feed to play (null: there is)")
