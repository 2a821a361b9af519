"""Large events in operations: the book keeps them, the keeper patrols their targets."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from sqlalchemy import text
from support import publish_hover

from dronepatrol.database import upgrade
from dronepatrol.events import EventBus
from dronepatrol.freshness.keeper import FreshnessKeeper
from dronepatrol.freshness.patrolled import Camera
from dronepatrol.large_events import (
    LargeEventBook,
    LargeEventConflict,
    LargeEventError,
    LargeEventNotFound,
)
from dronepatrol.network import load_network
from dronepatrol.records import Recorder

MISSIONS = Path(__file__).resolve().parents[2] / "missions"
EVENT_FILE = json.loads((MISSIONS / "canberra-showground-event.geojson").read_text())
T0 = 1_900_000_000.0
"""The event's start in these tests [s since the epoch]."""
HOURS = 3600.0


def _event_file(start_s: float = T0, hours: float = 4.0) -> dict:
    from datetime import UTC, datetime

    data = copy.deepcopy(EVENT_FILE)
    zone = data["features"][0]["properties"]
    zone["start"] = datetime.fromtimestamp(start_s, UTC).isoformat()
    zone["end"] = datetime.fromtimestamp(start_s + hours * HOURS, UTC).isoformat()
    return data


class Clock:
    """A settable clock for the book [s since the epoch]."""

    def __init__(self, now_s: float) -> None:
        self.now_s = now_s

    def __call__(self) -> float:
        return self.now_s


@pytest.fixture
def store(tmp_path):
    engine = upgrade(f"sqlite:///{tmp_path / 'dp.db'}")
    yield engine
    engine.dispose()


def _fly_hover(store, lat: float, lon: float, t0: float, hover_s: float = 40.0) -> int:
    """Record one sortie that hovers over (lat, lon) at 40 m; returns its id."""
    bus = EventBus()
    recorder = Recorder(store, bus)
    recorder.start()
    try:
        publish_hover(bus, lat, lon, t0, hover_s)
    finally:
        recorder.stop()
    with store.connect() as connection:
        return connection.execute(text("SELECT max(id) FROM sorties")).scalar()


def test_the_book_adds_lists_finds_and_ends_events(store) -> None:
    clock = Clock(T0 - HOURS)
    book = LargeEventBook(store, clock)
    base = load_network(MISSIONS / "canberra-sitl.geojson")
    record, warnings = book.add(_event_file(), "cmdr", base=base)
    assert warnings == []
    assert record.event.id == "showground-final" and record.creator == "cmdr"
    with pytest.raises(LargeEventConflict, match="exists already"):
        book.add(_event_file(), "cmdr")
    assert [r.event.id for r in book.list()] == ["showground-final"]
    assert book.active(T0 - 1) == []
    assert [e.id for e in book.active(T0 + 1)] == ["showground-final"]
    assert [e.id for e in book.between(T0 - 600, T0 - 1)] == []
    assert [e.id for e in book.between(T0 - 600, T0 + 1)] == ["showground-final"]
    # a fresh book (another process) reads the same event back from the database
    assert LargeEventBook(store).get("showground-final").event.targets == record.event.targets

    clock.now_s = T0 + HOURS  # an hour in, the crowd has gone: end it early
    ended = book.end("showground-final", "cmdr")
    assert ended.event.status(clock.now_s) == "ended" and ended.ended_by == "cmdr"
    assert book.active(T0 + HOURS + 1) == []
    assert [e.id for e in book.active(T0 + HOURS - 1)] == ["showground-final"]
    with pytest.raises(LargeEventConflict, match="ended already"):
        book.end("showground-final", "cmdr")
    with pytest.raises(LargeEventNotFound):
        book.end("no-such-event", "cmdr")


def test_the_book_refuses_a_bad_file_and_stores_nothing(store) -> None:
    book = LargeEventBook(store, Clock(T0 + 10 * HOURS))
    with pytest.raises(LargeEventError) as caught:
        book.add(_event_file(), "cmdr")  # over already
    assert "give an end in the future" in str(caught.value)
    assert book.list() == []


def test_an_event_point_patrolled_while_the_event_is_on_is_fresh(store) -> None:
    base = load_network(MISSIONS / "canberra-sitl.geojson")
    book = LargeEventBook(store, Clock(T0 - HOURS))
    book.add(_event_file(), "cmdr", base=base)
    keeper = FreshnessKeeper(store, base, Camera(hfov_deg=70, vfov_deg=55), events=book)

    # before the event: the network alone, as without large events
    assert {s.target_id for s in keeper.states(T0 - 1)} == {t.id for t in base.targets}
    assert keeper.network_at(T0 - 1).targets == base.targets

    gate = keeper.network_at(T0 + 60).target("showground-final:GATE-N")
    sortie = _fly_hover(store, gate.geometry.y, gate.geometry.x, T0 + 600)
    checks = keeper.assess(sortie)
    assert checks["showground-final:GATE-N"].patrolled
    assert not checks["showground-final:GATE-S"].patrolled
    assert "showground-final:GATE-N" in keeper.last_patrolled()

    states = {s.target_id: s for s in keeper.states(T0 + 600 + 5 * 60)}
    gate_state = states["showground-final:GATE-N"]
    assert gate_state.interval_s == 10 * 60 and not gate_state.overdue
    assert states["showground-final:GATE-S"].overdue  # never patrolled
    assert states["P005"].interval_s == 10 * 60  # a key point of the city inside the zone
    # fifteen minutes later the gate is overdue at the event's 10-minute pace
    later = {s.target_id: s for s in keeper.states(T0 + 600 + 15 * 60)}
    assert later["showground-final:GATE-N"].overdue
    # after the event its targets leave the network in force, and P005 is back to 30 min
    after = {s.target_id: s for s in keeper.states(T0 + 5 * HOURS)}
    assert not any(t.startswith("showground-final:") for t in after)
    assert after["P005"].interval_s == 30 * 60


def test_a_sortie_flown_when_no_event_is_on_does_not_judge_event_targets(store) -> None:
    base = load_network(MISSIONS / "canberra-sitl.geojson")
    book = LargeEventBook(store, Clock(T0 - HOURS))
    event, _ = book.add(_event_file(), "cmdr", base=base)
    keeper = FreshnessKeeper(store, base, Camera(), events=book)
    gate = event.event.targets[2]
    assert gate.id == "showground-final:GATE-N"
    sortie = _fly_hover(store, gate.geometry.y, gate.geometry.x, T0 - 3 * HOURS)
    checks = keeper.assess(sortie)
    assert not any(t.startswith("showground-final:") for t in checks)
    assert set(checks) == {t.id for t in base.targets}
