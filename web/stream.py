"""Live updates for browsers: server-sent events from the event bus.

One ``GET /api/events`` connection per browser tab. A single hub per app
subscribes to the bus for all of them: it throttles vehicle telemetry to
:data:`TELEMETRY_HZ` per vehicle (only the newest snapshot is sent), passes
every other event on as it happens, and encodes each message once for every
client. Each client reads a bounded queue of encoded messages, so a stalled
browser loses old messages, never the server's memory or the others' pace.
A comment line every :data:`KEEPALIVE_S` keeps proxies from closing an idle
stream.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Response

from dronepatrol.accounts import Role
from dronepatrol.events import BusWorker, Event, EventBus, EventKind
from dronepatrol.registry import FleetRegistry
from dronepatrol.state import VehicleSnapshot
from dronepatrol.web.context import control_room
from dronepatrol.web.schema.base import ApiBlueprint, Error
from dronepatrol.web.schema.vehicles import Telemetry, Vehicle
from dronepatrol.web.security import guarded_stream, require
from dronepatrol.web.serialize import finite

bp = ApiBlueprint("stream", __name__)

EVENT_STREAM = {
    "description": "an endless stream; a telemetry event's data is a Telemetry object",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}

TELEMETRY_HZ = 4.0
KEEPALIVE_S = 15.0
CLIENT_QUEUE = 500
"""Messages a client may fall behind by before its oldest are dropped."""

SnapshotLookup = Callable[[str], VehicleSnapshot | None]
EnduranceLookup = Callable[[VehicleSnapshot], float | None]
"""A vehicle's cruise flight left before the reserve [s], None when unknown."""


def encode(
    event: Event,
    snapshot_of: SnapshotLookup | None = None,
    registry: FleetRegistry | None = None,
    endurance_of: EnduranceLookup | None = None,
) -> str:
    """One SSE message.

    Telemetry carries ``{"vehicle": ...}`` in the ``GET /api/vehicles`` shape,
    from the vehicle's newest snapshot when ``snapshot_of`` knows it (known or
    not by ``registry``); other events carry their data as published.
    """
    body = event.as_dict()
    if event.kind is EventKind.TELEMETRY and event.vehicle_id is not None and snapshot_of:
        snapshot = snapshot_of(event.vehicle_id)
        if snapshot is not None:
            endurance_s = endurance_of(snapshot) if endurance_of else None
            vehicle = Vehicle.of(snapshot, registry, endurance_s)
            body["data"] = Telemetry(vehicle=vehicle).model_dump()
    payload = json.dumps(finite(body), default=str, allow_nan=False)
    return f"id: {event.seq}\nevent: {event.kind.value}\ndata: {payload}\n\n"


class StreamHub:
    """Fans the bus out to every SSE client, encoding each message once."""

    def __init__(
        self,
        bus: EventBus,
        snapshot_of: SnapshotLookup | None = None,
        registry: FleetRegistry | None = None,
        endurance_of: EnduranceLookup | None = None,
    ) -> None:
        self.bus = bus
        self.snapshot_of = snapshot_of
        self.registry = registry
        self.endurance_of = endurance_of
        self._clients: set[queue.Queue[str]] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        """Set on stop: ends every client's stream too."""
        self._worker: BusWorker | None = None
        self._pending: dict[str | None, Event] = {}
        """The newest telemetry per vehicle since the last flush (the worker's thread only)."""

    def _ensure_running(self) -> None:
        with self._lock:
            if self._worker is None:
                period_s = 1.0 / TELEMETRY_HZ
                self._worker = BusWorker(
                    self.bus,
                    "sse-hub",
                    self._take,
                    maxsize=10_000,
                    tick=self._flush_telemetry,
                    every_s=period_s,
                    poll_s=period_s / 2,
                ).start()

    def stop(self) -> None:
        self._stop.set()
        if self._worker is not None:
            self._worker.stop(5.0)

    def _broadcast(self, message: str) -> None:
        with self._lock:
            clients = tuple(self._clients)
        for client in clients:
            try:
                client.put_nowait(message)
            except queue.Full:  # a stalled browser: drop its oldest, keep the newest
                try:
                    client.get_nowait()
                    client.put_nowait(message)
                except (queue.Empty, queue.Full):
                    pass

    def _take(self, event: Event) -> None:
        """Pass an event on at once; keep a vehicle's telemetry for the next flush."""
        if event.kind is EventKind.TELEMETRY:
            self._pending[event.vehicle_id] = event
        else:
            self._broadcast(encode(event, self.snapshot_of, self.registry, self.endurance_of))

    def _flush_telemetry(self) -> None:
        """Send each vehicle's newest telemetry, at most :data:`TELEMETRY_HZ` times a second."""
        pending, self._pending = self._pending, {}
        for telemetry in pending.values():
            self._broadcast(encode(telemetry, self.snapshot_of, self.registry, self.endurance_of))

    def client(self, max_s: float | None = None) -> Iterator[str]:
        """One browser's stream; ``max_s`` ends it after that many seconds (tests, benchmarks)."""
        self._ensure_running()
        inbox: queue.Queue[str] = queue.Queue(CLIENT_QUEUE)
        with self._lock:
            self._clients.add(inbox)
        started = last_sent = time.monotonic()
        try:
            yield "retry: 2000\n\n"
            while not self._stop.is_set() and (max_s is None or time.monotonic() - started < max_s):
                burst = _drain(inbox, timeout_s=1.0)
                now = time.monotonic()
                if burst:
                    last_sent = now
                    yield burst
                elif now - last_sent >= KEEPALIVE_S:
                    last_sent = now
                    yield ": keepalive\n\n"
                else:
                    yield ""  # nothing to send: lets the caller's checks run (writes nothing)
        finally:
            with self._lock:
                self._clients.discard(inbox)


def _drain(inbox: queue.Queue[str], timeout_s: float, limit: int = 256_000) -> str:
    """Every message waiting (after up to ``timeout_s`` for the first) as one write.

    A telemetry flush puts one message per vehicle at once; sending them in one
    write instead of one each saves the server a thread switch per message.
    """
    try:
        parts = [inbox.get(timeout=timeout_s)]
    except queue.Empty:
        return ""
    size = len(parts[0])
    while size < limit:
        try:
            parts.append(inbox.get_nowait())
        except queue.Empty:
            break
        size += len(parts[-1])
    return "".join(parts)


def hub() -> StreamHub:
    """The app's stream hub (made on first use, stopped with the control room)."""
    room = control_room()
    found = room.extensions.get("stream_hub")
    if found is None:

        def snapshot_of(vehicle_id: str) -> VehicleSnapshot | None:
            return next((s for s in room.snapshots() if s.vehicle_id == vehicle_id), None)

        found = room.extensions.setdefault(
            "stream_hub", StreamHub(room.bus, snapshot_of, room.registry, room.endurance_left_s)
        )
        room.closers.append(found.stop)
    return found


@bp.get("/api/events", responses={200: EVENT_STREAM, 429: Error, 503: Error})
@require(Role.VIEWER)
def events() -> Any:
    """Server-sent events: vehicle telemetry (a few Hz) and fleet events as they happen.

    Ends when the sign-in behind it is revoked; 429 past the account's stream cap, 503
    past the server's.
    """
    return Response(
        guarded_stream(hub().client()),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
