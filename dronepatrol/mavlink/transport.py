"""Byte transports under a link: TCP client, UDP in/out and serial.

A transport moves raw bytes and nothing else; the link's owner thread is its
only user. ``read`` is called only after ``select`` says the descriptor is
readable, so it never blocks; a closed TCP connection or a vanished serial
device raises :class:`ConnectionError`, and the link reopens the transport.
"""

from __future__ import annotations

import socket
import time

from dronepatrol.mavlink.urls import LinkUrl

READ_SIZE = 65536
SEND_TIMEOUT_S = 1.0
"""A write that cannot complete within this [s] counts as a dropped link."""


class Transport:
    """Base class: one byte pipe, opened and reopened by the link."""

    url: LinkUrl

    def open(self) -> None:
        """Open the pipe; raises :class:`OSError` when that is impossible now."""
        raise NotImplementedError

    def fileno(self) -> int:
        raise NotImplementedError

    def read(self) -> bytes:
        """The bytes waiting now (possibly none); raises ConnectionError on close."""
        raise NotImplementedError

    def write(self, data: bytes) -> None:
        """Send ``data``; raises ConnectionError when the pipe is gone."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    @property
    def is_open(self) -> bool:
        raise NotImplementedError


class TcpTransport(Transport):
    """A TCP client (``tcp:HOST:PORT``), as ground stations connect to SITL."""

    def __init__(self, url: LinkUrl, connect_timeout_s: float = 2.0) -> None:
        self.url = url
        self.connect_timeout_s = connect_timeout_s
        self._sock: socket.socket | None = None

    def open(self) -> None:
        sock = socket.create_connection((self.url.host, self.url.port), self.connect_timeout_s)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(SEND_TIMEOUT_S)
        self._sock = sock

    def fileno(self) -> int:
        assert self._sock is not None
        return self._sock.fileno()

    def read(self) -> bytes:
        assert self._sock is not None
        try:
            data = self._sock.recv(READ_SIZE)
        except (BlockingIOError, TimeoutError):
            return b""
        except OSError as exc:
            raise ConnectionError(str(exc)) from exc
        if not data:
            raise ConnectionError("connection closed by the vehicle")
        return data

    def write(self, data: bytes) -> None:
        if self._sock is None:
            raise ConnectionError("not connected")
        try:
            self._sock.sendall(data)
        except OSError as exc:
            raise ConnectionError(str(exc)) from exc

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    @property
    def is_open(self) -> bool:
        return self._sock is not None


class UdpTransport(Transport):
    """UDP: ``udpin`` listens and answers everyone heard lately; ``udpout`` sends to HOST:PORT.

    Several vehicles may send to one ``udpin`` port (a radio per vehicle bridged
    to UDP): each outgoing datagram goes to every address heard within
    ``PEER_TIMEOUT_S``, and a vehicle ignores messages addressed to others.
    """

    PEER_TIMEOUT_S = 30.0

    def __init__(self, url: LinkUrl) -> None:
        self.url = url
        self._sock: socket.socket | None = None
        self._peers: dict[tuple[str, int], float] = {}

    def open(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if self.url.scheme == "udpin":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.url.host, self.url.port))
            except OSError:
                sock.close()
                raise
        else:
            self._peers = {(self.url.host, self.url.port): float("inf")}
        sock.setblocking(False)
        self._sock = sock

    def fileno(self) -> int:
        assert self._sock is not None
        return self._sock.fileno()

    def read(self) -> bytes:
        assert self._sock is not None
        chunks = []
        now = time.monotonic()
        while True:
            try:
                data, peer = self._sock.recvfrom(READ_SIZE)
            except (BlockingIOError, InterruptedError):
                break
            except ConnectionRefusedError:
                # ICMP "port unreachable" after a send: the vehicle is not there (yet).
                break
            if self.url.scheme == "udpin":
                self._peers[peer] = now
            chunks.append(data)
        return b"".join(chunks)

    def write(self, data: bytes) -> None:
        if self._sock is None:
            return
        now = time.monotonic()
        for peer, seen in list(self._peers.items()):
            if now - seen > self.PEER_TIMEOUT_S:
                del self._peers[peer]  # udpin: not heard for a while
                continue
            try:
                self._sock.sendto(data, peer)
            except (BlockingIOError, ConnectionRefusedError):
                pass  # datagrams may be lost; the protocols above retry
            except OSError as exc:
                raise ConnectionError(str(exc)) from exc

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    @property
    def is_open(self) -> bool:
        return self._sock is not None


class SerialTransport(Transport):
    """A serial telemetry radio (``serial:/dev/ttyUSB0:57600``), through pyserial."""

    def __init__(self, url: LinkUrl) -> None:
        self.url = url
        self._port = None

    def open(self) -> None:
        import serial  # pyserial; imported here so TCP-only users do not need a device layer

        try:
            self._port = serial.Serial(
                self.url.host, self.url.port, timeout=0, write_timeout=SEND_TIMEOUT_S
            )
        except serial.SerialException as exc:
            raise OSError(str(exc)) from exc

    def fileno(self) -> int:
        assert self._port is not None
        return self._port.fileno()

    def read(self) -> bytes:
        import serial

        assert self._port is not None
        try:
            return self._port.read(max(1, self._port.in_waiting))
        except (serial.SerialException, OSError) as exc:
            raise ConnectionError(str(exc)) from exc

    def write(self, data: bytes) -> None:
        import serial

        if self._port is None:
            raise ConnectionError("serial port not open")
        try:
            self._port.write(data)
        except (serial.SerialException, OSError) as exc:
            raise ConnectionError(str(exc)) from exc

    def close(self) -> None:
        if self._port is not None:
            self._port.close()
            self._port = None

    @property
    def is_open(self) -> bool:
        return self._port is not None


def make_transport(url: LinkUrl) -> Transport:
    """The transport for ``url``'s scheme."""
    if url.scheme == "tcp":
        return TcpTransport(url)
    if url.scheme in ("udpin", "udpout"):
        return UdpTransport(url)
    return SerialTransport(url)
