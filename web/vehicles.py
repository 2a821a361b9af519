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

import math
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, g, jsonify, request

from dronepatrol.accounts import Role
from dronepatrol.actions import Action, why_not
from dronepatrol.planning.airspace import NoSafeVantage
from dronepatrol.state import VehicleSnapshot
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.security import require

bp = Blueprint("vehicles", __name__)

MAX_ALT_M = 120.0
"""Highest altitude a command from the app may ask for [m above home] (open category)."""


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


@dataclass(frozen=True)
class CommandSpec:
    """One command the app offers: the fleet operation it runs and its checks.

    ``arguments`` maps request keys to (type, low, high, default); ``None``
    default means required. ``action`` is the row of the can-do table
    (:mod:`dronepatrol.actions`) that says whether the vehicle can take it now.
    """

    operation: str
    arguments: dict[str, tuple[type, float, float, float | None]]
    action: Action
    risky: bool = False


ALT = (float, 2.0, MAX_ALT_M, None)
LAT = (float, -90.0, 90.0, None)
LON = (float, -180.0, 180.0, None)

COMMANDS: dict[str, CommandSpec] = {
    "arm": CommandSpec("safe_arm", {}, Action.ARM, risky=True),
    "disarm": CommandSpec("disarm", {}, Action.DISARM, risky=True),
    "takeoff": CommandSpec(
        "safe_takeoff", {"alt_m": (float, 2.0, MAX_ALT_M, 30.0)}, Action.TAKEOFF, True
    ),
    "start": CommandSpec("start_mission", {}, Action.START_MISSION, risky=True),
    "pause": CommandSpec("pause", {}, Action.PAUSE),
    "resume": CommandSpec("resume", {}, Action.RESUME),
    "goto": CommandSpec("fly_route", {"lat": LAT, "lon": LON, "alt_m": ALT}, Action.GOTO),
    "orbit": CommandSpec(
        "orbit_via",
        {"lat": LAT, "lon": LON, "alt_m": ALT, "radius_m": (float, 5.0, 500.0, 50.0)},
        Action.ORBIT,
    ),
    "speed": CommandSpec("change_speed", {"speed_mps": (float, 0.5, 20.0, None)}, Action.GOTO),
    "rtl": CommandSpec("return_home", {}, Action.RTL),
    "land": CommandSpec("land", {}, Action.LAND, risky=True),
    # the crew swapped the pack of a powered drone: its monitor reads the new charge [%]
    "battery_swapped": CommandSpec(
        "battery_swapped", {"percentage": (float, 0.0, 100.0, 100.0)}, Action.BATTERY_SWAPPED, True
    ),
}
"""The commands the fleet panel and scripts can send, by request name."""


def _arguments(spec: CommandSpec, body: dict[str, Any]) -> list[Any]:
    values = []
    for key, (kind, low, high, default) in spec.arguments.items():
        raw = body.get(key, default)
        if raw is None:
            abort(400, description=f"'{key}' is required for this command")
        try:
            value = kind(raw)
        except (TypeError, ValueError):
            abort(400, description=f"'{key}' must be a number, got {raw!r}")
        if isinstance(raw, bool) or not math.isfinite(value) or not low <= value <= high:
            abort(400, description=f"'{key}' must be between {low:g} and {high:g}, got {raw!r}")
        values.append(value)
    return values


@bp.post("/api/vehicles/<vehicle_id>/commands")
@require(Role.OPERATOR)
def command(vehicle_id: str) -> Any:
    """Queue a flight command for one vehicle (see the module docstring)."""
    room = control_room()
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("command"), str):
        abort(400, description=f'send {{"command": NAME}}; names: {", ".join(COMMANDS)}')
    name = body["command"]
    spec = COMMANDS.get(name)
    if spec is None:
        abort(400, description=f"unknown command {name!r}; use one of {', '.join(COMMANDS)}")
    if spec.risky and body.get("confirm") is not True:
        abort(400, description=f'{name} needs confirmation: send "confirm": true')
    arguments = _arguments(spec, body)
    snapshot = next((s for s in room.snapshots() if s.vehicle_id == vehicle_id), None)
    if snapshot is None or room.fleet is None:
        abort(404, description=f"no vehicle {vehicle_id!r}; see GET /api/vehicles")
    actor = g.user.name
    try:
        blocked = why_not(snapshot, spec.action)
        if blocked:
            raise Refused(f"the vehicle is {blocked}" if blocked.startswith("link") else blocked)
        routed, extra = _route(room, snapshot, spec.operation, arguments)
        if spec.action in (Action.ARM, Action.TAKEOFF):
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
            return jsonify(error="Unprocessable Entity", message=str(exc)), 422
        return jsonify(error="Conflict", message=str(exc)), 409
    handle = room.fleet.submit(vehicle_id, spec.operation, *routed, source=actor)
    request_id = handle.command_id
    audit(
        f"command {name}",
        True,
        vehicle=vehicle_id,
        request_id=request_id,
        arguments=arguments,
    )
    return jsonify(
        request_id=request_id, vehicle=vehicle_id, command=name, status="queued", **extra
    ), 202
