"""Sharing a vehicle's link with other ground stations, as MAVProxy's ``--out`` does.

A vehicle's telemetry radio or SITL port serves one client, DronePatrol. A
:class:`Forward` is an extra UDP endpoint on that link: every message heard
from the vehicle goes out to it, one message per datagram, and every message
a client sends to it goes to the vehicle unchanged (its own system id,
sequence and signature), so QGroundControl, MAVProxy or a DroneKit script
sees and flies the vehicle DronePatrol is flying.

Endpoints (:class:`ForwardUrl`):

* ``udp:HOST:PORT`` (or ``udpout:HOST:PORT``) sends to a ground station that
  listens there (QGroundControl listens on 14550; DroneKit's
  ``connect("udp:127.0.0.1:14550")`` too) and takes its answers.
* ``udpin:HOST:PORT`` listens; it sends to whoever spoke to it lately.

The forwards run on the link's owner thread, like everything that touches
the link. :class:`ExternalAudit` turns what clients ask of the vehicle
(commands, mode changes, parameter writes, mission uploads) into
``COMMAND_SENT`` / ``COMMAND_RESULT`` events marked ``external`` with the
endpoint as actor, so the sortie's audit trail shows who else commanded it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Protocol

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from dronepatrol.events import EventBus, EventKind
from dronepatrol.mavlink.errors import MAV_RESULT_NAMES
from dronepatrol.mavlink.jobs import command_name
from dronepatrol.mavlink.session import VehicleSession
from dronepatrol.mavlink.transport import UdpTransport
from dronepatrol.mavlink.urls import LinkUrl, LinkUrlError


class AuditedLink(Protocol):
    """What the audit needs of its link (:class:`~dronepatrol.mavlink.link.Link`)."""

    bus: EventBus
    sessions: dict[int, VehicleSession]


FORWARD_SCHEMES = {"udp": "udpout", "udpout": "udpout", "udpin": "udpin"}
EXTERNAL_ANSWER_TIMEOUT_S = 5.0
"""An external request with no answer within this [s] is recorded as TIMEOUT."""
SET_MODE_ACK = mavlink.MAVLINK_MSG_ID_SET_MODE
"""ArduPilot answers a SET_MODE message with a COMMAND_ACK whose command is SET_MODE's id (11)."""
_external_ids = itertools.count(1)


class ForwardUrlError(LinkUrlError):
    """An endpoint that cannot be used; the message names it and the expected forms."""


@dataclass(frozen=True)
class ForwardUrl:
    """Where to share a link: ``udp:HOST:PORT`` / ``udpout:HOST:PORT`` or ``udpin:HOST:PORT``."""

    scheme: str
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.scheme}:{self.host}:{self.port}"

    @classmethod
    def parse(cls, text: str) -> ForwardUrl:
        """Parse ``text``; raises :class:`ForwardUrlError` naming the expected forms.

        >>> ForwardUrl.parse("udp:127.0.0.1:14550")
        ForwardUrl(scheme='udp', host='127.0.0.1', port=14550)
        """
        expected = "expected udp:HOST:PORT (send to a ground station) or udpin:HOST:PORT (listen)"
        scheme, sep, _ = text.strip().partition(":")
        if not sep or scheme not in FORWARD_SCHEMES:
            raise ForwardUrlError(f"MAVLink endpoint {text!r}: unknown scheme; {expected}")
        try:
            parsed = LinkUrl.parse(FORWARD_SCHEMES[scheme] + text.strip()[len(scheme) :])
        except LinkUrlError as exc:
            raise ForwardUrlError(f"MAVLink endpoint {text!r}: {exc}; {expected}") from None
        return cls(scheme, parsed.host, parsed.port)

    def shifted(self, offset: int) -> ForwardUrl:
        """The same endpoint ``offset`` ports on (vehicle k of a fleet uses PORT + k).

        >>> str(ForwardUrl.parse("udp:127.0.0.1:14550").shifted(2))
        'udp:127.0.0.1:14552'
        """
        port = self.port + offset
        if not 0 < port <= 65535:
            raise ForwardUrlError(f"MAVLink endpoint {self}: port {port} out of range")
        return ForwardUrl(self.scheme, self.host, port)

    @property
    def link_url(self) -> LinkUrl:
        return LinkUrl(FORWARD_SCHEMES[self.scheme], self.host, self.port)


