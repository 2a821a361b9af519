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
from dronepatrol.planning.airspace import NoSafeVantage
from dronepatrol.state import VehicleSnapshot
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.schema.base import ApiBlueprint, Error, refuse, reply, validated
from dronepatrol.web.schema.vehicles import ACTIONS, Command, CommandQueued, FlightCommand
from dronepatrol.web.security import require

bp = ApiBlueprint("vehicles", __name__)


class Refused(Exception):
    """The vehicle cannot take the command now; the message says why and what to do."""


class Unflyable(Refused):
    """The place asked for can never be flown safely (HTTP 422): inside a no-fly zone and
    nowhere outside within camera range, or an orbit that would cross one."""


def _route(
    room: Any, snapshot: VehicleSnapshot, operation: str, arguments: list[Any]
) -> tuple[list[Any], dict[str, Any]]:
    """The operation's arguments with the route round the no-fly zones, and what to tell.

    A goto to a place inside a no-fly zone flies to the nearest safe point
    outside it and points the camera at the place; an orbit that would enter a
    zone is refused; RTL flies the route home when the straight line crosses one.
    """
    airspace = room.airspace()
    if operation in ("safe_arm", "safe_takeoff"):  # the no-fly zones join the vehicle's fence
        return [*arguments, list(airspace.fence().fence_items())], {}
    if operation not in ("fly_route", "orbit_via", "return_home"):
        return arguments, {}
    here = snapshot.position
    start = (here.lat_deg, here.lon_deg)
    if operation == "return_home":
        home = snapshot.home
        if home is None:
            return [[]], {}
        route = airspace.route_home(start, (home.lat_deg, home.lon_deg))
        if route is None:
            raise Refused("no flyable route home round the no-fly zones: land or fly it by hand")
        return [route], {"route": [list(p) for p in route]}
    if operation == "orbit_via":
        lat, lon, alt, radius = arguments
        zone = airspace.zone_at(lat, lon)
        if zone is not None or not airspace.circle_is_clear(lat, lon, radius):
            where = f"the no-fly zone {zone.name or zone.id!r}" if zone else "a no-fly zone"
            raise Unflyable(
                f"an orbit of {radius:g} m round that place would enter {where} or its "
                "margin: send the drone there with goto to watch it from outside"
            )
        route = airspace.route_to_circle(start, (lat, lon), radius)
        if route is None:
            raise Refused("no flyable route to that place round the no-fly zones")
        return [route, lat, lon, alt, radius], {"route": [list(p) for p in route]}
    lat, lon, alt = arguments
    camera_range = getattr(room.dispatcher, "camera_range_m", 300.0)
    try:
        vantage = airspace.vantage(lat, lon, camera_range)
    except NoSafeVantage as exc:
        raise Unflyable(str(exc)) from None
    route = airspace.route(start, (vantage.lat_deg, vantage.lon_deg))
    if route is None:
        raise Refused("no flyable route to that place round the no-fly zones")
    look_at = (lat, lon) if vantage.from_outside else None
    return [route, alt, -1.0, look_at], {
        "route": [list(p) for p in route],
        "watch": vantage.as_dict(),
    }


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
        routed, extra = _route(room, snapshot, order.operation, arguments)
        if ACTIONS[name] in (Action.ARM, Action.TAKEOFF):
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
        if isinstance(exc, Unflyable):
            return refuse(422, "Unprocessable Entity", str(exc))
        return refuse(409, "Conflict", str(exc))
    handle = room.fleet.submit(vehicle_id, order.operation, *routed, source=actor)
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
            request_id=request_id, vehicle=vehicle_id, command=name, status="queued", **extra
        ),
        202,
    )
