"""A TCP proxy that can cut a link: radio-loss fault injection for any MAVLink backend.

Put it between a ground station and a vehicle (the embedded simulator or a
real SITL) and call :meth:`LinkProxy.cut` to drop every byte in both
directions while the TCP connections stay open, as when a telemetry radio
goes out of range; :meth:`LinkProxy.restore` lets traffic through again::

    with LinkProxy("127.0.0.1", 5760) as proxy:
        connect(proxy.url)       # tcp:127.0.0.1:<free port>
        proxy.cut(); ...; proxy.restore()
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import time
from collections.abc import Callable

CONNECT_TIMEOUT_S = 20.0
"""How long the proxy keeps trying to reach a backend that is not listening yet [s]."""


class LinkProxy:
    """Forwards each accepted connection to ``target``; one thread, non-blocking sockets."""

    def __init__(
        self,
        target_host: str,
        target_port: int,
        listen_port: int = 0,
        tap: Callable[[bool, bytes], None] | None = None,
    ) -> None:
        """``tap(from_client, data)`` sees every chunk forwarded (e.g. to record a tlog)."""
        self.target = (target_host, target_port)
        self.tap = tap
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", listen_port))
        self._listener.listen(4)
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self._sel = selectors.DefaultSelector()
        self._sel.register(self._listener, selectors.EVENT_READ, None)
        self._pairs: dict[socket.socket, socket.socket] = {}
        self._up = threading.Event()
        self._up.set()
        self._running = False
        self._thread: threading.Thread | None = None
        self.dropped_bytes = 0

    @property
    def url(self) -> str:
        return f"tcp:127.0.0.1:{self.port}"

    @property
    def is_cut(self) -> bool:
        return not self._up.is_set()

    def cut(self) -> None:
        """Drop all traffic both ways from now on."""
        self._up.clear()

    def restore(self) -> None:
        self._up.set()

    def start(self) -> LinkProxy:
        self._running = True
        self._thread = threading.Thread(target=self._loop, name="link-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=3)
            self._thread = None
        for sock in list(self._pairs):
            with contextlib.suppress(OSError):
                sock.close()
        self._pairs.clear()
        with contextlib.suppress(OSError):
            self._listener.close()
        self._sel.close()

    def __enter__(self) -> LinkProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _loop(self) -> None:
        while self._running:
            for key, _ in self._sel.select(0.1):
                sock = key.fileobj
                if sock is self._listener:
                    self._accept()
                else:
                    self._forward(sock)  # type: ignore[arg-type]

    def _accept(self) -> None:
        try:
            client, _ = self._listener.accept()
        except OSError:
            return
        upstream = None
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while upstream is None:
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                # a backend that is still starting (SITL binds its port late): retry
                if time.monotonic() > deadline or not self._running:
                    client.close()
                    return
                time.sleep(0.2)
        for sock in (client, upstream):
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sel.register(sock, selectors.EVENT_READ, None)
        self._pairs[client] = upstream
        self._pairs[upstream] = client

    def _forward(self, sock: socket.socket) -> None:
        try:
            data = sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        peer = self._pairs.get(sock)
        if not data or peer is None:
            self._close_pair(sock)
            return
        if not self._up.is_set():
            self.dropped_bytes += len(data)
            return
        if self.tap is not None:
            self.tap(self._is_client(sock), data)
        try:
            peer.setblocking(True)
            peer.settimeout(2)
            peer.sendall(data)
            peer.setblocking(False)
        except OSError:
            self._close_pair(sock)

    def _is_client(self, sock: socket.socket) -> bool:
        try:
            return sock.getpeername()[1] != self.target[1]
        except OSError:
            return False

    def _close_pair(self, sock: socket.socket) -> None:
        peer = self._pairs.pop(sock, None)
        for s in (sock, peer):
            if s is None:
                continue
            self._pairs.pop(s, None)
            with contextlib.suppress(KeyError, ValueError):
                self._sel.unregister(s)
            with contextlib.suppress(OSError):
                s.close()
