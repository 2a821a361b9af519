"""A small ground station written with plain pymavlink, for the flight tests.

It talks to whatever backend the ``vehicle`` fixture started (the embedded
simulator or a real ArduCopter SITL) exactly as a ground station script
would: heartbeats from system 255 on their own thread, commands retried until
their COMMAND_ACK, missions through the MAVLink mission protocol, and waits
on messages with deadlines (never bare sleeps).
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pymavlink import mavutil
from pymavlink.dialects.v20 import ardupilotmega as mavlink
from support import wait_until

M = mavlink
MODES = {
    "STABILIZE": 0,
    "ALT_HOLD": 2,
    "AUTO": 3,
    "GUIDED": 4,
    "LOITER": 5,
    "CIRCLE": 7,
    "RTL": 6,
    "LAND": 9,
    "POSHOLD": 16,
    "BRAKE": 17,
    "SMART_RTL": 21,
}

EKF_READY = 16 | 512  # POS_HORIZ_ABS | PRED_POS_HORIZ_ABS


class FlightError(AssertionError):
    """A wait ran out or the vehicle refused; carries what was seen."""


@dataclass
class Seen:
    """Everything of interest received so far (for assertions and diagnostics)."""

    texts: list[str] = field(default_factory=list)
    reached: list[int] = field(default_factory=list)
    landed_states: list[int] = field(default_factory=list)
    modes: list[int] = field(default_factory=list)


class Gcs:
    """One pymavlink connection to one vehicle, with a heartbeat thread.

    ``target_system`` is the vehicle's MAVLink system id; None follows the
    first autopilot heard (a launcher may give any id: ArduPilot SITL's
    ``--sysid``, the simulator's system id i+1).
    """

    def __init__(
        self, url: str, target_system: int | None = None, source_system: int = 255
    ) -> None:
        # a freshly started SITL may take a few seconds to listen: retry the connect
        self.conn = mavutil.mavlink_connection(
            url,
            source_system=source_system,
            source_component=190,
            autoreconnect=False,
            retries=30,
            reconnect_delay=0.5,
        )
        self.target = target_system
        self.lock = threading.Lock()
        self.seen = Seen()
        self.last: dict[str, Any] = {}
        self._hb_stop = threading.Event()
        self._hb_paused = threading.Event()
        self._hb_thread = threading.Thread(target=self._heartbeats, daemon=True)
        self._hb_thread.start()

    # -- sending ----------------------------------------------------------------
    def send(self, fn: Callable[..., None], *args: Any) -> None:
        with self.lock:
            fn(*args)

    def _heartbeats(self) -> None:
        while not self._hb_stop.wait(0.1):
            if self._hb_paused.is_set():
                continue
            try:
                self.send(
                    self.conn.mav.heartbeat_send, M.MAV_TYPE_GCS, M.MAV_AUTOPILOT_INVALID, 0, 0, 0
                )
            except OSError:
                return

    def pause_heartbeats(self) -> None:
        self._hb_paused.set()

    def resume_heartbeats(self) -> None:
        self._hb_paused.clear()

    def close(self) -> None:
        self._hb_stop.set()
        self._hb_thread.join(timeout=2)
        self.conn.close()

    # -- receiving ----------------------------------------------------------------
    def _is_vehicle(self, msg: Any) -> bool:
        """From the vehicle this station talks to (the first autopilot heard, if unset)."""
        if self.target is None:
            if msg.get_type() != "HEARTBEAT" or msg.autopilot != M.MAV_AUTOPILOT_ARDUPILOTMEGA:
                return False
            self.target = msg.get_srcSystem()
        return msg.get_srcSystem() == self.target

    def _note(self, msg: Any) -> None:
        kind = msg.get_type()
        if not self._is_vehicle(msg):
            return
        self.last[kind] = msg
        if kind == "STATUSTEXT":
            self.seen.texts.append(msg.text)
        elif kind == "MISSION_ITEM_REACHED":
            self.seen.reached.append(msg.seq)
        elif kind == "EXTENDED_SYS_STATE":
            if not self.seen.landed_states or self.seen.landed_states[-1] != msg.landed_state:
                self.seen.landed_states.append(msg.landed_state)
        elif kind == "HEARTBEAT" and msg.autopilot == M.MAV_AUTOPILOT_ARDUPILOTMEGA:
            modes = self.seen.modes
            if not modes or modes[-1] != msg.custom_mode:
                modes.append(msg.custom_mode)

    def recv(self, timeout: float) -> Any | None:
        msg = self.conn.recv_match(blocking=True, timeout=timeout)
        if msg is not None:
            self._note(msg)
        return msg

    def wait(
        self,
        types: str | Iterable[str],
        condition: Callable[[Any], bool] = lambda m: True,
        timeout: float = 30.0,
        what: str = "",
    ) -> Any:
        """The first message of ``types`` from the vehicle for which ``condition`` holds."""
        wanted = {types} if isinstance(types, str) else set(types)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.recv(min(1.0, max(0.01, deadline - time.monotonic())))
            if msg is None or msg.get_srcSystem() != self.target:
                continue  # nothing, or not from the vehicle (noted by recv)
            if msg.get_type() in wanted and condition(msg):
                return msg
        raise FlightError(
            f"timed out after {timeout:.0f} s waiting for {what or wanted}; "
            f"last texts: {self.seen.texts[-8:]}"
        )

    def drain(self, seconds: float) -> None:
        """Read (and note) whatever arrives for ``seconds``: messages already in flight."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.recv(0.05)

    def wait_text(self, pattern: str, timeout: float = 30.0) -> str:
        regex = re.compile(pattern)
        for text in self.seen.texts:
            if regex.search(text):
                return text
        msg = self.wait("STATUSTEXT", lambda m: bool(regex.search(m.text)), timeout, pattern)
        return msg.text

    # -- set-up --------------------------------------------------------------------
    def wait_heartbeat(self, timeout: float = 30.0) -> Any:
        hb = self.wait("HEARTBEAT", lambda m: m.autopilot == 3, timeout, "vehicle heartbeat")
        self.conn.target_system = self.target
        self.conn.target_component = 1
        return hb

    def request_streams(self, rate_hz: int = 4) -> None:
        for stream in (
            M.MAV_DATA_STREAM_EXTENDED_STATUS,
            M.MAV_DATA_STREAM_POSITION,
            M.MAV_DATA_STREAM_EXTRA1,
            M.MAV_DATA_STREAM_EXTRA2,
            M.MAV_DATA_STREAM_EXTRA3,
        ):
            self.send(self.conn.mav.request_data_stream_send, self.target, 1, stream, rate_hz, 1)
        self.set_message_interval(M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE, rate_hz)

    def set_message_interval(self, msgid: int, rate_hz: float) -> int:
        return self.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, msgid, 1e6 / rate_hz)

    def wait_ready(self, timeout: float = 90.0) -> None:
        """EKF using GPS (absolute position), 3D fix, home known and pre-arm checks passing."""
        self.wait(
            "EKF_STATUS_REPORT",
            lambda m: m.flags & EKF_READY == EKF_READY,
            timeout,
            "EKF absolute position",
        )
        self.wait("GPS_RAW_INT", lambda m: m.fix_type >= 3, timeout, "3D GPS fix")
        self.wait(
            "SYS_STATUS",
            lambda m: m.onboard_control_sensors_health & M.MAV_SYS_STATUS_PREARM_CHECK,
            timeout,
            "pre-arm checks passing",
        )
        self.wait_home(timeout)

    def wait_home(self, timeout: float = 30.0) -> Any:
        """HOME_POSITION, asked for with REQUEST_MESSAGE until the vehicle has a home."""

        def home() -> Any:
            if "HOME_POSITION" in self.last:
                return self.last["HOME_POSITION"]
            self.command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_HOME_POSITION)
            return self.wait("HOME_POSITION", timeout=2.0)

        try:
            return wait_until(home, timeout, "a home position", ignoring=(FlightError,), every_s=0)
        except AssertionError as error:
            raise FlightError(str(error)) from None

    # -- commands -------------------------------------------------------------------
    def command(self, cmd: int, *params: float, timeout: float = 3.0, tries: int = 4) -> int:
        """COMMAND_LONG until its COMMAND_ACK arrives; returns the MAV_RESULT."""
        p = [float(x) for x in params] + [0.0] * (7 - len(params))
        for attempt in range(tries):
            self.send(self.conn.mav.command_long_send, self.target, 1, cmd, attempt, *p)
            try:
                ack = self.wait("COMMAND_ACK", lambda m: m.command == cmd, timeout, f"ack {cmd}")
            except FlightError:
                continue
            return ack.result
        raise FlightError(f"no COMMAND_ACK for command {cmd} after {tries} tries")

    def command_int(
        self,
        cmd: int,
        frame: int,
        params: tuple[float, float, float, float],
        x: int,
        y: int,
        z: float,
        timeout: float = 3.0,
    ) -> int:
        for _ in range(4):
            self.send(
                self.conn.mav.command_int_send, self.target, 1, frame, cmd, 0, 0, *params, x, y, z
            )
            try:
                ack = self.wait("COMMAND_ACK", lambda m: m.command == cmd, timeout, f"ack {cmd}")
            except FlightError:
                continue
            return ack.result
        raise FlightError(f"no COMMAND_ACK for command {cmd}")

    def set_mode(self, name: str, timeout: float = 10.0) -> None:
        mode = MODES[name]
        result = self.command(M.MAV_CMD_DO_SET_MODE, M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, mode)
        if result != M.MAV_RESULT_ACCEPTED:
            raise FlightError(f"mode {name} refused: result {result}; {self.seen.texts[-3:]}")
        self.wait_mode(name, timeout)

    def wait_mode(self, name: str, timeout: float = 30.0) -> None:
        mode = MODES[name]
        self.wait("HEARTBEAT", lambda m: m.custom_mode == mode, timeout, f"mode {name}")

    def arm(self, timeout: float = 10.0) -> None:
        result = self.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
        if result != M.MAV_RESULT_ACCEPTED:
            with contextlib.suppress(FlightError):  # ArduPilot says why just after its ACK
                self.wait_text(r"^(PreArm|Arm): ", timeout=2)
            raise FlightError(f"arming refused: result {result}; {self.seen.texts[-3:]}")
        self.wait("HEARTBEAT", lambda m: m.base_mode & 128, timeout, "armed")

    def takeoff(self, alt_m: float, timeout: float = 60.0) -> None:
        result = self.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, alt_m)
        if result != M.MAV_RESULT_ACCEPTED:
            raise FlightError(f"takeoff refused: result {result}; {self.seen.texts[-3:]}")
        self.wait_alt(alt_m, timeout)

    def wait_alt(self, alt_m: float, timeout: float = 60.0, tolerance_m: float = 1.0) -> None:
        self.wait(
            "GLOBAL_POSITION_INT",
            lambda m: abs(m.relative_alt / 1000 - alt_m) <= tolerance_m,
            timeout,
            f"altitude {alt_m} m",
        )

    def wait_disarmed(self, timeout: float = 120.0) -> None:
        self.wait(
            "HEARTBEAT", lambda m: m.autopilot == 3 and not m.base_mode & 128, timeout, "disarmed"
        )

    def wait_on_ground(self, timeout: float = 30.0) -> None:
        """EXTENDED_SYS_STATE says landed (it streams on its own schedule)."""
        self.wait(
            "EXTENDED_SYS_STATE",
            lambda m: m.landed_state == M.MAV_LANDED_STATE_ON_GROUND,
            timeout,
            "landed state ON_GROUND",
        )

    def goto(self, lat: float, lon: float, alt_rel_m: float) -> None:
        """SET_POSITION_TARGET_GLOBAL_INT in GUIDED (position only)."""
        self.send(
            self.conn.mav.set_position_target_global_int_send,
            0,
            self.target,
            1,
            M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
            0b110111111000,
            round(lat * 1e7),
            round(lon * 1e7),
            alt_rel_m,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            0,
        )

    def fence_enable(self, enabled: bool, timeout: float = 10.0) -> None:
        """MAV_CMD_DO_FENCE_ENABLE, then SYS_STATUS saying so.

        ArduCopter switches its fences when it takes the command
        (GCS_MAVLINK::handle_command_do_fence_enable); a FENCE_ENABLE parameter
        write takes effect only at the next AC_Fence::update (10 Hz), so a
        GUIDED target sent right after it still meets the old fence.

        A fence just uploaded is not "present" until ArduCopter loads it at its next
        AC_PolyFence_loader::update (10 Hz): until then enabling answers FAILED
        (handle_command_do_fence_enable), so a refusal is asked again until the deadline.
        """
        deadline = time.monotonic() + timeout
        while True:
            result = self.command(M.MAV_CMD_DO_FENCE_ENABLE, 1 if enabled else 0)
            if result == M.MAV_RESULT_ACCEPTED:
                break
            if not enabled or result != M.MAV_RESULT_FAILED or time.monotonic() > deadline:
                raise FlightError(f"fence enable={enabled} refused: result {result}")
            self.wait("SYS_STATUS", lambda m: True, timeout, "the next SYS_STATUS")
        self.wait(
            "SYS_STATUS",
            lambda m: (
                bool(m.onboard_control_sensors_enabled & M.MAV_SYS_STATUS_GEOFENCE) == enabled
            ),
            timeout,
            f"SYS_STATUS geofence enabled={enabled}",
        )

    # -- parameters -------------------------------------------------------------------
    def get_param(self, name: str, timeout: float = 3.0, tries: int = 3) -> float | None:
        for _ in range(tries):
            self.send(self.conn.mav.param_request_read_send, self.target, 1, name.encode(), -1)
            try:
                msg = self.wait("PARAM_VALUE", lambda m: m.param_id == name, timeout, name)
            except FlightError:
                continue
            return msg.param_value
        return None

    def set_param(self, name: str, value: float, timeout: float = 3.0) -> None:
        for _ in range(4):
            self.send(
                self.conn.mav.param_set_send,
                self.target,
                1,
                name.encode(),
                float(value),
                M.MAV_PARAM_TYPE_REAL32,
            )
            try:
                self.wait(
                    "PARAM_VALUE",
                    lambda m: m.param_id == name and abs(m.param_value - value) < 1e-3,
                    timeout,
                    f"{name}={value}",
                )
                return
            except FlightError:
                continue
        raise FlightError(f"parameter {name} could not be set to {value}")

    # -- missions ---------------------------------------------------------------------
    def upload(self, items: list[tuple], mission_type: int = 0, timeout: float = 30.0) -> int:
        """Upload items (seq order, each a MISSION_ITEM_INT field tuple after seq); MISSION_ACK.

        Like a ground station: answers every request (the vehicle re-requests an
        item after 1 s of simulated silence, so duplicates happen at high
        speedup), ignores the INVALID_SEQUENCE ack a late duplicate earns, and
        starts again (up to 3 times) when the vehicle cancels a stalled upload.
        """
        result = M.MAV_MISSION_OPERATION_CANCELLED
        for _ in range(3):
            result = self._upload_once(items, mission_type, timeout)
            if result != M.MAV_MISSION_OPERATION_CANCELLED:
                return result
        return result

    def _upload_once(self, items: list[tuple], mission_type: int, timeout: float) -> int:
        self.send(self.conn.mav.mission_count_send, self.target, 1, len(items), mission_type)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg = self.wait(
                ("MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK"),
                lambda m: getattr(m, "mission_type", 0) == mission_type,
                max(0.1, deadline - time.monotonic()),
                "mission request",
            )
            if msg.get_type() == "MISSION_ACK":
                if msg.type == M.MAV_MISSION_INVALID_SEQUENCE:
                    continue  # a duplicate answer arrived late; the upload goes on
                return msg.type
            frame, command, p1, p2, p3, p4, x, y, z = items[msg.seq]
            self.send(
                self.conn.mav.mission_item_int_send,
                self.target,
                1,
                msg.seq,
                frame,
                command,
                0,
                1,
                p1,
                p2,
                p3,
                p4,
                x,
                y,
                z,
                mission_type,
            )
        raise FlightError("mission upload timed out")

    def download(self, mission_type: int = 0, timeout: float = 10.0) -> list[Any]:
        self.send(self.conn.mav.mission_request_list_send, self.target, 1, mission_type)
        count = self.wait(
            "MISSION_COUNT", lambda m: m.mission_type == mission_type, timeout, "count"
        ).count
        items = []
        for seq in range(count):
            for attempt in range(4):
                self.send(self.conn.mav.mission_request_int_send, self.target, 1, seq, mission_type)
                try:
                    item = self.wait(
                        "MISSION_ITEM_INT",
                        lambda m, s=seq: m.seq == s and m.mission_type == mission_type,
                        2.0,
                        f"item {seq}",
                    )
                except FlightError:
                    if attempt == 3:
                        raise
                    continue
                items.append(item)
                break
        self.send(self.conn.mav.mission_ack_send, self.target, 1, 0, mission_type)
        return items


