"""Network side of a simulated vehicle: a TCP server (several clients) and an optional UDP output.

Everything runs on the fleet's one loop thread with non-blocking sockets and
a :mod:`selectors` selector, so twenty vehicles cost one thread. Each client
connection gets its own MAVLink parser; replies the vehicle addresses to a
client go to it alone, everything else to every client. A "cut" link
(fault injection) silently drops traffic both ways while the sockets stay
open, like a radio out of range.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
from typing import TYPE_CHECKING, Any

from pymavlink.dialects.v20 import ardupilotmega as mavlink

if TYPE_CHECKING:
    from dronepatrol.sitl.copter import SimCopter

log = logging.getLogger(__name__)

MAX_PENDING_BYTES = 512 * 1024
"""A client that falls this far behind loses its backlog (like a saturated radio)."""


def _parser() -> mavlink.MAVLink:
    parser = mavlink.MAVLink(None, srcSystem=255, srcComponent=0)
    parser.robust_parsing = True
    return parser


class Client:
    """One connected ground station (TCP connection or UDP peer)."""

    def __init__(self, endpoint: Endpoint, sock: socket.socket | None, peer: Any) -> None:
        self.endpoint = endpoint
        self.sock = sock
        self.peer = peer
        self.parser = _parser()
        self.pending = bytearray()

    def __repr__(self) -> str:
        return f"Client({self.peer})"


class Endpoint:
    """The sockets of one vehicle: TCP listener, its clients, optional UDP output."""

    def __init__(
        self,
        vehicle: SimCopter,
        selector: selectors.BaseSelector,
        host: str,
        port: int,
        udp_out: tuple[str, int] | None = None,
    ) -> None:
        self.vehicle = vehicle
        self.selector = selector
        self.link_up = True
        # SITL waits for its first connection on SERIAL0 before it starts running
        # ("Waiting for connection"); with a UDP output there is nothing to wait for
        self.started = udp_out is not None
        self.clients: list[Client] = []
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, port))
        self.listener.listen(8)
        self.listener.setblocking(False)
        self.host = host
        self.port = self.listener.getsockname()[1]
        selector.register(self.listener, selectors.EVENT_READ, ("accept", self))
        self.udp: socket.socket | None = None
        self.udp_client: Client | None = None
        if udp_out is not None:
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.udp.setblocking(False)
            self.udp.connect(udp_out)
            self.udp_client = Client(self, None, udp_out)
            selector.register(self.udp, selectors.EVENT_READ, ("udp", self))

    @property
    def url(self) -> str:
        return f"tcp:{self.host}:{self.port}"

    # -- events -------------------------------------------------------------
    def accept(self) -> None:
        try:
            sock, peer = self.listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client = Client(self, sock, peer)
        self.clients.append(client)
        self.started = True
        self.selector.register(sock, selectors.EVENT_READ, ("client", client))

    def readable(self, client: Client) -> None:
        assert client.sock is not None
        try:
            data = client.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self.drop(client)
            return
        self._feed(client, data)

    def udp_readable(self) -> None:
        assert self.udp is not None and self.udp_client is not None
        while True:
            try:
                data = self.udp.recv(65536)
            except (BlockingIOError, InterruptedError, ConnectionRefusedError):
                return
            except OSError:
                return
            self._feed(self.udp_client, data)

    def _feed(self, client: Client, data: bytes) -> None:
        if not self.link_up:
            return
        try:
            messages = client.parser.parse_buffer(data) or []
        except mavlink.MAVError:
            return
        for msg in messages:
            if msg.get_type() == "BAD_DATA":
                continue
            try:
                self.vehicle.handlers.handle(client, msg)
            except Exception:  # a malformed request must not stop the fleet
                log.exception("vehicle %d: error handling %s", self.vehicle.sysid, msg)

    def drop(self, client: Client) -> None:
        if client in self.clients:
            self.clients.remove(client)
        if client.sock is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(client.sock)
            client.sock.close()

    # -- output ---------------------------------------------------------------
    def flush(self) -> None:
        """Send the vehicle's queued messages to their clients."""
        outbox = self.vehicle.outbox
        if not outbox:
            return
        self.vehicle.outbox = []
        if not self.link_up:
            return
        broadcast = bytearray()
        for client, buf in outbox:
            if client is None:
                broadcast += buf
                for c in self.clients:
                    c.pending += buf
            elif client is self.udp_client:
                self._udp_send(buf)
            else:
                client.pending += buf
        if broadcast:
            self._udp_send(bytes(broadcast))
        for c in list(self.clients):
            self._write(c)

    def _udp_send(self, data: bytes) -> None:
        if self.udp is None:
            return
        # keep datagrams under a typical MTU, on message boundaries is not needed
        # for MAVLink parsers, but small datagrams are friendlier to routers
        for i in range(0, len(data), 1400):
            with contextlib.suppress(OSError):
                self.udp.send(data[i : i + 1400])

    def _write(self, client: Client) -> None:
        if not client.pending or client.sock is None:
            return
        try:
            sent = client.sock.send(client.pending)
        except (BlockingIOError, InterruptedError):
            sent = 0
        except OSError:
            self.drop(client)
            return
        del client.pending[:sent]
        if len(client.pending) > MAX_PENDING_BYTES:
            client.pending.clear()
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.pending else 0)
        with contextlib.suppress(KeyError, ValueError):
            self.selector.modify(client.sock, events, ("client", client))

    def writable(self, client: Client) -> None:
        self._write(client)

    def close(self) -> None:
        for client in list(self.clients):
            self.drop(client)
        with contextlib.suppress(KeyError, ValueError):
            self.selector.unregister(self.listener)
        self.listener.close()
        if self.udp is not None:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(self.udp)
            self.udp.close()
