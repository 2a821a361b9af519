"""MAV_CMD handling of the simulated copter, answered with ArduCopter's COMMAND_ACK results.

Each ``cmd_*`` method takes the COMMAND_LONG or COMMAND_INT (``is_int``) and
returns a MAV_RESULT, following GCS_MAVLINK_Copter and GCS_Common: e.g.
NAV_TAKEOFF by COMMAND_INT must use MAV_FRAME_GLOBAL_RELATIVE_ALT (else
DENIED), DO_CHANGE_SPEED with a speed <= 0 is DENIED, a refused mode change
is FAILED, an unknown command UNSUPPORTED. Messages a command asks for are
sent after its ACK. BATTERY_RESET rewrites the battery monitor's count
(armed or not, as ArduPilot does), never the simulated pack.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.sitl import telemetry
from dronepatrol.sitl.flight import Point
from dronepatrol.state import CopterMode

if TYPE_CHECKING:
    from dronepatrol.sitl.copter import SimCopter

M = mavlink
SEV_CRITICAL = 2
SEV_WARNING = 4
SEV_NOTICE = 5
SEV_INFO = 6
ACCEPTED = M.MAV_RESULT_ACCEPTED
TEMPORARILY_REJECTED = M.MAV_RESULT_TEMPORARILY_REJECTED
DENIED = M.MAV_RESULT_DENIED
UNSUPPORTED = M.MAV_RESULT_UNSUPPORTED
FAILED = M.MAV_RESULT_FAILED

LOCATION_COMMANDS_INT_ONLY = frozenset(
    {M.MAV_CMD_DO_REPOSITION, M.MAV_CMD_EXTERNAL_POSITION_ESTIMATE}
    | ({M.MAV_CMD_DO_SET_GLOBAL_ORIGIN} if hasattr(M, "MAV_CMD_DO_SET_GLOBAL_ORIGIN") else set())
)
"""Commands that store a location and have no assumed frame for COMMAND_LONG
(GCS_MAVLINK::command_long_stores_location without mav_frame_for_command_long):
ArduCopter 4.7 answers them UNSUPPORTED unless sent as COMMAND_INT."""
COMMAND_LONG_ROI_FRAME = M.MAV_FRAME_GLOBAL_RELATIVE_ALT
"""The frame ArduPilot assumes for DO_SET_ROI(_LOCATION) sent as COMMAND_LONG."""

FORCE_ARM = 2989
FORCE_DISARM = 21196
BATTERY_INSTANCES = 1
"""Battery monitors the simulated copter has (BATT_MONITOR; no BATT2_*)."""


def _uint16(value: float) -> int:
    """A float param cast to uint16_t as SITL (x86-64) does: truncate to int, keep 16 bits.

    So 65535 and -1 both mean every battery there; NaN becomes 0 (none).
    Real flight controllers (ARM) saturate negatives to 0: send 65535.
    """
    if not math.isfinite(value) or abs(value) >= 2**31:
        return 0
    return int(value) & 0xFFFF


class CommandsMixin:
    """Command handlers of :class:`~dronepatrol.sitl.handlers.Handlers`."""

    c: SimCopter
    _after_ack: list[Any]
    _reboot_after_ack: bool = False

    def on_command_long(self, client: Any, msg: Any) -> None:
        self._command(client, msg, is_int=False)

    def on_command_int(self, client: Any, msg: Any) -> None:
        self._command(client, msg, is_int=True)

    def _command(self, client: Any, msg: Any, is_int: bool) -> None:
        handler = self.commands.get(msg.command)
        self._after_ack = []
        self._reboot_after_ack = False
        if not is_int and msg.command in LOCATION_COMMANDS_INT_ONLY:
            # GCS_MAVLINK::try_command_long_as_command_int: a command that carries a
            # location has no frame in COMMAND_LONG unless ArduPilot assumes one
            handler = None
        result = UNSUPPORTED if handler is None else handler(client, msg, is_int)
        self.c.emit(
            self.c.mav.command_ack_encode(
                msg.command, result, 0, 0, msg.get_srcSystem(), msg.get_srcComponent()
            ),
            client,
        )
        # requested messages follow the ACK, as ArduPilot queues them for its next send
        for out in self._after_ack:
            self.c.emit(out, client)
        if self._reboot_after_ack:
            self._reboot_after_ack = False
            self.c.reboot()

    @staticmethod
    def _latlon(msg: Any, is_int: bool) -> tuple[float, float]:
        if is_int:
            return msg.x / 1e7, msg.y / 1e7
        return msg.param5, msg.param6

    def cmd_do_set_mode(self, client: Any, msg: Any, is_int: bool) -> int:
        base, custom = int(msg.param1), int(msg.param2)
        if not base & M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED:
            return UNSUPPORTED
        return ACCEPTED if self.c.set_mode(custom) else FAILED

    def on_set_mode(self, client: Any, msg: Any) -> None:
        """The SET_MODE message; ArduPilot acknowledges it with COMMAND_ACK command 11."""
        c = self.c
        result = UNSUPPORTED
        if msg.base_mode & M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED:
            result = ACCEPTED if c.set_mode(msg.custom_mode) else FAILED
        c.emit(
            c.mav.command_ack_encode(
                M.MAVLINK_MSG_ID_SET_MODE, result, 0, 0, msg.get_srcSystem(), msg.get_srcComponent()
            ),
            client,
        )

    def cmd_arm_disarm(self, client: Any, msg: Any, is_int: bool) -> int:
        c = self.c
        if msg.param1 == 1:
            if c.armed:
                return ACCEPTED
            return ACCEPTED if c.arm(forced=round(msg.param2) == FORCE_ARM) else FAILED
        if msg.param1 == 0:
            if not c.armed:
                return ACCEPTED
            return ACCEPTED if c.disarm(force=round(msg.param2) == FORCE_DISARM) else FAILED
        return UNSUPPORTED

    def cmd_takeoff(self, client: Any, msg: Any, is_int: bool) -> int:
        if is_int and msg.frame != M.MAV_FRAME_GLOBAL_RELATIVE_ALT:
            return DENIED
        alt = msg.z if is_int else msg.param7
        return ACCEPTED if self.c.takeoff(alt) else FAILED

    def cmd_mission_start(self, client: Any, msg: Any, is_int: bool) -> int:
        c = self.c
        if msg.param1 or msg.param2:
            return DENIED  # first/last item are not supported
        if not c.set_mode(CopterMode.AUTO):
            return FAILED
        c.auto_armed = True
        if not c.runner.started or c.runner.complete:
            if c.runner.complete:
                c.runner.reset()
            if c.armed:
                c.runner.start_or_resume()
        return ACCEPTED

    def cmd_do_reposition(self, client: Any, msg: Any, is_int: bool) -> int:
        c = self.c
        change_mode = int(msg.param2) & M.MAV_DO_REPOSITION_FLAGS_CHANGE_MODE
        if c.mode != CopterMode.GUIDED and not change_mode:
            return DENIED
        lat, lon = self._latlon(msg, is_int)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
            return DENIED
        frame = msg.frame if is_int else M.MAV_FRAME_GLOBAL
        if frame == M.MAV_FRAME_GLOBAL_INT:
            frame = M.MAV_FRAME_GLOBAL
        if frame not in (0, 3, 6, 10, 11):
            return DENIED
        alt = msg.z if is_int else msg.param7
        if c.mode != CopterMode.GUIDED and not c.set_mode(CopterMode.GUIDED):
            return FAILED
        # param1 (speed) is not read: ArduCopter's handle_command_int_do_reposition ignores it
        yaw = None if math.isnan(msg.param4) else msg.param4 % 360.0
        if not c.guided.goto(c.to_local(lat, lon, alt, frame), yaw):
            return FAILED  # destination outside the fence
        return ACCEPTED

    def cmd_do_set_roi_location(self, client: Any, msg: Any, is_int: bool) -> int:
        """GCS_MAVLINK::handle_command_do_set_roi: the nose (camera) on a place, any mode;
        FAILED for an invalid lat/lon (Location::check_latlng), as ArduCopter. DO_SET_ROI
        (201) is handled alike; a place of 0, 0 ends the ROI."""
        c = self.c
        frame = msg.frame if is_int else COMMAND_LONG_ROI_FRAME
        if frame == M.MAV_FRAME_GLOBAL_INT:
            frame = M.MAV_FRAME_GLOBAL
        if frame not in (0, 3, 6, 10, 11):
            return DENIED  # location_from_command_t refuses other frames
        lat, lon = self._latlon(msg, is_int)
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return FAILED
        alt = msg.z if is_int else msg.param7
        c.roi = None if lat == 0 and lon == 0 else c.to_local(lat, lon, alt, frame)
        return ACCEPTED

    def cmd_do_set_roi_none(self, client: Any, msg: Any, is_int: bool) -> int:
        """DO_SET_ROI_NONE: handle_command_do_set_roi with a zero location, the nose free."""
        self.c.roi = None
        return ACCEPTED

    def cmd_do_change_speed(self, client: Any, msg: Any, is_int: bool) -> int:
        c = self.c
        if msg.param2 <= 0:
            return DENIED  # target speed must be positive
        kind = int(msg.param1)
        if kind not in (0, 1, 2, 3):
            return DENIED
        # only AUTO and GUIDED take speed changes (Mode::set_speed_*_cms)
        if c.mode not in (CopterMode.AUTO, CopterMode.GUIDED):
            return FAILED
        if kind in (0, 1):
            c.speed_override_mps = msg.param2
        elif kind == 2:
            c.climb_override_mps = msg.param2
        else:
            c.descent_override_mps = msg.param2
        return ACCEPTED

    def cmd_rtl(self, client: Any, msg: Any, is_int: bool) -> int:
        return ACCEPTED if self.c.set_mode(CopterMode.RTL) else FAILED

    def cmd_land(self, client: Any, msg: Any, is_int: bool) -> int:
        return ACCEPTED if self.c.set_mode(CopterMode.LAND) else FAILED

    def cmd_set_message_interval(self, client: Any, msg: Any, is_int: bool) -> int:
        msgid = int(msg.param1)
        if msgid not in telemetry.BUILDERS:
            return FAILED
        interval_us = msg.param2
        if interval_us < 0 or interval_us == 0:
            # -1 stops; 0 is "default rate", which for a message not in a requested
            # stream is off (SITL's SRx_ rates start at zero)
            self.set_interval(msgid, None)
        else:
            # ArduPilot clamps to 1 ms .. 60 s
            self.set_interval(msgid, min(max(interval_us / 1e6, 0.001), 60.0))
        return ACCEPTED

    def cmd_request_message(self, client: Any, msg: Any, is_int: bool) -> int:
        msgid = int(msg.param1)
        builder = telemetry.BUILDERS.get(msgid)
        if builder is None:
            return FAILED
        out = builder(self.c)
        if out is not None:  # e.g. HOME_POSITION before there is a home: accepted, not sent
            self._after_ack.append(out)
        return ACCEPTED

    def cmd_get_message_interval(self, client: Any, msg: Any, is_int: bool) -> int:
        """MESSAGE_INTERVAL for one message: its interval [us], -1 when not streamed."""
        c = self.c
        msgid = int(msg.param1)
        if msgid not in telemetry.BUILDERS:
            self._after_ack.append(c.mav.message_interval_encode(msgid, 0))
            return FAILED
        interval = c.intervals.get(msgid)
        value = round(interval * 1e6) if interval else -1
        self._after_ack.append(c.mav.message_interval_encode(msgid, value))
        return ACCEPTED

    def cmd_reboot(self, client: Any, msg: Any, is_int: bool) -> int:
        """PREFLIGHT_REBOOT_SHUTDOWN: refused armed; 1 reboots (after the ACK)."""
        if self.c.armed:
            return FAILED
        if msg.param1 not in (1.0, 3.0):
            return UNSUPPORTED
        self._reboot_after_ack = True
        return ACCEPTED

    def cmd_set_mission_current(self, client: Any, msg: Any, is_int: bool) -> int:
        return ACCEPTED if self.c.runner.set_current(int(msg.param1)) else FAILED

    def cmd_get_home_position(self, client: Any, msg: Any, is_int: bool) -> int:
        out = self.c.home_position_message()
        if out is None:
            return FAILED
        self._after_ack.append(out)
        return ACCEPTED

    def cmd_autopilot_capabilities(self, client: Any, msg: Any, is_int: bool) -> int:
        self._after_ack.append(telemetry.BUILDERS[M.MAVLINK_MSG_ID_AUTOPILOT_VERSION](self.c))
        return ACCEPTED

    def cmd_fence_enable(self, client: Any, msg: Any, is_int: bool) -> int:
        value = int(msg.param1)
        if value not in (0, 1):
            return FAILED
        self.c.params.set("FENCE_ENABLE", value)
        return ACCEPTED

    def cmd_set_home(self, client: Any, msg: Any, is_int: bool) -> int:
        c = self.c
        if msg.param1 == 1:
            if not c.position_ok():
                return FAILED
            air = c.air
            c.home_local = Point(air.north_m, air.east_m, c.ground_up_m)
        else:
            lat, lon = self._latlon(msg, is_int)
            alt = msg.z if is_int else msg.param7
            if lat == 0 and lon == 0:
                return FAILED
            north, east = c.to_ne(lat, lon)
            c.home_local = Point(north, east, alt - c.origin_alt_m)
        c.home_set = True
        c.emit(c.home_position_message())
        return ACCEPTED

    def cmd_loiter_unlim(self, client: Any, msg: Any, is_int: bool) -> int:
        return ACCEPTED if self.c.set_mode(CopterMode.LOITER) else FAILED

    def cmd_condition_yaw(self, client: Any, msg: Any, is_int: bool) -> int:
        c = self.c
        if not 0.0 <= msg.param1 <= 360.0 or msg.param4 not in (0.0, 1.0):
            return FAILED
        yaw = msg.param1 + (c.air.yaw_deg if msg.param4 else 0.0)
        if c.mode == CopterMode.GUIDED:
            c.guided.yaw_deg = yaw % 360.0
        c.yaw_hold_deg = yaw % 360.0
        return ACCEPTED

    def cmd_pause_continue(self, client: Any, msg: Any, is_int: bool) -> int:
        c = self.c
        if int(msg.param1) == 0:
            if c.pause():
                return ACCEPTED
            c.text(SEV_INFO, "Failed to pause")
            return FAILED
        if int(msg.param1) == 1:
            if c.resume():
                return ACCEPTED
            c.text(SEV_INFO, "Failed to resume")
            return FAILED
        return DENIED

    def cmd_battery_reset(self, client: Any, msg: Any, is_int: bool) -> int:
        """BATTERY_RESET: param1 battery mask (bit 0 battery 1), param2 remaining [%].

        GCS_MAVLINK::handle_command_battery_reset calls
        AP_BattMonitor::reset_remaining_mask, which resets each masked
        instance that exists (consumed mAh and Wh from the percentage against
        BATT_CAPACITY, failsafe state recomputed) and, when no battery is left
        in failsafe, clears the latched battery failsafe. ACCEPTED unless a
        masked instance below the highest configured one has no driver
        (FAILED): with the one monitor simulated here it is always ACCEPTED,
        armed or not, with a mask naming no battery or BATT_CAPACITY 0.
        """
        c = self.c
        mask = _uint16(msg.param1)
        instances = BATTERY_INSTANCES if c.params["BATT_MONITOR"] else 0
        if mask & 1 and instances:
            c.battery.reset_remaining(msg.param2, c.params["BATT_CAPACITY"])
            c.battery_fs.reset(c.now, c.battery.voltage_v, c.battery.consumed_mah, c.params)
        elif not instances:
            c.battery_fs.reset(c.now, c.battery.voltage_v, c.battery.consumed_mah, c.params)
        return ACCEPTED
