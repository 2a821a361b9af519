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

from collections.abc import Callable
from typing import Any

from flask import abort, g

from dronepatrol.accounts import Role
from dronepatrol.state import VehicleSnapshot
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.schema.base import ApiBlueprint, Error, refuse, reply, validated
from dronepatrol.web.schema.vehicles import Command, CommandQueued, FlightCommand
from dronepatrol.web.security import require

bp = ApiBlueprint("vehicles", __name__)


class Refused(Exception):
    """The vehicle cannot take the command now; the message says why and what to do."""


def _armed(s: VehicleSnapshot) -> None:
    if not s.armed:
        raise Refused("the vehicle is not armed: arm it and take off first")


def _disarmed(s: VehicleSnapshot) -> None:
    if s.armed:
        raise Refused("the vehicle is already armed")


def _airborne(s: VehicleSnapshot) -> None:
    _armed(s)
    if s.position is None or (not s.airborne and s.position.alt_rel_m < 1.0):
        raise Refused("the vehicle is on the ground: take off first")


def _mission_loaded(s: VehicleSnapshot) -> None:
    _armed(s)
    if s.mission.total <= 1:
        raise Refused("no mission on the vehicle: upload a plan first")


def _in_auto(s: VehicleSnapshot) -> None:
    _airborne(s)
    if s.mode != "AUTO":
        raise Refused(f"the vehicle is in {s.mode}, not flying a mission (AUTO)")


def _paused(s: VehicleSnapshot) -> None:
    _airborne(s)
    if s.mode not in ("BRAKE", "LOITER", "GUIDED"):
        raise Refused(f"the mission is not paused (mode {s.mode}): pause it first")


def _landed_disarmed(s: VehicleSnapshot) -> None:
    if s.armed or s.airborne:
        raise Refused("the vehicle is armed: land and disarm it before swapping the battery")


def _any(_: VehicleSnapshot) -> None:
    return None


PRECONDITIONS: dict[str, Callable[[VehicleSnapshot], None]] = {
    "arm": _disarmed,
    "disarm": _armed,
    "takeoff": _disarmed,
    "start": _mission_loaded,
    "pause": _in_auto,
    "resume": _paused,
    "goto": _airborne,
    "orbit": _airborne,
    "speed": _airborne,
    "rtl": _armed,
    "land": _armed,
    "battery_swapped": _landed_disarmed,
}
"""What each command (:data:`dronepatrol.web.schema.vehicles.COMMANDS`) needs of the vehicle."""


@bp.post(
    "/api/vehicles/<vehicle_id>/commands",
    responses={202: CommandQueued, 404: Error, 409: Error},
)
@require(Role.OPERATOR)
@validated
def command(vehicle_id: str, body: Command) -> Any:
    """Queue a flight command; the outcome arrives as command_result events.

    409 with the reason when the vehicle cannot take it now. ``battery_swapped``
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
        if snapshot.link.value != "up":
            raise Refused(f"link to the vehicle is {snapshot.link.value}: wait until it is back")
        PRECONDITIONS[name](snapshot)
        if order.operation in ("arm", "takeoff"):
            blocking = room.fleet.why_not(vehicle_id, "takeoff")  # the autopilot's arming view
            if blocking:
                raise Refused(f"not ready to fly: {blocking}")
    except Refused as exc:
        audit(
            f"command {name}",
            False,
            vehicle=vehicle_id,
            reason=str(exc),
        )
        return refuse(409, "Conflict", str(exc))
    handle = room.fleet.submit(vehicle_id, order.operation, *arguments, source=actor)
    request_id = handle.command_id
    audit(
        f"command {name}",
        True,
        vehicle=vehicle_id,
        request_id=request_id,
        arguments=arguments,
    )
    return reply(
        CommandQueued(request_id=request_id, vehicle=vehicle_id, command=name, status="queued"),
        202,
    )
