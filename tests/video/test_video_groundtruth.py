"""Acceptance: moving people and vehicles seen from a moving drone, against ground truth.

The simulated camera flies at 60 m, looking straight down, along a road at
4 m/s while yawing gently; walkers and cars move along the roads. Every
confirmed track is matched to the true mover positions: recall and
precision must reach 0.9 and the median geotag error must stay within 5 m.
"""

from __future__ import annotations

import math
import statistics

import cv2
import pytest
from video_support import snapshot_at

from dronepatrol import geo
from dronepatrol.events import EventBus, EventKind
from dronepatrol.video.camera import CameraModel, CameraPose, Gimbal, Intrinsics
from dronepatrol.video.frames import Frame, FrameBuffer
from dronepatrol.video.pipeline import VideoPipeline
from dronepatrol.video.simcam import SimulatedCamera
from dronepatrol.video.sources import VideoSource

MATCH_M = 5.0
BORDER_PX = 30
FPS = 25.0


@pytest.fixture(autouse=True)
def one_thread():
    previous = cv2.getNumThreads()
    cv2.setNumThreads(1)
    yield
    cv2.setNumThreads(previous)


def test_moving_targets_from_a_moving_drone_at_60m(two_road_scene, tmp_path) -> None:
    scene = two_road_scene
    result = _fly(scene, tmp_path, heading=lambda t: 80 + 3 * math.sin(t))
    tp, fp, fn, errors, ids_per_mover, published = result
    recall = tp / (tp + fn)
    precision = tp / (tp + fp)
    print(
        f"recall {recall:.3f} precision {precision:.3f} median geotag error "
        f"{statistics.median(errors):.2f} m over {tp + fn} mover sightings"
    )
    assert tp + fn >= 40, "the scenario should put plenty of movers in view"
    assert recall >= 0.9, (recall, tp, fn)
    assert precision >= 0.9, (precision, tp, fp)
    assert statistics.median(errors) <= 5.0
    # Stable ids: each mover keeps one track id while in view (rarely two).
    switches = [len(ids) for ids in ids_per_mover.values()]
    assert statistics.median(switches) == 1 and max(switches) <= 2, ids_per_mover
    # Detections were published once per track, with a snapshot on disk.
    assert published and len({e.data["track_id"] for e in published}) == len(published)
    for event in published:
        assert event.vehicle_id == "1"
        assert -90 <= event.data["lat_deg"] <= 90
        with open(event.data["snapshot_path"], "rb") as fh:
            assert fh.read(3) == b"\xff\xd8\xff"


def test_no_false_alarms_while_the_drone_turns_fast(two_road_scene, tmp_path) -> None:
    """A 30 deg/s turn: the ground swings through the frame, nothing may be invented.

    Ground that has just come into view needs two detection gaps (1.2 s) of
    history, so recall dips during the turn; precision must not.
    """
    tp, fp, fn, errors, _ids, _published = _fly(
        two_road_scene, tmp_path, heading=lambda t: 80 + 30 * t, frames=75
    )
    assert tp / (tp + fp) >= 0.9, (tp, fp)
    assert tp / (tp + fn) >= 0.5, (tp, fn)
    assert statistics.median(errors) <= 5.0


def _fly(scene, tmp_path, heading, frames: int = 90):
    """Fly east along the southern road at 4 m/s, 60 m up, nadir; score every frame."""
    intrinsics = Intrinsics(1280, 720, 70.0)
    camera = SimulatedCamera(scene, intrinsics)
    bus = EventBus()
    events = bus.subscribe()
    pipeline = VideoPipeline(
        "1", VideoSource("unused"), FrameBuffer(), bus=bus, snapshot_dir=tmp_path
    )
    epoch = 1_800_000_000.0
    tp = fp = fn = 0
    errors: list[float] = []
    seen_ids: set[int] = set()
    ids_per_mover: dict[str, set[int]] = {}
    for i in range(frames):
        t = i / FPS
        snapshot = snapshot_at(-55.0, -40.0 + 4.0 * t, 60.0, heading_deg=heading(t))
        pose = CameraPose.from_snapshot(snapshot, Gimbal(-90.0))
        image, _ = camera.render(pose, t)
        frame = Frame(image, epoch + t, i + 1, {"pose": pose, "snapshot": snapshot})
        tracks = pipeline.process(frame).tracks
        if t < 1.4:  # two detection gaps plus track confirmation
            continue
        model = CameraModel(intrinsics, pose)
        truths = scene.truth_at(t)
        inner = set()
        for truth in truths:
            u, v, front = model.lonlat_to_pixel(truth.lon_deg, truth.lat_deg)
            if (
                front[0]
                and BORDER_PX <= u[0] < 1280 - BORDER_PX
                and BORDER_PX <= v[0] < 720 - BORDER_PX
            ):
                inner.add(truth.mover_id)
        matched: set[str] = set()
        for track in tracks:
            assert track.lonlat is not None
            lon, lat = track.lonlat
            seen_ids.add(track.track_id)
            dist, truth = min((geo.distance_m(lat, lon, g.lat_deg, g.lon_deg), g) for g in truths)
            if dist > MATCH_M:
                fp += 1
            elif truth.mover_id in inner and truth.mover_id not in matched:
                matched.add(truth.mover_id)
                ids_per_mover.setdefault(truth.mover_id, set()).add(track.track_id)
                tp += 1
                errors.append(dist)
        fn += len(inner - matched)
    published = [e for e in events.drain() if e.kind is EventKind.DETECTION]
    return tp, fp, fn, errors, ids_per_mover, published
