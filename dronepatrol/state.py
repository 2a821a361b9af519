"""Vehicle state as the rest of the system sees it: immutable snapshots.

The link thread owns a vehicle's state and publishes a new
:class:`VehicleSnapshot` whenever it changes; everyone else (web handlers,
the recorder, the video HUD, the scheduler) reads snapshots and never sees a
half-updated one. States are enums with named sets, not bare strings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, IntEnum


class CopterMode(IntEnum):
    """ArduCopter flight modes: HEARTBEAT custom_mode numbers."""

    STABILIZE = 0
    ACRO = 1
    ALT_HOLD = 2
    AUTO = 3
    GUIDED = 4
    LOITER = 5
    RTL = 6
    CIRCLE = 7
    LAND = 9
    DRIFT = 11
    SPORT = 13
    FLIP = 14
    AUTOTUNE = 15
    POSHOLD = 16
    BRAKE = 17
    THROW = 18
    AVOID_ADSB = 19
    GUIDED_NOGPS = 20
    SMART_RTL = 21
    FLOWHOLD = 22
    FOLLOW = 23
    ZIGZAG = 24
    SYSTEMID = 25
    AUTOROTATE = 26
    AUTO_RTL = 27
    TURTLE = 28


FlightMode = CopterMode
"""The typed flight mode of a vehicle (ArduCopter first): compare with members, not strings."""

RETURNING_MODES = frozenset(
    {CopterMode.RTL, CopterMode.SMART_RTL, CopterMode.LAND, CopterMode.AUTO_RTL}
)
"""Modes in which the vehicle is coming home or down by itself."""

HOLDING_MODES = frozenset(
    {CopterMode.BRAKE, CopterMode.LOITER, CopterMode.GUIDED, CopterMode.CIRCLE, CopterMode.POSHOLD}
)
"""Modes in which a mission stands paused: the vehicle holds (or circles) where it was put."""

FLYING_ALT_M = 1.0
"""An armed vehicle this high above home counts as flying without EXTENDED_SYS_STATE [m]."""


def flight_mode(name: str) -> CopterMode | None:
    """The mode a heartbeat's mode name stands for (None for UNKNOWN or ``MODE(n)``)."""
    return CopterMode.__members__.get(name)


def mode_name(custom_mode: int) -> str:
    """ArduCopter's name for a mode number, or ``MODE(n)`` when unknown."""
    try:
        return CopterMode(custom_mode).name
    except ValueError:
        return f"MODE({custom_mode})"


class LinkState(Enum):
    """Whether the controller hears the vehicle."""

    CONNECTING = "connecting"
    UP = "up"
    LOST = "lost"
    CLOSED = "closed"


class LandedState(IntEnum):
    """MAV_LANDED_STATE from EXTENDED_SYS_STATE."""

    UNDEFINED = 0
    ON_GROUND = 1
    IN_AIR = 2
    TAKEOFF = 3
    LANDING = 4


AIRBORNE = frozenset({LandedState.IN_AIR, LandedState.TAKEOFF, LandedState.LANDING})
"""Landed states in which the vehicle is off the ground."""


def is_flying(armed: bool, landed_state: LandedState | str, alt_rel_m: float | None) -> bool:
    """Off the ground: EXTENDED_SYS_STATE says so, or armed and above :data:`FLYING_ALT_M`.

    The one definition of "flying" (:attr:`VehicleSnapshot.flying` asks it); readers
    of telemetry events, which carry the landed state by name, ask it too. The
    altitude fallback covers autopilots that do not send EXTENDED_SYS_STATE.

    >>> is_flying(True, "UNDEFINED", 20.0), is_flying(False, "IN_AIR", 0.0)
    (True, True)
    >>> is_flying(True, "ON_GROUND", 0.2), is_flying(True, LandedState.UNDEFINED, None)
    (False, False)
    """
    if isinstance(landed_state, str):
        landed_state = LandedState.__members__.get(landed_state, LandedState.UNDEFINED)
    if landed_state in AIRBORNE:
        return True
    return armed and alt_rel_m is not None and alt_rel_m > FLYING_ALT_M


@dataclass(frozen=True)
class Position:
    """Where the vehicle is.

    Attributes:
        lat_deg, lon_deg: WGS-84 [deg].
        alt_amsl_m: altitude above mean sea level [m].
        alt_rel_m: altitude above home [m].
    """

    lat_deg: float
    lon_deg: float
    alt_amsl_m: float
    alt_rel_m: float


