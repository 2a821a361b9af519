"""Crash safety: a controller killed with SIGKILL mid-sortie loses at most 1 s of track,
and the next start finds the sortie open and continues or closes it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from support import wait_until

from dronepatrol.database import Outcome, TrackSample, make_engine
from dronepatrol.events import EventBus
from dronepatrol.records.archive import SortieArchive
from dronepatrol.records.media import verify_media
from dronepatrol.records.recorder import Recorder
from dronepatrol.records.telemetry import telemetry_event
from dronepatrol.state import LinkState, Position, VehicleSnapshot

CHILD = Path(__file__).with_name("recorder_child.py")
RATE_HZ = 10.0


def _samples(engine: Engine) -> tuple[int, float | None]:
    with engine.connect() as connection:
        row = connection.execute(
            select(func.count(), func.max(TrackSample.time_s)).select_from(TrackSample)
        ).one()
    return int(row[0]), row[1]


def _kill_mid_sortie(url: str, engine: Engine, tlog: Path) -> float:
    """Run a recording controller, SIGKILL it mid-sortie; returns the kill time [s]."""
    with subprocess.Popen(
        [sys.executable, str(CHILD), url, "7", str(RATE_HZ), str(tlog)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None and child.stderr is not None
            assert child.stdout.readline().strip() == "recording", child.stderr.read()

            def flown_a_while() -> bool:  # a few seconds of flight are on disk
                assert child.poll() is None, child.stderr.read()
                return _samples(engine)[0] >= 25

            wait_until(flown_a_while, 60, "the recorder to write a track")
            time.sleep(0.37)  # kill somewhere between two flushes, not right after one
            killed_at = time.time()
            os.kill(child.pid, signal.SIGKILL)
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
                child.wait()
    assert child.returncode == -signal.SIGKILL
    return killed_at


def _flying(vehicle_id: str, armed: bool) -> VehicleSnapshot:
    return VehicleSnapshot(
        vehicle_id=vehicle_id,
        link=LinkState.UP,
        armed=armed,
        mode="AUTO" if armed else "LAND",
        position=Position(-35.36, 149.17, 614.0, 30.0 if armed else 0.0),
        time_s=time.time(),
    )


@pytest.mark.timeout(180)
def test_sigkill_loses_at_most_one_second_and_restart_continues(
    db_url: str, engine: Engine, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    killed_at = _kill_mid_sortie(db_url, engine, tmp_path / "flight.tlog")
    reopened = make_engine(db_url)
    request.addfinalizer(reopened.dispose)
    count, last_s = _samples(reopened)
    assert last_s is not None
    lost_s = killed_at - last_s
    assert lost_s <= 1.0, f"lost {lost_s:.2f} s of track"
    assert count >= 25
    if reopened.dialect.name == "sqlite":
        with reopened.connect() as connection:
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    [open_sortie] = SortieArchive(reopened).list()
    assert open_sortie.status == "open"

    # the controller comes back; the fleet says the vehicle is still flying
    bus = EventBus()
    recorder = Recorder(reopened, bus, snapshots=lambda: [_flying("7", armed=True)])
    recorder.start()
    assert recorder.open_sorties == {"7": open_sortie.id}
    for _ in range(5):
        bus.publish(telemetry_event(_flying("7", armed=True)))
    assert recorder.flush()
    recorder.stop()
    archive = SortieArchive(reopened)
    [continued] = archive.list()
    assert continued.id == open_sortie.id and continued.status == "open"
    assert continued.samples == count + 5
    resumed = [e for e in archive.record(continued.id).events if e["kind"] == "recorder_resumed"]
    assert len(resumed) == 1 and resumed[0]["data"]["gap_s"] >= lost_s


@pytest.mark.timeout(180)
def test_sigkill_then_restart_on_the_ground_marks_interrupted(
    db_url: str, engine: Engine, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    tlog = tmp_path / "flight.tlog"
    _kill_mid_sortie(db_url, engine, tlog)
    reopened = make_engine(db_url)
    request.addfinalizer(reopened.dispose)
    _, last_s = _samples(reopened)
    recorder = Recorder(reopened, EventBus(), snapshots=[_flying("7", armed=False)])
    recorder.start()
    recorder.wait_hashed()
    recorder.stop()
    [summary] = SortieArchive(reopened).list()
    assert summary.outcome == Outcome.INTERRUPTED
    assert summary.ended_s == pytest.approx(last_s)
    assert "on the ground" in summary.outcome_reason
    # the tlog the killed controller was writing is evidence up to the kill: hashed now
    [check] = verify_media(reopened, summary.id)
    assert check.ok and check.kind == "tlog"
    assert tlog.stat().st_size % 48 == 0 and tlog.stat().st_size >= 25 * 48


def test_unheard_vehicle_is_interrupted_after_the_grace(engine: Engine) -> None:
    from records.sortie_script import ScriptedSortie

    bus = EventBus()
    first = Recorder(engine, bus)
    first.start()
    ScriptedSortie(bus).fly(until_leg=2)
    first.flush()
    first.stop()  # as if the controller died: the sortie stays open

    second_bus = EventBus()
    second = Recorder(engine, second_bus, snapshots=None, resume_grace_s=0.3)
    second.start()
    wait_until(
        lambda: SortieArchive(engine).list()[0].status != "open",
        10,
        "the open sortie to be closed",
        every_s=0.05,
    )
    second.stop()
    [summary] = SortieArchive(engine).list()
    assert summary.outcome == Outcome.INTERRUPTED
    assert "not heard" in summary.outcome_reason


def test_vehicle_heard_flying_after_restart_is_continued(engine: Engine) -> None:
    from records.sortie_script import ScriptedSortie

    bus = EventBus()
    first = Recorder(engine, bus)
    first.start()
    script = ScriptedSortie(bus)
    script.fly(until_leg=2)
    first.flush()
    first.stop()

    second_bus = EventBus()
    second = Recorder(engine, second_bus, snapshots=[], resume_grace_s=30)
    second.start()
    assert second.open_sorties == {}
    # the link reconnects: the vehicle is airborne, and later lands and disarms
    ScriptedSortie(second_bus, start_s=script.start_s + 200).fly()
    assert second.flush()
    second.stop()
    [summary] = SortieArchive(engine).list()
    assert summary.outcome == Outcome.COMPLETED


def test_telemetry_alone_continues_a_sortie_after_restart(engine: Engine) -> None:
    from records.sortie_script import ScriptedSortie

    bus = EventBus()
    first = Recorder(engine, bus)
    first.start()
    ScriptedSortie(bus, vehicle_id="4").fly(until_leg=1)
    first.flush()
    first.stop()
    [before] = SortieArchive(engine).list()

    second_bus = EventBus()
    second = Recorder(engine, second_bus, snapshots=[])  # the fleet is still connecting
    second.start()
    assert second.open_sorties == {}
    for _ in range(3):
        second_bus.publish(telemetry_event(_flying("4", armed=True)))
    assert second.flush()
    assert second.open_sorties == {"4": before.id}
    second.stop()
    [after] = SortieArchive(engine).list()
    assert after.status == "open" and after.samples == before.samples + 3
