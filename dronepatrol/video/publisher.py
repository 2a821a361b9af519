"""Publish one vehicle's annotated feed once, as H.264 over RTP, to a media server.

MJPEG costs about 132 kB per 720p frame: 26 Mbit/s for one viewer at
25 fps, more than a commander's 4G link carries, and the station pays for
every viewer. Instead the station encodes each annotated feed once to
H.264 with a capped bit rate (2.5 Mbit/s at 720p by default, never above
the VBV ``maxrate``), a keyframe every second (a new viewer sees a picture
within a second) and no B-frames or look-ahead (x264 ``zerolatency``), and
sends it as RTP to the media server, which fans it out to every browser.
However many people watch, the station encodes and sends one stream.

The profile is constrained baseline (``profile-level-id=42e01f``), the
H.264 every WebRTC browser decodes. Parameter sets travel in-band with
every keyframe, so a media server or viewer that joins late can decode.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import dataclass
from fractions import Fraction

import av
import cv2
import numpy as np

from dronepatrol.video.frame_worker import FrameWorker

log = logging.getLogger(__name__)

RTP_CLOCK = Fraction(1, 90_000)
"""RTP timestamps of video are in 1/90000 s."""
RTP_PAYLOAD_TYPE = 96
H264_FMTP = "profile-level-id=42e01f;packetization-mode=1"
"""How the stream is described to browsers: constrained baseline, level 3.1."""
RTP_PACKET_BYTES = 1200
"""Largest RTP packet sent [bytes]: below any path MTU once SRTP and TURN add theirs."""


class PublishError(RuntimeError):
    """The feed cannot be encoded or sent (encoder missing, bad address); says why."""


@dataclass(frozen=True)
class H264Options:
    """How a live feed is encoded.

    Attributes:
        bitrate_bps: target and cap of the bit rate [bit/s]; the VBV
            ``maxrate`` equals it and the buffer holds half a second.
        fps: nominal frame rate, for rate control [frames/s].
        keyframe_interval_s: a keyframe at least this often [s].
        preset: x264 speed preset (``superfast``: about 5 ms a 720p frame).
    """

    bitrate_bps: int = 2_500_000
    fps: float = 25.0
    keyframe_interval_s: float = 1.0
    preset: str = "superfast"

    def __post_init__(self) -> None:
        if not 100_000 <= self.bitrate_bps <= 20_000_000:
            raise ValueError(f"bitrate {self.bitrate_bps} bit/s outside 100 kbit/s to 20 Mbit/s")
        if not 0.2 <= self.keyframe_interval_s <= 10:
            raise ValueError(f"keyframe interval {self.keyframe_interval_s} s outside 0.2-10 s")


class RateMeter:
    """Bytes over a sliding window, as a bit rate [bit/s]."""

    def __init__(self, window_s: float = 5.0) -> None:
        self.window_s = window_s
        self._samples: deque[tuple[float, int]] = deque()
        self.total_bytes = 0

    def add(self, size: int, now_s: float | None = None) -> None:
        now = time.monotonic() if now_s is None else now_s
        self._samples.append((now, size))
        self.total_bytes += size
        while self._samples and self._samples[0][0] < now - self.window_s:
            self._samples.popleft()

    def bps(self) -> float:
        """Mean bit rate over the window (0 with fewer than two samples)."""
        if len(self._samples) < 2:
            return 0.0
        span = self._samples[-1][0] - self._samples[0][0]
        if span <= 0:
            return 0.0
        return sum(size for _, size in list(self._samples)[1:]) * 8 / span


class H264RtpPublisher:
    """Encodes BGR frames to H.264 and sends them as RTP to ``host:port``.

    Args:
        host, port: the media server's RTP input for this feed (UDP).
        width, height: frame size [px]; frames of another size are resized.
        options: encoding settings.
    """

    def __init__(
        self, host: str, port: int, width: int, height: int, options: H264Options | None = None
    ) -> None:
        if width % 2 or height % 2:
            raise PublishError(f"video size {width}x{height} must be even (H.264 4:2:0)")
        self.options = options or H264Options()
        self.url = f"rtp://{host}:{port}"
        self.width, self.height = width, height
        opts = self.options
        gop = max(1, round(opts.fps * opts.keyframe_interval_s))
        try:
            self._container = av.open(
                f"{self.url}?pkt_size={RTP_PACKET_BYTES}",
                mode="w",
                format="rtp",
                options={"payload_type": str(RTP_PAYLOAD_TYPE)},
            )
            stream = self._container.add_stream(
                "libx264", rate=Fraction(opts.fps).limit_denominator(1000)
            )
        except (OSError, av.FFmpegError, ValueError) as exc:
            raise PublishError(f"cannot publish video to {self.url}: {exc}") from exc
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.time_base = RTP_CLOCK
        stream.codec_context.time_base = RTP_CLOCK
        stream.codec_context.gop_size = gop
        stream.codec_context.bit_rate = opts.bitrate_bps
        stream.thread_count = 1  # one encode per frame on the publisher's thread
        stream.options = {
            "preset": opts.preset,
            "tune": "zerolatency",
            "profile": "baseline",
            "level": "3.1",
            "maxrate": str(opts.bitrate_bps),
            "bufsize": str(opts.bitrate_bps // 2),
            "g": str(gop),
            "keyint_min": str(gop),
            "sc_threshold": "0",
            "bf": "0",
        }
        self._stream = stream
        self._first_time_s: float | None = None
        self._last_pts = -1
        self.frames = 0
        self.keyframes = 0
        self.rate = RateMeter()
        self._closed = False

    def write(self, image: np.ndarray, capture_time_s: float) -> None:
        """Encode one BGR frame taken at ``capture_time_s`` [s since the epoch] and send it."""
        if self._closed:
            raise PublishError(f"publisher to {self.url} is closed")
        if self._first_time_s is None:
            self._first_time_s = capture_time_s
        pts = round((capture_time_s - self._first_time_s) / RTP_CLOCK)
        pts = max(pts, self._last_pts + 1)
        self._last_pts = pts
        if image.shape[1] != self.width or image.shape[0] != self.height:
            image = cv2.resize(image, (self.width, self.height), interpolation=cv2.INTER_AREA)
        frame = av.VideoFrame.from_ndarray(
            cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), format="yuv420p"
        )
        frame.pts = pts
        frame.time_base = RTP_CLOCK
        for packet in self._stream.encode(frame):
            self._send(packet)
        self.frames += 1

    def _send(self, packet: av.Packet) -> None:
        self.rate.add(packet.size)
        if packet.is_keyframe:
            self.keyframes += 1
        try:
            self._container.mux(packet)
        except OSError as exc:  # the media server went away: UDP may refuse for a while
            log.debug("RTP send to %s failed: %s", self.url, exc)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            for packet in self._stream.encode(None):
                self._send(packet)
        finally:
            self._container.close()

    def status(self) -> dict:
        return {
            "url": self.url,
            "width": self.width,
            "height": self.height,
            "frames": self.frames,
            "keyframes": self.keyframes,
            "bitrate_bps": round(self.rate.bps()),
            "bitrate_cap_bps": self.options.bitrate_bps,
            "bytes_sent": self.rate.total_bytes,
        }


class BackgroundPublisher:
    """A feed publisher fed from the pipeline without waiting on the encoder.

    The encoder runs on its own thread behind a two-frame queue: when it
    falls behind, the newest frame is dropped (and counted) rather than
    holding up detection, MJPEG viewers or the recording. The encoder is
    made on the first frame, at that frame's size.

    Args:
        host, port: the media server's RTP input for this feed.
        options: encoding settings.
        name: for the thread's name and logs (the vehicle id).
    """

    def __init__(
        self, host: str, port: int, options: H264Options | None = None, name: str = ""
    ) -> None:
        self.host, self.port = host, port
        self.options = options or H264Options()
        self.name = name
        self.error: str | None = None
        self._publisher: H264RtpPublisher | None = None
        self._frames = FrameWorker(self._write, f"publish-{name}", 2, finish=self._finish)

    @property
    def dropped(self) -> int:
        """Frames dropped because the encoder was behind."""
        return self._frames.dropped

    def submit(self, image: np.ndarray, capture_time_s: float) -> bool:
        """Queue a frame (the caller must not modify ``image`` afterwards); False if dropped."""
        return self._frames.submit(image, capture_time_s)

    def _write(self, image: np.ndarray, capture_time_s: float) -> None:
        try:
            if self._publisher is None:
                height, width = image.shape[:2]
                self._publisher = H264RtpPublisher(
                    self.host, self.port, width - width % 2, height - height % 2, self.options
                )
            self._publisher.write(image, capture_time_s)
            self.error = None
        except Exception as exc:  # keep the thread alive; the status says why
            if self.error is None:
                log.warning("video %s: publishing failed: %s", self.name, exc)
            self.error = str(exc)

    def _finish(self) -> None:
        if self._publisher is not None:
            self._publisher.close()

    def close(self) -> None:
        """Send what is queued, flush the encoder and stop the thread."""
        self._frames.close(10)

    def status(self) -> dict:
        base = self._publisher.status() if self._publisher else {"frames": 0, "bitrate_bps": 0}
        return {**base, "dropped": self.dropped, "error": self.error}
