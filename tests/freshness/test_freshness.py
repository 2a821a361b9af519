"""Freshness from recorded sorties: the recorder stores a flight, the keeper judges it."""

from __future__ import annotations

from pathlib import Path

import pytest
from support import publish_hover, track_snapshot, wait_event

from dronepatrol.database import upgrade
from dronepatrol.events import EventBus, EventKind
from dronepatrol.freshness.keeper import FreshnessKeeper
from dronepatrol.freshness.patrolled import Camera
from dronepatrol.network import load_network
from dronepatrol.records import Recorder, telemetry_event

EXAMPLE = Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"
T0 = 1_800_000_000.0


@pytest.fixture
def store(tmp_path):
    engine = upgrade(f"sqlite:///{tmp_path / 'dp.db'}")
    yield engine
    engine.dispose()


def test_a_hover_over_a_point_patrols_it_and_nothing_else(store) -> None:
    network = load_network(EXAMPLE)
    point = network.target("P001")
    bus = EventBus()
    recorder = Recorder(store, bus)
    recorder.start()
    keeper = FreshnessKeeper(store, network, Camera(hfov_deg=70, vfov_deg=55), bus).start()
    results = bus.subscribe(accept=lambda e: e.kind is EventKind.FRESHNESS)
    try:
        t = publish_hover(bus, point.geometry.y, point.geometry.x, T0, hover_s=40.0)
        outcome = wait_event(results, 30, "a freshness assessment")
        assert outcome.data["patrolled"] == ["P001"]
        last = keeper.last_patrolled()
        assert set(last) == {"P001"}
        assert T0 + 5 < last["P001"] < t
        states = {s.target_id: s for s in keeper.states(now_s=t + 60)}
        assert not states["P001"].overdue
        assert states["G001"].overdue  # never patrolled
        assert states["P001"].staleness < 0.1
    finally:
        keeper.stop()
        recorder.stop()


def test_assessing_again_replaces_the_visits(store) -> None:
    network = load_network(EXAMPLE)
    keeper = FreshnessKeeper(store, network, Camera())
    bus = EventBus()
    recorder = Recorder(store, bus)
    recorder.start()
    point = network.target("P002")
    bus.emit(EventKind.ARMED, "1")
    for k in range(60):
        bus.publish(telemetry_event(track_snapshot(T0 + k, point.geometry.y, point.geometry.x, 50)))
    bus.emit(EventKind.DISARMED, "1")
    recorder.stop()
    from sqlalchemy import text

    with store.connect() as connection:
        sortie_id = connection.execute(text("SELECT max(id) FROM sorties")).scalar()
    first = keeper.assess(sortie_id)
    second = keeper.assess(sortie_id)
    assert first["P002"].patrolled and second["P002"].patrolled
    with store.connect() as connection:
        visits = connection.execute(text("SELECT count(*) FROM target_visits")).scalar()
    assert visits == 1
