"""A live pipeline: simulated camera -> detection -> HUD -> viewers, events and a recording."""

from __future__ import annotations

import time

import av
from support import wait_until
from video_support import snapshot_at

from dronepatrol.events import EventBus, EventKind
from dronepatrol.video.camera import Intrinsics
from dronepatrol.video.frames import FrameBuffer
from dronepatrol.video.pipeline import VideoPipeline, as_array
from dronepatrol.video.recorder import sha256_file
from dronepatrol.video.simcam import SimulatedCamera
from dronepatrol.video.sources import SimulatedSource


def test_live_pipeline_streams_detects_and_records(two_road_scene, tmp_path) -> None:
    start = time.time()

    def pose():
        # Flying east along the southern road at 4 m/s, 60 m up, nose east.
        return snapshot_at(-58.0, -30.0 + 4.0 * (time.time() - start), 60.0, heading_deg=90.0)

    camera = SimulatedCamera(two_road_scene, Intrinsics(640, 360, 70.0))
    source = SimulatedSource(camera, pose, fps=15.0, scene_epoch_s=start)
    buffer = FrameBuffer("Copter-1")
    bus = EventBus()
    events = bus.subscribe()
    pipeline = VideoPipeline(
        "1",
        source,
        buffer,
        bus=bus,
        target_source=lambda: "line L-1",
        snapshot_dir=tmp_path / "snapshots",
    )
    pipeline.start()
    try:
        first = buffer.wait_newer(0, timeout_s=10)
        assert first is not None and (first.width, first.height) == (640, 360)
        pipeline.start_recording(tmp_path / "sortie.mp4", fps=15.0)

        # Run until cars have been detected and enough frames recorded (generous
        # deadline: the machine may be busy).
        def recorded_and_detected() -> bool:
            recorded = pipeline.status()["frames_in"] - first.seq
            reported = any(t.reported for t in list(pipeline.ground_tracker.tracks))
            return recorded >= 30 and reported and time.time() - start > 3

        wait_until(recorded_and_detected, 30, "30 frames recorded and a car reported")
        status = pipeline.status()
    finally:
        recording = pipeline.stop()
    assert recording is not None
    # Viewers got annotated frames at about the source's rate, with latency measured.
    assert buffer.status()["frames"] >= 30
    assert status["buffer"]["latency_ms"]["capture_to_encoded"]["p50"] < 1000
    assert status["stage_ms"]["total_ms"] > 0 and status["source"]["connected"]
    image = as_array(buffer.latest().jpeg)
    assert image.shape == (360, 640, 3)
    assert (image[:20].astype(int).mean()) < 100, "the HUD's shaded top bar is burned in"
    # Cars on the road were detected, geotagged near the road, and published once each.
    published = events.drain()
    detections = [e for e in published if e.kind is EventKind.DETECTION]
    assert detections, "moving vehicles should be detected"
    for event in detections:
        data = event.data
        assert event.vehicle_id == "1"
        assert abs(data["lat_deg"] - 30.0) < 0.002 and abs(data["lon_deg"] - 120.0) < 0.004
        with open(data["snapshot_path"], "rb") as fh:
            assert fh.read(2) == b"\xff\xd8"
    # The recording finished, was published with its checksum and plays.
    (rec_event,) = [e for e in published if e.kind is EventKind.RECORDING]
    assert rec_event.data["sha256"] == recording.sha256 == sha256_file(recording.path)
    assert recording.frames >= 20
    with av.open(str(recording.path)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded == recording.frames


def test_frames_without_a_pose_are_tracked_in_pixels(two_road_scene) -> None:
    """A live camera before the vehicle has a position: boxes, ids and events, no geotag."""
    from dronepatrol.state import VehicleSnapshot
    from dronepatrol.video.camera import CameraPose, Gimbal
    from dronepatrol.video.frames import Frame
    from dronepatrol.video.sources import VideoSource

    camera = SimulatedCamera(two_road_scene, Intrinsics(1280, 720, 70.0))
    bus = EventBus()
    events = bus.subscribe()
    pipeline = VideoPipeline(
        "7",
        VideoSource("camera"),
        FrameBuffer(),
        bus=bus,
        pose_source=lambda: VehicleSnapshot("7", name="Copter-7"),
    )
    # Hovering still (the pose is used only to render): tracking must work in pixels.
    pose = CameraPose.from_snapshot(snapshot_at(-60.0, 0.0, 60.0, 0.0), Gimbal())
    for i in range(50):
        image, _ = camera.render(pose, i / 25)
        pipeline.process(Frame(image, 1_800_000_000.0 + i / 25, i + 1))
    detections = [e for e in events.drain() if e.kind is EventKind.DETECTION]
    assert detections
    assert all(e.data["lat_deg"] is None and e.data["lon_deg"] is None for e in detections)
    assert pipeline.pixel_tracker.tracks and not pipeline.ground_tracker.tracks
