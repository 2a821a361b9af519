"""One vehicle's state as heard on its link, and the events it raises.

A :class:`VehicleTracker` belongs to its link's owner thread: inbound
messages reach it through the name-to-handler table :data:`HANDLERS`
(message types we read on purpose have a handler; types we receive and
deliberately ignore have an explicit no-op entry; anything else is counted in
``unhandled``). It publishes immutable :class:`VehicleSnapshot` objects for
everyone else to read.

Events it publishes on the bus (``vehicle_id`` set; ``data`` keys):

* ``LINK_UP`` -- first heartbeat: ``sysid``, ``compid``, ``autopilot``, ``vehicle_type``, ``url``.
* ``LINK_LOST`` -- no heartbeat for ``link_timeout_s``: ``silent_s`` [s], ``url``.
* ``LINK_RESTORED`` -- heard again after a loss: ``outage_s`` [s], ``url``.
* ``MODE_CHANGED`` -- ``mode``, ``previous`` (ArduCopter names), ``custom_mode`` (number).
* ``ARMED`` / ``DISARMED`` -- ``mode`` at that moment.
* ``MEDIA`` -- the link's ``.tlog`` belongs to the sortie that starts: ``path``,
  ``kind`` (``tlog``), ``complete`` (False on arming; True when the link closes it).
* ``LANDED_STATE`` -- ``state``, ``previous`` (MAV_LANDED_STATE names).
* ``WAYPOINT_REACHED`` -- ``seq`` (mission item), ``total`` (items incl. home).
* ``MISSION_CURRENT`` -- progress changed: ``seq``, ``total``, ``state`` (MISSION_STATE).
* ``STATUSTEXT`` -- ``text``, ``severity`` (MAV_SEVERITY number, 0 worst).
* ``FAILSAFE`` -- the autopilot announced a failsafe or breach: ``failsafe``
  (``gcs``, ``battery``, ``fence``, ``ekf``, ``radio``, ``other``), ``text``, ``mode``.
* ``TELEMETRY`` -- a track sample at the link's steady ``telemetry_hz`` (>= 2 Hz)
  while the position is known: ``lat_deg``, ``lon_deg``, ``alt_amsl_m``,
  ``alt_rel_m``, ``heading_deg``, ``groundspeed_mps``, ``climb_mps``,
  ``velocity_ned_mps`` [n, e, d], ``armed``, ``mode``, ``landed_state``,
  ``battery_pct``, ``battery_v``, ``current_a``, ``consumed_mah``,
  ``mission_seq``, ``mission_total``, ``gps_fix_type``, ``gps_satellites``,
  ``ekf_ok``, ``wind_speed_mps`` and ``wind_from_deg`` (ArduPilot's own wind
  estimate, WIND; None until heard), ``time_s`` (the flat track-sample form
  the sortie recorder reads).

Command and mission-transfer events (``COMMAND_SENT``, ``COMMAND_RESULT``,
``MISSION_UPLOAD``) are documented in :mod:`dronepatrol.mavlink.jobs` and
:mod:`dronepatrol.mavlink.transfer`.
"""

from __future__ import annotations

import math
import re
import time
from collections import deque
from collections.abc import Callable

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.state import (
    Battery,
    LandedState,
    LinkState,
    MissionProgress,
    Position,
    VehicleSnapshot,
    mode_name,
)

MAV_MODE_FLAG_SAFETY_ARMED = 128
PREARM_CHECK_BIT = 1 << 28
"""MAV_SYS_STATUS_PREARM_CHECK in SYS_STATUS sensor bitmasks."""
EKF_ATTITUDE, EKF_VELOCITY_HORIZ, EKF_POS_HORIZ_ABS = 1, 2, 16
EKF_CONST_POS_MODE, EKF_UNINITIALIZED = 128, 1024
EKF_POSITION_OK = EKF_ATTITUDE | EKF_VELOCITY_HORIZ | EKF_POS_HORIZ_ABS
STATUSTEXT_KEEP = 20