class Forward:
    """One extra endpoint of a link: a UDP socket and a MAVLink parser of its own.

    Opened at construction, so that a port already in use fails at once.
    """

    def __init__(self, url: ForwardUrl | str) -> None:
        self.url = url if isinstance(url, ForwardUrl) else ForwardUrl.parse(url)
        self.transport = UdpTransport(self.url.link_url)
        self.transport.open()
        self.parser = mavlink.MAVLink(None)
        self.parser.robust_parsing = True
        self.messages_out = 0
        self.messages_in = 0
        self.bad_data = 0

    @property
    def actor(self) -> str:
        """Who commands through this endpoint, as the audit trail names it."""
        return f"external {self.url}"

    def fileno(self) -> int:
        return self.transport.fileno()

    def send(self, frame: bytes) -> None:
        """One whole MAVLink frame in one datagram (ground stations parse datagrams whole)."""
        try:
            self.transport.write(frame)
        except ConnectionError:
            return  # a client that is not there (yet): datagrams may be lost
        self.messages_out += 1

    def receive(self) -> list:
        """The MAVLink messages clients sent since the last call (bad bytes counted, dropped)."""
        data = self.transport.read()
        if not data:
            return []
        messages = []
        for msg in self.parser.parse_buffer(data) or ():
            if msg.get_type() == "BAD_DATA":
                self.bad_data += 1
                continue
            messages.append(msg)
        self.messages_in += len(messages)
        return messages

    def close(self) -> None:
        self.transport.close()


@dataclass
class _Request:
    """An external client's request waiting for the vehicle's answer."""

    command_id: str
    vehicle_id: str
    command: int | None
    name: str
    actor: str
    sent_at: float
    value: float | None = None
    attempts: int = 1


