"""A dedicated MJPEG fan-out server for video walls and many remote viewers.

The web app's ``/video/<id>.mjpg`` route serves MJPEG through the WSGI
server: one server thread per viewer, and several copies of every frame
per viewer inside the WSGI server. That suits a few viewers. For dozens
(a command centre's wall, every officer's phone), this server sends every
viewer's frames from one thread: sockets are non-blocking, each viewer is
sent the newest frame's shared bytes (no per-viewer copies in Python), and a
viewer whose connection is still busy with an earlier frame simply skips
to the newest one when it is ready. Memory stays at one or two frames per
viewer whatever its link.

It speaks just enough HTTP/1.1 for browsers and players:
``GET /video/<vehicle_id>.mjpg`` (multipart/x-mixed-replace, the same part
headers as the web app: ``X-Frame-Seq``, ``X-Capture-Time``) and
``GET /video/<vehicle_id>.jpg``; anything else gets a JSON 404 or 405.

It has no authentication of its own: bind it to 127.0.0.1 behind the same
reverse proxy (and access control) as the web app, or to a trusted video
network only.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import re
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field

from dronepatrol.video.frames import (
    MJPEG_BOUNDARY,
    EncodedFrame,
    FrameBuffer,
    FrameBufferRegistry,
)

log = logging.getLogger(__name__)

BOUNDARY = MJPEG_BOUNDARY
_PATH = re.compile(r"^/video/([A-Za-z0-9_.:-]+?)\.(mjpg|jpg)$")
_MAX_REQUEST = 8192


@dataclass
class _Viewer:
    sock: socket.socket
    request: bytes = b""
    buffer: FrameBuffer | None = None
    pending: list[memoryview] = field(default_factory=list)
    frame: EncodedFrame | None = None
    seq: int = 0
    close_after: bool = False
    writing: bool = False


class MjpegStreamServer:
    """Serves every vehicle's MJPEG stream from ``registry`` on its own port.

    Args:
        registry: the frame buffers (the web app's ``app.extensions["video"]``).
        host, port: where to listen (port 0 picks a free one; see :attr:`port`).
        sndbuf: each viewer socket's kernel send buffer [bytes]; small keeps a
            slow viewer's backlog (and so its delay) to a frame or two.
    """

    def __init__(
        self,
        registry: FrameBufferRegistry,
        host: str = "127.0.0.1",
        port: int = 0,
        sndbuf: int = 256 * 1024,
    ) -> None:
        self.registry = registry
        self.sndbuf = sndbuf
        self._listener = socket.create_server((host, port), reuse_port=False)
        self._listener.setblocking(False)
        self.host, self.port = self._listener.getsockname()[:2]
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._woken = False
        self._viewers: dict[socket.socket, _Viewer] = {}
        self._watched: dict[int, FrameBuffer] = {}
        self._parts: dict[int, tuple[EncodedFrame, list[memoryview]]] = {}
        self._stop = False
        self._thread: threading.Thread | None = None
        self.parts_sent = 0

    # -- life cycle -----------------------------------------------------------

    def start(self) -> MjpegStreamServer:
        self._selector.register(self._listener, selectors.EVENT_READ, "accept")
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread = threading.Thread(target=self._run, name="mjpeg-streamer", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop = True
        self._wake()
        if self._thread is not None:
            self._thread.join(5)

    @property
    def viewers(self) -> int:
        return sum(1 for v in self._viewers.values() if v.buffer is not None)

    # -- the loop -------------------------------------------------------------

    def _wake(self, _buffer: FrameBuffer | None = None) -> None:
        """Called on the publisher's thread: nudge the loop (one byte at most per round)."""
        if not self._woken:
            self._woken = True
            with contextlib.suppress(OSError):
                self._wake_w.send(b"x")

    def _run(self) -> None:
        try:
            while not self._stop:
                for key, events in self._selector.select(timeout=1.0):
                    if key.data == "accept":
                        self._accept()
                    elif key.data == "wake":
                        self._drain_wake()
                    else:
                        viewer = self._viewers.get(key.fileobj)  # type: ignore[arg-type]
                        if viewer is None:
                            continue
                        if events & selectors.EVENT_READ:
                            self._read(viewer)
                        if events & selectors.EVENT_WRITE and viewer.sock in self._viewers:
                            self._flush(viewer)
                self._feed_all()
        finally:
            for viewer in list(self._viewers.values()):
                self._close(viewer)
            for buffer in self._watched.values():
                buffer.remove_listener(self._wake)
            self._selector.close()
            self._listener.close()
            self._wake_r.close()
            self._wake_w.close()

    def _drain_wake(self) -> None:
        self._woken = False
        try:
            while self._wake_r.recv(4096):
                pass
        except BlockingIOError:
            pass

    def _accept(self) -> None:
        while True:
            try:
                sock, _addr = self._listener.accept()
            except BlockingIOError:
                return
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.sndbuf)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            viewer = _Viewer(sock)
            self._viewers[sock] = viewer
            self._selector.register(sock, selectors.EVENT_READ, "viewer")

    def _read(self, viewer: _Viewer) -> None:
        try:
            data = viewer.sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._close(viewer)
            return
        if viewer.buffer is not None or viewer.close_after:
            return  # a streaming viewer's further input is ignored
        viewer.request += data
        if b"\r\n\r\n" in viewer.request:
            self._route(viewer)
        elif len(viewer.request) > _MAX_REQUEST:
            self._respond(viewer, 431, {"error": "Request Header Fields Too Large"})

    def _route(self, viewer: _Viewer) -> None:
        line = viewer.request.split(b"\r\n", 1)[0].decode("latin-1")
        parts = line.split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            self._respond(viewer, 400, {"error": "Bad Request", "message": "not HTTP"})
            return
        method, target = parts[0], parts[1].split("?", 1)[0]
        match = _PATH.match(target)
        if method not in ("GET", "HEAD"):
            self._respond(viewer, 405, {"error": "Method Not Allowed", "message": "use GET"})
            return
        buffer = self.registry.get(match.group(1)) if match else None
        if buffer is None:
            message = f"no video stream at {target}; streams: /video/<vehicle_id>.mjpg"
            self._respond(viewer, 404, {"error": "Not Found", "message": message})
            return
        if match and match.group(2) == "jpg":
            frame = buffer.latest()
            if frame is None:
                busy = {"error": "Service Unavailable", "message": "no video yet; try again"}
                self._respond(viewer, 503, busy)
            else:
                head = (
                    "HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\n"
                    f"Content-Length: {len(frame.jpeg)}\r\nCache-Control: no-store\r\n"
                    f"X-Frame-Seq: {frame.seq}\r\nX-Capture-Time: {frame.capture_time_s:.6f}\r\n"
                    "Connection: close\r\n\r\n"
                ).encode("latin-1")
                self._queue(viewer, [memoryview(head), memoryview(frame.jpeg)], close_after=True)
            return
        head = (
            "HTTP/1.1 200 OK\r\n"
            f"Content-Type: multipart/x-mixed-replace; boundary={BOUNDARY}\r\n"
            "Cache-Control: no-store\r\nConnection: close\r\n\r\n"
        ).encode("latin-1")
        viewer.buffer = buffer
        buffer.attach_viewer()
        if id(buffer) not in self._watched:
            self._watched[id(buffer)] = buffer
            buffer.add_listener(self._wake)
        self._queue(viewer, [memoryview(head)])

    def _respond(self, viewer: _Viewer, status: int, body: dict) -> None:
        reason = body.get("error", "")
        data = json.dumps(body).encode()
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
        ).encode("latin-1")
        self._queue(viewer, [memoryview(head + data)], close_after=True)

    def _queue(self, viewer: _Viewer, chunks: list[memoryview], close_after=False) -> None:
        viewer.pending.extend(chunks)
        viewer.close_after = viewer.close_after or close_after
        self._flush(viewer)

    def _feed_all(self) -> None:
        """Give every idle streaming viewer the newest frame of its stream."""
        for viewer in list(self._viewers.values()):
            buffer = viewer.buffer
            if buffer is None or viewer.pending:
                continue
            if buffer.closed:
                self._close(viewer)
                continue
            frame = buffer.latest()
            if frame is None or frame.seq <= viewer.seq:
                continue
            viewer.seq = frame.seq
            viewer.frame = frame
            self._queue(viewer, self._part(buffer, frame))

    def _part(self, buffer: FrameBuffer, frame: EncodedFrame) -> list[memoryview]:
        """The multipart chunks of ``frame``: shared bytes, no copies per viewer."""
        cached = self._parts.get(id(buffer))
        if cached is None or cached[0] is not frame:
            chunks = [memoryview(frame.part_head), memoryview(frame.jpeg), _CRLF]
            cached = self._parts[id(buffer)] = (frame, chunks)
        return list(cached[1])

    def _flush(self, viewer: _Viewer) -> None:
        sock = viewer.sock
        pending = viewer.pending
        while pending:
            try:
                sent = sock.sendmsg(pending)  # one system call, no copies in Python
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno not in (errno.EPIPE, errno.ECONNRESET):
                    log.debug("mjpeg viewer send failed: %s", exc)
                self._close(viewer)
                return
            while sent and pending:
                size = len(pending[0])
                if sent < size:
                    pending[0] = pending[0][sent:]
                    sent = 0
                else:
                    sent -= size
                    pending.pop(0)
            if pending:
                break
            if viewer.frame is not None and viewer.buffer is not None:
                viewer.buffer.send_latency.add(time.time() - viewer.frame.capture_time_s)
                self.parts_sent += 1
        want_write = bool(viewer.pending)
        if want_write != viewer.writing:
            viewer.writing = want_write
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if want_write else 0)
            self._selector.modify(sock, events, "viewer")
        if not viewer.pending and viewer.close_after:
            self._close(viewer)

    def _close(self, viewer: _Viewer) -> None:
        if self._viewers.pop(viewer.sock, None) is None:
            return
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(viewer.sock)
        viewer.sock.close()
        if viewer.buffer is not None:
            viewer.buffer.detach_viewer()
            viewer.buffer = None


_CRLF = memoryview(b"\r\n")
