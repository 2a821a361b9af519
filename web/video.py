"""Live video for browsers and video walls: MJPEG streams and JPEG snapshots.

Routes:

* ``GET /video/<vehicle_id>.mjpg``: ``multipart/x-mixed-replace`` MJPEG, the
  newest annotated frame each time the viewer is ready (a slow viewer skips
  frames; it never slows the others). Each part carries
  ``X-Frame-Seq`` and ``X-Capture-Time`` (capture time, s since the epoch)
  so a client can measure latency end to end.
* ``GET /video/<vehicle_id>.jpg``: the newest frame as one JPEG.
* ``GET /video/<vehicle_id>/status``: frame rate, viewers and latency
  (capture to encoded, capture to sent) as JSON.
* ``GET /video/``: the vehicle ids that have a stream.
* ``GET /video/<vehicle_id>/player``: how a browser plays the feed: the
  MJPEG URL always, and with ``video_server = janus`` the Janus mountpoint
  to watch over WebRTC through :mod:`dronepatrol.web.janus_proxy`.
* ``GET /video/media-server``: the media server's health (``builtin`` when none).

Frames come from the :class:`~dronepatrol.video.frames.FrameBufferRegistry`
kept in ``app.extensions["video"]``; the pipelines that fill it run on their
own threads. Each viewer holds one server thread for as long as it
watches, so serve with enough threads for the expected viewers
(waitress ``threads=``) and a small output buffer
(``outbuf_high_watermark``) so a stalled client cannot pile data up. For
dozens of viewers, :class:`dronepatrol.video.streamer.MjpegStreamServer`
serves the same URLs from the same registry on its own port at a fraction
of the CPU (see ``bench/video_pipeline.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from flask import Flask, Response, abort, current_app

from dronepatrol.accounts import Role
from dronepatrol.video.frames import MJPEG_BOUNDARY, FrameBuffer, FrameBufferRegistry
from dronepatrol.web import janus_proxy
from dronepatrol.web.schema.base import ApiBlueprint, Error, reply
from dronepatrol.web.schema.video import MediaServer, Player, Streams, StreamStatus, WebRTC
from dronepatrol.web.security import guarded_stream, require

bp = ApiBlueprint("video", __name__, url_prefix="/video")

JSON_ENDPOINTS = (
    frozenset({"video.streams", "video.media_server", "video.player", "video.status"})
    | janus_proxy.ENDPOINTS
)
"""The video routes that answer JSON (errors included): these and the Janus relay's; the
others here send images."""

BOUNDARY = MJPEG_BOUNDARY
EXTENSION_KEY = "video"
FIRST_FRAME_TIMEOUT_S = 5.0
"""How long a new viewer waits for a stream's first frame before 503."""


def init_app(app: Flask) -> FrameBufferRegistry:
    """Give ``app`` its frame buffer registry (kept if one is set) and the routes."""
    reg = app.extensions.setdefault(EXTENSION_KEY, FrameBufferRegistry())
    app.register_api(bp)  # type: ignore[attr-defined]  # the JSON routes join the document
    janus_proxy.init_app(app)
    room = app.extensions.get("dronepatrol")
    if room is not None:  # closing the buffers ends every viewer's stream when the room stops
        room.closers.append(lambda: [reg.remove(vehicle_id) for vehicle_id in reg.ids()])
    return reg


def registry() -> FrameBufferRegistry:
    """The app's frame buffer registry."""
    return current_app.extensions[EXTENSION_KEY]


def _buffer(vehicle_id: str) -> FrameBuffer:
    buffer = registry().get(vehicle_id)
    if buffer is None:
        abort(404, description=f"no video stream for vehicle {vehicle_id!r}; see GET /video/")
    return buffer


@bp.get("/", responses={200: Streams})
@require(Role.VIEWER)
def streams() -> Any:
    """The vehicles that have a video stream, with each one's status."""
    reg = registry()
    items = []
    for vehicle_id in reg.ids():
        buffer = reg.get(vehicle_id)
        if buffer is not None:
            items.append(StreamStatus.of(vehicle_id, buffer.status()))
    return reply(Streams(streams=items))


@bp.get("/media-server", responses={200: MediaServer})
@require(Role.VIEWER)
def media_server() -> Any:
    """Which server fans video out, and whether it runs and gets every feed."""
    fanout = current_app.extensions.get(janus_proxy.EXTENSION_KEY)
    if fanout is None:
        error = current_app.extensions.get("media_server_error")
        return reply(MediaServer(server="builtin", ok=error is None, error=error))
    return reply(MediaServer.model_validate(fanout.health()))


@bp.get("/<vehicle_id>/player", responses={200: Player, 404: Error})
@require(Role.VIEWER)
def player(vehicle_id: str) -> Any:
    """How to play one feed: WebRTC through Janus when it carries it, MJPEG always."""
    _buffer(vehicle_id)
    fanout = current_app.extensions.get(janus_proxy.EXTENSION_KEY)
    mountpoint = fanout.mountpoint(vehicle_id) if fanout is not None else None
    webrtc = None
    if mountpoint is not None and fanout.server.running():
        webrtc = WebRTC(api="/video/janus", mountpoint=mountpoint.id)
    return reply(Player(vehicle_id=vehicle_id, mjpeg=f"/video/{vehicle_id}.mjpg", webrtc=webrtc))


@bp.get("/<vehicle_id>/status", responses={200: StreamStatus, 404: Error})
@require(Role.VIEWER)
def status(vehicle_id: str) -> Any:
    """Frame rate, viewer count and latency percentiles of one stream."""
    return reply(StreamStatus.of(vehicle_id, _buffer(vehicle_id).status()))


@bp.get("/<vehicle_id>.jpg", doc_ui=False)
@require(Role.VIEWER)
def snapshot(vehicle_id: str):
    """The newest frame as one JPEG (waits briefly for a stream's first frame)."""
    buffer = _buffer(vehicle_id)
    frame = buffer.latest() or buffer.wait_newer(0, FIRST_FRAME_TIMEOUT_S)
    if frame is None:
        abort(503, description=f"vehicle {vehicle_id!r} has sent no video yet; try again")
    response = Response(frame.jpeg, mimetype="image/jpeg")
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Seq"] = str(frame.seq)
    response.headers["X-Capture-Time"] = f"{frame.capture_time_s:.6f}"
    return response


@bp.get("/<vehicle_id>.mjpg", doc_ui=False)
@require(Role.VIEWER)
def mjpeg(vehicle_id: str):
    """The live stream as multipart MJPEG, one part per frame this viewer can take."""
    buffer = _buffer(vehicle_id)
    response = Response(
        guarded_stream(_parts(buffer)),
        mimetype=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
        direct_passthrough=True,
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


def _parts(buffer: FrameBuffer) -> Iterator[bytes]:
    for frame in buffer.frames():
        yield frame.part  # built once per frame, shared by every viewer
        buffer.send_latency.add(time.time() - frame.capture_time_s)
