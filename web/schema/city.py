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
