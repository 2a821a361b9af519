"""Video sources: a capture thread per camera that keeps only the newest frame.

A source is chosen by URL, configured per vehicle:

==========================================  =========================================
URL                                         what it opens
==========================================  =========================================
``rtsp://host:8554/live``                   RTSP (over TCP) through FFmpeg (PyAV)
``rtp-h264://0.0.0.0:5600``                 RTP/H.264 over UDP, as most drone
                                            video links send it (payload 96)
``udp://0.0.0.0:5600``                      MPEG-TS or raw H.264 over UDP
``http://host/video.mjpg``                  HTTP MJPEG (multipart) or any HTTP video
``file:///path/video.mp4`` or a path        a file, paced at its own frame rate
``device:0`` or ``/dev/video0``             a local camera (OpenCV)
==========================================  =========================================

The capture thread decodes every frame (H.264 needs them all) but keeps
only the newest: a consumer that falls behind gets the latest picture, never
a growing queue. When the stream drops or ends, the thread reopens it with
a growing back-off (0.5 s up to 5 s) until stopped; ``status()`` says how
it is doing. Every frame is stamped with its capture time on arrival.
"""

from __future__ import annotations

import logging
import math
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from dronepatrol.state import VehicleSnapshot
from dronepatrol.video.camera import CameraPose, Gimbal
from dronepatrol.video.frames import Frame

log = logging.getLogger(__name__)

NETWORK_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "srt"})
OPEN_TIMEOUT_S = 10.0
READ_TIMEOUT_S = 3.0


class SourceError(ValueError):
    """A source URL cannot be used; the message names it and the fix."""


class LatestFrame:
    """A one-frame mailbox: the producer overwrites, consumers wait for newer."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None

    def put(self, frame: Frame) -> None:
        with self._cond:
            self._frame = frame
            self._cond.notify_all()

    def get(self) -> Frame | None:
        return self._frame

    def wait_newer(self, seq: int, timeout_s: float) -> Frame | None:
        """The newest frame once its ``seq`` exceeds ``seq``; None after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                frame = self._frame
                if frame is not None and frame.seq > seq:
                    return frame
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


