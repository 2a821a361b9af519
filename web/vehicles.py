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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, g, jsonify, request

from dronepatrol.accounts import Role
from dronepatrol.state import VehicleSnapshot
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.security import require

bp = Blueprint("vehicles", __name__)

MAX_ALT_M = 120.0
"""Highest altitude a command from the app may ask for [m above home] (open category)."""


class Refused(Exception):
    """The vehicle cannot take the command now; the message says why and what to do."""


@dataclass(frozen=True)
class OfferedCommand:
    """One command the app offers: the fleet operation it runs and its checks.

    ``arguments`` maps request keys to (type, low, high, default); ``None``
    default means required. ``precondition`` inspects the snapshot and
    raises :class:`Refused` when the command makes no sense now.
    """

    operation: str
    arguments: dict[str, tuple[type, float, float, float | None]]
    precondition: Callable[[VehicleSnapshot], None]
    risky: bool = False


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


ALT = (float, 2.0, MAX_ALT_M, None)
LAT = (float, -90.0, 90.0, None)
LON = (float, -180.0, 180.0, None)

COMMANDS: dict[str, OfferedCommand] = {
    "arm": OfferedCommand("arm", {}, _disarmed, risky=True),
    "disarm": OfferedCommand("disarm", {}, _armed, risky=True),
    "takeoff": OfferedCommand("takeoff", {"alt_m": (float, 2.0, MAX_ALT_M, 30.0)}, _disarmed, True),
    "start": OfferedCommand("start_mission", {}, _mission_loaded, risky=True),
    "pause": OfferedCommand("pause", {}, _in_auto),
    "resume": OfferedCommand("resume", {}, _paused),
    "goto": OfferedCommand("goto", {"lat": LAT, "lon": LON, "alt_m": ALT}, _airborne),
    "orbit": OfferedCommand(
        "orbit",
        {"lat": LAT, "lon": LON, "alt_m": ALT, "radius_m": (float, 5.0, 500.0, 50.0)},
        _airborne,
    ),
    "speed": OfferedCommand("change_speed", {"speed_mps": (float, 0.5, 20.0, None)}, _airborne),
    "rtl": OfferedCommand("rtl", {}, _armed),
    "land": OfferedCommand("land", {}, _armed, risky=True),
    # the crew swapped the pack of a powered drone: its monitor reads the new charge [%]
    "battery_swapped": OfferedCommand(
        "battery_swapped", {"percentage": (float, 0.0, 100.0, 100.0)}, _landed_disarmed, True
    ),
}
"""The commands the fleet panel and scripts can send, by request name."""


def _arguments(spec: OfferedCommand, body: dict[str, Any]) -> list[Any]:
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
        if snapshot.link.value != "up":
            raise Refused(f"link to the vehicle is {snapshot.link.value}: wait until it is back")
        spec.precondition(snapshot)
        if spec.operation in ("arm", "takeoff"):
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
        return jsonify(error="Conflict", message=str(exc)), 409
    handle = room.fleet.submit(vehicle_id, spec.operation, *arguments, source=actor)
    request_id = handle.command_id
    audit(
        f"command {name}",
        True,
        vehicle=vehicle_id,
        request_id=request_id,
        arguments=arguments,
    )
    return jsonify(request_id=request_id, vehicle=vehicle_id, command=name, status="queued"), 202
