"""Vehicles: the snapshot as the API and the live stream send it, and the flight commands.

:class:`Vehicle` is the one JSON shape of a
:class:`dronepatrol.state.VehicleSnapshot` (``GET /api/vehicles`` and the
stream's ``telemetry`` events). Each flight command is its own model, tagged
by ``command``: its arguments, their ranges [m, m/s, deg, %] and defaults,
and ``confirm`` for the risky ones, so ``{"command": "takeoff", "alt": 100}``
is refused naming ``alt`` rather than climbing to the default.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, RootModel

from dronepatrol.actions import CAN_DO, Action
from dronepatrol.alerts import charge_level
from dronepatrol.planning.orders import (  # the limits the city bus checks too
    MAX_ALT_M,
    MAX_ORBIT_RADIUS_M,
    MIN_ALT_M,
    MIN_ORBIT_RADIUS_M,
)
from dronepatrol.registry import FleetRegistry
from dronepatrol.state import Battery as SnapshotBattery
from dronepatrol.state import MissionProgress as SnapshotMission
from dronepatrol.state import Position as SnapshotPosition
from dronepatrol.state import VehicleSnapshot
from dronepatrol.web.schema.base import Reply, Request, reply_of

Lat = Annotated[float, Field(ge=-90.0, le=90.0, description="latitude [deg]")]
Lon = Annotated[float, Field(ge=-180.0, le=180.0, description="longitude [deg]")]
Alt = Annotated[float, Field(ge=MIN_ALT_M, le=MAX_ALT_M, description="altitude above home [m]")]
Radius = Annotated[float, Field(ge=MIN_ORBIT_RADIUS_M, le=MAX_ORBIT_RADIUS_M, description="[m]")]
Confirm = Annotated[Literal[True], Field(description="risky command: must be true")]


class Position(Reply):
    """WGS-84 position [deg] with altitude above mean sea level and above home [m]."""

    lat: float
    lon: float
    alt_amsl_m: float | None
    alt_rel_m: float | None

    @classmethod
    def of(cls, p: SnapshotPosition | None) -> Position | None:
        if p is None:
            return None
        return cls(lat=p.lat_deg, lon=p.lon_deg, alt_amsl_m=p.alt_amsl_m, alt_rel_m=p.alt_rel_m)


class Battery(reply_of(SnapshotBattery, "BatteryFields")):  # type: ignore[misc]
    """Voltage [V], current [A], remaining [%], consumed [mAh]; null until reported."""


class MissionProgress(reply_of(SnapshotMission, "MissionFields")):  # type: ignore[misc]
    """Current item seq, item count, MAVLink MISSION_STATE."""


class Gps(Reply):
    """GPS_FIX_TYPE (3 = 3D) and satellites seen."""

    fix_type: int
    satellites: int


class Vehicle(Reply):
    """One vehicle as the fleet panel, the map and scripts see it."""

    id: str
    name: str
    link: Literal["connecting", "up", "lost", "closed"]
    last_heard_s: float | None = Field(description="seconds since anything arrived")
    armed: bool
    mode: str = Field(description="ArduCopter mode name")
    position: Position | None
    home: Position | None
    groundspeed_mps: float | None
    heading_deg: float | None
    battery: Battery
    charge: Literal["ok", "low", "critical", "unknown"] = Field(
        description="the charge as the fleet card colours it: low at or below the "
        "low-battery alert's mark, critical at or below the reserve every return keeps"
    )
    endurance_min: float | None = Field(
        description="cruise flight left before the reserve [min], from the energy model "
        "(the drone's pack and learned consumption); null when unknown",
    )
    mission: MissionProgress
    gps: Gps
    ekf_ok: bool
    landed_state: Literal["undefined", "on_ground", "in_air", "takeoff", "landing"]
    airborne: bool
    statustext: str | None = Field(description="the newest STATUSTEXT")
    time_s: float = Field(description="when the snapshot was made [s since the epoch]")
    known: bool = Field(
        description="in the fleet registry (always true without one); an unknown vehicle "
        "is shown but never commanded"
    )
    station: str | None = Field(description="its home station, from the fleet registry")
    implausible_messages: int = Field(
        description="telemetry dropped as out of physical range (lat 200, NaN), a forged "
        "or corrupt sender's trace"
    )
    ready_for: list[str] = Field(
        description="the flight commands whose precondition (GET /api/meta: needs) the "
        "vehicle meets now, by the server's can-do table; its link aside (a lost link "
        "refuses every command)"
    )

    @classmethod
    def of(
        cls,
        s: VehicleSnapshot,
        registry: FleetRegistry | None = None,
        endurance_s: float | None = None,
    ) -> Vehicle:
        """``s`` as sent; ``registry`` (the fleet's, if any) says whether it is known;
        ``endurance_s`` is its flight left before the reserve [s] when the energy model knows."""
        entry = registry.vehicle(s.vehicle_id) if registry is not None else None
        return cls(
            id=s.vehicle_id,
            name=s.name or s.vehicle_id,
            link=s.link.value,
            last_heard_s=s.last_heard_s,
            armed=s.armed,
            mode=s.mode,
            position=Position.of(s.position),
            home=Position.of(s.home),
            groundspeed_mps=s.groundspeed_mps,
            heading_deg=s.heading_deg,
            battery=Battery(**vars(s.battery)),
            charge=charge_level(s.battery.remaining_pct),
            endurance_min=None if endurance_s is None else round(endurance_s / 60.0, 1),
            mission=MissionProgress(**vars(s.mission)),
            gps=Gps(fix_type=s.gps_fix_type, satellites=s.gps_satellites),
            ekf_ok=s.ekf_ok,
            landed_state=s.landed_state.name.lower(),
            airborne=s.airborne,
            statustext=s.statustexts[-1] if s.statustexts else None,
            time_s=s.time_s,
            known=registry is None or entry is not None,
            station=entry.station or None if entry is not None else None,
            implausible_messages=s.implausible_messages,
            ready_for=ready_for(s),
        )


def ready_for(s: VehicleSnapshot) -> list[str]:
    """The commands (of :data:`COMMANDS`, in order) whose can-do rule ``s`` meets now.

    The link is left out: it is shown on its own, and a command sent on a lost
    link is refused with that reason.
    """
    return [name for name, action in ACTIONS.items() if CAN_DO[action](s) is None]


class Vehicles(Reply):
    vehicles: list[Vehicle]


class Telemetry(Reply):
    """The ``data`` of a ``telemetry`` stream event: the vehicle's newest snapshot."""

    vehicle: Vehicle


# ---------------------------------------------------------------- commands


class FlightCommand(Request):
    """A command for one vehicle; ``operation`` names the fleet operation it runs."""

    operation: ClassVar[str]
    label: ClassVar[str]
    """The command's name on a button."""
    risky: ClassVar[bool] = False
    """Set from the model: a command is risky when it needs ``confirm``."""
    question: ClassVar[str | None] = None
    """For a risky command: what the operator is asked to confirm."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.risky = "confirm" in cls.model_fields

    def arguments(self) -> list[float]:
        """The operation's arguments in order (every field but ``command`` and ``confirm``)."""
        return [v for k, v in self if k not in ("command", "confirm")]


class Arm(FlightCommand):
    operation = "safe_arm"
    label = "Arm"
    question = "Arm the motors"
    command: Literal["arm"]
    confirm: Confirm


class Disarm(FlightCommand):
    operation = "disarm"
    label = "Disarm"
    question = "Disarm the motors"
    command: Literal["disarm"]
    confirm: Confirm


class Takeoff(FlightCommand):
    operation = "safe_takeoff"
    label = "Take off"
    question = "Take off"
    command: Literal["takeoff"]
    alt_m: Alt = 30.0
    confirm: Confirm


class Start(FlightCommand):
    operation = "start_mission"
    label = "Start mission"
    question = "Start the mission"
    command: Literal["start"]
    confirm: Confirm


class Pause(FlightCommand):
    operation = "pause"
    label = "Pause"
    command: Literal["pause"]


class Resume(FlightCommand):
    operation = "resume"
    label = "Resume"
    command: Literal["resume"]


class Goto(FlightCommand):
    operation = "fly_route"
    label = "Go to"
    command: Literal["goto"]
    lat: Lat
    lon: Lon
    alt_m: Alt


class Orbit(FlightCommand):
    operation = "orbit_via"
    label = "Orbit"
    command: Literal["orbit"]
    lat: Lat
    lon: Lon
    alt_m: Alt
    radius_m: Radius = 50.0


class Speed(FlightCommand):
    operation = "change_speed"
    label = "Set speed"
    command: Literal["speed"]
    speed_mps: Annotated[float, Field(ge=0.5, le=20.0, description="[m/s]")]


class Rtl(FlightCommand):
    operation = "return_home"
    label = "RTL"
    command: Literal["rtl"]


class Land(FlightCommand):
    operation = "land"
    label = "Land"
    question = "Land here"
    command: Literal["land"]
    confirm: Confirm


class BatterySwapped(FlightCommand):
    """The crew swapped the pack of a powered drone: its monitor reads the new charge [%]."""

    operation = "battery_swapped"
    label = "Battery swapped"
    question = "Swapped in a full pack, reset the battery to 100 %"
    command: Literal["battery_swapped"]
    percentage: Annotated[float, Field(ge=0.0, le=100.0, description="[%]")] = 100.0
    confirm: Confirm


COMMANDS: dict[str, type[FlightCommand]] = {
    model.model_fields["command"].annotation.__args__[0]: model  # type: ignore[union-attr]
    for model in (
        Arm,
        Disarm,
        Takeoff,
        Start,
        Pause,
        Resume,
        Goto,
        Orbit,
        Speed,
        Rtl,
        Land,
        BatterySwapped,
    )
}
"""The commands the fleet panel and scripts can send, by request name."""

ACTIONS: dict[str, Action] = {
    "arm": Action.ARM,
    "disarm": Action.DISARM,
    "takeoff": Action.TAKEOFF,
    "start": Action.START_MISSION,
    "pause": Action.PAUSE,
    "resume": Action.RESUME,
    "goto": Action.GOTO,
    "orbit": Action.ORBIT,
    "speed": Action.CHANGE_SPEED,
    "rtl": Action.RTL,
    "land": Action.LAND,
    "battery_swapped": Action.BATTERY_SWAPPED,
}
"""The row of the can-do table (:mod:`dronepatrol.actions`) each command of
:data:`COMMANDS` needs of the vehicle now."""

AnyCommand = Annotated[
    Arm
    | Disarm
    | Takeoff
    | Start
    | Pause
    | Resume
    | Goto
    | Orbit
    | Speed
    | Rtl
    | Land
    | BatterySwapped,
    Field(discriminator="command"),
]


class Command(RootModel[AnyCommand]):
    """``{"command": NAME, ...its arguments}``; risky commands need ``"confirm": true``."""

    __tagged__: ClassVar[bool] = True
    __variants__: ClassVar[dict[str, type[FlightCommand]]] = COMMANDS


class Watch(Reply):
    """Where the drone watches the place from: over it, or outside the no-fly zone it is in."""

    lat: float = Field(description="the point flown to [deg]")
    lon: float
    target_lat: float = Field(description="the place watched [deg]")
    target_lon: float
    from_outside: bool = Field(description="held outside a no-fly zone, camera on the place")
    zone: str | None
    zone_name: str | None
    distance_m: float = Field(description="from the point flown to, to the place [m]")
    message: str = Field(description='e.g. "watching from 180 m outside the no-fly zone ..."')


class CommandQueued(Reply):
    request_id: str = Field(description="the command_result events' command_id")
    vehicle: str
    command: str
    status: Literal["queued"]
    route: list[list[float]] | None = Field(
        default=None, description="the path flown round the no-fly zones, [lat, lon] corners"
    )
    watch: Watch | None = Field(
        default=None, description="a goto into a no-fly zone watches the place from outside"
    )