@dataclass(frozen=True)
class Battery:
    """Battery telemetry: voltage [V], current [A], remaining [%], consumed [mAh]."""

    voltage_v: float | None = None
    current_a: float | None = None
    remaining_pct: float | None = None
    consumed_mah: float | None = None


@dataclass(frozen=True)
class MissionProgress:
    """The autopilot's mission state: current item seq, item count, MISSION_STATE."""

    current_seq: int = 0
    total: int = 0
    state: int = 0


@dataclass(frozen=True)
class VehicleSnapshot:
    """One consistent picture of a vehicle at ``time_s``.

    Attributes:
        vehicle_id: the controller's id for it (``sysid`` on its link by default).
        name: the operator-facing name.
        link: link state; ``last_heard_s`` is seconds since anything arrived.
        armed, mode: from HEARTBEAT (``mode`` is the ArduCopter mode name, kept for display
            and records; decisions use :attr:`flight_mode`, :attr:`flying`, :attr:`returning`).
        position, home: None until known.
        velocity_ned_mps: (north, east, down) [m/s].
        groundspeed_mps [m/s], heading_deg [deg 0..360], attitude roll/pitch/yaw [deg].
        gps_fix_type: GPS_FIX_TYPE (3 = 3D); gps_satellites: count.
        ekf_ok: EKF reports a usable position; prearm_ok: SYS_STATUS prearm bit healthy.
        battery, mission, landed_state: see their types.
        statustexts: the most recent STATUSTEXTs, newest last.
        time_s: when this snapshot was made [s since the Unix epoch].
        sysid: MAVLink system id on its link (0 when not from a link).
        autopilot, vehicle_type: MAV_AUTOPILOT and MAV_TYPE names from HEARTBEAT.
        climb_mps: climb rate [m/s], up positive.
        wp_dist_m: distance to the current navigation target [m], when reported.
        implausible_messages: telemetry messages dropped as out of physical range
            (a position at latitude 200, a NaN speed) since the link first heard it.
    """

    vehicle_id: str
    name: str = ""
    link: LinkState = LinkState.CONNECTING
    last_heard_s: float | None = None
    armed: bool = False
    mode: str = "UNKNOWN"
    position: Position | None = None
    home: Position | None = None
    velocity_ned_mps: tuple[float, float, float] = (0.0, 0.0, 0.0)
    groundspeed_mps: float = 0.0
    heading_deg: float = 0.0
    attitude_deg: tuple[float, float, float] = (0.0, 0.0, 0.0)
    gps_fix_type: int = 0
    gps_satellites: int = 0
    ekf_ok: bool = False
    prearm_ok: bool = False
    battery: Battery = field(default_factory=Battery)
    mission: MissionProgress = field(default_factory=MissionProgress)
    landed_state: LandedState = LandedState.UNDEFINED
    statustexts: tuple[str, ...] = ()
    time_s: float = 0.0
    sysid: int = 0
    autopilot: str = ""
    vehicle_type: str = ""
    climb_mps: float = 0.0
    wp_dist_m: float | None = None
    implausible_messages: int = 0

    @property
    def airborne(self) -> bool:
        """True when the vehicle is off the ground (by EXTENDED_SYS_STATE)."""
        return self.landed_state in AIRBORNE

    @property
    def flight_mode(self) -> CopterMode | None:
        """The flight mode as :class:`CopterMode` (None until a heartbeat names a known one)."""
        return flight_mode(self.mode)

    @property
    def flying(self) -> bool:
        """Off the ground: EXTENDED_SYS_STATE says so, or armed and above FLYING_ALT_M.

        The altitude fallback covers autopilots that do not send EXTENDED_SYS_STATE.
        """
        alt = self.position.alt_rel_m if self.position is not None else None
        return is_flying(self.armed, self.landed_state, alt)

    @property
    def returning(self) -> bool:
        """Armed and coming home or down by itself (RTL, SMART_RTL, AUTO_RTL, LAND)."""
        return self.armed and self.flight_mode in RETURNING_MODES

    @property
    def on_ground(self) -> bool:
        """Not flying (armed or not)."""
        return not self.flying
