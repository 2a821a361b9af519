"""Frames in flight and the per-vehicle buffer every viewer reads.

A :class:`Frame` carries its capture time from the source to the viewer, so
the pipeline's latency can be measured at every stage. A
:class:`FrameBuffer` holds only the newest encoded frame of one vehicle's
stream: the pipeline encodes each frame to JPEG once and publishes it; each
viewer waits for a frame newer than the one it last sent. A slow viewer
simply gets the newest frame when it is ready again (it skips frames); it
never holds up the pipeline or other viewers, and nothing queues up.

This module needs neither OpenCV nor PyAV, so the web app can import it
cheaply.
"""

from __future__ import annotations

import functools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class Frame:
    """One decoded picture and what is known about it.

    Attributes:
        image: BGR pixels (H, W, 3) uint8.
        capture_time_s: when the picture was taken or received [s since the
            Unix epoch]; carried unchanged to the viewer.
        seq: the source's frame counter, from 1.
        meta: extras from the source (a simulated camera puts its pose and
            ground truth here).
    """

    image: np.ndarray
    capture_time_s: float
    seq: int
    meta: dict[str, Any] = field(default_factory=dict)


MJPEG_BOUNDARY = "dronepatrol-frame"
"""The multipart boundary of every MJPEG stream DronePatrol serves."""


@dataclass(frozen=True)
class EncodedFrame:
    """A JPEG ready for every viewer.

    Attributes:
        jpeg: the encoded bytes.
        seq: the buffer's frame number, from 1.
        capture_time_s: the source frame's capture time [s since the epoch].
        encoded_time_s: when encoding finished [s since the epoch].
        width, height: image size [px].
    """

    jpeg: bytes
    seq: int
    capture_time_s: float
    encoded_time_s: float
    width: int
    height: int

    @functools.cached_property
    def part_head(self) -> bytes:
        """The MJPEG multipart headers of this frame (built once, shared by every viewer).

        Each part carries ``X-Frame-Seq`` and ``X-Capture-Time`` (s since the
        epoch) so a client can measure latency end to end.
        """
        return (
            f"--{MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
            f"Content-Length: {len(self.jpeg)}\r\nX-Frame-Seq: {self.seq}\r\n"
            f"X-Capture-Time: {self.capture_time_s:.6f}\r\n\r\n"
        ).encode("ascii")

    @functools.cached_property
    def part(self) -> bytes:
        """The whole multipart part: headers, JPEG and the closing CRLF."""
        return self.part_head + self.jpeg + b"\r\n"


class LatencyStats:
    """A rolling window of latencies [s]; percentiles on demand."""

    def __init__(self, window: int = 500) -> None:
        self._values: deque[float] = deque(maxlen=window)
        self._lock = threading.Lock()

    def add(self, latency_s: float) -> None:
        with self._lock:
            self._values.append(latency_s)

    def summary_ms(self) -> dict[str, float | int | None]:
        """{"count", "p50", "p95", "max"} in milliseconds (None when empty)."""
        with self._lock:
            values = np.array(self._values, float)
        if values.size == 0:
            return {"count": 0, "p50": None, "p95": None, "max": None}
        return {
            "count": int(values.size),
            "p50": round(float(np.percentile(values, 50)) * 1000, 2),
            "p95": round(float(np.percentile(values, 95)) * 1000, 2),
            "max": round(float(values.max()) * 1000, 2),
        }


