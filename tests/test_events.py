"""The event bus: fan-out, ordering, and slow consumers that must not stall producers."""

from __future__ import annotations

import json
import logging
import threading

import pytest

from dronepatrol.events import BusWorker, Event, EventBus, EventKind
from tests.support import wait_until


def test_every_subscriber_gets_every_event_in_order() -> None:
    bus = EventBus()
    first, second = bus.subscribe(), bus.subscribe()
    for n in range(100):
        bus.emit(EventKind.WAYPOINT_REACHED, "1", seq=n)
    for sub in (first, second):
        assert [e.data["seq"] for e in sub.drain()] == list(range(100))


def test_bounded_subscription_drops_oldest_and_counts() -> None:
    bus = EventBus()
    slow = bus.subscribe(maxsize=10)
    for n in range(25):
        bus.emit(EventKind.TELEMETRY, "1", n=n)
    kept = [e.data["n"] for e in slow.drain()]
    assert kept == list(range(15, 25))
    assert slow.dropped == 15


def test_filter_and_close() -> None:
    bus = EventBus()
    only_lost = bus.subscribe(accept=lambda e: e.kind is EventKind.LINK_LOST)
    bus.emit(EventKind.ARMED, "1")
    bus.emit(EventKind.LINK_LOST, "1")
    only_lost.close()
    bus.emit(EventKind.LINK_LOST, "2")
    assert [(e.kind, e.vehicle_id) for e in only_lost.drain()] == [(EventKind.LINK_LOST, "1")]


def test_events_are_immutable_and_json_ready() -> None:
    event = Event(EventKind.STATUSTEXT, "2", {"text": "Arm: Need Position Estimate"})
    try:
        event.data["text"] = "changed"  # type: ignore[index]
    except TypeError:
        pass
    else:  # pragma: no cover - the assertion below reports it
        raise AssertionError("event data must be read-only")
    decoded = json.loads(json.dumps(event.as_dict()))
    assert decoded["kind"] == "statustext"
    assert decoded["data"]["text"] == "Arm: Need Position Estimate"


def test_concurrent_publishers_lose_nothing() -> None:
    bus = EventBus()
    sub = bus.subscribe()
    threads = [
        threading.Thread(
            target=lambda v=v: [bus.emit(EventKind.TELEMETRY, str(v)) for _ in range(500)]
        )
        for v in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    events = sub.drain()
    assert len(events) == 2000
    assert len({e.seq for e in events}) == 2000


def test_bus_worker_handles_kept_events_in_order_on_its_named_thread() -> None:
    bus = EventBus()
    seen: list[tuple[int, str]] = []
    worker = BusWorker(
        bus,
        "test-worker",
        lambda e: seen.append((e.data["n"], threading.current_thread().name)),
        accept=lambda e: e.kind is EventKind.ARMED,
    ).start()
    try:
        for n in range(50):
            bus.emit(EventKind.ARMED if n % 2 == 0 else EventKind.DISARMED, "1", n=n)
        wait_until(lambda: len(seen) >= 25, 10.0, "25 armed events handled")
        assert seen == [(n, "test-worker") for n in range(0, 50, 2)]
    finally:
        worker.stop()
    assert not worker.running


def test_bus_worker_logs_a_failing_handler_and_keeps_going(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    handled: list[int] = []

    def handle(event: Event) -> None:
        if event.data["n"] == 1:
            raise ValueError("odd sample")
        handled.append(event.data["n"])

    worker = BusWorker(bus, "fragile", handle).start()
    try:
        with caplog.at_level(logging.ERROR, logger="dronepatrol.events"):
            for n in range(3):
                bus.emit(EventKind.TELEMETRY, "1", n=n)
            wait_until(lambda: handled == [0, 2], 10.0, "events after the failing one handled")
        assert worker.running
        assert worker.errors == 1
        failures = [r.getMessage() for r in caplog.records if r.exc_info]
        assert failures == ["fragile: telemetry event of vehicle 1 failed"]
    finally:
        worker.stop()


def test_bus_worker_ticks_at_start_and_periodically_and_stop_unsubscribes() -> None:
    bus = EventBus()
    ticks: list[str] = []

    def tick() -> None:
        ticks.append(threading.current_thread().name)
        if len(ticks) == 2:
            raise RuntimeError("one bad pass")  # logged; the ticks go on

    worker = BusWorker(bus, "ticker", lambda e: None, tick=tick, every_s=0.05).start()
    wait_until(lambda: len(ticks) >= 4, 10.0, "four ticks")
    assert set(ticks) == {"ticker"}
    assert bus._subscriptions  # subscribed while running
    worker.stop()
    assert not worker.running
    assert bus._subscriptions == ()
    count = len(ticks)
    bus.emit(EventKind.ARMED, "1")
    assert len(ticks) == count
    with pytest.raises(RuntimeError, match="already started"):
        worker.start()


def test_close_wakes_a_consumer_waiting_for_events() -> None:
    """A worker polling ``get`` with a long timeout stops as soon as its subscription closes."""
    bus = EventBus()
    sub = bus.subscribe()
    bus.emit(EventKind.ARMED, "1", n=1)
    got: list[object] = []
    waiter = threading.Thread(target=lambda: got.extend([sub.get(30.0), sub.get(30.0)]))
    waiter.start()
    sub.close()
    waiter.join(10.0)  # a deadline, not a wait: the thread ends as soon as close wakes it
    assert not waiter.is_alive(), "get() waited out its timeout after close()"
    assert [getattr(e, "data", e) for e in got] == [{"n": 1}, None]
    assert sub.drain() == []
