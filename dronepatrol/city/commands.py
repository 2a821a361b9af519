"""Commands from the centre, taken at the station: deadline, safety set, audit, replies.

A request names the person at the centre who asked (``actor``) and their
role there. The station acts on it only before its deadline, only for an
operator (or admin), as its own web app requires, and only for the operations in
:data:`CENTRE_OPERATIONS`, asks its fleet whether the vehicle can take it now,
submits it with ``source="centre:<actor>"`` (so the vehicle's command events
name the person), writes it to the station's own audit log under the same
name, and replies: ``accepted`` (with the station's command id), ``refused``
or ``expired`` at once, then ``completed`` or ``failed`` when the vehicle's
acknowledgement (or its timeout) settles the operation.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from typing import Any, Protocol

from dronepatrol.accounts.roles import Role
from dronepatrol.city.contract import CommandReply, CommandRequest, Kind, Message, ReplyStatus

log = logging.getLogger(__name__)

CENTRE_OPERATIONS = frozenset({"rtl", "land", "pause", "resume"})
"""Operations the centre may order. Gotos and orbits are routed round the no-fly zones by
the station's planner in its own web app; over the bus they are refused until that
routing is done at the station for them too."""


COMMAND_ROLE = Role.OPERATOR
"""The least role at the centre whose commands a station flies (as its own web app asks)."""


class FleetLike(Protocol):
    def why_not(self, vehicle_id: str, operation: str) -> str | None: ...

    def submit(self, vehicle_id: str, operation: str, *args: Any, **kwargs: Any) -> Any: ...


Publish = Callable[[Kind, Message], bool]


class CommandDesk:
    """Takes the centre's command requests for one station (on the station link's worker)."""

    def __init__(
        self,
        station: str,
        fleet: FleetLike | None,
        audit: Callable[..., None] | None,
        publish: Publish,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.station = station
        self._fleet = fleet
        self._audit = audit
        self._publish = publish
        self._clock = clock
        self._requests: queue.SimpleQueue[CommandRequest] = queue.SimpleQueue()
        self._outcomes: queue.SimpleQueue[CommandReply] = queue.SimpleQueue()
        self._seen: dict[str, float] = {}  # request_id -> deadline: a redelivery is not redone

    def receive(self, request: CommandRequest) -> None:
        """Queue a request (called on the MQTT thread: never blocks)."""
        self._requests.put(request)

    def work(self) -> None:
        """Handle queued requests and send settled outcomes."""
        while True:
            try:
                self._handle(self._requests.get_nowait())
            except queue.Empty:
                break
        while True:
            try:
                reply = self._outcomes.get_nowait()
            except queue.Empty:
                break
            self._publish(Kind.REPLY, reply)
        now = self._clock()
        for request_id, deadline in list(self._seen.items()):
            if deadline < now - 600:
                del self._seen[request_id]

    def _reply(self, request: CommandRequest, status: ReplyStatus, reason: str = "", **kw: Any):
        reply = CommandReply(
            station=self.station,
            request_id=request.request_id,
            status=status,
            reason=reason,
            **kw,
        )
        self._publish(Kind.REPLY, reply)

    def _record(self, request: CommandRequest, ok: bool, **detail: Any) -> None:
        if self._audit is None:
            return
        try:
            self._audit(
                f"centre:{request.actor}",
                f"command {request.operation}",
                ok,
                vehicle=request.vehicle,
                request_id=request.request_id,
                role=request.role,
                via="centre",
                **detail,
            )
        except Exception:
            log.exception("city bus: audit of a centre command failed")

    def _handle(self, request: CommandRequest) -> None:
        if request.request_id in self._seen:
            return  # QoS 1 may deliver twice: the first delivery was answered
        self._seen[request.request_id] = request.deadline_s
        now = self._clock()
        if now > request.deadline_s:
            reason = f"received {now - request.deadline_s:.1f} s after its deadline"
            self._record(request, False, reason=reason)
            self._reply(request, "expired", reason)
            return
        reason = self._why_not(request)
        if reason is not None:
            self._record(request, False, reason=reason)
            self._reply(request, "refused", reason)
            return
        assert self._fleet is not None
        try:
            handle = self._fleet.submit(
                request.vehicle,
                request.operation,
                *request.arguments,
                source=f"centre:{request.actor}",
            )
        except (KeyError, ValueError, TypeError) as exc:
            self._record(request, False, reason=str(exc))
            self._reply(request, "refused", str(exc))
            return
        command_id = str(getattr(handle, "command_id", ""))
        self._record(request, True, command_id=command_id)
        self._reply(request, "accepted", command_id=command_id)
        future = getattr(handle, "future", None)
        if future is not None:
            future.add_done_callback(lambda f: self._settled(request, command_id, f))

    def _why_not(self, request: CommandRequest) -> str | None:
        if not Role(request.role).allows(COMMAND_ROLE):
            return (
                f"{request.actor} is a {request.role} at the centre: flight commands need "
                f"the {COMMAND_ROLE} role"
            )
        if request.operation not in CENTRE_OPERATIONS:
            return (
                f"operation {request.operation!r} is not taken from the centre; "
                f"use one of {sorted(CENTRE_OPERATIONS)}"
            )
        if self._fleet is None:
            return "this station flies no vehicles"
        try:
            return self._fleet.why_not(request.vehicle, request.operation)
        except (KeyError, ValueError) as exc:
            return f"no vehicle {request.vehicle!r} at station {self.station}: {exc}"

    def _settled(self, request: CommandRequest, command_id: str, future: Any) -> None:
        error = future.exception()
        self._outcomes.put(
            CommandReply(
                station=self.station,
                request_id=request.request_id,
                status="failed" if error else "completed",
                reason=str(error) if error else "",
                command_id=command_id,
            )
        )
