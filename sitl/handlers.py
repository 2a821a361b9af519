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

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.sitl import telemetry
from dronepatrol.sitl.commands import CommandsMixin
from dronepatrol.sitl.failsafes import FailsafeMixin
from dronepatrol.sitl.flight import Point
from dronepatrol.sitl.mission_protocol import (
    FENCE,
    MISSION,
    RALLY,
    Item,
    MissionProtocol,
    item_from_message,
    validate_item,
)
from dronepatrol.sitl.params import PARAM_NAMES
from dronepatrol.sitl.storage import stored_mission_item
from dronepatrol.state import CopterMode

if TYPE_CHECKING:
    from dronepatrol.sitl.copter import SimCopter

M = mavlink
ACCEPTED = M.MAV_RESULT_ACCEPTED
TEMPORARILY_REJECTED = M.MAV_RESULT_TEMPORARILY_REJECTED
DENIED = M.MAV_RESULT_DENIED
UNSUPPORTED = M.MAV_RESULT_UNSUPPORTED
FAILED = M.MAV_RESULT_FAILED

PARAMS_PER_STEP = 40
"""PARAM_VALUEs sent per simulation step while answering PARAM_REQUEST_LIST."""


class Handlers(CommandsMixin, FailsafeMixin):
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
            "SETUP_SIGNING": self.on_setup_signing,
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
            M.MAV_CMD_GET_MESSAGE_INTERVAL: self.cmd_get_message_interval,
            M.MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN: self.cmd_reboot,
            M.MAV_CMD_DO_SET_MISSION_CURRENT: self.cmd_set_mission_current,
            M.MAV_CMD_GET_HOME_POSITION: self.cmd_get_home_position,
            M.MAV_CMD_REQUEST_AUTOPILOT_CAPABILITIES: self.cmd_autopilot_capabilities,
            M.MAV_CMD_DO_FENCE_ENABLE: self.cmd_fence_enable,
            M.MAV_CMD_DO_SET_HOME: self.cmd_set_home,
            M.MAV_CMD_NAV_LOITER_UNLIM: self.cmd_loiter_unlim,
            M.MAV_CMD_CONDITION_YAW: self.cmd_condition_yaw,
            M.MAV_CMD_DO_PAUSE_CONTINUE: self.cmd_pause_continue,
            M.MAV_CMD_BATTERY_RESET: self.cmd_battery_reset,
            M.MAV_CMD_DO_SET_ROI_LOCATION: self.cmd_do_set_roi_location,
            M.MAV_CMD_DO_SET_ROI: self.cmd_do_set_roi_location,
            M.MAV_CMD_DO_SET_ROI_NONE: self.cmd_do_set_roi_none,
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
        # addressed to another component of this system (a camera, a gimbal): not ours
        if getattr(msg, "target_component", 0) not in (0, 1):
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

    def on_setup_signing(self, client: Any, msg: Any) -> None:
        """MAVLink 2 signing (GCS_Signing): a key signs everything sent; all zeros turns it off.

        Like ArduPilot on its first channel (SITL's TCP port), unsigned messages
        from the ground are still accepted, so a key can always be changed.
        """
        self.c.set_signing_key(bytes(msg.secret_key), msg.initial_timestamp)

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
        """GCS_MAVLINK::handle_mission_item: guided "go here" (current 2), altitude change (3),
        else an item of the upload in progress."""
        mission_type = getattr(msg, "mission_type", 0)
        src = (msg.get_srcSystem(), msg.get_srcComponent())
        if mission_type == MISSION and msg.current in (2, 3):
            item = item_from_message(msg)
            result = validate_item(MISSION, item)
            if result == M.MAV_MISSION_ACCEPTED:
                item = stored_mission_item(item)
                # current 3 (change altitude) is accepted and ignored: Copter does not
                # override GCS_MAVLINK::handle_change_alt_request
                if msg.current == 2:
                    ok = self._guided_request(item)
                    result = M.MAV_MISSION_ACCEPTED if ok else M.MAV_MISSION_ERROR
            self.c.emit(self.c.mav.mission_ack_encode(src[0], src[1], result, MISSION), client)
            return
        proto = self._proto(msg)
        if proto is None:
            unsupported = M.MAV_MISSION_UNSUPPORTED
            ack = self.c.mav.mission_ack_encode(src[0], src[1], unsupported, mission_type)
            self.c.emit(ack, client)
            return
        if msg.get_type() == "MISSION_ITEM":
            proto.warn_float_item()
        proto.handle_item(client, msg, self.c.now)

    def _guided_request(self, item: Item) -> bool:
        """ModeAuto::do_guided: only in GUIDED; a waypoint becomes the guided destination."""
        c = self.c
        if c.mode != CopterMode.GUIDED:
            return False
        if item.command == M.MAV_CMD_NAV_WAYPOINT:
            return c.guided.goto(c.to_local(item.lat_deg, item.lon_deg, item.z, item.frame))
        if item.command == M.MAV_CMD_CONDITION_YAW:
            yaw = item.param1 + (c.air.yaw_deg if item.param4 else 0.0)
            c.guided.yaw_deg = yaw % 360.0
            return True
        return False

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
