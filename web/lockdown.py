"""Lockdown ("close the city gates") from the control app.

The patrol network names its lockdown plans (overwatch points at the city's
exits and checkpoints): ``GET /api/lockdown/plans`` lists them. A commander
activates one with ``POST /api/lockdown {"plan": "gates"}`` (or gives the
points explicitly); the available drones fly to hold as many points as they
can, earliest worst arrival first, and the answer lists the points left
uncovered. ``GET /api/lockdown`` shows the latest lockdown with each hold's
live status; ``POST /api/lockdown/release`` ends every hold at once.

One lockdown at a time: activating another while one is in force answers
409 naming it, so two plans never fight over the same drones.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, request

from dronepatrol.accounts import Role
from dronepatrol.dispatch import DispatchError
from dronepatrol.lockdown import overwatch_points
from dronepatrol.lockdown.plan import OverwatchPoint
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.security import require

bp = Blueprint("lockdown", __name__)

NO_NETWORK = "no patrol network loaded: start with dronepatrol serve --network FILE"
NO_FLEET = "no fleet is connected: start the app with drones to dispatch"


def _network() -> Any:
    network = control_room().network
    if network is None:
        abort(404, description=NO_NETWORK)
    return network


def _explicit_points(body: dict[str, Any]) -> tuple[str, list[OverwatchPoint]]:
    if not isinstance(body.get("name"), str) or not body["name"].strip():
        abort(
            400,
            description='send {"plan": NAME} or '
            '{"name": .., "points": [{"id": .., "lat": .., "lon": ..}]}',
        )
    raw = body.get("points")
    if not isinstance(raw, list) or not raw:
        abort(400, description="'points' must be a non-empty list of overwatch points")
    points = []
    for n, item in enumerate(raw):
        try:
            point = OverwatchPoint(str(item["id"]), float(item["lat"]), float(item["lon"]))
        except (KeyError, TypeError, ValueError):
            abort(400, description=f"points[{n}] needs 'id', 'lat' and 'lon'")
        if not (-90 <= point.lat_deg <= 90 and -180 <= point.lon_deg <= 180):
            abort(400, description=f"points[{n}] ({point.point_id}) is not a place on Earth")
        points.append(point)
    if len({p.point_id for p in points}) != len(points):
        abort(400, description="overwatch point ids must be unique")
    return body["name"], points


def _plan_points(name: Any) -> tuple[str, list[OverwatchPoint]]:
    if not isinstance(name, str) or not name.strip():
        abort(400, description="'plan' must be the name of a lockdown plan of the network")
    network = _network()
    try:
        return name, overwatch_points(network.lockdown_plan(name))
    except KeyError:
        known = ", ".join(network.lockdown_plans()) or "none"
        abort(404, description=f"no lockdown plan {name!r} in the network; plans: {known}")


@bp.get("/api/lockdown/plans")
@require(Role.VIEWER)
def plans() -> Any:
    """The network's lockdown plans, each with its overwatch points in plan order."""
    return jsonify(
        plans=[
            {
                "name": name,
                "points": [
                    {"id": p.id, "name": p.name, "lat": p.lat_deg, "lon": p.lon_deg} for p in points
                ],
            }
            for name, points in _network().lockdown_plans().items()
        ]
    )


@bp.get("/api/lockdown")
@require(Role.VIEWER)
def current() -> Any:
    """The latest lockdown with every point's drone, ETA and live status (null before any)."""
    dispatcher = control_room().dispatcher
    status = dispatcher.lockdown_status() if dispatcher is not None else None
    return jsonify(lockdown=status.as_dict() if status is not None else None)


@bp.post("/api/lockdown")
@require(Role.COMMANDER)
def activate() -> Any:
    """Close the city gates: send the available drones to hold a plan's overwatch points."""
    room = control_room()
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description='send {"plan": NAME} (a plan of the network) or {"name", "points"}')
    if "plan" in body and "points" in body:
        abort(400, description="give either 'plan' (a plan of the network) or 'points', not both")
    name, points = _plan_points(body["plan"]) if "plan" in body else _explicit_points(body)
    if room.dispatcher is None:
        abort(409, description=NO_FLEET)
    try:
        plan, incidents = room.dispatcher.lockdown(name, points, g.user.name)
    except DispatchError as exc:
        audit("lockdown", False, name=name, reason=str(exc))
        abort(409, description=str(exc))
    audit(
        "lockdown",
        True,
        name=name,
        covered=sorted(incidents),
        uncovered=sorted(plan.uncovered),
    )
    status = room.dispatcher.lockdown_status()
    return jsonify(
        name=name,
        assignments=[
            {
                "point": a.point_id,
                "vehicle": a.vehicle_id,
                "eta_s": a.eta_s,
                "incident": incidents.get(a.point_id),
            }
            for a in plan.assignments
        ],
        uncovered=plan.uncovered,
        worst_eta_s=plan.worst_eta_s,
        lockdown=status.as_dict() if status is not None else None,
    ), 202


@bp.post("/api/lockdown/release")
@require(Role.COMMANDER)
def release_all() -> Any:
    """End the lockdown: every holding drone back to its patrol where it left it, or home."""
    room = control_room()
    if room.dispatcher is None:
        abort(409, description=NO_FLEET)
    status = room.dispatcher.lockdown_status()
    try:
        released = room.dispatcher.release_lockdown(g.user.name)
    except DispatchError as exc:
        abort(409, description=str(exc))
    name = status.name if status is not None else ""
    audit(
        "lockdown release",
        True,
        name=name,
        incidents=released,
    )
    return jsonify(name=name, released=released, status="queued"), 202
