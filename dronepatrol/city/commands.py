"""Commands from the centre, taken at the station: deadline, safety set, audit, replies.

A request names the person at the centre who asked (``actor``) and their
role there. The station acts on it only before its deadline, only for an
operator (or admin), as its own web app requires, and only for the orders in
:data:`CENTRE_OPERATIONS`, with their arguments checked as the web app checks
them (:func:`dronepatrol.planning.orders.parse_order`). It asks its fleet whether
the vehicle can take the order now and routes it round the station's no-fly
zones exactly as its own web app does (:func:`dronepatrol.planning.orders.route_order`):
a goto into a zone watches the place from outside, an orbit into one is
refused, an RTL flies the routed way home rather than the autopilot's
straight line. It submits the routed operation with ``source="centre:<actor>"``
(so the vehicle's command events name the person), writes it to the station's
own audit log under the same name, and replies: ``accepted`` (with the
station's command id, and the ``route`` and ``watch`` it will fly),
``refused`` (with the reason) or ``expired`` at once, then ``completed`` or
``failed`` when the vehicle's acknowledgement (or its timeout) settles the
operation.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable
from typing import Any, Protocol

from dronepatrol.accounts.roles import Role
from dronepatrol.city.contract import CommandReply, CommandRequest, Kind, Message, ReplyStatus
from dronepatrol.planning.airspace import Airspace
from dronepatrol.planning.orders import (
    CAMERA_RANGE_M,
    OrderRefused,
    RoutedOrder,
    parse_order,
    route_order,
)
from dronepatrol.state import VehicleSnapshot

log = logging.getLogger(__name__)

CENTRE_OPERATIONS = frozenset({"rtl", "land", "pause", "resume", "goto", "orbit"})
"""Orders the centre may give, by the names and argument shapes of
:data:`dronepatrol.planning.orders.ORDERS` (the station's web app's flight commands):
``goto [lat, lon, alt_m]``, ``orbit [lat, lon, alt_m, radius_m]``, the rest none.
Arming and take-off stay with the crew at the station."""


COMMAND_ROLE = Role.OPERATOR
"""The least role at the centre whose commands a station flies (as its own web app asks)."""


class FleetLike(Protocol):
    def snapshots(self) -> list[VehicleSnapshot]: ...

    def why_not(self, vehicle_id: str, operation: str) -> str | None: ...

    def submit(self, vehicle_id: str, operation: str, *args: Any, **kwargs: Any) -> Any: ...


Publish = Callable[[Kind, Message], bool]

_OPEN_SKY = Airspace(())
"""A station with no patrol network knows no no-fly zone."""


class CommandDesk:
    """Takes the centre's command requests for one station (on the station link's worker).

    Args:
        station: this station's id.
        fleet: its vehicles (None: every order is refused).
        audit: ``audit(username, action, ok, **detail)``, the station's audit log.
        publish: sends a reply to the centre.
        airspace: the station's no-fly zones now (its web app's ``airspace``); None: none.
        camera_range_m: farthest a goto's vantage may be from the place [m], now.
    """

    def __init__(
        self,
        station: str,
        fleet: FleetLike | None,
        audit: Callable[..., None] | None,
        publish: Publish,
        *,
        airspace: Callable[[], Airspace] | None = None,
        camera_range_m: Callable[[], float] = lambda: CAMERA_RANGE_M,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.station = station
        self._fleet = fleet
        self._airspace = airspace or (lambda: _OPEN_SKY)
        self._camera_range_m = camera_range_m
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
        try:
            order = self._order(request)
        except OrderRefused as exc:
            self._record(request, False, reason=str(exc))
            self._reply(request, "refused", str(exc))
            return
        except Exception as exc:  # a broken airspace must not leave the centre unanswered
            log.exception("city bus: routing a centre order failed")
            reason = f"the station could not route the order round its no-fly zones: {exc}"
            self._record(request, False, reason=reason)
            self._reply(request, "refused", reason)
            return
        assert self._fleet is not None
        try:
            handle = self._fleet.submit(
                request.vehicle,
                order.operation,
                *order.arguments,
                source=f"centre:{request.actor}",
            )
        except (KeyError, ValueError, TypeError) as exc:
            self._record(request, False, reason=str(exc))
            self._reply(request, "refused", str(exc))
            return
        command_id = str(getattr(handle, "command_id", ""))
        told = order.told()
        self._record(request, True, command_id=command_id, arguments=request.arguments, **told)
        self._reply(request, "accepted", command_id=command_id, **told)
        future = getattr(handle, "future", None)
        if future is not None:
            future.add_done_callback(lambda f: self._settled(request, command_id, f))

    def _order(self, request: CommandRequest) -> RoutedOrder:
        """The request as the vehicle will fly it; OrderRefused says why not."""
        if not Role(request.role).allows(COMMAND_ROLE):
            raise OrderRefused(
                f"{request.actor} is a {request.role} at the centre: flight commands need "
                f"the {COMMAND_ROLE} role"
            )
        if request.operation not in CENTRE_OPERATIONS:
            raise OrderRefused(
                f"operation {request.operation!r} is not taken from the centre; "
                f"use one of {sorted(CENTRE_OPERATIONS)}"
            )
        operation, arguments = parse_order(request.operation, request.arguments)
        if self._fleet is None:
            raise OrderRefused("this station flies no vehicles")
        try:
            blocked = self._fleet.why_not(request.vehicle, operation)
        except (KeyError, ValueError) as exc:
            raise OrderRefused(
                f"no vehicle {request.vehicle!r} at station {self.station}: {exc}"
            ) from None
        if blocked:
            raise OrderRefused(blocked)
        snapshot = next(
            (s for s in self._fleet.snapshots() if s.vehicle_id == request.vehicle), None
        )
        if snapshot is None:
            raise OrderRefused(f"no vehicle {request.vehicle!r} at station {self.station}")
        return route_order(self._airspace(), snapshot, operation, arguments, self._camera_range_m())

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
