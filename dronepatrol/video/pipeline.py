"""One vehicle's video chain: source -> detect -> geotag -> track -> HUD -> JPEG -> viewers.

A :class:`VideoPipeline` runs on its own thread. For each newest frame of its
source it runs the detectors, geotags what they find from the vehicle's
pose and gimbal, tracks it with stable ids, burns in the boxes and the HUD,
encodes the frame to JPEG once into the vehicle's
:class:`~dronepatrol.video.frames.FrameBuffer` (which every viewer reads)
and hands the annotated frame to the sortie recording, if one is running.

When a track is confirmed it is published once on the event bus as
:attr:`~dronepatrol.events.EventKind.DETECTION`, with its ground position and
the path of a snapshot JPEG of the annotated frame. Frames never go through
the bus. When a recording stops, its path and SHA-256 are published as
:attr:`~dronepatrol.events.EventKind.RECORDING` for the sortie record.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from dronepatrol.events import EventBus, EventKind
from dronepatrol.settings import Settings
from dronepatrol.state import VehicleSnapshot
from dronepatrol.video.camera import CameraModel, CameraPose, Gimbal, Intrinsics
from dronepatrol.video.detectors import Detector, OnnxDetector
from dronepatrol.video.frames import Frame, FrameBuffer
from dronepatrol.video.geotag import geotag
from dronepatrol.video.hud import Hud, HudInfo, draw_tracks
from dronepatrol.video.motion import MotionDetector
from dronepatrol.video.recorder import BackgroundRecorder, Mp4Recorder, Recording
from dronepatrol.video.sources import VideoSource
from dronepatrol.video.tracker import Track, Tracker

log = logging.getLogger(__name__)


class FeedPublisher(Protocol):
    """Takes each annotated frame for a media server (see :mod:`dronepatrol.video.publisher`)."""

    def submit(self, image: np.ndarray, capture_time_s: float) -> bool: ...

    def status(self) -> dict[str, Any]: ...


@dataclass
class StageTimes:
    """Exponential moving averages of each stage's time per frame [ms]."""

    detect_ms: float = 0.0
    annotate_ms: float = 0.0
    encode_ms: float = 0.0
    total_ms: float = 0.0

    def update(self, **values: float) -> None:
        for key, value in values.items():
            old = getattr(self, key)
            setattr(self, key, value if old == 0.0 else 0.9 * old + 0.1 * value)


@dataclass
class Processed:
    """What :meth:`VideoPipeline.process` made of one frame."""

    frame: Frame
    jpeg: bytes
    tracks: list[Track]
    published: list[dict[str, Any]] = field(default_factory=list)