def mavlink_name(enum: str, value: int) -> str:
    """pymavlink's name for ``value`` of MAVLink enum ``enum``, without the enum's prefix.

    >>> mavlink_name("MAV_TYPE", 2), mavlink_name("MAV_AUTOPILOT", 3), mavlink_name("MAV_TYPE", 99)
    ('QUADROTOR', 'ARDUPILOTMEGA', '99')
    """
    entry = mavlink.enums[enum].get(value)
    return entry.name.removeprefix(f"{enum}_") if entry is not None else str(value)


_FAILSAFE_PATTERNS = (
    ("gcs", re.compile(r"gcs\b.*failsafe|failsafe.*\bgcs", re.I)),
    ("battery", re.compile(r"battery.*(failsafe|low|critical)|failsafe.*batt", re.I)),
    ("fence", re.compile(r"fence.*breach|breach.*fence|fence\s+failsafe", re.I)),
    ("ekf", re.compile(r"ekf.*failsafe|failsafe.*ekf|ekf variance", re.I)),
    ("radio", re.compile(r"radio.*failsafe|failsafe.*radio|throttle failsafe", re.I)),
    ("other", re.compile(r"failsafe", re.I)),
)


def failsafe_kind(text: str) -> str | None:
    """Which failsafe a STATUSTEXT announces, or None.

    >>> failsafe_kind("GCS Failsafe"), failsafe_kind("Battery 1 is low 10.2V used 3000 mAh")
    ('gcs', 'battery')
    >>> failsafe_kind("Mission: 3 WP") is None, failsafe_kind("PreArm: GCS failsafe on") is None
    (True, True)
    >>> failsafe_kind("Fence breach cleared") is None  # the end of one, not a new one
    True
    """
    lowered = text.lower()
    if any(end in lowered for end in ("failsafe cleared", "failsafe resolved", "breach cleared")):
        return None
    if lowered.startswith(("prearm", "arm:")):
        return None  # a check refusing to arm, not a failsafe in flight
    for kind, pattern in _FAILSAFE_PATTERNS:
        if pattern.search(text):
            return kind
    return None