def waypoint(lat: float, lon: float, alt_rel_m: float, hold_s: float = 0.0) -> tuple:
    return (
        M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
        M.MAV_CMD_NAV_WAYPOINT,
        hold_s,
        0,
        0,
        0,
        round(lat * 1e7),
        round(lon * 1e7),
        alt_rel_m,
    )


def takeoff_item(alt_rel_m: float) -> tuple:
    return (M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, alt_rel_m)


def rtl_item() -> tuple:
    return (M.MAV_FRAME_MISSION, M.MAV_CMD_NAV_RETURN_TO_LAUNCH, 0, 0, 0, 0, 0, 0, 0)


def home_item(lat: float, lon: float, alt_amsl: float) -> tuple:
    return (
        M.MAV_FRAME_GLOBAL_INT,
        M.MAV_CMD_NAV_WAYPOINT,
        0,
        0,
        0,
        0,
        round(lat * 1e7),
        round(lon * 1e7),
        alt_amsl,
    )


def fence_polygon(vertices: list[tuple[float, float]], inclusion: bool = True) -> list[tuple]:
    cmd = (
        M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
        if inclusion
        else M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION
    )
    return [
        (M.MAV_FRAME_GLOBAL, cmd, len(vertices), 0, 0, 0, round(lat * 1e7), round(lon * 1e7), 0)
        for lat, lon in vertices
    ]
