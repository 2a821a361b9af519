"""Watch a feed through the media server as a browser does: Janus signalling, WebRTC media.

Used to check a deployment end to end (is the feed really reaching viewers,
at what size and bit rate?) and by the tests and the fan-out benchmark.
Needs the optional ``aiortc`` package (``pip install dronepatrol[webrtc]``).

The signalling is Janus' HTTP API, either Janus' own (``/janus``) or the
web app's guarded copy (``/video/janus``, with a bearer token): create a
session, attach the streaming plugin, ``watch`` the mountpoint, take Janus'
SDP offer from the session's event queue, answer, ``start``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
import urllib.request
from dataclasses import dataclass, field
from typing import Any


class ViewerError(RuntimeError):
    """Signalling or media failed; says at which step."""


@dataclass
class ViewerReport:
    """What one viewer received.

    Attributes:
        frames: video frames received.
        width, height: size of the last decoded frame [px] (0 when not decoding).
        codec: the negotiated codec's MIME type, e.g. ``video/H264``.
        bytes_received: H.264 bytes of the frames received (RTP payloads, depacketised).
        seconds: how long media was received [s].
        first_frame_s: from ``watch`` to the first frame [s].
    """

    frames: int = 0
    width: int = 0
    height: int = 0
    codec: str = ""
    bytes_received: int = 0
    seconds: float = 0.0
    first_frame_s: float | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def bitrate_bps(self) -> float:
        return self.bytes_received * 8 / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class ReceivedFrame:
    """One video frame as the viewer got it: its H.264 size and, when decoded, its picture size."""

    size_bytes: int
    width: int = 0
    height: int = 0


def _frame_worker(decode: bool) -> Any:
    """aiortc's receiver decoder thread, replaced: count each frame's bytes, decode if asked."""
    import av
    from aiortc.codecs import get_decoder

    def worker(loop: Any, input_q: Any, output_q: Any, decode_error: Any) -> None:
        decoder = None
        while (task := input_q.get()) is not None:
            codec, encoded = task
            width = height = 0
            if decode:
                decoder = decoder or get_decoder(codec)
                try:
                    pictures = decoder.decode(encoded)
                except av.FFmpegError:
                    decode_error.set()
                    continue
                if not pictures:
                    continue
                width, height = pictures[-1].width, pictures[-1].height
            frame = ReceivedFrame(len(encoded.data), width, height)
            asyncio.run_coroutine_threadsafe(output_q.put(frame), loop)
        asyncio.run_coroutine_threadsafe(output_q.put(None), loop)

    return worker


def use_frame_counter(decode: bool = True) -> None:
    """Make every aiortc receiver in this process hand over :class:`ReceivedFrame`\\ s.

    aiortc decodes every received frame on a thread of its own; a viewer
    that only needs to know what arrived (how many bytes, what size) gets
    that from this replacement, and without ``decode`` spends no CPU on
    decoding, so one machine can hold a hundred viewers. Process-wide.
    """
    from aiortc import rtcrtpreceiver

    rtcrtpreceiver.decoder_worker = _frame_worker(decode)


class JanusSignalling:
    """A browser's side of Janus' HTTP API (blocking; run it in a thread)."""

    def __init__(self, api_url: str, headers: dict[str, str] | None = None) -> None:
        self.api_url = api_url.rstrip("/")
        self.headers = {"Content-Type": "application/json", **(headers or {})}
        self.session: int | None = None
        self.handle: int | None = None

    def _request(self, path: str, body: dict[str, Any] | None, timeout_s: float) -> dict:
        data = None
        if body is not None:
            data = json.dumps({"transaction": secrets.token_hex(8), **body}).encode()
        request = urllib.request.Request(self.api_url + path, data=data, headers=self.headers)
        with urllib.request.urlopen(request, timeout=timeout_s) as response:
            answer = json.loads(response.read())
        if isinstance(answer, dict) and answer.get("janus") == "error":
            raise ViewerError(f"Janus refused {body}: {answer.get('error')}")
        return answer

    def open(self) -> None:
        self.session = self._request("", {"janus": "create"}, 10)["data"]["id"]
        attach = {"janus": "attach", "plugin": "janus.plugin.streaming"}
        self.handle = self._request(f"/{self.session}", attach, 10)["data"]["id"]

    def message(self, body: dict[str, Any], jsep: dict | None = None) -> dict:
        request: dict[str, Any] = {"janus": "message", "body": body}
        if jsep is not None:
            request["jsep"] = jsep
        return self._request(f"/{self.session}/{self.handle}", request, 10)

    def next_event(self, timeout_s: float = 30.0) -> dict | None:
        """One event from the session's queue (long poll; None when none came)."""
        answer = self._request(f"/{self.session}?maxev=1", None, timeout_s + 5)
        events = answer if isinstance(answer, list) else [answer]
        for event in events:
            if event.get("janus") != "keepalive":
                return event
        return None

    def keepalive(self) -> None:
        self._request(f"/{self.session}", {"janus": "keepalive"}, 10)

    def close(self) -> None:
        if self.session is not None:
            with contextlib.suppress(OSError):  # else it ends by itself after the timeout
                self._request(f"/{self.session}", {"janus": "destroy"}, 5)


