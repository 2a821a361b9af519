"""Inbound MAVLink of the simulated copter: a name-to-handler table, commands, failsafes.

Commands arrive as COMMAND_LONG or COMMAND_INT and are answered with one
COMMAND_ACK carrying ArduCopter's result code for the case (ACCEPTED,
TEMPORARILY_REJECTED, DENIED, UNSUPPORTED, FAILED). Messages addressed to
another system are ignored, as ArduPilot's routing does. The periodic
checks (GCS heartbeat loss, battery, fence, auto-disarm, pre-arm display)
run at 10 Hz of simulated time from :meth:`Handlers.slow_checks`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dronepatrol.sitl import telemetry
from dronepatrol.sitl.copter import SEV_CRITICAL, SEV_INFO, SEV_NOTICE, SEV_WARNING
from dronepatrol.sitl.flight import MODE_NAMES, POSITION_MODES, Point
from dronepatrol.sitl.mission_protocol import FENCE, MISSION, RALLY, MissionProtocol
from dronepatrol.sitl.params import PARAM_NAMES
from dronepatrol.sitl.safety import fence_names
from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.state import CopterMode

if TYPE_CHECKING:
    from dronepatrol.sitl.copter import SimCopter

M = mavlink
ACCEPTED = M.MAV_RESULT_ACCEPTED
TEMPORARILY_REJECTED = M.MAV_RESULT_TEMPORARILY_REJECTED
DENIED = M.MAV_RESULT_DENIED
UNSUPPORTED = M.MAV_RESULT_UNSUPPORTED
FAILED = M.MAV_RESULT_FAILED

FORCE_ARM = 2989
FORCE_DISARM = 21196
PARAMS_PER_STEP = 40
"""PARAM_VALUEs sent per simulation step while answering PARAM_REQUEST_LIST."""

# FS_GCS_ENABLE values to failsafe actions (Copter::failsafe_gcs_on_event)
_GCS_ACTIONS = {
    1: "rtl",
    2: "rtl",
    3: "smartrtl_rtl",
    4: "smartrtl_land",
    5: "land",
    6: "auto_rtl",
    7: "brake_land",
}
# BATT_FS_*_ACT values (Copter FailsafeAction)
_BATT_ACTIONS = {
    0: "none",
    1: "land",
    2: "rtl",
    3: "smartrtl_rtl",
    4: "smartrtl_land",
    5: "terminate",
    6: "auto_rtl",
    7: "brake_land",
}
FENCE_GIVE_UP_DISTANCE_M = 100.0
"""More than this far outside the fence the copter lands instead of returning (AC_Fence)."""


class Handlers:
    """Everything a simulated copter does with a received message."""

    def __init__(self, copter: SimCopter) -> None:
        self.c = copter
        self._after_ack: list[Any] = []
        self._ekf_bad_since: float | None = None
        self.protocols = {
            t: MissionProtocol(
                copter.stores[t],
                copter.mav,
                self._send_to,
                copter.text,
                copter.home_item,
                self._mission_changed,
            )
            for t in (MISSION, FENCE, RALLY)
        }
        self.table: dict[str, Callable[[Any, Any], None]] = {
            "HEARTBEAT": self.on_heartbeat,
            "COMMAND_LONG": self.on_command_long,
            "COMMAND_INT": self.on_command_int,
            "SET_MODE": self.on_set_mode,
            "PARAM_REQUEST_LIST": self.on_param_request_list,
            "PARAM_REQUEST_READ": self.on_param_request_read,
            "PARAM_SET": self.on_param_set,
            "REQUEST_DATA_STREAM": self.on_request_data_stream,
            "MISSION_COUNT": self.on_mission_count,
            "MISSION_ITEM_INT": self.on_mission_item,
            "MISSION_ITEM": self.on_mission_item,
            "MISSION_REQUEST_LIST": self.on_mission_request_list,
            "MISSION_REQUEST_INT": self.on_mission_request_int,
            "MISSION_REQUEST": self.on_mission_request,
            "MISSION_CLEAR_ALL": self.on_mission_clear_all,
            "MISSION_WRITE_PARTIAL_LIST": self.on_mission_write_partial,
            "MISSION_SET_CURRENT": self.on_mission_set_current,
            "MISSION_ACK": _ignore,
            "SET_POSITION_TARGET_GLOBAL_INT": self.on_set_position_target_global_int,
            "SET_POSITION_TARGET_LOCAL_NED": self.on_set_position_target_local_ned,
            "MANUAL_CONTROL": self.on_manual_control,
            "RC_CHANNELS_OVERRIDE": self.on_manual_control,
            "SYSTEM_TIME": _ignore,
            "TIMESYNC": self.on_timesync,
            "RADIO_STATUS": _ignore,
            "STATUSTEXT": _ignore,
        }
        self.commands: dict[int, Callable[[Any, Any, bool], int]] = {
            M.MAV_CMD_DO_SET_MODE: self.cmd_do_set_mode,
            M.MAV_CMD_COMPONENT_ARM_DISARM: self.cmd_arm_disarm,
            M.MAV_CMD_NAV_TAKEOFF: self.cmd_takeoff,
            M.MAV_CMD_MISSION_START: self.cmd_mission_start,
            M.MAV_CMD_DO_REPOSITION: self.cmd_do_reposition,
            M.MAV_CMD_DO_CHANGE_SPEED: self.cmd_do_change_speed,
            M.MAV_CMD_NAV_RETURN_TO_LAUNCH: self.cmd_rtl,
            M.MAV_CMD_NAV_LAND: self.cmd_land,
            M.MAV_CMD_SET_MESSAGE_INTERVAL: self.cmd_set_message_interval,
            M.MAV_CMD_REQUEST_MESSAGE: self.cmd_request_message,
            M.MAV_CMD_DO_SET_MISSION_CURRENT: self.cmd_set_mission_current,
            M.MAV_CMD_GET_HOME_POSITION: self.cmd_get_home_position,
            M.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES: self.cmd_autopilot_capabilities,
            M.MAV_CMD_DO_FENCE_ENABLE: self.cmd_fence_enable,
            M.MAV_CMD_DO_SET_HOME: self.cmd_set_home,
            M.MAV_CMD_NAV_LOITER_UNLIM: self.cmd_loiter_unlim,
            M.MAV_CMD_CONDITION_YAW: self.cmd_condition_yaw,
            M.MAV_CMD_DO_PAUSE_CONTINUE: self.cmd_pause_continue,
        }

    # -- plumbing ---------------------------------------------------------------
    def _send_to(self, client: Any, msg: Any) -> None:
        self.c.emit(msg, client)

    def _mission_changed(self, mission_type: int) -> None:
        c = self.c
        if mission_type == FENCE:
            c.reload_fence()
        elif mission_type == MISSION:
            c.params.set("MIS_TOTAL", len(c.stores[MISSION].items))
            c.params.changed.discard("MIS_TOTAL")
            if c.runner.started and c.runner.current_seq > len(c.stores[MISSION].items):
                c.runner.reset()
        elif mission_type == RALLY:
            c.params.set("RALLY_TOTAL", len(c.stores[RALLY].items))

    def handle(self, client: Any, msg: Any) -> None:
        """Dispatch one decoded message from ``client``."""
        target = getattr(msg, "target_system", None)
        if target not in (None, 0, self.c.sysid):
            return
        handler = self.table.get(msg.get_type())
        if handler is not None:
            handler(client, msg)

    # -- heartbeat, failsafe inputs --------------------------------------------
    def on_heartbeat(self, client: Any, msg: Any) -> None:
        if msg.get_srcSystem() == int(self.c.params["MAV_GCS_SYSID"]):
            self.c.gcs_last_seen = self.c.now

    def on_manual_control(self, client: Any, msg: Any) -> None:
        """MANUAL_CONTROL / RC_CHANNELS_OVERRIDE from our GCS: sticks (and a GCS heartbeat)."""
        c = self.c
        if msg.get_srcSystem() != int(c.params["MAV_GCS_SYSID"]):
            return
        c.gcs_last_seen = c.now
        if msg.get_type() == "MANUAL_CONTROL":
            if msg.z >= 0:
                c.rc_override[3] = (1000 + min(1000, msg.z), c.now)
            return
        value = msg.chan3_raw
        if value == 0:
            c.rc_override.pop(3, None)  # 0 releases the channel
        elif value != 65535:  # UINT16_MAX: leave the channel as it is
            c.rc_override[3] = (value, c.now)

    def on_timesync(self, client: Any, msg: Any) -> None:
        if msg.tc1 == 0:
            self.c.emit(self.c.mav.timesync_encode(round(self.c.now * 1e9), msg.ts1), client)

    # -- parameters ---------------------------------------------------------------
    def _param_value(self, name: str, index: int | None) -> Any:
        p = self.c.params
        idx = p.index(name) if index is None else index
        return self.c.mav.param_value_encode(
            name.encode(), p[name], p.ptype(name), len(PARAM_NAMES), idx
        )

    def on_param_request_list(self, client: Any, msg: Any) -> None:
        # a parameter download is when ArduPilot sends its banner (send_banner)
        self.c.send_banner()
        self.c.param_queue = [(client, i) for i in range(len(PARAM_NAMES))]

    def send_queued_params(self) -> None:
        queue = self.c.param_queue
        if not queue:
            return
        batch, self.c.param_queue = queue[:PARAMS_PER_STEP], queue[PARAMS_PER_STEP:]
        for client, i in batch:
            self.c.emit(self._param_value(PARAM_NAMES[i], i), client)

    def on_param_request_read(self, client: Any, msg: Any) -> None:
        name = msg.param_id
        if msg.param_index >= 0:
            if msg.param_index >= len(PARAM_NAMES):
                return
            name = PARAM_NAMES[msg.param_index]
        if name not in self.c.params:
            return  # ArduPilot stays silent about unknown parameters
        self.c.emit(self._param_value(name, None), client)

    def on_param_set(self, client: Any, msg: Any) -> None:
        name = msg.param_id
        if not self.c.params.set(name, msg.param_value):
            return
        if name == "SIM_GPS_DISABLE":
            self.c.params.changed.add("SIM_GPS1_ENABLE")
        # ArduPilot broadcasts the new value on every link (index 65535)
        p = self.c.params
        self.c.emit(
            self.c.mav.param_value_encode(
                name.encode(), p[name], p.ptype(name), len(PARAM_NAMES), 65535
            )
        )

    # -- streams --------------------------------------------------------------------
    def set_interval(self, msgid: int, interval_s: float | None) -> None:
        c = self.c
        if interval_s is None or interval_s <= 0:
            c.intervals.pop(msgid, None)
            c.next_due.pop(msgid, None)
            return
        c.intervals[msgid] = interval_s
        c.next_due[msgid] = c.now + min(interval_s, 0.02)

    def on_request_data_stream(self, client: Any, msg: Any) -> None:
        group = telemetry.STREAM_GROUPS.get(msg.req_stream_id)
        if group is None:
            return
        rate = msg.req_message_rate
        for msgid in group:
            if msg.start_stop == 0 or rate <= 0:
                self.set_interval(msgid, None)
            else:
                self.set_interval(msgid, 1.0 / min(rate, 50))

    # -- mission protocol ----------------------------------------------------------
    def _proto(self, msg: Any) -> MissionProtocol | None:
        return self.protocols.get(getattr(msg, "mission_type", 0))

    def on_mission_count(self, client: Any, msg: Any) -> None:
        if (proto := self._proto(msg)) is not None:
            proto.handle_count(client, msg, self.c.now)

    def on_mission_item(self, client: Any, msg: Any) -> None:
        if (proto := self._proto(msg)) is not None:
            proto.handle_item(client, msg, self.c.now)

    def on_mission_request_list(self, client: Any, msg: Any) -> None:
        if (proto := self._proto(msg)) is not None:
            proto.handle_request_list(client, msg)

    def on_mission_request_int(self, client: Any, msg: Any) -> None:
        if (proto := self._proto(msg)) is not None:
            proto.handle_request(client, msg, want_int=True)

    def on_mission_request(self, client: Any, msg: Any) -> None:
        if (proto := self._proto(msg)) is not None:
            proto.handle_request(client, msg, want_int=False)

    def on_mission_clear_all(self, client: Any, msg: Any) -> None:
        if msg.mission_type == M.MAV_MISSION_TYPE_ALL:
            for proto in self.protocols.values():
                proto.handle_clear_all(client, msg)
            return
        if (proto := self._proto(msg)) is not None:
            proto.handle_clear_all(client, msg)

    def on_mission_write_partial(self, client: Any, msg: Any) -> None:
        if (proto := self._proto(msg)) is not None:
            proto.handle_write_partial(client, msg, self.c.now)

    def on_mission_set_current(self, client: Any, msg: Any) -> None:
        if not self.c.runner.set_current(msg.seq):
            self.c.send_mission_current()

    # -- guided targets ------------------------------------------------------------------
    def on_set_position_target_global_int(self, client: Any, msg: Any) -> None:
        c = self.c
        if c.mode != CopterMode.GUIDED:
            return
        mask = msg.type_mask
        pos_ignored = bool(mask & 0b111)
        vel_ignored = bool(mask & 0b111000)
        yaw = None if mask & (1 << 10) else math.degrees(msg.yaw) % 360.0
        frame = msg.coordinate_frame
        if frame == M.MAV_FRAME_GLOBAL_INT:
            frame = M.MAV_FRAME_GLOBAL
        valid_pos = (
            abs(msg.lat_int) <= 900_000_000
            and abs(msg.lon_int) <= 1_800_000_000
            and frame in (0, 3, 6, 10, 11)
        )
        if not pos_ignored and valid_pos:
            point = c.to_local(msg.lat_int / 1e7, msg.lon_int / 1e7, msg.alt, frame)
            c.guided.goto(point, yaw)
            if not vel_ignored:
                c.guided.set_velocity(msg.vx, msg.vy, -msg.vz, keep_point=True)
        elif pos_ignored and not vel_ignored and _sane(msg.vx, msg.vy, msg.vz):
            c.guided.yaw_deg = yaw
            c.guided.set_velocity(msg.vx, msg.vy, -msg.vz)
        else:
            c.guided.stop()  # ModeGuided::init(true): invalid input holds position

    def on_set_position_target_local_ned(self, client: Any, msg: Any) -> None:
        c = self.c
        if c.mode != CopterMode.GUIDED:
            return
        mask = msg.type_mask
        pos_ignored = bool(mask & 0b111)
        vel_ignored = bool(mask & 0b111000)
        frame = msg.coordinate_frame
        if frame not in (
            M.MAV_FRAME_LOCAL_NED,
            M.MAV_FRAME_LOCAL_OFFSET_NED,
            M.MAV_FRAME_BODY_NED,
            M.MAV_FRAME_BODY_OFFSET_NED,
        ):
            c.guided.stop()
            return
        x, y, vx, vy = msg.x, msg.y, msg.vx, msg.vy
        if frame in (M.MAV_FRAME_BODY_NED, M.MAV_FRAME_BODY_OFFSET_NED):
            x, y = _rotate(x, y, c.air.yaw_deg)
            vx, vy = _rotate(vx, vy, c.air.yaw_deg)
        if not pos_ignored:
            if frame == M.MAV_FRAME_LOCAL_NED:
                c.guided.goto(Point(x, y, -msg.z))
            else:
                air = c.air
                c.guided.goto(Point(air.north_m + x, air.east_m + y, air.up_m - msg.z))
        elif not vel_ignored and _sane(vx, vy, msg.vz):
            c.guided.set_velocity(vx, vy, -msg.vz)
        else:
            c.guided.stop()

    # -- commands --------------------------------------------------------------------------
    def on_command_long(self, client: Any, msg: Any) -> None:
        self._command(client, msg, is_int=False)

    def on_command_int(self, client: Any, msg: Any) -> None:
        self._command(client, msg, is_int=True)

    def _command(self, client: Any, msg: Any, is_int: bool) -> None:
        handler = self.commands.get(msg.command)
        self._after_ack = []
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
        if msg.base_mode & M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED:
            self.c.set_mode(msg.custom_mode)

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
        if msg.param1 > 0:
            c.speed_override_mps = msg.param1
        yaw = None if math.isnan(msg.param4) else msg.param4 % 360.0
        if not c.guided.goto(c.to_local(lat, lon, alt, frame), yaw):
            return FAILED  # destination outside the fence
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
        if interval_us < 0:
            self.set_interval(msgid, None)
        elif interval_us == 0:
            # default rate: ArduPilot's default for an unrequested message is off
            self.set_interval(msgid, None)
        else:
            self.set_interval(msgid, max(interval_us / 1e6, 0.002))
        return ACCEPTED

    def cmd_request_message(self, client: Any, msg: Any, is_int: bool) -> int:
        msgid = int(msg.param1)
        builder = telemetry.BUILDERS.get(msgid)
        if builder is None:
            return FAILED
        out = builder(self.c)
        if out is None:
            return FAILED
        self._after_ack.append(out)
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

    # -- 10 Hz checks -------------------------------------------------------------------------
    def slow_checks(self) -> None:
        c = self.c
        self._gcs_failsafe()
        self._ekf_failsafe()
        self._battery_failsafe()
        self._fence()
        c.auto_disarm_check()
        self._prearm()

    def _gcs_failsafe(self) -> None:
        c = self.c
        enable = int(c.params["FS_GCS_ENABLE"])
        if enable == 0 or c.gcs_last_seen is None:
            return
        silent = c.now - c.gcs_last_seen
        timeout = c.params["FS_GCS_TIMEOUT"]
        if silent < timeout and c.failsafe_gcs:
            c.failsafe_gcs = False
            c.text(SEV_WARNING, "GCS Failsafe Cleared")
        elif silent > timeout and not c.failsafe_gcs:
            c.failsafe_gcs = True
            action = _GCS_ACTIONS.get(enable, "rtl")
            if not c.armed:
                action = "none"
                c.text(SEV_WARNING, "GCS Failsafe")
            elif c.should_disarm_on_failsafe():
                c.disarm(reason="failsafe")
                action = "none"
                c.text(SEV_WARNING, "GCS Failsafe - Disarming")
            elif c.is_landing() and int(c.params["FS_OPTIONS"]) & 16:
                c.text(SEV_WARNING, "GCS Failsafe - Continuing Landing")
                action = "none"
            elif c.mode == CopterMode.AUTO and int(c.params["FS_OPTIONS"]) & 4:
                c.text(SEV_WARNING, "GCS Failsafe - Continuing Auto Mode")
                action = "none"
            else:
                c.text(SEV_WARNING, "GCS Failsafe")
            c.do_failsafe_action(action, "gcs_failsafe")

    def _ekf_failsafe(self) -> None:
        """ekf_check: a lost position estimate for 1 s triggers FS_EKF_ACTION."""
        c = self.c
        bad = c.origin_set and not c.position_ok()
        if not bad:
            self._ekf_bad_since = None
            if c.failsafe_ekf:
                c.failsafe_ekf = False
                c.text(SEV_CRITICAL, "EKF variance cleared")
            return
        if self._ekf_bad_since is None:
            self._ekf_bad_since = c.now
        if c.failsafe_ekf or c.now - self._ekf_bad_since < 1.0:
            return
        c.failsafe_ekf = True
        c.text(SEV_CRITICAL, "EKF variance")
        if not c.armed or c.landed:
            return
        action = int(c.params["FS_EKF_ACTION"])
        needs_gps = c.mode in POSITION_MODES
        if not needs_gps and action != 3:
            return
        if action == 2 and c.set_mode(CopterMode.ALT_HOLD):
            return
        if action in (1, 2, 3):
            c.land_with_pause("ekf_failsafe")

    def _battery_failsafe(self) -> None:
        c = self.c
        hit = c.battery_fs.check(c.now, c.battery.voltage_v, c.battery.consumed_mah, c.params)
        if hit is None:
            return
        level, name = hit
        c.text(
            SEV_WARNING,
            f"Battery 1 is {name} {c.battery.voltage_v:.2f}V used {c.battery.consumed_mah:.0f} mAh",
        )
        param = "BATT_FS_CRT_ACT" if level == 2 else "BATT_FS_LOW_ACT"
        action = _BATT_ACTIONS.get(int(c.params[param]), "none")
        if c.should_disarm_on_failsafe() and c.armed:
            c.disarm(reason="failsafe")
            c.text(SEV_WARNING, "Battery Failsafe - Disarming")
            return
        if c.is_landing() and int(c.params["FS_OPTIONS"]) & 16 and action != "none":
            c.text(SEV_WARNING, "Battery Failsafe - Continuing Landing")
            return
        c.text(SEV_WARNING, "Battery Failsafe")
        if c.armed:
            c.do_failsafe_action(action, "battery_failsafe")

    def _fence(self) -> None:
        """Copter::fence_check: announce a new breach, then disarm, land or RTL."""
        c = self.c
        new = c.fence_check()
        if not new or not c.armed:
            return
        if not c.landed:
            c.text(SEV_NOTICE, f"{fence_names(new)} breached")
        action = int(c.params["FENCE_ACTION"])
        if action == 0:  # report only
            return
        if c.landed:
            c.disarm(reason="fence")
            return
        if c.fence_breach_distance(new) > FENCE_GIVE_UP_DISTANCE_M:
            c.set_mode(CopterMode.LAND)
            return
        if action == 2:
            c.set_mode(CopterMode.LAND)
        elif action == 3:
            if not c.set_mode(CopterMode.SMART_RTL) and not c.set_mode(CopterMode.RTL):
                c.set_mode(CopterMode.LAND)
        elif action == 4:
            if not c.set_mode(CopterMode.BRAKE):
                c.set_mode(CopterMode.LAND)
        elif action == 5:
            if not c.set_mode(CopterMode.SMART_RTL):
                c.set_mode(CopterMode.LAND)
        elif not c.set_mode(CopterMode.RTL):
            c.set_mode(CopterMode.LAND)

    def _prearm(self) -> None:
        c = self.c
        if c.armed:
            c.prearm_ok = True
            return
        if c.now < c._prearm_next_check:
            return
        c._prearm_next_check = c.now + 1.0
        reasons = c.arming_failures(forced=False)
        c.prearm_ok = not reasons
        if reasons and c.now >= c._prearm_next_display and c.now > 5.0:
            c._prearm_next_display = c.now + 30.0
            c.text(SEV_WARNING, f"PreArm: {reasons[0]}")


def _sane(*components: float) -> bool:
    """Velocity components are numbers below 1000 m/s (sane_vel_or_acc_vector)."""
    return all(not math.isnan(v) and abs(v) <= 1000 for v in components)


def _rotate(forward: float, right: float, yaw_deg: float) -> tuple[float, float]:
    """Body frame (forward, right) to (north, east) for heading ``yaw_deg``."""
    y = math.radians(yaw_deg)
    return (
        forward * math.cos(y) - right * math.sin(y),
        forward * math.sin(y) + right * math.cos(y),
    )


def _ignore(client: Any, msg: Any) -> None:
    """Explicitly ignored message types."""


__all__ = ["MODE_NAMES", "SEV_INFO", "Handlers"]
