"""Live updates: telemetry throttled per vehicle, other events at once."""

from __future__ import annotations

import json
import threading
import time

from dronepatrol.events import EventBus, EventKind
from dronepatrol.records.telemetry import telemetry_event
from dronepatrol.state import Position, VehicleSnapshot
from dronepatrol.web.stream import TELEMETRY_HZ, StreamHub


def _snapshot(vid: str, n: int) -> VehicleSnapshot:
    return VehicleSnapshot(
        vid,
        armed=True,
        mode="AUTO",
        time_s=1000.0 + n,
        position=Position(-35.0, 149.0 + n * 1e-5, 600.0, 50.0),
    )


def _parse(chunks: list[str]) -> list[dict]:
    out = []
    for chunk in chunks:
        for block in chunk.split("\n\n"):
            data = [line[6:] for line in block.splitlines() if line.startswith("data: ")]
            if data:
                out.append(json.loads(data[0]))
    return out


def test_telemetry_is_throttled_and_events_pass_at_once() -> None:
    bus = EventBus()
    chunks: list[str] = []
    latest = {vid: _snapshot(vid, 0) for vid in ("1", "2")}
    hub = StreamHub(bus, latest.get)
    slow = hub.client(max_s=1.5)
    next(slow)  # a second browser that never reads again: it must not hold up the first
    reader = threading.Thread(target=lambda: chunks.extend(hub.client(max_s=1.5)))
    reader.start()
    time.sleep(0.2)  # let the stream subscribe before publishing
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < 1.0:  # 2 vehicles at ~100 Hz each for 1 s
        for vid in ("1", "2"):
            bus.publish(telemetry_event(_snapshot(vid, n)))
        n += 1
        if n == 50:
            bus.emit(EventKind.WAYPOINT_REACHED, "1", seq=3)
        time.sleep(0.01)
    reader.join(timeout=5)
    hub.stop()
    slow.close()
    messages = _parse(chunks)
    telemetry = [m for m in messages if m["kind"] == "telemetry"]
    per_vehicle = {vid: [m for m in telemetry if m["vehicle_id"] == vid] for vid in ("1", "2")}
    for vid, items in per_vehicle.items():
        assert 2 <= len(items) <= TELEMETRY_HZ * 1.5 + 2, (vid, len(items), n)
        assert items[-1]["data"]["vehicle"]["id"] == vid
        assert items[-1]["data"]["vehicle"]["position"]["lat"] == -35.0
    assert [m["data"] for m in messages if m["kind"] == "waypoint_reached"] == [{"seq": 3}]


def test_stream_endpoint_needs_sign_in(client) -> None:
    assert client.get("/api/events").status_code == 401


def test_stream_endpoint_streams_for_a_viewer(app, token_for) -> None:
    headers = token_for("viewer")
    response = app.test_client().get("/api/events", headers=headers, buffered=False)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream"
    first = next(response.response)
    assert first.startswith(b"retry:")
    response.close()
