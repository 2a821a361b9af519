"""The recorder keeps every sortie: opened at arming, closed at disarming, nothing lost."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select, text

from dronepatrol.database import Outcome, TrackSample
from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.records.archive import SortieArchive
from dronepatrol.records.recorder import Recorder
from records.sortie_script import ScriptedSortie, square


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def recorder(engine: Engine, bus: EventBus) -> Iterator[Recorder]:
    recorder = Recorder(engine, bus)
    recorder.start()
    yield recorder
    recorder.stop()


def test_a_sortie_is_recorded_whole(engine: Engine, bus: EventBus, recorder: Recorder) -> None:
    script = ScriptedSortie(bus, rate_hz=5.0)
    script.fly()
    assert recorder.flush()
    archive = SortieArchive(engine)
    [summary] = archive.list()
    assert summary.outcome == Outcome.COMPLETED
    assert (summary.plan_ref, summary.station, summary.operator) == ("S01-1", "S01", "alice")
    assert summary.targets == ["G001", "P003"]
    assert summary.vehicle_name == "copter-1"
    record = archive.record(summary.id)
    telemetry = [e for e in script.published if e.kind == EventKind.TELEMETRY]
    assert len(record.track) == len(telemetry) - 1  # the last snapshot is after disarming
    assert record.track_rate_hz() >= 2.0
    assert record.stats()["waypoints_reached"] == [1, 2, 3, 4]
    assert abs(record.distance_m() - 800.0) < 5.0
    audit = [(e["kind"], e["command"], e["result"], e["actor"]) for e in record.commands]
    # the arm command was sent before arming; it belongs to the sortie it started
    assert audit == [
        ("command_sent", "ARM", None, "alice"),
        ("command_result", "ARM", "ACCEPTED", None),
        ("command_sent", "RTL", None, "alice"),
        ("command_result", "RTL", "ACCEPTED", None),
    ]
    kinds = [e["kind"] for e in record.events]
    assert kinds[0] == "mission_upload" and kinds[-1] == "disarmed"
    assert "statustext" in kinds and "mode_changed" in kinds


def test_failsafe_makes_the_sortie_aborted(engine: Engine, bus: EventBus, recorder) -> None:
    ScriptedSortie(bus, failsafe_at_leg=2).fly()
    assert recorder.flush()
    [summary] = SortieArchive(engine).list()
    assert summary.outcome == Outcome.ABORTED
    assert "battery low" in summary.outcome_reason


def test_mission_stopped_early_is_aborted(engine: Engine, bus: EventBus, recorder) -> None:
    script = ScriptedSortie(bus, route=square(100) + square(100)[1:])
    script.fly(until_leg=3)
    end = script.published[-1].time_s
    bus.publish(Event(EventKind.DISARMED, "1", {}, end + 1))
    assert recorder.flush()
    [summary] = SortieArchive(engine).list()
    assert summary.outcome == Outcome.ABORTED
    assert "waypoint 3 of 9" in summary.outcome_reason


def test_vehicles_flying_at_once_get_their_own_sorties(engine, bus, recorder) -> None:
    a = ScriptedSortie(bus, vehicle_id="1", plan="A")
    b = ScriptedSortie(bus, vehicle_id="2", plan="B", route=square(300))
    a.fly()
    b.fly()
    assert recorder.flush()
    archive = SortieArchive(engine)
    sorties = {s.plan_ref: s for s in archive.list()}
    assert set(sorties) == {"A", "B"}
    assert [s.vehicle_id for s in archive.list(vehicle="2")] == ["2"]
    assert [s.plan_ref for s in archive.list(vehicle="copter-1")] == ["A"]
    track_b = archive.record(sorties["B"].id).track
    assert abs(archive.record(sorties["B"].id).distance_m() - 1200.0) < 5.0
    assert max(s["lat_deg"] for s in track_b) > max(
        s["lat_deg"] for s in archive.record(sorties["A"].id).track
    )


def test_a_sortie_opens_from_telemetry_when_the_arming_was_missed(engine, bus, recorder) -> None:
    script = ScriptedSortie(bus)
    script.fly()
    assert recorder.flush()
    # the same flight again, without its armed/disarmed events
    bus2 = EventBus()
    again = Recorder(engine, bus2)
    again.start()
    for event in script.published:
        if event.kind not in (EventKind.ARMED, EventKind.DISARMED):
            bus2.publish(Event(event.kind, event.vehicle_id, event.data, event.time_s + 1000))
    assert again.flush()
    again.stop()
    newest = SortieArchive(engine).list()[0]
    assert newest.outcome == Outcome.COMPLETED
    assert newest.samples >= 390


def test_publishing_never_waits_for_the_database(tmp_path) -> None:
    from dronepatrol.database import upgrade

    engine = upgrade(f"sqlite:///{tmp_path / 'busy.db'}")
    bus = EventBus()
    recorder = Recorder(engine, bus)
    recorder.start()
    blocker = engine.connect()
    blocker.execute(text("BEGIN EXCLUSIVE"))  # nobody else can write now
    script = ScriptedSortie(bus, rate_hz=50.0)
    started = time.perf_counter()
    script.fly()
    publish_s = time.perf_counter() - started
    time.sleep(0.6)  # the recorder is stuck on the lock meanwhile
    blocker.rollback()
    blocker.close()
    assert recorder.flush(timeout_s=30)
    recorder.stop()
    n = sum(1 for e in script.published if e.kind == EventKind.TELEMETRY)
    assert publish_s < 0.002 * n + 0.5, f"publishing {n} events took {publish_s:.2f} s"
    with engine.connect() as connection:
        stored = connection.execute(select(func.count()).select_from(TrackSample)).scalar()
    assert stored == n - 1


def test_events_without_a_vehicle_are_kept(engine, bus, recorder) -> None:
    bus.emit(EventKind.INCIDENT, None, text="fire reported", lat_deg=-35.36, lon_deg=149.16)
    assert recorder.flush()
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT kind, sortie_id, text FROM events")).all()
    assert rows == [("incident", None, "fire reported")]


def test_a_failed_batch_is_written_again_exactly_once(engine, bus, monkeypatch) -> None:
    from sqlalchemy.exc import OperationalError

    from dronepatrol.records.batch import Batch

    failures = {"left": 2}
    real_insert = Batch.insert

    def flaky_insert(batch, connection):
        if failures["left"] and batch.tracks:
            failures["left"] -= 1
            raise OperationalError("INSERT", {}, Exception("database went away"))
        return real_insert(batch, connection)

    monkeypatch.setattr(Batch, "insert", flaky_insert)
    recorder = Recorder(engine, bus, retry_delay_s=0.02)  # not 0.5 s, then 1 s, of waiting
    recorder.start()
    script = ScriptedSortie(bus)
    script.fly()
    assert recorder.flush(timeout_s=30)
    recorder.stop()
    assert recorder.errors == 2 and failures["left"] == 0
    assert (
        recorder.rows_written
        == sum(1 for e in script.published if e.kind == EventKind.TELEMETRY) - 1
    )
    [summary] = SortieArchive(engine).list()  # the sortie was not opened twice
    telemetry = sum(1 for e in script.published if e.kind == EventKind.TELEMETRY)
    assert summary.samples == telemetry - 1
    assert summary.outcome == Outcome.COMPLETED
    assert summary.events == sum(1 for e in script.published if e.kind != EventKind.TELEMETRY)


def test_start_recording_from_settings(tmp_path) -> None:
    from dronepatrol.records import start_recording
    from dronepatrol.settings import Settings

    settings = Settings(data_dir=tmp_path / "data")
    bus = EventBus()
    recorder = start_recording(settings, bus, snapshots=lambda: [])
    try:
        ScriptedSortie(bus).fly()
        assert recorder.flush()
    finally:
        recorder.stop()
    assert [s.outcome for s in SortieArchive(recorder.engine).list()] == ["completed"]
    assert (tmp_path / "data" / "dronepatrol.db").exists()


def test_alerts_and_a_return_on_charge_are_kept_with_the_sortie(engine, bus, recorder) -> None:
    script = ScriptedSortie(bus, route=square(100) + square(100)[1:])
    t = script.fly(until_leg=2)
    text = "copter-1: return now: 900 mAh left, getting home needs 300 mAh + 660 mAh reserve"
    bus.publish(Event(EventKind.ENERGY, "1", {"stage": "return_now", "text": text}, t + 0.1))
    alert = {"id": "A1", "kind": "return_now", "severity": "critical", "text": text}
    raised = {"action": "raised", "alert": alert, "text": f"ALERT (critical): {text}"}
    bus.publish(Event(EventKind.ALERT, "1", raised, t + 0.2))
    acked = {"action": "acknowledged", "alert": alert, "by": "bob", "text": f"alert ack: {text}"}
    bus.publish(Event(EventKind.ALERT, "1", acked, t + 5))
    bus.publish(Event(EventKind.DISARMED, "1", {}, t + 60))
    assert recorder.flush()
    archive = SortieArchive(engine)
    [summary] = archive.list()
    assert summary.outcome == Outcome.ABORTED
    assert "return now" in summary.outcome_reason
    events = archive.record(summary.id).events
    alerts = [(e["text"], e["actor"]) for e in events if e["kind"] == "alert"]
    assert alerts == [(f"ALERT (critical): {text}", None), (f"alert ack: {text}", "bob")]