class VideoSource:
    """Base of every source: a thread filling a :class:`LatestFrame`."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.latest = LatestFrame()
        self.frames = 0
        self.reconnects = 0
        self.connected = False
        self.last_error = ""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> VideoSource:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"video-{self.name}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self.latest.wake()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def read(self, after_seq: int = 0, timeout_s: float = 1.0) -> Frame | None:
        """The newest frame newer than ``after_seq``, waiting up to ``timeout_s``."""
        return self.latest.wait_newer(after_seq, timeout_s)

    def status(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "connected": self.connected,
            "frames": self.frames,
            "reconnects": self.reconnects,
            "last_error": self.last_error,
        }

    def _emit(self, image: np.ndarray, capture_time_s: float, **meta: Any) -> None:
        self.frames += 1
        self.latest.put(Frame(image, capture_time_s, self.frames, meta))

    def _run(self) -> None:  # pragma: no cover - subclasses implement
        raise NotImplementedError


class StreamSource(VideoSource):
    """Any URL FFmpeg or OpenCV can open; reconnects after drop-outs.

    Args:
        url: see the module docstring.
        name: for logs and status (default: the URL).
        loop: for files, start again at the end (else the source stops).
        options: extra FFmpeg options (e.g. ``{"rtsp_transport": "udp"}``).
    """

    def __init__(
        self,
        url: str,
        name: str = "",
        loop: bool = True,
        options: dict[str, str] | None = None,
    ) -> None:
        super().__init__(name or url)
        self.url = url
        self.kind, self.target = classify(url)
        self.loop = loop
        self.options = dict(options or {})
        self._sdp: Path | None = None

    def _run(self) -> None:
        backoff = 0.5
        while not self._stop.is_set():
            try:
                for image in self._frames():
                    if self._stop.is_set():
                        break
                    if not self.connected:
                        self.connected = True
                        backoff = 0.5
                        log.info("video %s: connected", self.name)
                    self._emit(image, time.time())
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("video %s: %s", self.name, self.last_error)
            finally:
                self.connected = False
            if self._stop.is_set() or (self.kind == "file" and not self.loop):
                return
            self.reconnects += 1
            self._stop.wait(backoff)
            backoff = min(5.0, backoff * 2)

    def _frames(self) -> Iterator[np.ndarray]:
        if self.kind == "device":
            yield from self._device_frames()
        else:
            yield from self._av_frames()

    def _av_frames(self) -> Iterator[np.ndarray]:
        import av

        options = dict(self.options)
        fmt = None
        target = self.target
        if self.kind == "rtsp":
            options.setdefault("rtsp_transport", "tcp")
        elif self.kind == "rtp":
            target, fmt = str(self._sdp_file()), "sdp"
            options.setdefault("protocol_whitelist", "file,udp,rtp")
        elif self.kind == "udp":
            options.setdefault("fifo_size", "1000000")
            options.setdefault("overrun_nonfatal", "1")
        container = av.open(
            target, format=fmt, options=options, timeout=(OPEN_TIMEOUT_S, READ_TIMEOUT_S)
        )
        try:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            rate = float(stream.average_rate or stream.base_rate or 0) or 25.0
            pace = self.kind == "file"
            start = time.monotonic()
            for n, frame in enumerate(container.decode(stream)):
                if pace:
                    delay = start + n / rate - time.monotonic()
                    if delay > 0 and self._stop.wait(delay):
                        return
                yield frame.to_ndarray(format="bgr24")
        finally:
            container.close()

    def _device_frames(self) -> Iterator[np.ndarray]:
        import cv2

        capture = cv2.VideoCapture(self.target)
        if not capture.isOpened():
            raise SourceError(f"camera device {self.target} cannot be opened")
        try:
            while not self._stop.is_set():
                ok, image = capture.read()
                if not ok:
                    raise SourceError(f"camera device {self.target} stopped delivering frames")
                yield image
        finally:
            capture.release()

    def _sdp_file(self) -> Path:
        """An SDP description for RTP/H.264 on the URL's port (FFmpeg needs one for RTP)."""
        if self._sdp is None:
            parsed = urlparse(self.url)
            host = parsed.hostname or "0.0.0.0"
            port = parsed.port or 5600
            text = (
                "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=DronePatrol video\r\n"
                f"c=IN IP4 {host}\r\nt=0 0\r\nm=video {port} RTP/AVP 96\r\n"
                "a=rtpmap:96 H264/90000\r\n"
            )
            fd, name = tempfile.mkstemp(suffix=".sdp", prefix="dronepatrol-rtp-")
            with os.fdopen(fd, "w") as handle:
                handle.write(text)
            self._sdp = Path(name)
        return self._sdp

    def stop(self, timeout_s: float = 5.0) -> None:
        super().stop(timeout_s)
        if self._sdp is not None:
            self._sdp.unlink(missing_ok=True)


def classify(url: str) -> tuple[str, Any]:
    """(kind, target) for a source URL; raises :class:`SourceError` for unusable ones."""
    if not url:
        raise SourceError("video source URL is empty; give rtsp://, http://, a file or device:N")
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == "device":
        try:
            return "device", int(parsed.path or parsed.netloc)
        except ValueError as exc:
            raise SourceError(
                f"video source {url!r}: device: needs a number, e.g. device:0"
            ) from exc
    if url.startswith("/dev/video"):
        return "device", url
    if scheme in ("rtp-h264", "rtp"):
        if parsed.port is None:
            raise SourceError(f"video source {url!r} needs a port, e.g. rtp-h264://0.0.0.0:5600")
        return "rtp", url
    if scheme in ("rtsp", "rtsps"):
        return "rtsp", url
    if scheme == "udp":
        return "udp", url
    if scheme in NETWORK_SCHEMES:
        return "network", url
    if scheme == "file":
        path = Path(parsed.path)
    elif scheme in ("",) or len(scheme) == 1:  # a plain path (or a Windows drive letter)
        path = Path(url)
    else:
        raise SourceError(
            f"video source {url!r}: unknown scheme {scheme!r}; use rtsp://, rtp-h264://, udp://, "
            "http://, file:// or device:N"
        )
    if not path.is_file():
        raise SourceError(f"video file {path} does not exist")
    return "file", str(path)


