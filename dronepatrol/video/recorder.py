"""Sortie recordings: annotated H.264 in MP4 that survive a crash.

A plain MP4 writes its index (the ``moov`` box) at the end, so a recorder
that is killed, loses power or crashes leaves a file no player opens. We
write *fragmented* MP4 instead (``movflags=frag_keyframe+empty_moov``): the
header comes first and every keyframe starts a self-contained fragment,
flushed to the file as soon as it is complete. With a keyframe every
second, a killed recorder leaves a file that plays up to at most about a
second before the kill. When the recording ends normally, the file's
SHA-256 is computed for the sortie record.

Timestamps come from each frame's capture time, so a stream that stalls or
drops frames plays back in real time rather than sped up.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from dronepatrol.video.frame_worker import FrameWorker

TIME_BASE = Fraction(1, 1000)
"""Recording timestamps are in milliseconds."""


def sha256_file(path: str | Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def sortie_recording_path(recordings_dir: Path, vehicle_id: str, started_s: float) -> Path:
    """Where a sortie's recording goes: ``<dir>/<vehicle>/<UTC start>.mp4``.

    >>> sortie_recording_path(Path("rec"), "2", 1_800_000_000.0).as_posix()
    'rec/2/20270115T080000Z.mp4'
    """
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(started_s))
    return Path(recordings_dir) / vehicle_id / f"{stamp}.mp4"


@dataclass(frozen=True)
class Recording:
    """A finished recording.

    Attributes:
        path: the MP4 file.
        sha256: hex digest of its bytes.
        frames: frames written.
        duration_s: first to last frame [s].
        size_bytes: file size.
        dropped: frames the background writer had to drop to keep up.
    """

    path: Path
    sha256: str
    frames: int
    duration_s: float
    size_bytes: int
    dropped: int = 0

    def as_dict(self) -> dict:
        return {
            "path": str(self.path),
            "sha256": self.sha256,
            "frames": self.frames,
            "duration_s": round(self.duration_s, 3),
            "size_bytes": self.size_bytes,
            "dropped": self.dropped,
        }


class RecorderError(RuntimeError):
    """The recording cannot be written (unwritable path, encoder missing); says why."""


class Mp4Recorder:
    """Writes BGR frames to a fragmented H.264 MP4, one call per frame.

    Args:
        path: output file (its folder is created).
        width, height: frame size [px]; frames of another size are resized.
        fps: nominal frame rate, for the encoder's rate control.
        keyframe_interval_s: a keyframe (and so a fragment) at least this often [s].
        crf: x264 quality (lower is better; 23 is x264's default).
        preset: x264 speed preset; ``superfast`` encodes 720p in about half
            the time of ``veryfast`` at the same quality setting (a somewhat
            larger file), leaving the CPU to detection and streaming.
        threads: encoder threads (0 lets x264 choose).
    """

    def __init__(
        self,
        path: str | Path,
        width: int,
        height: int,
        fps: float = 25.0,
        keyframe_interval_s: float = 1.0,
        crf: int = 26,
        preset: str = "superfast",
        threads: int = 0,
    ) -> None:
        self.path = Path(path)
        if width % 2 or height % 2:
            raise RecorderError(f"recording size {width}x{height} must be even (H.264 4:2:0)")
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._container = av.open(
                str(self.path),
                mode="w",
                format="mp4",
                options={
                    "movflags": "frag_keyframe+empty_moov+default_base_moof",
                    "flush_packets": "1",
                },
            )
        except (OSError, av.FFmpegError) as exc:
            raise RecorderError(f"cannot write recording {self.path}: {exc}") from exc
        gop = max(1, round(fps * keyframe_interval_s))
        try:
            stream = self._container.add_stream(
                "libx264", rate=Fraction(fps).limit_denominator(1000)
            )
        except (av.FFmpegError, ValueError) as exc:
            self._container.close()
            raise RecorderError(f"H.264 encoder unavailable: {exc}") from exc
        stream.width = width
        stream.height = height
        stream.pix_fmt = "yuv420p"
        stream.time_base = TIME_BASE
        stream.codec_context.time_base = TIME_BASE
        stream.codec_context.gop_size = gop
        stream.thread_count = threads
        stream.options = {
            "preset": preset,
            "tune": "zerolatency",
            "crf": str(crf),
            "g": str(gop),
            "keyint_min": str(gop),
            "sc_threshold": "0",
        }
        self._stream = stream
        self.width, self.height = width, height
        self.frames = 0
        self._first_time_s: float | None = None
        self._last_pts = -1
        self._closed = False

    def write(self, image: np.ndarray, capture_time_s: float) -> None:
        """Encode one BGR frame taken at ``capture_time_s`` [s since the epoch]."""
        if self._closed:
            raise RecorderError(f"recording {self.path} is already closed")
        if self._first_time_s is None:
            self._first_time_s = capture_time_s
        pts = round((capture_time_s - self._first_time_s) / TIME_BASE)
        pts = max(pts, self._last_pts + 1)  # strictly increasing, whatever the clock did
        self._last_pts = pts
        if image.shape[1] != self.width or image.shape[0] != self.height:
            image = cv2.resize(image, (self.width, self.height), interpolation=cv2.INTER_AREA)
        # OpenCV's SIMD colour conversion is several times faster than swscale's.
        yuv = cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420)
        frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
        frame.pts = pts
        frame.time_base = TIME_BASE
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> Recording:
        """Flush the encoder, finish the file and checksum it."""
        if not self._closed:
            self._closed = True
            for packet in self._stream.encode(None):
                self._container.mux(packet)
            self._container.close()
        return Recording(
            path=self.path,
            sha256=sha256_file(self.path),
            frames=self.frames,
            duration_s=max(0, self._last_pts) * float(TIME_BASE),
            size_bytes=self.path.stat().st_size,
        )


class BackgroundRecorder:
    """An :class:`Mp4Recorder` fed through a short queue on its own thread.

    The pipeline hands frames over without waiting for the encoder; when the
    encoder falls behind by more than ``max_queue`` frames the newest frame
    is dropped (and counted) rather than holding up the live stream.
    """

    def __init__(self, recorder: Mp4Recorder, max_queue: int = 8) -> None:
        self.recorder = recorder
        self._error: BaseException | None = None
        self._frames = FrameWorker(self._write, f"recorder-{recorder.path.name}", max_queue)

    @property
    def path(self) -> Path:
        return self.recorder.path

    @property
    def dropped(self) -> int:
        """Frames dropped because the encoder was behind."""
        return self._frames.dropped

    def submit(self, image: np.ndarray, capture_time_s: float) -> bool:
        """Queue a frame (the caller must not modify ``image`` afterwards); False if dropped."""
        return self._frames.submit(image, capture_time_s)

    def _write(self, image: np.ndarray, capture_time_s: float) -> None:
        if self._error is not None:
            return  # the file is broken: close() reports the first failure
        try:
            self.recorder.write(image, capture_time_s)
        except BaseException as exc:
            self._error = exc

    def close(self) -> Recording:
        """Write what is queued, finish the file; raises what the writer hit."""
        self._frames.close()
        if self._error is not None:
            raise RecorderError(f"recording {self.path} failed: {self._error}") from self._error
        result = self.recorder.close()
        return Recording(**{**result.__dict__, "dropped": self.dropped})
