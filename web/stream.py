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
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, stream_with_context

from dronepatrol.accounts import Role
from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.records.telemetry import SNAPSHOT_KEY, snapshot_from_dict
from dronepatrol.web.context import control_room
from dronepatrol.web.security import require
from dronepatrol.web.serialize import vehicle_json

bp = Blueprint("stream", __name__)

TELEMETRY_HZ = 4.0
KEEPALIVE_S = 15.0
QUEUE_SIZE = 1000


def _frame(event: Event) -> str:
    """One SSE message; telemetry carries the vehicle in the ``GET /api/vehicles`` shape."""
    body = event.as_dict()
    if event.kind is EventKind.TELEMETRY and SNAPSHOT_KEY in event.data:
        body["data"] = {"vehicle": vehicle_json(snapshot_from_dict(event.data[SNAPSHOT_KEY]))}
    return f"id: {event.seq}\nevent: {event.kind.value}\ndata: {json.dumps(body, default=str)}\n\n"


def event_stream(bus: EventBus, max_s: float | None = None) -> Iterator[str]:
    """SSE text for ``bus``: throttled telemetry, every other event at once.

    ``max_s`` ends the stream after that many seconds (tests, load benchmarks).
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
                    yield _frame(event)
            if pending and now - last_flush >= period:
                for telemetry in pending.values():
                    yield _frame(telemetry)
                pending.clear()
                last_flush = last_sent = now
            if now - last_sent >= KEEPALIVE_S:
                last_sent = now
                yield ": keepalive\n\n"


@bp.get("/api/events")
@require(Role.VIEWER)
def events() -> Any:
    """Server-sent events: vehicle telemetry (a few Hz) and fleet events as they happen."""
    bus = control_room().bus
    return Response(
        stream_with_context(event_stream(bus)),
        mimetype="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