class SimulatedSource(VideoSource):
    """The simulated gimbal camera's feed: renders from the vehicle's live pose.

    Args:
        camera: a :class:`~dronepatrol.video.simcam.SimulatedCamera`.
        pose_source: returns the vehicle's current snapshot.
        gimbal_source: returns the gimbal's current angles (default: nadir).
        fps: frames per second (25-30 for the live system).
        scene_epoch_s: wall time at which the scene's movers start [s since the epoch].
    """

    def __init__(
        self,
        camera: Any,
        pose_source: Callable[[], VehicleSnapshot],
        gimbal_source: Callable[[], Gimbal] | None = None,
        fps: float = 25.0,
        name: str = "sim",
        scene_epoch_s: float | None = None,
    ) -> None:
        super().__init__(name)
        self.camera = camera
        self.pose_source = pose_source
        self.gimbal_source = gimbal_source or (lambda: Gimbal())
        self.fps = fps
        self.scene_epoch_s = time.time() if scene_epoch_s is None else scene_epoch_s

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop rendering, then the camera's background painter."""
        super().stop(timeout_s)
        close = getattr(self.camera, "close", None)
        if close is not None:
            close()

    def render_once(self, scene_time_s: float) -> Frame | None:
        """Render and publish the view at wall time ``scene_time_s``; None while no pose.

        The frame is stamped when its picture is ready, as a real camera's
        frames are stamped on arrival, so the pipeline's latency does not
        include the simulator's drawing time.
        """
        snapshot = self.pose_source()
        pose = CameraPose.from_snapshot(snapshot, self.gimbal_source())
        if pose is None:
            return None
        image, truth = self.camera.render(pose, scene_time_s - self.scene_epoch_s)
        self._emit(
            image, time.time(), pose=pose, snapshot=snapshot, truth=truth, scene_time_s=scene_time_s
        )
        return self.latest.get()

    def _run(self) -> None:
        period = 1.0 / self.fps
        next_tick = time.monotonic()
        while not self._stop.is_set():
            try:
                self.connected = self.render_once(time.time()) is not None
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("simulated camera %s", self.name)
            next_tick += period
            delay = next_tick - time.monotonic()
            if delay < 0:  # behind: skip the missed ticks rather than bunching frames
                next_tick += math.ceil(-delay / period) * period
                delay = next_tick - time.monotonic()
            self._stop.wait(max(0.0, delay))


def make_source(
    url: str,
    name: str = "",
    camera: Any = None,
    pose_source: Callable[[], VehicleSnapshot] | None = None,
    gimbal_source: Callable[[], Gimbal] | None = None,
) -> VideoSource:
    """The source for a vehicle's configured video URL.

    ``sim:`` (optionally ``sim:?fps=30``) is the simulated gimbal camera,
    which needs ``camera`` (a :class:`~dronepatrol.video.simcam.SimulatedCamera`)
    and the vehicle's ``pose_source``; anything else is a :class:`StreamSource`.
    """
    parsed = urlparse(url)
    if parsed.scheme == "sim":
        if camera is None or pose_source is None:
            raise SourceError(
                f"video source {url!r} is the simulated camera: it needs a scene and the "
                "vehicle's pose (only simulated or SITL vehicles have one)"
            )
        fps = 25.0
        for pair in parsed.query.split("&"):
            key, _, value = pair.partition("=")
            if key == "fps":
                try:
                    fps = float(value)
                except ValueError as exc:
                    raise SourceError(f"video source {url!r}: fps must be a number") from exc
        if not 1.0 <= fps <= 60.0:
            raise SourceError(f"video source {url!r}: fps must be between 1 and 60")
        return SimulatedSource(camera, pose_source, gimbal_source, fps=fps, name=name or url)
    classify(url)  # fail now, with the reason, rather than in the capture thread
    return StreamSource(url, name=name)
