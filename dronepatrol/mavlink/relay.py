"""A vehicle port shared with ground stations when no DronePatrol link flies it.

``dronepatrol sim --mavlink-out`` uses this: one thread connects to a
simulated vehicle's port and does what a link's forwards do (see
:mod:`.forward`): every message from the vehicle out to each endpoint, one per
datagram, and every message from an endpoint's clients in to the vehicle as it
is. It sends nothing of its own (no heartbeat), so the vehicle's GCS failsafe
sees only the real ground stations.
"""

from __future__ import annotations

import logging
import select
import threading
from collections.abc import Sequence

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.mavlink.forward import Forward, ForwardUrl
from dronepatrol.mavlink.transport import make_transport
from dronepatrol.mavlink.urls import LinkUrl

log = logging.getLogger(__name__)


class ForwardRelay:
    """Relay one vehicle link (``tcp:HOST:PORT``...) to extra endpoints, on its own thread."""

    def __init__(self, url: str | LinkUrl, forwards: Sequence[ForwardUrl | str]) -> None:
        self.url = url if isinstance(url, LinkUrl) else LinkUrl.parse(url)
        self.transport = make_transport(self.url)
        self.forwards: list[Forward] = []
        try:
            for endpoint in forwards:
                self.forwards.append(Forward(endpoint))
        except OSError:
            self._close_forwards()
            raise
        self.parser = mavlink.MAVLink(None)
        self.parser.robust_parsing = True
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"relay {self.url}", daemon=True)

    def start(self) -> ForwardRelay:
        self._thread.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                if not self.transport.is_open:
                    try:
                        self.transport.open()
                        self.parser.buf = bytearray()
                        self.parser.buf_index = 0
                    except OSError:
                        self._stop.wait(0.5)
                        continue
                self._step()
        finally:
            self.transport.close()
            self._close_forwards()

    def _step(self) -> None:
        vehicle_fd = self.transport.fileno()
        fds = [vehicle_fd, *(f.fileno() for f in self.forwards)]
        readable, _, _ = select.select(fds, [], [], 0.2)
        try:
            if vehicle_fd in readable:
                for msg in self.parser.parse_buffer(self.transport.read()) or ():
                    if msg.get_type() != "BAD_DATA":
                        frame = bytes(msg.get_msgbuf())
                        for forward in self.forwards:
                            forward.send(frame)
            for forward in self.forwards:
                if forward.fileno() in readable:
                    frames = [bytes(m.get_msgbuf()) for m in forward.receive()]
                    if frames:
                        self.transport.write(b"".join(frames))
        except ConnectionError as exc:
            log.info("relay %s: vehicle link dropped: %s", self.url, exc)
            self.transport.close()

    def _close_forwards(self) -> None:
        for forward in self.forwards:
            forward.close()
