"""Live updates for browsers: server-sent events from the event bus.

One ``GET /api/events`` connection per browser tab. Vehicle telemetry is
throttled to :data:`TELEMETRY_HZ` per vehicle (only the newest snapshot is
sent); every other event goes out as it happens. Each connection reads a
bounded subscription, so a stalled browser loses old telemetry, never the
server's memory. A comment line every :data:`KEEPALIVE_S` keeps proxies from
closing an idle stream.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Blueprint, Response, stream_with_context

from dronepatrol.accounts import Role
from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.state import VehicleSnapshot
from dronepatrol.web.context import control_room
from dronepatrol.web.security import require
from dronepatrol.web.serialize import vehicle_json

bp = Blueprint("stream", __name__)

TELEMETRY_HZ = 4.0
KEEPALIVE_S = 15.0
QUEUE_SIZE = 1000


SnapshotLookup = Callable[[str], VehicleSnapshot | None]


def _frame(event: Event, snapshot_of: SnapshotLookup | None = None) -> str:
    """One SSE message.

    Telemetry carries ``{"vehicle": ...}`` in the ``GET /api/vehicles`` shape,
    from the vehicle's newest snapshot when ``snapshot_of`` knows it; other
    events carry their data as published.
    """
    body = event.as_dict()
    if event.kind is EventKind.TELEMETRY and event.vehicle_id is not None and snapshot_of:
        snapshot = snapshot_of(event.vehicle_id)
        if snapshot is not None:
            body["data"] = {"vehicle": vehicle_json(snapshot)}
    return f"id: {event.seq}\nevent: {event.kind.value}\ndata: {json.dumps(body, default=str)}\n\n"


def event_stream(
    bus: EventBus, max_s: float | None = None, snapshot_of: SnapshotLookup | None = None
) -> Iterator[str]:
    """SSE text for ``bus``: throttled telemetry, every other event at once.

    ``max_s`` ends the stream after that many seconds (tests, load benchmarks);
    ``snapshot_of`` gives a vehicle's newest snapshot for telemetry messages.
    """
    period = 1.0 / TELEMETRY_HZ
    started = last_flush = last_sent = time.monotonic()
    pending: dict[str | None, Event] = {}
    with bus.subscribe(maxsize=QUEUE_SIZE) as subscription:
        yield "retry: 2000\n\n"
        while max_s is None or time.monotonic() - started < max_s:
            event = subscription.get(timeout_s=period / 2)
            now = time.monotonic()
            if event is not None:
                if event.kind is EventKind.TELEMETRY:
                    pending[event.vehicle_id] = event
                else:
                    last_sent = now
                    yield _frame(event, snapshot_of)
            if pending and now - last_flush >= period:
                for telemetry in pending.values():
                    yield _frame(telemetry, snapshot_of)
                pending.clear()
                last_flush = last_sent = now
            if now - last_sent >= KEEPALIVE_S:
                last_sent = now
                yield ": keepalive\n\n"


@bp.get("/api/events")
@require(Role.VIEWER)
def events() -> Any:
    """Server-sent events: vehicle telemetry (a few Hz) and fleet events as they happen."""
    room = control_room()

    def snapshot_of(vehicle_id: str) -> VehicleSnapshot | None:
        return next((s for s in room.snapshots() if s.vehicle_id == vehicle_id), None)

    return Response(
        stream_with_context(event_stream(room.bus, snapshot_of=snapshot_of)),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