class VehicleTracker:
    """The mutable state of one vehicle, touched only by its link's owner thread."""

    def __init__(
        self,
        vehicle_id: str,
        sysid: int,
        compid: int,
        bus: EventBus,
        url: str,
        publish: Callable[[VehicleSnapshot], None],
        name: str = "",
    ) -> None:
        self.vehicle_id = vehicle_id
        self.sysid = sysid
        self.compid = compid
        self.bus = bus
        self.url = url
        self.name = name or vehicle_id
        self._publish = publish
        now = time.monotonic()
        self.last_heard = now
        self.last_heartbeat = now
        self.link = LinkState.UP
        self.lost_at: float | None = None
        self.autopilot = 0
        self.vehicle_type = 0
        self.armed = False
        self.custom_mode: int | None = None
        self.system_status = 0
        self.lat = self.lon = self.alt_amsl = self.alt_rel = None  # type: ignore[assignment]
        self.velocity = (0.0, 0.0, 0.0)
        self.groundspeed = 0.0
        self.climb = 0.0
        self.heading = 0.0
        self.attitude = (0.0, 0.0, 0.0)
        self.gps_fix = 0
        self.gps_sats = 0
        self.ekf_flags = 0
        self.have_ekf = False
        self.prearm_ok = False
        self.voltage = self.current = self.remaining = self.consumed = None
        self.mission_seq = 0
        self.mission_total = 0
        self.mission_state = 0
        self.landed = LandedState.UNDEFINED
        self.home: Position | None = None
        self.wp_dist: float | None = None
        self.wind: tuple[float, float] | None = None
        """(speed [m/s], direction the wind blows from [deg]) from WIND."""
        self.statustexts: deque[tuple[float, int, str]] = deque(maxlen=STATUSTEXT_KEEP)
        self.params: dict[str, float] = {}
        self.param_count = 0
        self.tlog_path: str | None = None
        self.unhandled = 0
        self.implausible = 0
        self.dirty = True
        self.snapshot_due = 0.0
        self.telemetry_due = 0.0

    # ---- dispatch -------------------------------------------------------

    def handle(self, msg, now: float) -> None:
        """Update state from one message of this vehicle's autopilot."""
        self.last_heard = now
        handler = HANDLERS.get(msg._type)
        if handler is None:
            self.unhandled += 1
            return
        check = PLAUSIBLE.get(msg._type)
        if check is not None and not check(msg):
            self.implausible += 1  # never stored: a position at lat 200 or NaN misleads
            self.dirty = True
            return
        handler(self, msg, now)

    def _emit(self, kind: EventKind, /, **data) -> None:
        """Publish the snapshot first, so that whoever reacts to the event sees its state."""
        if kind is not EventKind.TELEMETRY:
            now = time.monotonic()
            self.dirty = False
            self.snapshot_due = now + 0.05
            self._publish(self.snapshot(now))
        self.bus.publish(Event(kind=kind, vehicle_id=self.vehicle_id, data=data))

    def _changed(self) -> None:
        """Something operators care about changed: publish a snapshot right away."""
        self.dirty = True
        self.snapshot_due = 0.0

    # ---- handlers ---------------------------------------------------------

    def on_heartbeat(self, msg, now: float) -> None:
        self.last_heartbeat = now
        self.autopilot = msg.autopilot
        self.vehicle_type = msg.type
        self.system_status = msg.system_status
        armed = bool(msg.base_mode & MAV_MODE_FLAG_SAFETY_ARMED)
        mode = mode_name(msg.custom_mode)
        if self.custom_mode != msg.custom_mode:
            previous = "UNKNOWN" if self.custom_mode is None else mode_name(self.custom_mode)
            self.custom_mode = msg.custom_mode
            self._emit(
                EventKind.MODE_CHANGED, mode=mode, previous=previous, custom_mode=msg.custom_mode
            )
            self._changed()
        if armed != self.armed:
            self.armed = armed
            self._emit(EventKind.ARMED if armed else EventKind.DISARMED, mode=mode)
            if armed and self.tlog_path:
                self._emit(EventKind.MEDIA, path=self.tlog_path, kind="tlog", complete=False)
            self._changed()
        self.dirty = True

    def on_global_position_int(self, msg, now: float) -> None:
        self.lat = msg.lat * 1e-7
        self.lon = msg.lon * 1e-7
        self.alt_amsl = msg.alt * 1e-3
        self.alt_rel = msg.relative_alt * 1e-3
        self.velocity = (msg.vx * 0.01, msg.vy * 0.01, msg.vz * 0.01)
        if msg.hdg != 65535:
            self.heading = msg.hdg * 0.01
        self.dirty = True

    def on_vfr_hud(self, msg, now: float) -> None:
        self.groundspeed = float(msg.groundspeed)
        self.climb = float(msg.climb)
        self.dirty = True

    def on_attitude(self, msg, now: float) -> None:
        self.attitude = (
            math.degrees(msg.roll),
            math.degrees(msg.pitch),
            math.degrees(msg.yaw),
        )
        self.dirty = True

    def on_gps_raw_int(self, msg, now: float) -> None:
        self.gps_fix = msg.fix_type
        self.gps_sats = msg.satellites_visible if msg.satellites_visible != 255 else 0
        self.dirty = True

    def on_ekf_status_report(self, msg, now: float) -> None:
        self.ekf_flags = msg.flags
        self.have_ekf = True
        self.dirty = True

    def on_sys_status(self, msg, now: float) -> None:
        present = msg.onboard_control_sensors_present & PREARM_CHECK_BIT
        self.prearm_ok = bool(msg.onboard_control_sensors_health & PREARM_CHECK_BIT) or not present
        if msg.voltage_battery != 65535:
            self.voltage = msg.voltage_battery * 1e-3
        if msg.current_battery != -1:
            self.current = msg.current_battery * 0.01
        if msg.battery_remaining != -1:
            self.remaining = float(msg.battery_remaining)
        self.dirty = True

    def on_battery_status(self, msg, now: float) -> None:
        if msg.id != 0:
            return
        if msg.current_consumed != -1:
            self.consumed = float(msg.current_consumed)
        if msg.battery_remaining != -1 and self.remaining is None:
            self.remaining = float(msg.battery_remaining)
        self.dirty = True

    def on_mission_current(self, msg, now: float) -> None:
        total = getattr(msg, "total", 0) or 0
        state = getattr(msg, "mission_state", 0) or 0
        if (msg.seq, total, state) != (self.mission_seq, self.mission_total, self.mission_state):
            self.mission_seq, self.mission_total, self.mission_state = msg.seq, total, state
            self._emit(EventKind.MISSION_CURRENT, seq=msg.seq, total=total, state=state)
            self._changed()

    def on_mission_item_reached(self, msg, now: float) -> None:
        self._emit(EventKind.WAYPOINT_REACHED, seq=msg.seq, total=self.mission_total)
        self._changed()

    def on_extended_sys_state(self, msg, now: float) -> None:
        try:
            landed = LandedState(msg.landed_state)
        except ValueError:
            return
        if landed != self.landed:
            previous, self.landed = self.landed, landed
            self._emit(EventKind.LANDED_STATE, state=landed.name, previous=previous.name)
            self._changed()

    def on_home_position(self, msg, now: float) -> None:
        home = Position(msg.latitude * 1e-7, msg.longitude * 1e-7, msg.altitude * 1e-3, 0.0)
        if home != self.home:
            self.home = home
            self._changed()

    def on_nav_controller_output(self, msg, now: float) -> None:
        self.wp_dist = float(msg.wp_dist)

    def on_wind(self, msg, now: float) -> None:
        """ArduPilot's wind estimate: ``direction`` it blows from [deg], ``speed`` [m/s]."""
        self.wind = (float(msg.speed), float(msg.direction) % 360.0)

    def on_statustext(self, msg, now: float) -> None:
        text = msg.text if isinstance(msg.text, str) else msg.text.decode("utf-8", "replace")
        text = text.rstrip("\x00").strip()
        self.statustexts.append((now, msg.severity, text))
        self._emit(EventKind.STATUSTEXT, text=text, severity=msg.severity)
        kind = failsafe_kind(text)
        if kind is not None:
            mode = mode_name(self.custom_mode) if self.custom_mode is not None else "UNKNOWN"
            self._emit(EventKind.FAILSAFE, failsafe=kind, text=text, mode=mode)
        self._changed()

    def on_param_value(self, msg, now: float) -> None:
        name = msg.param_id if isinstance(msg.param_id, str) else msg.param_id.decode()
        self.params[name.rstrip("\x00")] = float(msg.param_value)
        self.param_count = msg.param_count

    def ignore(self, msg, now: float) -> None:
        """Explicit no-op: a type we receive and deliberately do not use."""

    # ---- link health ------------------------------------------------------

    def check_link(self, now: float, timeout_s: float) -> None:
        """Raise LINK_LOST when no heartbeat came for ``timeout_s`` [s]."""
        if self.link is LinkState.UP and now - self.last_heartbeat > timeout_s:
            self.link = LinkState.LOST
            self.lost_at = now
            self._emit(
                EventKind.LINK_LOST, silent_s=round(now - self.last_heartbeat, 2), url=self.url
            )
            self._changed()

    def heard_heartbeat(self, now: float) -> bool:
        """Mark the link up after a heartbeat; True when it had been lost (restored)."""
        if self.link is LinkState.UP:
            return False
        outage = now - (self.lost_at or now)
        self.link = LinkState.UP
        self.lost_at = None
        self._emit(EventKind.LINK_RESTORED, outage_s=round(outage, 2), url=self.url)
        self._changed()
        return True

    # ---- snapshots ----------------------------------------------------------

    @property
    def ekf_ok(self) -> bool:
        flags = self.ekf_flags
        return (
            self.have_ekf
            and flags & EKF_POSITION_OK == EKF_POSITION_OK
            and not flags & (EKF_CONST_POS_MODE | EKF_UNINITIALIZED)
        )

    def recent_texts(self, since: float, max_severity: int = 7) -> list[str]:
        """STATUSTEXTs heard at or after monotonic time ``since``, oldest first.

        ``max_severity`` keeps only texts at least that serious (MAV_SEVERITY:
        0 emergency .. 4 warning .. 6 info); refusal reasons are <= 4.
        """
        return [text for t, sev, text in self.statustexts if t >= since and sev <= max_severity]

    def snapshot(self, now: float) -> VehicleSnapshot:
        position = None
        if self.lat is not None:
            position = Position(self.lat, self.lon, self.alt_amsl, self.alt_rel)
        return VehicleSnapshot(
            vehicle_id=self.vehicle_id,
            name=self.name,
            link=self.link,
            last_heard_s=round(now - self.last_heard, 3),
            armed=self.armed,
            mode=mode_name(self.custom_mode) if self.custom_mode is not None else "UNKNOWN",
            position=position,
            home=self.home,
            velocity_ned_mps=self.velocity,
            groundspeed_mps=self.groundspeed,
            heading_deg=self.heading,
            attitude_deg=self.attitude,
            gps_fix_type=self.gps_fix,
            gps_satellites=self.gps_sats,
            ekf_ok=self.ekf_ok,
            prearm_ok=self.prearm_ok,
            battery=Battery(self.voltage, self.current, self.remaining, self.consumed),
            mission=MissionProgress(self.mission_seq, self.mission_total, self.mission_state),
            landed_state=self.landed,
            statustexts=tuple(text for _t, _s, text in self.statustexts),
            time_s=time.time(),
            sysid=self.sysid,
            autopilot=mavlink_name("MAV_AUTOPILOT", self.autopilot),
            vehicle_type=mavlink_name("MAV_TYPE", self.vehicle_type),
            climb_mps=self.climb,
            wp_dist_m=self.wp_dist,
            implausible_messages=self.implausible,
        )

    def tick(self, now: float, snapshot_period_s: float, telemetry_period_s: float) -> None:
        """Publish a snapshot when due and dirty, and a TELEMETRY sample when due."""
        if now >= self.snapshot_due + 1.0:
            self.dirty = True  # let last_heard_s age in snapshots even when nothing arrives
        if self.dirty and now >= self.snapshot_due:
            self.dirty = False
            self.snapshot_due = now + snapshot_period_s
            self._publish(self.snapshot(now))
        if now >= self.telemetry_due:
            self.telemetry_due = max(self.telemetry_due + telemetry_period_s, now)
            if self.lat is not None and self.link is LinkState.UP:
                self._emit_telemetry()

    def _emit_telemetry(self) -> None:
        mode = mode_name(self.custom_mode) if self.custom_mode is not None else "UNKNOWN"
        self._emit(
            EventKind.TELEMETRY,
            lat_deg=self.lat,
            lon_deg=self.lon,
            alt_amsl_m=self.alt_amsl,
            alt_rel_m=self.alt_rel,
            heading_deg=self.heading,
            groundspeed_mps=self.groundspeed,
            climb_mps=self.climb,
            velocity_ned_mps=list(self.velocity),
            armed=self.armed,
            mode=mode,
            landed_state=self.landed.name,
            battery_pct=self.remaining,
            battery_v=self.voltage,
            time_s=time.time(),
            current_a=self.current,
            consumed_mah=self.consumed,
            mission_seq=self.mission_seq,
            mission_total=self.mission_total,
            gps_fix_type=self.gps_fix,
            gps_satellites=self.gps_sats,
            ekf_ok=self.ekf_ok,
            wind_speed_mps=self.wind[0] if self.wind else None,
            wind_from_deg=self.wind[1] if self.wind else None,
        )


