"""Evidence integrity: media files are hashed when complete and re-checked on demand."""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select

from dronepatrol.database import Media
from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.records.archive import SortieArchive
from dronepatrol.records.media import register_media, verify_media
from dronepatrol.records.recorder import Recorder
from records.sortie_script import ScriptedSortie


def test_a_growing_tlog_is_hashed_when_its_sortie_ends(engine, tmp_path: Path) -> None:
    tlog = tmp_path / "copter-1.tlog"
    tlog.write_bytes(b"")
    bus = EventBus()
    recorder = Recorder(engine, bus)
    recorder.start()
    script = ScriptedSortie(bus)
    script.fly(until_leg=1)
    media = Event(EventKind.MEDIA, "1", {"path": str(tlog), "kind": "tlog", "complete": False})
    bus.publish(media)
    assert recorder.flush()
    with engine.connect() as connection:
        assert connection.execute(select(Media.sha256)).scalar_one() == ""  # still being written
    tlog.write_bytes(b"\xfe" * 5000)  # the link appends all flight long
    bus.publish(Event(EventKind.DISARMED, "1", {}, script.published[-1].time_s + 1))
    assert recorder.flush()
    recorder.wait_hashed()
    recorder.stop()
    [summary] = SortieArchive(engine).list()
    [check] = verify_media(engine, summary.id)
    assert check.ok and check.kind == "tlog"
    assert check.expected_sha256 == hashlib.sha256(b"\xfe" * 5000).hexdigest()


def test_detections_are_stored_with_their_snapshot(engine, tmp_path: Path) -> None:
    snapshot = tmp_path / "person.jpg"
    snapshot.write_bytes(b"\xff\xd8 jpeg bytes")
    bus = EventBus()
    recorder = Recorder(engine, bus)
    recorder.start()
    script = ScriptedSortie(bus)
    script.fly(until_leg=1)
    bus.publish(
        Event(
            EventKind.DETECTION,
            "1",
            {
                "class": "person",
                "confidence": 0.87,
                "lat_deg": -35.36,
                "lon_deg": 149.16,
                "snapshot": str(snapshot),
            },
            script.published[-1].time_s,
        )
    )
    bus.publish(Event(EventKind.DISARMED, "1", {}, script.published[-1].time_s + 1))
    assert recorder.flush()
    recorder.wait_hashed()
    recorder.stop()
    [summary] = SortieArchive(engine).list()
    record = SortieArchive(engine).record(summary.id)
    [detection] = record.detections
    assert (detection["class_name"], detection["confidence"]) == ("person", 0.87)
    assert detection["snapshot_path"] == str(snapshot)
    [check] = verify_media(engine, summary.id)
    assert check.ok and check.kind == "snapshot"


def test_verify_names_changed_and_missing_files(recorded, tmp_path: Path) -> None:
    engine, sortie_id, _ = recorded
    video, tlog = tmp_path / "front.mp4", tmp_path / "link.tlog"
    video.write_bytes(b"video" * 1000)
    tlog.write_bytes(b"tlog" * 1000)
    register_media(engine, sortie_id, video)
    register_media(engine, sortie_id, tlog)
    assert all(c.ok for c in verify_media(engine, sortie_id))
    with video.open("r+b") as handle:  # one byte changed
        handle.seek(100)
        handle.write(b"X")
    tlog.unlink()
    checks = {Path(c.path).name: c for c in verify_media(engine, sortie_id)}
    assert checks["front.mp4"].status == "mismatch" and checks["front.mp4"].kind == "video"
    assert "front.mp4" in checks["front.mp4"].describe()
    assert checks["link.tlog"].status == "missing"


def test_the_video_pipeline_events_are_filed(engine, tmp_path: Path) -> None:
    """Detections and the finished recording as the video pipeline publishes them."""
    video = tmp_path / "1" / "20260101T000000Z.mp4"
    video.parent.mkdir()
    video.write_bytes(b"\x00\x00\x00\x18ftypisom" * 300)
    snapshot = tmp_path / "person-7.jpg"
    snapshot.write_bytes(b"\xff\xd8 jpeg")
    bus = EventBus()
    recorder = Recorder(engine, bus)
    recorder.start()
    script = ScriptedSortie(bus)
    end = script.fly()
    detection = {"track_id": 7, "label": "person", "confidence": 0.66, "lat_deg": -35.3631}
    detection |= {"lon_deg": 149.1652, "bbox": [1, 2, 3, 4], "snapshot_path": str(snapshot)}
    bus.publish(Event(EventKind.DETECTION, "1", detection, end - 10))
    digest = hashlib.sha256(video.read_bytes()).hexdigest()
    finished = {"path": str(video), "sha256": digest, "frames": 300, "duration_s": 12.0}
    finished["size_bytes"] = video.stat().st_size
    bus.publish(Event("recording", "1", finished, end + 30))  # after landing
    assert recorder.flush()
    recorder.wait_hashed()
    recorder.stop()
    [summary] = SortieArchive(engine).list()
    record = SortieArchive(engine).record(summary.id)
    [found] = record.detections
    assert (found["class_name"], found["snapshot_path"]) == ("person", str(snapshot))
    checks = {Path(c.path).name: c for c in verify_media(engine, summary.id)}
    assert checks[video.name].ok and checks[video.name].kind == "video"
    assert checks[snapshot.name].ok and checks[snapshot.name].kind == "snapshot"
    video.write_bytes(b"cut")  # an edited recording is caught
    checks = {Path(c.path).name: c for c in verify_media(engine, summary.id)}
    assert checks[video.name].status == "mismatch" and checks[snapshot.name].ok


def test_a_link_tlog_outliving_its_sortie_stays_verifiable(engine, tmp_path: Path) -> None:
    """The tlog grows after landing until the link closes; its hashed part must hold."""
    tlog = tmp_path / "link.tlog"
    tlog.write_bytes(b"A" * 1000)
    bus = EventBus()
    recorder = Recorder(engine, bus)
    recorder.start()
    script = ScriptedSortie(bus)
    script.fly(until_leg=1)
    bus.publish(Event(EventKind.MEDIA, "1", {"path": str(tlog), "kind": "tlog", "complete": False}))
    end = script.published[-1].time_s
    with tlog.open("ab") as handle:
        handle.write(b"B" * 1000)
    bus.publish(Event(EventKind.DISARMED, "1", {}, end + 1))
    assert recorder.flush()
    recorder.wait_hashed()
    [summary] = SortieArchive(engine).list()
    with tlog.open("ab") as handle:  # the link is still up and writing
        handle.write(b"C" * 1000)
    [check] = verify_media(engine, summary.id)
    assert check.status == "growing" and check.ok
    with tlog.open("r+b") as handle:  # someone edits what was recorded in flight
        handle.seek(10)
        handle.write(b"X")
    assert verify_media(engine, summary.id)[0].status == "mismatch"
    with tlog.open("r+b") as handle:
        handle.seek(10)
        handle.write(b"A")
    done = {"path": str(tlog), "kind": "tlog", "complete": True}
    bus.publish(Event(EventKind.MEDIA, "1", done, end + 60))  # the link closes
    assert recorder.flush()
    recorder.wait_hashed()
    recorder.stop()
    [check] = verify_media(engine, summary.id)  # one row: announced twice, registered once
    assert check.status == "ok"
    assert (
        check.expected_sha256 == hashlib.sha256(b"A" * 1000 + b"B" * 1000 + b"C" * 1000).hexdigest()
    )
    with tlog.open("ab") as handle:  # a complete file must not grow any more
        handle.write(b"D")
    assert verify_media(engine, summary.id)[0].status == "mismatch"
