"""Live video's JSON answers: each stream's status, how a browser plays a feed, the media server.

The video pipeline reports its state as plain dicts (``FrameBuffer.status``,
the pipeline's and the publishers' ``status``, ``MediaFanout.health``); these
models are what of them the API says. Keys the models do not name are left
out, never passed on: a pipeline's recording is named by its file, not by
where the server keeps it, and a publisher's internal RTP address stays in.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from dronepatrol.web.schema.base import Reply


class _Reported(Reply):
    """A part of a status the video pipeline reports: unnamed keys are dropped."""

    model_config = ConfigDict(extra="ignore")


class Latency(_Reported):
    """Percentiles of one latency [ms] over the recent frames (null before any)."""

    count: int
    p50: float | None
    p95: float | None
    max: float | None


class StreamLatency(_Reported):
    capture_to_encoded: Latency = Field(description="from capture to the JPEG ready [ms]")
    capture_to_sent: Latency = Field(description="from capture to written to a viewer [ms]")


class SourceStatus(_Reported):
    """The camera feed the pipeline reads."""

    name: str
    connected: bool
    frames: int
    reconnects: int
    last_error: str | None


class PublisherStatus(_Reported):
    """The H.264 encoder that feeds the media server (with ``video_server = janus``)."""

    frames: int
    bitrate_bps: float = Field(description="measured [bit/s]")
    width: int | None = None
    height: int | None = None
    keyframes: int | None = None
    bitrate_cap_bps: float | None = Field(default=None, description="configured cap [bit/s]")
    bytes_sent: int | None = None
    dropped: int = 0
    error: str | None = None


class PipelineStatus(_Reported):
    """The detection pipeline behind a stream: its counters, stage timings and source."""

    source: SourceStatus
    frames_in: int
    frames_skipped: int
    recording: str | None = Field(
        description="the file this sortie's video is recorded to (its name), null when none"
    )
    recording_dropped: int = Field(description="frames the recorder could not keep up with")
    stage_ms: dict[str, float] = Field(description="time per stage of the last frame [ms]")
    tracks: int = Field(description="objects tracked now")
    publisher: PublisherStatus | None

    @field_validator("recording", mode="before")
    @classmethod
    def _file_name(cls, value: Any) -> Any:
        return PurePath(value).name if isinstance(value, str) and value else value


class StreamStatus(_Reported):
    """One vehicle's live stream: frame rate, viewers and latency."""

    vehicle_id: str
    name: str = Field(description="the camera's name")
    frames: int = Field(description="frames encoded since the stream began")
    fps: float = Field(description="recent frame rate [1/s]")
    viewers: int = Field(description="MJPEG viewers now")
    width: int | None = Field(description="of the newest frame [px]")
    height: int | None
    last_capture_time_s: float | None = Field(description="the newest frame's [s since epoch]")
    latency_ms: StreamLatency
    pipeline: PipelineStatus | None = Field(description="null for a stream fed from elsewhere")

    @classmethod
    def of(cls, vehicle_id: str, status: dict[str, Any]) -> StreamStatus:
        """The model of ``FrameBuffer.status()`` for ``vehicle_id``."""
        return cls.model_validate({**status, "vehicle_id": vehicle_id})


class Streams(Reply):
    streams: list[StreamStatus]


class WebRTC(Reply):
    api: str = Field(description="the Janus API path this app relays")
    mountpoint: int = Field(description="the streaming plugin's mountpoint to watch")


class Player(Reply):
    """How a browser plays one feed."""

    vehicle_id: str
    mjpeg: str = Field(description="the MJPEG stream's path, always available")
    webrtc: WebRTC | None = Field(description="the feed over WebRTC, when a media server runs")


class FeedHealth(_Reported):
    mountpoint: int
    publisher: PublisherStatus
    viewers: int | None = None
    age_ms: float | None = Field(default=None, description="since its newest packet [ms]")
    error: str | None = None


class MediaServer(_Reported):
    """Which server fans video out, and whether it runs and gets every feed."""

    server: Literal["builtin", "janus"]
    ok: bool
    error: str | None = Field(default=None, description="why the media server is not running")
    running: bool | None = None
    version: str | None = None
    feeds: dict[str, FeedHealth] = Field(default_factory=dict, description="by vehicle id")
