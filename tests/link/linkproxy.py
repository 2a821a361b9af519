"""A TCP relay between the link and a vehicle whose radio can be cut.

``cut()`` keeps both connections open but drops every byte both ways, as a
telemetry radio out of range does; ``restore()`` lets bytes through again.
Works in front of the embedded simulator and of real ArduCopter SITL alike.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading


class CuttableRelay(threading.Thread):
    def __init__(self, upstream_url: str) -> None:
        super().__init__(daemon=True, name="cuttable relay")
        _scheme, host, port = upstream_url.split(":")
        self.upstream = (host, int(port))
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(2)
        self.url = f"tcp:127.0.0.1:{self.server.getsockname()[1]}"
        self.up = True
        self._halt = threading.Event()
        self._pairs: list[tuple[socket.socket, socket.socket]] = []

    def cut(self) -> None:
        self.up = False

    def restore(self) -> None:
        self.up = True

    def stop(self) -> None:
        self._halt.set()
        self.join(5)
        for a, b in self._pairs:
            a.close()
            b.close()
        self.server.close()

    def run(self) -> None:
        peers: dict[socket.socket, socket.socket] = {}
        while not self._halt.is_set():
            readable, _, _ = select.select([self.server, *peers], [], [], 0.05)
            for sock in readable:
                if sock is self.server:
                    client, _ = self.server.accept()
                    try:
                        vehicle = socket.create_connection(self.upstream, 5)
                    except OSError:  # not listening yet (SITL starting): the link retries
                        client.close()
                        continue
                    peers[client], peers[vehicle] = vehicle, client
                    self._pairs.append((client, vehicle))
                    continue
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                other = peers.get(sock)
                if not data or other is None:
                    peers.pop(sock, None)
                    if other is not None:
                        peers.pop(other, None)
                        other.close()
                    sock.close()
                    continue
                if self.up:
                    with contextlib.suppress(OSError):
                        other.sendall(data)