@dataclass
class ExternalAudit:
    """Audit events for what clients of a link's forwards ask of its vehicles (owner thread).

    Requests recorded: COMMAND_LONG / COMMAND_INT (answered by COMMAND_ACK),
    SET_MODE (ArduPilot acks it as command 11), PARAM_SET (answered by the
    PARAM_VALUE echo: ACCEPTED when the vehicle took the value, DENIED when
    it kept another) and mission, fence or rally uploads (MISSION_COUNT,
    answered by MISSION_ACK). Answers are matched to the client by its system
    and component id, as the vehicle addresses them.
    """

    link: AuditedLink
    pending: dict[tuple, _Request] = field(default_factory=dict)

    def from_client(self, forward: Forward, msg, now: float) -> None:
        kind = msg.get_type()
        client = (msg.get_srcSystem(), msg.get_srcComponent())
        if kind in ("COMMAND_LONG", "COMMAND_INT"):
            key = (*client, "command", msg.command)
            params = [msg.param1, msg.param2, msg.param3, msg.param4]
            if kind == "COMMAND_LONG":
                params += [msg.param5, msg.param6, msg.param7]
            else:  # COMMAND_INT: latitude and longitude in degE7, as sent
                params += [msg.x, msg.y, msg.z]
            self._sent(forward, msg, key, msg.command, command_name(msg.command), now, params)
        elif kind == "SET_MODE":
            key = (*client, "command", SET_MODE_ACK)
            params = [msg.base_mode, msg.custom_mode]
            self._sent(forward, msg, key, SET_MODE_ACK, "SET_MODE", now, params)
        elif kind == "PARAM_SET":
            name = _text(msg.param_id)
            key = (*client, "param", name)
            self._sent(forward, msg, key, None, f"PARAM_SET {name}", now, [msg.param_value])
            if key in self.pending:
                self.pending[key].value = float(msg.param_value)
        elif kind == "MISSION_COUNT":
            mission_type = getattr(msg, "mission_type", 0)
            key = (*client, "mission", mission_type)
            what = {0: "MISSION", 1: "FENCE", 2: "RALLY"}.get(mission_type, str(mission_type))
            self._sent(forward, msg, key, None, f"{what}_UPLOAD", now, [msg.count])

    def from_vehicle(self, msg, now: float) -> None:
        kind = msg.get_type()
        if kind == "COMMAND_ACK":
            key = (msg.target_system, msg.target_component, "command", msg.command)
            request = self.pending.get(key)
            if request is None or msg.result == mavlink.MAV_RESULT_IN_PROGRESS:  # not the answer
                return
            result = MAV_RESULT_NAMES.get(msg.result, str(msg.result))
            self._answered(key, result, msg.result, now)
        elif kind == "MISSION_ACK":
            mission_type = getattr(msg, "mission_type", 0)
            key = (msg.target_system, msg.target_component, "mission", mission_type)
            if key in self.pending:
                name = mavlink.enums["MAV_MISSION_RESULT"].get(msg.type)
                result = name.name.removeprefix("MAV_MISSION_") if name else str(msg.type)
                self._answered(key, result, msg.type, now)
        elif kind == "PARAM_VALUE":
            name = _text(msg.param_id)
            for key, request in list(self.pending.items()):
                if key[2] == "param" and key[3] == name and request.value is not None:
                    taken = abs(msg.param_value - request.value) <= 1e-4 * max(
                        1.0, abs(request.value)
                    )
                    self._answered(key, "ACCEPTED" if taken else "DENIED", None, now)

    def tick(self, now: float) -> None:
        for key, request in list(self.pending.items()):
            if now - request.sent_at > EXTERNAL_ANSWER_TIMEOUT_S:
                self._answered(key, "TIMEOUT", None, now)

    def _sent(self, forward, msg, key, command, name: str, now: float, params) -> None:
        vehicle_id = self._vehicle_for(getattr(msg, "target_system", 0))
        if vehicle_id is None:
            return
        request = self.pending.get(key)
        if request is not None:
            request.attempts += 1  # the client's retry of a request still unanswered
        else:
            request = _Request(
                f"ext-{next(_external_ids)}", vehicle_id, command, name, forward.actor, now
            )
            self.pending[key] = request
        self.link.bus.emit(
            EventKind.COMMAND_SENT,
            vehicle_id,
            command_id=request.command_id,
            command=command,
            name=name,
            params=[float(p) for p in params],
            source=request.actor,
            external=True,
            client_sysid=msg.get_srcSystem(),
            client_compid=msg.get_srcComponent(),
            attempt=request.attempts,
        )

    def _answered(self, key, result: str, code: int | None, now: float) -> None:
        request = self.pending.pop(key)
        self.link.bus.emit(
            EventKind.COMMAND_RESULT,
            request.vehicle_id,
            command_id=request.command_id,
            command=request.command,
            name=request.name,
            ok=result == "ACCEPTED",
            result=result,
            result_code=code,
            reason="",
            source=request.actor,
            external=True,
            attempts=request.attempts,
            elapsed_s=round(now - request.sent_at, 3),
        )

    def _vehicle_for(self, target_system: int) -> str | None:
        """The vehicle a request is for (a broadcast goes to the link's first vehicle)."""
        session = self.link.sessions.get(target_system)
        if session is None and target_system == 0 and self.link.sessions:
            session = next(iter(self.link.sessions.values()))
        return session.tracker.vehicle_id if session is not None else None


def _text(value) -> str:
    text = value.decode(errors="replace") if isinstance(value, bytes) else str(value)
    return text.rstrip("\x00")
