"""A scripted ArduCopter peer for protocol tests: real TCP, real MAVLink 2 bytes.

It answers the way ArduCopter 4.x does for the parts the link's protocol
tests exercise (heartbeat, message intervals, parameters, the command
protocol with COMMAND_ACK and STATUSTEXT reasons, the mission protocol with
MISSION_REQUEST and ArduPilot's re-requests), and it can misbehave on
purpose: drop acks or item requests, refuse, send garbage. Flight is not
simulated here; the flight tests use the project's simulator.
"""

from __future__ import annotations

import select
import socket
import threading
import time

from pymavlink.dialects.v20 import ardupilotmega as mavlink


class _Out:
    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, b: bytes) -> None:
        self.data += b


class ScriptedCopter(threading.Thread):
    """One fake autopilot listening on 127.0.0.1:<port> (several clients allowed)."""

    def __init__(
        self,
        sysid: int = 1,
        ekf_ready: bool = True,
        heartbeat_s: float = 0.5,
        signing_key: bytes | None = None,
    ) -> None:
        super().__init__(daemon=True, name=f"scripted copter {sysid}")
        self.sysid = sysid
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(4)
        self.port = self.server.getsockname()[1]
        self.url = f"tcp:127.0.0.1:{self.port}"
        self.clients: list[socket.socket] = []
        self.lock = threading.RLock()
        self.out = _Out()
        self.mav = mavlink.MAVLink(self.out, srcSystem=sysid, srcComponent=1)
        self.mav.robust_parsing = True
        self.parser = mavlink.MAVLink(None, srcSystem=sysid, srcComponent=1)
        self.parser.robust_parsing = True
        if signing_key is not None:
            for m in (self.mav, self.parser):
                m.signing.secret_key = signing_key
                m.signing.sign_outgoing = True
                m.signing.timestamp = int((time.time() - 1420070400) * 100_000)
                m.signing.allow_unsigned_callback = lambda _m, _i: False
        self.heartbeat_s = heartbeat_s
        self.heartbeats = True
        self.ekf_ready = ekf_ready
        self.armed = False
        self.custom_mode = 0
        self.streaming = False
        self.support_interval = True
        self.params = {
            "RTL_ALT": 1500.0,
            "FS_GCS_ENABLE": 1.0,
            "BATT_FS_LOW_ACT": 2.0,
            "BATT_FS_CRT_ACT": 1.0,
            "FENCE_ENABLE": 1.0,
            "FENCE_ALT_MAX": 100.0,
            "FENCE_ACTION": 1.0,
            "WPNAV_SPEED": 500.0,
            "DISARM_DELAY": 10.0,
            "BATT_LOW_VOLT": 10.5,
            "BATT_CAPACITY": 5200.0,
            "FENCE_TYPE": 7.0,
            "BATT_CRT_VOLT": 10.0,
            "BATT_LOW_MAH": 0.0,
            "RTL_SPEED": 0.0,
            "WPNAV_SPEED_DN": 150.0,
            "LAND_SPEED": 50.0,
            "WPNAV_ACCEL": 250.0,
            "RTL_LOIT_TIME": 5000.0,
        }
        self.refuse_params: set[str] = set()
        self.cancel_after_items: int | None = None
        self.lists: dict[int, list] = {0: [], 1: [], 2: []}
        self.home = (-35.363261, 149.165230, 584.0)
        self.command_results: dict[int, int] = {}
        self.drop_acks: dict[int, int] = {}
        self.drop_requests: set[int] = set()
        self.drop_item_replies: set[int] = set()
        self.max_items = 700
        self.max_items_by_type: dict[int, int] = {}
        self.refuse_item: tuple[int, int, int, str] | None = None
        """(mission type, seq, MAV_MISSION_RESULT, STATUSTEXT): refuse that item as
        ArduPilot refuses a bad one (ACK, reason after it, transfer over)."""
        self.early_accept_at: int | None = None
        """Answer ACCEPTED after this many items, before the list is complete (a broken vehicle)."""
        self.request_beyond: int | None = None
        """Ask for this sequence number after the first item (one that does not exist)."""
        self.corrupt_readback_seq: int | None = None
        self.received: list = []
        self.confirmations: list[tuple[int, int]] = []
        self._receiving: dict | None = None
        self._halt = threading.Event()

    # ---- control from the test thread ----------------------------------------

    def stop(self) -> None:
        self._halt.set()
        self.join(5)
        with self.lock:
            for c in self.clients:
                c.close()
            self.server.close()

    def drop_clients(self) -> None:
        """Close every client connection (the link must reconnect by itself)."""
        with self.lock:
            for c in self.clients:
                c.close()
            self.clients.clear()

    def inject(self, data: bytes) -> None:
        """Send raw bytes to every client."""
        with self.lock:
            self.out.data += data
            self._flush()

    def send(self, msg, src: tuple[int, int] | None = None) -> None:
        with self.lock:
            if src is None:
                self.mav.send(msg)
            else:
                other = mavlink.MAVLink(self.out, srcSystem=src[0], srcComponent=src[1])
                other.send(msg)
            self._flush()

    def statustext(self, text: str, severity: int = 4) -> None:
        self.send(mavlink.MAVLink_statustext_message(severity, text.encode()))

    # ---- the loop ----------------------------------------------------------------

    def run(self) -> None:
        next_hb = 0.0
        next_stream = 0.0
        while not self._halt.is_set():
            with self.lock:
                socks = [self.server, *self.clients]
            try:
                readable, _, _ = select.select(socks, [], [], 0.02)
            except (OSError, ValueError):
                readable = []
            for s in readable:
                if s is self.server:
                    try:
                        client, _ = self.server.accept()
                    except OSError:
                        continue
                    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    with self.lock:
                        self.clients.append(client)
                    continue
                try:
                    data = s.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    with self.lock:
                        if s in self.clients:
                            self.clients.remove(s)
                    s.close()
                    continue
                for msg in self.parser.parse_buffer(data) or []:
                    if msg._type != "BAD_DATA":
                        msg.received_at = time.monotonic()  # [s] for rate checks
                        with self.lock:
                            self.received.append(msg)
                            self.handle(msg)
            now = time.monotonic()
            with self.lock:
                if self.heartbeats and now >= next_hb:
                    next_hb = now + self.heartbeat_s
                    self._heartbeat()
                if self.streaming and self.heartbeats and now >= next_stream:
                    next_stream = now + 0.2
                    self._telemetry()
                self._mission_timeouts(now)
                self._flush()

    def _flush(self) -> None:
        if not self.out.data:
            return
        data = bytes(self.out.data)
        self.out.data.clear()
        for c in list(self.clients):
            try:
                c.sendall(data)
            except OSError:
                self.clients.remove(c)
                c.close()

    def _heartbeat(self) -> None:
        base = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED | (128 if self.armed else 0)
        self.mav.send(
            mavlink.MAVLink_heartbeat_message(
                2, 3, base, self.custom_mode, 4 if self.armed else 3, 3
            )
        )

    def _telemetry(self) -> None:
        lat, lon, alt = self.home
        self.mav.send(
            mavlink.MAVLink_global_position_int_message(
                0, int(lat * 1e7), int(lon * 1e7), int(alt * 1000), 0, 0, 0, 0, 9000
            )
        )
        health = (1 << 28) if self.ekf_ready else 0
        self.mav.send(
            mavlink.MAVLink_sys_status_message(
                1 << 28, 1 << 28, health, 100, 12600, 150, 95, 0, 0, 0, 0, 0, 0
            )
        )
        self.mav.send(
            mavlink.MAVLink_gps_raw_int_message(
                0, 3 if self.ekf_ready else 1, int(lat * 1e7), int(lon * 1e7), 0, 100, 100, 0, 0, 12
            )
        )
        flags = (1 | 2 | 4 | 8 | 16 | 32) if self.ekf_ready else 1024
        self.mav.send(mavlink.MAVLink_ekf_status_report_message(flags, 0, 0, 0, 0, 0))
        self.mav.send(mavlink.MAVLink_extended_sys_state_message(0, 1))
        self.mav.send(
            mavlink.MAVLink_home_position_message(
                int(lat * 1e7), int(lon * 1e7), int(alt * 1000), 0, 0, 0, [1, 0, 0, 0], 0, 0, 0
            )
        )

    # ---- protocol handlers ---------------------------------------------------------

    def _ack(self, command: int, result: int, msg) -> None:
        if self.drop_acks.get(command, 0) > 0:
            self.drop_acks[command] -= 1
            return
        self.mav.send(
            mavlink.MAVLink_command_ack_message(
                command, result, 0, 0, msg.get_srcSystem(), msg.get_srcComponent()
            )
        )

    def handle(self, msg) -> None:
        kind = msg._type
        if kind == "COMMAND_LONG":
            self.confirmations.append((msg.command, msg.confirmation))
            self._command(msg, msg.command, msg.param1, msg.param2)
        elif kind == "COMMAND_INT":
            self._command(msg, msg.command, msg.param1, msg.param2)
        elif kind == "PARAM_REQUEST_READ":
            name = msg.param_id
            if name in self.params:
                self._param_value(name)
        elif kind == "PARAM_SET":
            if msg.param_id in self.params:
                if msg.param_id not in self.refuse_params:
                    self.params[msg.param_id] = msg.param_value
                self._param_value(msg.param_id)
        elif kind == "MISSION_COUNT":
            self._mission_count(msg)
        elif kind in ("MISSION_ITEM_INT", "MISSION_ITEM"):
            self._mission_item(msg)
        elif kind == "MISSION_REQUEST_LIST":
            self.mav.send(
                mavlink.MAVLink_mission_count_message(
                    msg.get_srcSystem(),
                    msg.get_srcComponent(),
                    len(self.lists[msg.mission_type]),
                    msg.mission_type,
                )
            )
        elif kind in ("MISSION_REQUEST_INT", "MISSION_REQUEST"):
            self._mission_request(msg)
        elif kind == "MISSION_CLEAR_ALL":
            self.lists[msg.mission_type] = []
            self._mission_ack(msg, 0, msg.mission_type)

    def _param_value(self, name: str) -> None:
        names = sorted(self.params)
        self.mav.send(
            mavlink.MAVLink_param_value_message(
                name.encode(), self.params[name], 9, len(names), names.index(name)
            )
        )

    def _command(self, msg, command: int, p1: float, p2: float) -> None:
        if command in self.command_results:
            self._ack(command, self.command_results[command], msg)
            return
        if command == 511:
            if not self.support_interval:
                self._ack(command, 3, msg)
                return
            self.streaming = True
            self._ack(command, 0, msg)
        elif command == 400:
            if p1 == 1 and not self.ekf_ready and p2 != 21196:
                self.mav.send(mavlink.MAVLink_statustext_message(3, b"Arm: Need Position Estimate"))
                self._ack(command, 4, msg)
                return
            self.armed = p1 == 1
            self._ack(command, 0, msg)
            self._heartbeat()
        elif command == 176:
            self.custom_mode = int(p2)
            self._ack(command, 0, msg)
            self._heartbeat()
        else:
            self._ack(command, 0, msg)

    def _mission_ack(self, msg, result: int, mission_type: int) -> None:
        self.mav.send(
            mavlink.MAVLink_mission_ack_message(
                msg.get_srcSystem(), msg.get_srcComponent(), result, mission_type
            )
        )

    def _mission_count(self, msg) -> None:
        limit = self.max_items_by_type.get(msg.mission_type, self.max_items)
        if msg.count > limit:
            # ArduPilot acknowledges first, then says why (GCS_SEND_TEXT is queued).
            self._mission_ack(msg, 4, msg.mission_type)
            self.mav.send(
                mavlink.MAVLink_statustext_message(4, f"Only {limit} items are supported".encode())
            )
            return
        if msg.count == 0:
            self.lists[msg.mission_type] = []
            self._mission_ack(msg, 0, msg.mission_type)
            return
        if msg.mission_type != 1:
            # ArduPilot truncates its mission and rally lists to the new count at once,
            # then writes each item as it arrives; the fence is written when complete.
            self.lists[msg.mission_type] = self.lists[msg.mission_type][: msg.count]
        self._receiving = {
            "type": msg.mission_type,
            "count": msg.count,
            "next": 0,
            "items": [],
            "src": (msg.get_srcSystem(), msg.get_srcComponent()),
            "last_request": 0.0,
            "last_receive": time.monotonic(),
        }
        self._request_next(time.monotonic())

    def _request_next(self, now: float) -> None:
        r = self._receiving
        r["last_request"] = now
        seq = r["next"]
        if seq in self.drop_requests:
            self.drop_requests.discard(seq)
            return
        # ArduPilot asks with MISSION_REQUEST even on MAVLink 2.
        self.mav.send(
            mavlink.MAVLink_mission_request_message(r["src"][0], r["src"][1], seq, r["type"])
        )

    def _mission_item(self, msg) -> None:
        r = self._receiving
        if r is None or msg.mission_type != r["type"]:
            return
        if msg.seq != r["next"]:
            self._mission_ack(msg, 13, r["type"])  # INVALID_SEQUENCE, transfer goes on
            return
        if self.refuse_item is not None and self.refuse_item[:2] == (r["type"], msg.seq):
            _, _, result, text = self.refuse_item
            self._receiving = None
            self._mission_ack(msg, result, r["type"])
            self.mav.send(mavlink.MAVLink_statustext_message(4, text.encode()))
            return
        r["items"].append(msg)
        if r["type"] != 1:
            stored = self.lists[r["type"]]
            if msg.seq < len(stored):
                stored[msg.seq] = msg
            else:
                stored.append(msg)
        r["next"] += 1
        if self.early_accept_at is not None and r["next"] == self.early_accept_at:
            self._receiving = None
            self._mission_ack(msg, 0, r["type"])
            return
        if self.request_beyond is not None and r["next"] == 1:
            r["next"] = self.request_beyond
        if self.cancel_after_items is not None and r["next"] == self.cancel_after_items:
            self.cancel_after_items = None  # as ArduPilot after its upload timeout
            self._receiving = None
            self._mission_ack(msg, 15, msg.mission_type)
            return
        r["last_receive"] = time.monotonic()
        if r["next"] == r["count"]:
            self.lists[r["type"]] = list(r["items"])
            self._receiving = None
            self._mission_ack(msg, 0, msg.mission_type)
        else:
            self._request_next(time.monotonic())

    def _mission_timeouts(self, now: float) -> None:
        r = self._receiving
        if r is None:
            return
        if now - r["last_receive"] > 8.0:
            self._receiving = None
            return
        if now - r["last_request"] > 1.0:
            self._request_next(now)

    def _mission_request(self, msg) -> None:
        items = self.lists[msg.mission_type]
        if msg.seq >= len(items):
            self._mission_ack(msg, 5, msg.mission_type)
            return
        if msg.seq in self.drop_item_replies:
            self.drop_item_replies.discard(msg.seq)
            return
        item = items[msg.seq]
        frame, x, y, z = item.frame, item.x, item.y, item.z
        if msg.mission_type == 0 and msg.seq == 0:
            x, y, z = int(self.home[0] * 1e7), int(self.home[1] * 1e7), self.home[2]
            frame = 0
        if frame == 6:
            frame = 3  # ArduPilot reads relative-alt int frames back as frame 3
        if self.corrupt_readback_seq == msg.seq:
            z += 5.0
        self.mav.send(
            mavlink.MAVLink_mission_item_int_message(
                msg.get_srcSystem(),
                msg.get_srcComponent(),
                msg.seq,
                frame,
                item.command,
                0,
                item.autocontinue,
                item.param1,
                item.param2,
                item.param3,
                item.param4,
                x,
                y,
                z,
                msg.mission_type,
            )
        )
