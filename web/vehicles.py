"""Vehicle commands from the control app: queue, answer at once, report by event.

``POST /api/vehicles/<id>/commands`` with ``{"command": NAME, ...arguments}``
answers 202 with a request id when the command is queued, 409 with the
reason when the vehicle cannot take it now (link down, not armed, no
mission...), 400 for a malformed request. The handler never waits for the
radio: the outcome arrives on the event stream as the ``command_result``
event whose ``command_id`` is the request id (``result`` ``DONE``, or the
refusal and the autopilot's ``reason``), after one such event per MAVLink
command the operation sent. Every accepted command and every refusal is
written to the audit log with who asked.
"""

from __future__ import annotations

from typing import Any

from flask import abort, g

from dronepatrol.accounts import Role
from dronepatrol.actions import Action, why_not
from dronepatrol.planning.orders import (
    CAMERA_RANGE_M,
    OrderRefused,
    RoutedOrder,
    Unflyable,
    route_order,
)
from dronepatrol.state import VehicleSnapshot
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.schema.base import ApiBlueprint, Error, refuse, reply, validated
from dronepatrol.web.schema.vehicles import ACTIONS, Command, CommandQueued, FlightCommand
from dronepatrol.web.security import require

bp = ApiBlueprint("vehicles", __name__)


class Refused(Exception):
    """The vehicle cannot take the command now; the message says why and what to do."""


def _route(
    room: Any, snapshot: VehicleSnapshot, operation: str, arguments: list[Any]
) -> RoutedOrder:
    """The order as flown round the room's no-fly zones (:func:`route_order`)."""
    camera_range = getattr(room.dispatcher, "camera_range_m", CAMERA_RANGE_M)
    return route_order(room.airspace(), snapshot, operation, arguments, camera_range)


@bp.post(
    "/api/vehicles/<vehicle_id>/commands",
    responses={202: CommandQueued, 404: Error, 409: Error, 422: Error},
)
@require(Role.OPERATOR)
@validated
def command(vehicle_id: str, body: Command) -> Any:
    """Queue a flight command; the outcome arrives as command_result events.

    409 with the reason when the vehicle cannot take it now; 422 when the place can
    never be flown safely (an orbit into a no-fly zone). Gotos, orbits and RTL are
    routed round the no-fly zones. ``battery_swapped``
    (on the ground, disarmed; ``percentage`` 0..100, default 100) tells the
    autopilot the crew put in a charged pack: MAV_CMD_BATTERY_RESET.
    """
    room = control_room()
    order: FlightCommand = body.root
    name, arguments = order.command, order.arguments()  # type: ignore[attr-defined]
    snapshot = next((s for s in room.snapshots() if s.vehicle_id == vehicle_id), None)
    if snapshot is None or room.fleet is None:
        abort(404, description=f"no vehicle {vehicle_id!r}; see GET /api/vehicles")
    actor = g.user.name
    try:
        unknown = room.unknown_vehicle(vehicle_id)
        if unknown:
            raise Refused(unknown)
        blocked = why_not(snapshot, ACTIONS[name])
        if blocked:
            raise Refused(f"the vehicle is {blocked}" if blocked.startswith("link") else blocked)
        routed = _route(room, snapshot, order.operation, arguments)
        if ACTIONS[name] in (Action.ARM, Action.TAKEOFF):
            blocking = room.fleet.why_not(vehicle_id, "takeoff")  # the autopilot's arming view
            if blocking:
                raise Refused(f"not ready to fly: {blocking}")
    except (Refused, OrderRefused) as exc:
        audit(
            f"command {name}",
            False,
            vehicle=vehicle_id,
            reason=str(exc),
        )
        if isinstance(exc, Unflyable):
            return refuse(422, "Unprocessable Entity", str(exc))
        return refuse(409, "Conflict", str(exc))
    handle = room.fleet.submit(vehicle_id, order.operation, *routed.arguments, source=actor)
    request_id = handle.command_id
    audit(
        f"command {name}",
        True,
        vehicle=vehicle_id,
        request_id=request_id,
        arguments=arguments,
    )
    return reply(
        CommandQueued(
            request_id=request_id,
            vehicle=vehicle_id,
            command=name,
            status="queued",
            **routed.told(),
        ),
        202,
    )
