"""A MAVLink link: one owner thread per connection, several vehicles on it.

The owner thread is the only code that touches the connection and the
pymavlink parser. It reads bytes, decodes them, hands each message of a
known vehicle to that vehicle's tracker (state and events) and to the
vehicle's running protocol jobs (commands, parameters, mission transfers),
sends the GCS heartbeat at 1 Hz, watches each vehicle's heartbeat to detect
link loss, reopens the connection when it drops, and drains the queue of work
other threads submit. Other threads only read snapshots and submit jobs.
It also serves the link's forwards (:mod:`.forward`): other ground stations
that share the vehicle, as through MAVProxy's ``--out``.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import queue
import select
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.mavlink.bringup import bring_up
from dronepatrol.mavlink.forward import ExternalAudit, Forward, ForwardUrl
from dronepatrol.mavlink.jobs import Job
from dronepatrol.mavlink.session import LinkStats, OutBuffer, VehicleSession
from dronepatrol.mavlink.tlog import TlogWriter
from dronepatrol.mavlink.tracker import VehicleTracker
from dronepatrol.mavlink.transport import Transport, make_transport
from dronepatrol.mavlink.urls import LinkUrl
from dronepatrol.state import LinkState

log = logging.getLogger(__name__)

SIGNING_EPOCH_S = 1420070400
"""MAVLink 2 signing timestamps count 10 us units from 2015-01-01 UTC."""


def signing_secret(passphrase: str) -> bytes:
    """The 32-byte signing key for a passphrase (SHA-256, as MAVProxy's ``signing setup``)."""
    return hashlib.sha256(passphrase.encode("utf-8")).digest()


class Link:
    """One MAVLink connection and the vehicles heard on it.

    Args:
        url: link URL (see :class:`LinkUrl`).
        bus: where vehicle events are published.
        vehicle_id_for: names a newly heard vehicle from its system id
            (default: the system id as text).
        sysids: accept only these system ids as vehicles (None: any autopilot heard).
        on_vehicle: called on the owner thread with each new :class:`Vehicle`.
        signing_key: MAVLink 2 signing passphrase; when set, outgoing messages
            are signed and unsigned or badly signed inbound messages are dropped.
        tlog_path: append every message in and out to this ``.tlog``.
        telemetry_hz: TELEMETRY events per vehicle per second (>= 2 for the track).
        link_timeout_s: heartbeat silence [s] that counts as link loss (< 3 s).
        request_streams: ask for telemetry and read parameters on connect.
        silence_reconnect_s: on TCP and serial links, reopen the connection after
            this long without a byte [s] (a half-open connection never recovers).
        heartbeat_hz: GCS heartbeats per second (1 for real vehicles; a simulator
            running K times faster than real time needs K, or its GCS failsafe,
            timed in simulated seconds, fires although the link is fine).
        forwards: extra endpoints (``udp:HOST:PORT``, ``udpin:HOST:PORT``) that
            get every message heard here and whose clients' messages go to the
            vehicle; their commands are published as external (see :mod:`.forward`).
            Opened at once: a port in use raises OSError.
    """

    def __init__(
        self,
        url: str | LinkUrl,
        bus: EventBus,
        *,
        vehicle_id_for: Callable[[int], str] | None = None,
        sysids: set[int] | None = None,
        on_vehicle: Callable[[object], None] | None = None,
        signing_key: str = "",
        tlog_path: Path | str | None = None,
        telemetry_hz: float = 4.0,
        link_timeout_s: float = 2.5,
        snapshot_hz: float = 20.0,
        request_streams: bool = True,
        heartbeat_hz: float = 1.0,
        silence_reconnect_s: float = 10.0,
        gcs_sysid: int = 255,
        gcs_compid: int = 190,
        transport: Transport | None = None,
        forwards: Sequence[ForwardUrl | str] = (),
    ) -> None:
        self.url = url if isinstance(url, LinkUrl) else LinkUrl.parse(url)
        self.forwards: list[Forward] = []
        try:
            for endpoint in forwards:
                self.forwards.append(Forward(endpoint))
        except OSError:
            for opened in self.forwards:
                opened.close()
            raise
        self.external = ExternalAudit(self)
        self.bus = bus
        self.gcs_sysid = gcs_sysid
        self.gcs_compid = gcs_compid
        self._vehicle_id_for = vehicle_id_for or str
        self.sysids = set(sysids) if sysids else None
        self._on_vehicle = on_vehicle
        self.telemetry_period_s = 1.0 / max(telemetry_hz, 0.1)
        self.snapshot_period_s = 1.0 / max(snapshot_hz, 1.0)
        self.link_timeout_s = link_timeout_s
        self.request_streams = request_streams
        self.heartbeat_period_s = 1.0 / max(heartbeat_hz, 0.2)
        self.silence_reconnect_s = silence_reconnect_s
        self._last_rx = 0.0
        self.stats = LinkStats()
        self.transport = transport or make_transport(self.url)
        self._out = OutBuffer()
        self.mav = mavlink.MAVLink(self._out, srcSystem=gcs_sysid, srcComponent=gcs_compid)
        self.mav.robust_parsing = True
        self.signing = bool(signing_key)
        if signing_key:
            self.mav.signing.secret_key = signing_secret(signing_key)
            self.mav.signing.sign_outgoing = True
            self.mav.signing.link_id = 0
            self.mav.signing.timestamp = int((time.time() - SIGNING_EPOCH_S) * 100_000)
            self.mav.signing.allow_unsigned_callback = lambda _mav, _msgid: False
        self.tlog = TlogWriter(tlog_path) if tlog_path else None
        self.sessions: dict[int, VehicleSession] = {}
        self.vehicles: dict[int, object] = {}
        self.ops_pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="vehicle-op")
        """Runs this link's vehicles' submitted flight operations (threads made on demand;
        long waits, a landing, must not hold up an RTL). Shut down by :meth:`close`."""
        self._inbox: queue.SimpleQueue = queue.SimpleQueue()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        self._fds_closed = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._reopen_at = 0.0
        self._backoff_s = 0.2
        self._next_heartbeat = 0.0
        self._next_tick = 0.0
        self._vehicle_seen = threading.Condition()

    # ---- life cycle (any thread) -----------------------------------------------

    def start(self) -> Link:
        self._thread = threading.Thread(target=self._run, name=f"link {self.url}", daemon=True)
        self._thread.start()
        return self

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the owner thread, fail pending jobs, close the connection and the tlog."""
        self._stop.set()
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
        # operations under way fail on the closed link; queued ones never start
        self.ops_pool.shutdown(wait=False, cancel_futures=True)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wait_vehicle(self, sysid: int | None = None, timeout_s: float = 10.0):
        """The first vehicle heard (or the one with ``sysid``), waiting up to ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        with self._vehicle_seen:
            while True:
                found = (
                    self.vehicles.get(sysid)
                    if sysid is not None
                    else next(iter(self.vehicles.values()), None)
                )
                if found is not None:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    from dronepatrol.mavlink.errors import LinkDownError

                    what = f"system id {sysid}" if sysid is not None else "any vehicle"
                    raise LinkDownError(
                        f"no heartbeat from {what} on {self.url} within {timeout_s:g} s"
                    )
                self._vehicle_seen.wait(left)

    def submit(self, sysid: int, job: Job) -> Future:
        """Run ``job`` for vehicle ``sysid`` on the owner thread; returns its future."""
        self._inbox.put((sysid, job))
        self._wake()
        return job.future

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the owner thread (to send a message, for instance)."""
        self._inbox.put((None, fn))
        self._wake()

    def _wake(self) -> None:
        if self._fds_closed:
            return
        with contextlib.suppress(BlockingIOError, OSError):
            os.write(self._wake_w, b"x")

    # ---- owner thread -------------------------------------------------------------

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._step()
        except Exception:  # the owner thread must not die silently
            log.exception("link %s owner thread failed", self.url)
            raise
        finally:
            self._shutdown()

    def _step(self) -> None:
        now = time.monotonic()
        if not self.transport.is_open and now >= self._reopen_at:
            self._open(now)
        fds = [self._wake_r, *(f.fileno() for f in self.forwards)]
        transport_fd = self.transport.fileno() if self.transport.is_open else None
        if transport_fd is not None:
            fds.append(transport_fd)
        wait = max(0.0, min(self._next_tick, self._next_heartbeat) - now)
        readable, _, _ = select.select(fds, [], [], min(wait, 0.05))
        now = time.monotonic()
        if self._wake_r in readable:
            try:
                while os.read(self._wake_r, 4096):
                    pass
            except BlockingIOError:
                pass
        if transport_fd is not None and transport_fd in readable and self.transport.is_open:
            self._read(now)
        for forward in self.forwards:
            if forward.fileno() in readable:
                self._from_forward(forward, now)
        self._drain_inbox(now)
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + self.heartbeat_period_s
            self.send(
                mavlink.MAVLink_heartbeat_message(
                    mavlink.MAV_TYPE_GCS,
                    mavlink.MAV_AUTOPILOT_INVALID,
                    0,
                    0,
                    mavlink.MAV_STATE_ACTIVE,
                    3,  # MAVLink version 2
                )
            )
        if now >= self._next_tick:
            self._next_tick = now + 0.05
            self._tick(now)
        self._flush()

    def _open(self, now: float) -> None:
        try:
            self.transport.open()
        except OSError as exc:
            log.debug("link %s: cannot open: %s", self.url, exc)
            self._reopen_at = now + self._backoff_s
            self._backoff_s = min(self._backoff_s * 2, 2.0)
            return
        self._backoff_s = 0.2
        self._next_heartbeat = 0.0
        self._last_rx = now
        # A fresh connection starts mid-stream: forget any half-parsed frame.
        self.mav.buf = bytearray()
        self.mav.buf_index = 0
        self.mav.expected_length = mavlink.HEADER_LEN_V1 + 2

    def _drop_transport(self, now: float, why: str) -> None:
        log.info("link %s dropped: %s", self.url, why)
        self.transport.close()
        self.stats.reconnects += 1
        self._reopen_at = now + self._backoff_s

    def _read(self, now: float) -> None:
        try:
            data = self.transport.read()
        except ConnectionError as exc:
            self._drop_transport(now, str(exc))
            return
        if not data:
            return
        self._last_rx = now
        self.stats.bytes_in += len(data)
        messages = self.mav.parse_buffer(data)
        if not messages:
            return
        wall = time.time()
        for msg in messages:
            self._dispatch(msg, now, wall)

    def _dispatch(self, msg, now: float, wall: float) -> None:
        kind = msg._type
        if kind == "BAD_DATA":
            if msg.reason == "Invalid signature":
                self.stats.rejected_signature += 1
            else:
                self.stats.bad_data += 1
            return
        self.stats.messages_in += 1
        frame = bytes(msg.get_msgbuf())
        if self.tlog is not None:
            self.tlog.write(frame, wall)
        for forward in self.forwards:
            forward.send(frame)
        if self.forwards and kind in ("COMMAND_ACK", "MISSION_ACK", "PARAM_VALUE"):
            self.external.from_vehicle(msg, now)
        if kind.startswith("UNKNOWN_"):
            self.stats.unknown_ids += 1
            return
        sysid = msg.get_srcSystem()
        session = self.sessions.get(sysid)
        if session is None:
            if kind == "HEARTBEAT" and self._is_vehicle(msg):
                self._add_vehicle(msg, now)
            else:
                self.stats.foreign += 1
            return
        if msg.get_srcComponent() != session.compid:
            self.stats.foreign += 1
            return
        tracker = session.tracker
        try:
            tracker.handle(msg, now)
            if kind == "HEARTBEAT" and tracker.heard_heartbeat(now) and self.request_streams:
                bring_up(session, restored=True)
            session.offer(msg, now)
        except Exception:  # one bad message must not take the link down
            self.stats.handler_errors += 1
            log.exception("link %s: handling %s from %s failed", self.url, kind, sysid)

    def _is_vehicle(self, msg) -> bool:
        if msg.type == mavlink.MAV_TYPE_GCS or msg.autopilot == mavlink.MAV_AUTOPILOT_INVALID:
            return False
        sysid = msg.get_srcSystem()
        return sysid != self.gcs_sysid and (self.sysids is None or sysid in self.sysids)

    def _add_vehicle(self, msg, now: float) -> VehicleSession:
        from dronepatrol.mavlink.vehicle import Vehicle

        sysid, compid = msg.get_srcSystem(), msg.get_srcComponent()
        vehicle_id = self._vehicle_id_for(sysid)
        vehicle = Vehicle(self, sysid, vehicle_id)
        tracker = VehicleTracker(
            vehicle_id, sysid, compid, self.bus, str(self.url), vehicle.telemetry.publish
        )
        if self.tlog is not None:
            tracker.tlog_path = str(self.tlog.path)
        session = VehicleSession(self, tracker)
        self.sessions[sysid] = session
        tracker.handle(msg, now)
        tracker.dirty = False
        tracker._publish(tracker.snapshot(now))  # identified before anyone sees the vehicle
        with self._vehicle_seen:
            self.vehicles[sysid] = vehicle
            self._vehicle_seen.notify_all()
        self.bus.emit(
            EventKind.LINK_UP,
            vehicle_id,
            sysid=sysid,
            compid=compid,
            autopilot=msg.autopilot,
            vehicle_type=msg.type,
            url=str(self.url),
        )
        if self._on_vehicle is not None:
            self._on_vehicle(vehicle)
        if self.request_streams:
            bring_up(session, restored=False)
        return session

    def _from_forward(self, forward: Forward, now: float) -> None:
        """A client's messages go to the vehicle as they are (its ids, sequence, signature)."""
        for msg in forward.receive():
            self._out.chunks.append(bytes(msg.get_msgbuf()))
            self.stats.forwarded_in += 1
            try:
                self.external.from_client(forward, msg, now)
            except Exception:  # an odd client message must not take the link down
                self.stats.handler_errors += 1
                log.exception("link %s: auditing %s from %s failed", self.url, msg, forward.url)

    def _drain_inbox(self, now: float) -> None:
        while True:
            try:
                sysid, item = self._inbox.get_nowait()
            except queue.Empty:
                return
            if sysid is None:
                item()
                continue
            session = self.sessions.get(sysid)
            if session is None:
                from dronepatrol.mavlink.errors import LinkDownError

                item.fail(LinkDownError(f"no vehicle with system id {sysid} on {self.url}"))
                continue
            session.add(item, now)

    def _tick(self, now: float) -> None:
        for session in self.sessions.values():
            tracker = session.tracker
            try:
                tracker.check_link(now, self.link_timeout_s)
                tracker.tick(now, self.snapshot_period_s, self.telemetry_period_s)
                session.tick(now)
            except Exception:
                self.stats.handler_errors += 1
                log.exception("link %s: periodic work for %s failed", self.url, session.sysid)
        if (
            self.transport.is_open
            and self.url.scheme in ("tcp", "serial")
            and now - self._last_rx > self.silence_reconnect_s
        ):
            self._drop_transport(now, f"nothing received for {self.silence_reconnect_s:g} s")
        if self.forwards:
            self.external.tick(now)
        if self.tlog is not None:
            self.tlog.maybe_flush(now)

    def send(self, msg) -> None:
        """Encode (and sign) ``msg``; its bytes go out at the end of this loop step.

        Owner thread only (jobs, bring-up, the heartbeat): other threads submit jobs.
        """
        self.mav.send(msg)
        self.stats.messages_out += 1

    def _flush(self) -> None:
        chunks = self._out.chunks
        if not chunks:
            return
        self._out.chunks = []
        wall = time.time()
        if self.tlog is not None:
            for chunk in chunks:
                self.tlog.write(chunk, wall)
        if not self.transport.is_open:
            self.stats.send_failures += len(chunks)
            return
        data = b"".join(chunks)
        try:
            self.transport.write(data)
            self.stats.bytes_out += len(data)
        except ConnectionError as exc:
            self.stats.send_failures += len(chunks)
            self._drop_transport(time.monotonic(), str(exc))

    def _shutdown(self) -> None:
        from dronepatrol.mavlink.errors import LinkDownError

        for session in self.sessions.values():
            session.cancel_all(LinkDownError(f"link {self.url} closed"))
            session.tracker.link = LinkState.CLOSED
            session.tracker._publish(session.tracker.snapshot(time.monotonic()))
        self.transport.close()
        for forward in self.forwards:
            forward.close()
        if self.tlog is not None:
            self.tlog.close()
            for session in self.sessions.values():
                media = {"path": str(self.tlog.path), "kind": "tlog", "complete": True}
                self.bus.publish(Event(EventKind.MEDIA, session.tracker.vehicle_id, media))
        self._fds_closed = True
        for fd in (self._wake_r, self._wake_w):
            with contextlib.suppress(OSError):
                os.close(fd)