MIN_ALT_M, MAX_ALT_M = -1_000.0, 20_000.0
"""Altitudes a telemetry message may report [m AMSL]: the Dead Sea shore to far above any drone."""
MAX_SPEED_MPS = 150.0
"""Faster than any multicopter [m/s]: a larger speed is a corrupt or forged message."""


def _within(value: float, low: float, high: float) -> bool:
    return math.isfinite(value) and low <= value <= high


def _place_ok(lat_e7: int, lon_e7: int, alt_mm: int) -> bool:
    """A WGS-84 place [degE7, degE7] at an altitude a drone can be at [mm AMSL]."""
    return (
        _within(lat_e7, -90e7, 90e7)
        and _within(lon_e7, -180e7, 180e7)
        and _within(alt_mm, MIN_ALT_M * 1e3, MAX_ALT_M * 1e3)
    )


PLAUSIBLE: dict[str, Callable[[object], bool]] = {
    "GLOBAL_POSITION_INT": lambda m: (
        _place_ok(m.lat, m.lon, m.alt)
        and _within(m.relative_alt, MIN_ALT_M * 1e3 - MAX_ALT_M * 1e3, MAX_ALT_M * 1e3)
    ),
    "HOME_POSITION": lambda m: _place_ok(m.latitude, m.longitude, m.altitude),
    "VFR_HUD": lambda m: (
        _within(m.groundspeed, 0.0, MAX_SPEED_MPS)
        and _within(m.climb, -MAX_SPEED_MPS, MAX_SPEED_MPS)
    ),
    "ATTITUDE": lambda m: all(
        _within(a, -2 * math.pi, 2 * math.pi) for a in (m.roll, m.pitch, m.yaw)
    ),
    "SYS_STATUS": lambda m: -1 <= m.battery_remaining <= 100,
    "BATTERY_STATUS": lambda m: -1 <= m.battery_remaining <= 100,
}
"""Physical range checks run before a message's handler; a message failing one is dropped and
counted in ``implausible`` (the snapshot's ``implausible_messages``), never stored."""