class VideoPipeline:
    """Turns one vehicle's source into annotated, shared, recorded frames.

    Args:
        vehicle_id: the vehicle's id (events and the buffer use it).
        source: where frames come from (started and stopped with the pipeline).
        buffer: the vehicle's frame buffer that viewers read.
        bus: where detections and recordings are published (optional).
        pose_source: returns the vehicle's snapshot (HUD, geotag) for live
            sources; simulated frames carry their own.
        gimbal_source: returns the gimbal's angles (default: nadir, stabilised).
        target_source: returns the patrol target being flown, for the HUD.
        detectors: default one :class:`MotionDetector`.
        hfov_deg: the camera's horizontal field of view [deg], for geotagging.
        jpeg_quality: 0-100.
        snapshot_dir: where detection snapshots go (none written when None).
        publisher: also hands every annotated frame to a media server's
            publisher (``video_server = janus``); None keeps MJPEG only.
    """

    def __init__(
        self,
        vehicle_id: str,
        source: VideoSource,
        buffer: FrameBuffer,
        bus: EventBus | None = None,
        pose_source: Callable[[], VehicleSnapshot] | None = None,
        gimbal_source: Callable[[], Gimbal] | None = None,
        target_source: Callable[[], str] | None = None,
        detectors: Sequence[Detector] | None = None,
        hfov_deg: float = 70.0,
        jpeg_quality: int = 80,
        snapshot_dir: Path | None = None,
        publisher: FeedPublisher | None = None,
    ) -> None:
        self.vehicle_id = vehicle_id
        self.source = source
        self.buffer = buffer
        self.bus = bus
        self.pose_source = pose_source
        self.gimbal_source = gimbal_source or (lambda: Gimbal())
        self.target_source = target_source or (lambda: "")
        self.detectors: list[Detector] = (
            list(detectors) if detectors is not None else [MotionDetector()]
        )
        self.hfov_deg = hfov_deg
        self.jpeg_params = [cv2.IMWRITE_JPEG_QUALITY, int(jpeg_quality)]
        self.snapshot_dir = snapshot_dir
        self.publisher = publisher
        self.ground_tracker = Tracker(gate=4.0)
        self.pixel_tracker = Tracker(gate=40.0)
        self.times = StageTimes()
        self.frames_in = 0
        self.frames_skipped = 0
        self._hud: Hud | None = None
        self._reference: tuple[float, float] | None = None
        self._latency_ms: float | None = None
        self._recorder: BackgroundRecorder | None = None
        self._rec_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        buffer.status_source = self._pipeline_status

    # -- running ------------------------------------------------------------

    def start(self) -> VideoPipeline:
        """Start the source and the pipeline thread."""
        self.source.start()
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"pipeline-{self.vehicle_id}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> Recording | None:
        """Stop everything; finishes a running recording and returns it."""
        self._stop.set()
        self.source.stop()
        if self._thread is not None:
            self._thread.join(10.0)
        return self.stop_recording()

    def _run(self) -> None:
        last_seq = 0
        while not self._stop.is_set():
            frame = self.source.read(last_seq, timeout_s=0.5)
            if frame is None:
                continue
            if last_seq and frame.seq > last_seq + 1:
                self.frames_skipped += frame.seq - last_seq - 1
            last_seq = frame.seq
            try:
                self.process(frame)
            except Exception:
                log.exception("video pipeline %s: frame %d failed", self.vehicle_id, frame.seq)

    # -- recording ----------------------------------------------------------

    def start_recording(self, path: Path, fps: float = 25.0) -> None:
        """Record annotated frames to ``path`` (fragmented MP4) from the next frame on.

        The size is taken from the newest frame (1280x720 before any frame).
        """
        latest = self.buffer.latest()
        width, height = (latest.width, latest.height) if latest else (1280, 720)
        recorder = BackgroundRecorder(Mp4Recorder(path, width, height, fps=fps))
        with self._rec_lock:
            previous, self._recorder = self._recorder, recorder
        if previous is not None:
            self._finish(previous)

    def stop_recording(self) -> Recording | None:
        """Finish the recording (if any); returns it with its SHA-256."""
        with self._rec_lock:
            recorder, self._recorder = self._recorder, None
        return self._finish(recorder) if recorder is not None else None

    @property
    def recording(self) -> bool:
        return self._recorder is not None

    def _finish(self, recorder: BackgroundRecorder) -> Recording:
        result = recorder.close()
        if self.bus is not None:
            self.bus.emit(EventKind.RECORDING, self.vehicle_id, **result.as_dict())
        return result

    # -- one frame ----------------------------------------------------------

    def process(self, frame: Frame) -> Processed:
        """Detect, geotag, track, annotate, encode and publish one frame."""
        t0 = time.perf_counter()
        self.frames_in += 1
        image = frame.image
        height, width = image.shape[:2]
        snapshot = frame.meta.get("snapshot") or (
            self.pose_source() if self.pose_source else VehicleSnapshot(self.vehicle_id)
        )
        pose: CameraPose | None = frame.meta.get("pose") or CameraPose.from_snapshot(
            snapshot, self.gimbal_source()
        )
        detections = [d for detector in self.detectors for d in detector.detect(frame)]
        model = CameraModel(Intrinsics(width, height, self.hfov_deg), pose) if pose else None
        tracks = self._track(detections, model, frame.capture_time_s)
        t1 = time.perf_counter()

        if self._hud is None or self._hud.width != width or self._hud.height != height:
            self._hud = Hud(width, height)
        draw_tracks(image, tracks, self._hud.scale)
        centre = model.centre_lonlat() if model else None
        info = HudInfo(
            target=self.target_source(),
            centre_lonlat=centre,
            above_horizon=model is not None and centre is None,
            latency_ms=self._latency_ms,
            fps=self.buffer.fps() or None,
            recording=self.recording,
            time_s=frame.capture_time_s,
        )
        self._hud.draw(image, snapshot, info)
        t2 = time.perf_counter()

        ok, encoded = cv2.imencode(".jpg", image, self.jpeg_params)
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        jpeg = encoded.tobytes()
        published = self.buffer.publish(jpeg, frame.capture_time_s, width, height)
        self._latency_ms = (published.encoded_time_s - frame.capture_time_s) * 1000.0
        recorder = self._recorder
        if recorder is not None:
            recorder.submit(image, frame.capture_time_s)
        if self.publisher is not None:  # neither it nor the recorder changes the image
            self.publisher.submit(image, frame.capture_time_s)
        t3 = time.perf_counter()

        events = self._report(tracks, jpeg, frame)
        self.times.update(
            detect_ms=(t1 - t0) * 1000,
            annotate_ms=(t2 - t1) * 1000,
            encode_ms=(t3 - t2) * 1000,
            total_ms=(t3 - t0) * 1000,
        )
        return Processed(frame, jpeg, tracks, events)

    def _track(self, detections, model: CameraModel | None, time_s: float) -> list[Track]:
        if model is None:
            centres = [d.centre for d in detections]
            return self.pixel_tracker.update(detections, centres, time_s)
        if self._reference is None:
            self._reference = (model.pose.lat_deg, model.pose.lon_deg)
        fixes = geotag(detections, model, self._reference)
        kept = [(d, f) for d, f in zip(detections, fixes, strict=True) if f is not None]
        return self.ground_tracker.update(
            [d for d, _ in kept],
            [(f.east_m, f.north_m) for _, f in kept],
            time_s,
            [(f.lon_deg, f.lat_deg) for _, f in kept],
        )

    def _report(self, tracks: list[Track], jpeg: bytes, frame: Frame) -> list[dict[str, Any]]:
        """Publish each newly confirmed track once, with a snapshot of this frame."""
        published = []
        for track in tracks:
            if track.reported:
                continue
            track.reported = True
            snapshot_path = self._save_snapshot(jpeg, frame, track)
            lon, lat = track.lonlat if track.lonlat else (None, None)
            data = {
                "track_id": track.track_id,
                "label": track.label,
                "confidence": float(track.detection.confidence),
                "lat_deg": lat,
                "lon_deg": lon,
                "bbox": [int(v) for v in track.detection.bbox],
                "frame_capture_time_s": frame.capture_time_s,
                "snapshot_path": str(snapshot_path) if snapshot_path else None,
            }
            published.append(data)
            if self.bus is not None:
                self.bus.emit(EventKind.DETECTION, self.vehicle_id, **data)
        return published

    def _save_snapshot(self, jpeg: bytes, frame: Frame, track: Track) -> Path | None:
        if self.snapshot_dir is None:
            return None
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(frame.capture_time_s))
        millis = int(frame.capture_time_s % 1 * 1000)
        path = (
            self.snapshot_dir / self.vehicle_id / f"{stamp}.{millis:03d}Z-track{track.track_id}.jpg"
        )
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(jpeg)
            tmp.replace(path)  # never a half-written snapshot
        except OSError as exc:
            log.warning("video %s: cannot save snapshot %s: %s", self.vehicle_id, path, exc)
            return None
        return path

    def _pipeline_status(self) -> dict[str, Any]:
        recorder = self._recorder
        return {
            "vehicle_id": self.vehicle_id,
            "source": self.source.status(),
            "frames_in": self.frames_in,
            "frames_skipped": self.frames_skipped,
            "recording": str(recorder.path) if recorder else None,
            "recording_dropped": recorder.dropped if recorder else 0,
            "stage_ms": {k: round(v, 2) for k, v in self.times.__dict__.items()},
            "tracks": len(self.ground_tracker.tracks) + len(self.pixel_tracker.tracks),
            "publisher": self.publisher.status() if self.publisher is not None else None,
        }

    def status(self) -> dict[str, Any]:
        """Stage timings, counters, the source's state and the buffer's, for the API."""
        return {**self._pipeline_status(), "buffer": self.buffer.status()}


def default_detectors(settings: Settings) -> list[Detector]:
    """Motion detection, plus the ONNX model when ``settings.detector_model`` names one.

    Raises :class:`~dronepatrol.video.detectors.DetectorError` (with the
    reason) when the configured model cannot be loaded.
    """
    detectors: list[Detector] = [MotionDetector()]
    if settings.detector_model:
        detectors.append(OnnxDetector(settings.detector_model))
    return detectors


def as_array(jpeg: bytes) -> np.ndarray:
    """Decode a JPEG to BGR (handy for tests and tools)."""
    return cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