def answered_video_codec(sdp: str) -> str:
    """The first video codec of an SDP answer, as ``video/<name>``.

    >>> answered_video_codec("m=video 9 UDP/TLS/RTP/SAVPF 96\\r\\na=rtpmap:96 H264/90000\\r\\n")
    'video/H264'
    """
    payload = ""
    for line in sdp.splitlines():
        if line.startswith("m=video"):
            parts = line.split()
            payload = parts[3] if len(parts) > 3 else ""
        elif payload and line.startswith(f"a=rtpmap:{payload} "):
            return "video/" + line.split()[1].split("/")[0]
    return ""


async def watch(
    api_url: str,
    mountpoint_id: int,
    seconds: float,
    *,
    headers: dict[str, str] | None = None,
    offer_timeout_s: float = 20.0,
    stop: asyncio.Event | None = None,
    report: ViewerReport | None = None,
) -> ViewerReport:
    """Watch ``mountpoint_id`` for ``seconds`` of media and report what arrived.

    Frames are counted (and decoded or not) as :func:`use_frame_counter`
    set up; it is called with its default (decode) when it was not. Setting
    ``stop`` ends the watch early (a bench holds many viewers that way);
    a ``report`` passed in is filled as frames arrive, for watching live.
    """
    from aiortc import RTCPeerConnection, RTCSessionDescription, rtcrtpreceiver

    if not getattr(rtcrtpreceiver.decoder_worker, "__qualname__", "").startswith("_frame_worker"):
        use_frame_counter()

    report = report if report is not None else ViewerReport()
    signalling = JanusSignalling(api_url, headers)
    pc = RTCPeerConnection()
    done = asyncio.Event()
    consumers: list[asyncio.Future] = []
    started = time.monotonic()

    @pc.on("track")
    def on_track(track: Any) -> None:
        async def consume() -> None:
            first: float | None = None
            try:
                while True:
                    frame = await track.recv()
                    now = time.monotonic()
                    if first is None:
                        first = now
                        report.first_frame_s = now - started
                    report.frames += 1
                    report.bytes_received += frame.size_bytes
                    if frame.width:
                        report.width, report.height = frame.width, frame.height
                    report.seconds = now - first
                    if report.seconds >= seconds or (stop is not None and stop.is_set()):
                        break
            except Exception as exc:  # the track ended
                report.errors.append(f"track ended: {exc!r}")
            done.set()

        consumers.append(asyncio.ensure_future(consume()))

    try:
        await asyncio.to_thread(signalling.open)
        await asyncio.to_thread(signalling.message, {"request": "watch", "id": mountpoint_id})
        offer = None
        deadline = time.monotonic() + offer_timeout_s
        while offer is None and time.monotonic() < deadline:
            event = await asyncio.to_thread(signalling.next_event, 10.0)
            if event is None:
                continue
            data = event.get("plugindata", {}).get("data", {})
            if "error" in data:
                raise ViewerError(f"watch {mountpoint_id} refused: {data['error']}")
            offer = event.get("jsep")
        if offer is None:
            raise ViewerError(f"no offer for mountpoint {mountpoint_id} in {offer_timeout_s} s")
        await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], offer["type"]))
        await pc.setLocalDescription(await pc.createAnswer())
        answer = {"type": pc.localDescription.type, "sdp": pc.localDescription.sdp}
        await asyncio.to_thread(signalling.message, {"request": "start"}, answer)
        report.codec = answered_video_codec(answer["sdp"])
        last_keepalive = time.monotonic()
        wait_until = time.monotonic() + seconds + offer_timeout_s
        while not done.is_set() and time.monotonic() < wait_until:
            if stop is not None and stop.is_set():
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), 1.0)
            if time.monotonic() - last_keepalive > 20:
                await asyncio.to_thread(signalling.keepalive)
                last_keepalive = time.monotonic()
        if not done.is_set() and not (stop is not None and stop.is_set()):
            report.errors.append(f"only {report.frames} frames in {seconds + offer_timeout_s} s")
    finally:
        await pc.close()
        await asyncio.to_thread(signalling.close)
    return report


def watch_blocking(
    api_url: str, mountpoint_id: int, seconds: float, **options: Any
) -> ViewerReport:
    """:func:`watch` from synchronous code, on a thread of its own (so it works even
    where an event loop already runs on the caller's thread)."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        job = pool.submit(asyncio.run, watch(api_url, mountpoint_id, seconds, **options))
        return job.result()