_ignore = VehicleTracker.ignore

HANDLERS: dict[str, Callable[[VehicleTracker, object, float], None]] = {
    "HEARTBEAT": VehicleTracker.on_heartbeat,
    "GLOBAL_POSITION_INT": VehicleTracker.on_global_position_int,
    "VFR_HUD": VehicleTracker.on_vfr_hud,
    "ATTITUDE": VehicleTracker.on_attitude,
    "GPS_RAW_INT": VehicleTracker.on_gps_raw_int,
    "EKF_STATUS_REPORT": VehicleTracker.on_ekf_status_report,
    "SYS_STATUS": VehicleTracker.on_sys_status,
    "BATTERY_STATUS": VehicleTracker.on_battery_status,
    "MISSION_CURRENT": VehicleTracker.on_mission_current,
    "MISSION_ITEM_REACHED": VehicleTracker.on_mission_item_reached,
    "EXTENDED_SYS_STATE": VehicleTracker.on_extended_sys_state,
    "HOME_POSITION": VehicleTracker.on_home_position,
    "NAV_CONTROLLER_OUTPUT": VehicleTracker.on_nav_controller_output,
    "STATUSTEXT": VehicleTracker.on_statustext,
    "PARAM_VALUE": VehicleTracker.on_param_value,
    "WIND": VehicleTracker.on_wind,
    # Answers consumed by the command, parameter and mission-transfer jobs.
    "COMMAND_ACK": _ignore,
    "MISSION_ACK": _ignore,
    "MISSION_COUNT": _ignore,
    "MISSION_REQUEST": _ignore,
    "MISSION_REQUEST_INT": _ignore,
    "MISSION_ITEM": _ignore,
    "MISSION_ITEM_INT": _ignore,
    # Received from ArduCopter and deliberately unused.
    "AHRS": _ignore,
    "AHRS2": _ignore,
    "AHRS3": _ignore,
    "AUTOPILOT_VERSION": _ignore,
    "ESC_TELEMETRY_1_TO_4": _ignore,
    "FENCE_STATUS": _ignore,
    "GPS_GLOBAL_ORIGIN": _ignore,
    "HWSTATUS": _ignore,
    "LOCAL_POSITION_NED": _ignore,
    "MCU_STATUS": _ignore,
    "MEMINFO": _ignore,
    "POSITION_TARGET_GLOBAL_INT": _ignore,
    "POSITION_TARGET_LOCAL_NED": _ignore,
    "POWER_STATUS": _ignore,
    "RAW_IMU": _ignore,
    "RC_CHANNELS": _ignore,
    "RC_CHANNELS_RAW": _ignore,
    "SCALED_IMU2": _ignore,
    "SCALED_IMU3": _ignore,
    "SCALED_PRESSURE": _ignore,
    "SCALED_PRESSURE2": _ignore,
    "SENSOR_OFFSETS": _ignore,
    "SERVO_OUTPUT_RAW": _ignore,
    "SIMSTATE": _ignore,
    "SYSTEM_TIME": _ignore,
    "TERRAIN_REPORT": _ignore,
    "TERRAIN_REQUEST": _ignore,
    "TIMESYNC": _ignore,
    "VIBRATION": _ignore,
}
"""Inbound message name -> handler. No-op entries are types we ignore on purpose."""