class FrameBuffer:
    """The newest encoded frame of one stream, shared by every viewer.

    Memory is one frame, whatever the number or speed of viewers.
    """

    def __init__(self, name: str = "") -> None:
        self.name = name
        self._cond = threading.Condition()
        self._latest: EncodedFrame | None = None
        self._seq = 0
        self._viewers = 0
        self._closed = False
        self.encode_latency = LatencyStats()
        """Capture to JPEG ready [s], per frame."""
        self.send_latency = LatencyStats()
        """Capture to bytes handed to a viewer's connection [s], per frame sent."""
        self._publish_times: deque[float] = deque(maxlen=60)
        self._listeners: tuple[Callable[[FrameBuffer], None], ...] = ()
        self.status_source: Callable[[], dict[str, Any]] | None = None
        """Set by the pipeline that fills this buffer: its own status, for the API."""

    def publish(self, jpeg: bytes, capture_time_s: float, width: int, height: int) -> EncodedFrame:
        """Make ``jpeg`` the newest frame and wake every waiting viewer."""
        now = time.time()
        with self._cond:
            self._seq += 1
            frame = EncodedFrame(jpeg, self._seq, capture_time_s, now, width, height)
            self._latest = frame
            self._publish_times.append(time.monotonic())
            self._cond.notify_all()
        self.encode_latency.add(now - capture_time_s)
        for listener in self._listeners:
            listener(self)
        return frame

    def add_listener(self, listener: Callable[[FrameBuffer], None]) -> None:
        """Call ``listener(buffer)`` after each publish and on close (quick, non-blocking)."""
        with self._cond:
            self._listeners = (*self._listeners, listener)

    def remove_listener(self, listener: Callable[[FrameBuffer], None]) -> None:
        with self._cond:
            self._listeners = tuple(x for x in self._listeners if x is not listener)

    def attach_viewer(self) -> None:
        """Count a viewer served outside :meth:`frames` (see the stream server)."""
        with self._cond:
            self._viewers += 1

    def detach_viewer(self) -> None:
        with self._cond:
            self._viewers -= 1

    def latest(self) -> EncodedFrame | None:
        """The newest frame, or None before the first."""
        return self._latest

    def wait_newer(self, seq: int, timeout_s: float) -> EncodedFrame | None:
        """The newest frame once its number exceeds ``seq``; None on timeout or close."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while not self._closed:
                frame = self._latest
                if frame is not None and frame.seq > seq:
                    return frame
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(remaining)
        return None

    def close(self) -> None:
        """End the stream: waiting viewers return."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        for listener in self._listeners:
            listener(self)

    @property
    def closed(self) -> bool:
        return self._closed

    def frames(self, timeout_s: float = 30.0) -> Iterator[EncodedFrame]:
        """Each newest frame in turn for one viewer, skipping what it was too slow for.

        Ends when the stream closes or no frame arrives for ``timeout_s``.
        Counts the viewer while it iterates.
        """
        with self._cond:
            self._viewers += 1
        try:
            seq = 0
            while True:
                frame = self.wait_newer(seq, timeout_s)
                if frame is None:
                    return
                seq = frame.seq
                yield frame
        finally:
            with self._cond:
                self._viewers -= 1

    def fps(self) -> float:
        """Frames published per second over the last few seconds."""
        times = list(self._publish_times)
        if len(times) < 2 or time.monotonic() - times[-1] > 2.0:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])

    def status(self) -> dict[str, Any]:
        """What the API reports about this stream."""
        latest = self._latest
        return {
            "name": self.name,
            "frames": self._seq,
            "fps": round(self.fps(), 2),
            "viewers": self._viewers,
            "width": latest.width if latest else None,
            "height": latest.height if latest else None,
            "last_capture_time_s": latest.capture_time_s if latest else None,
            "latency_ms": {
                "capture_to_encoded": self.encode_latency.summary_ms(),
                "capture_to_sent": self.send_latency.summary_ms(),
            },
            "pipeline": self.status_source() if self.status_source else None,
        }


class FrameBufferRegistry:
    """Every vehicle's frame buffer, by vehicle id; the web app keeps one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buffers: dict[str, FrameBuffer] = {}

    def get(self, vehicle_id: str) -> FrameBuffer | None:
        """The buffer of ``vehicle_id``, or None when it has no stream."""
        return self._buffers.get(vehicle_id)

    def ensure(self, vehicle_id: str, name: str = "") -> FrameBuffer:
        """The buffer of ``vehicle_id``, created when missing."""
        with self._lock:
            buffer = self._buffers.get(vehicle_id)
            if buffer is None:
                buffer = self._buffers[vehicle_id] = FrameBuffer(name or vehicle_id)
            return buffer

    def remove(self, vehicle_id: str) -> None:
        """Close and forget a vehicle's stream."""
        with self._lock:
            buffer = self._buffers.pop(vehicle_id, None)
        if buffer is not None:
            buffer.close()

    def ids(self) -> list[str]:
        """Vehicle ids with a stream, sorted."""
        return sorted(self._buffers)
