"""Incidents and dispatch from the control app (commanders and up).

``POST /api/incidents`` records an incident and answers with the dispatch
proposal: every drone's ETA, the earliest feasible first. ``POST
/api/incidents/<id>/dispatch`` sends the proposed (or a named) drone and
answers 202; the flight's stages (airborne, on scene) arrive as ``dispatch``
events and are kept as the incident's response times. ``release`` sends the
drone back to its patrol, or home. Lockdowns (many holds at once) are in
:mod:`dronepatrol.web.lockdown`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, request

from dronepatrol.accounts import Role
from dronepatrol.dispatch import DispatchError
from dronepatrol.events import EventKind
from dronepatrol.incidents import IncidentError, IncidentView
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.security import require

bp = Blueprint("incidents", __name__)


def _incident(incident_id: int) -> IncidentView:
    try:
        return control_room().incidents.get(incident_id)
    except IncidentError as exc:
        abort(404, description=f"{exc}; see GET /api/incidents")


def _with_proposal(incident: IncidentView) -> dict[str, Any]:
    body = incident.as_dict()
    dispatcher = control_room().dispatcher
    if dispatcher is not None and incident.status in ("open", "failed", "released"):
        proposal = dispatcher.propose(incident)
        body["proposal"] = {
            "chosen": proposal.chosen.vehicle_id if proposal.chosen else None,
            "diverts_patrol": proposal.diverts_patrol,
            "options": [
                {
                    "vehicle": o.vehicle_id,
                    "eta_s": o.eta_s if o.eta_s != float("inf") else None,
                    "feasible": o.feasible,
                    "reason": o.reason,
                }
                for o in proposal.options
            ],
        }
    return body


@bp.get("/api/incidents")
@require(Role.VIEWER)
def list_incidents() -> Any:
    """Incidents, newest first, with their response times."""
    return jsonify(incidents=[i.as_dict() for i in control_room().incidents.list()])


@bp.post("/api/incidents")
@require(Role.COMMANDER)
def create_incident() -> Any:
    """Record an incident at ``lat``/``lon`` with a ``priority`` and ``note``."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description='send {"lat": .., "lon": .., "priority": "key", "note": ".."}')
    try:
        lat, lon = float(body["lat"]), float(body["lon"])
    except (KeyError, TypeError, ValueError):
        abort(400, description="'lat' and 'lon' are required numbers [deg]")
    note = body.get("note", "")
    if not isinstance(note, str):
        abort(400, description="'note' must be text")
    room = control_room()
    try:
        incident = room.incidents.create(
            lat, lon, str(body.get("priority", "key")), note, g.user.name
        )
    except IncidentError as exc:
        abort(400, description=str(exc))
    room.bus.emit(
        EventKind.INCIDENT,
        None,
        incident=incident.id,
        lat_deg=lat,
        lon_deg=lon,
        priority=incident.priority,
        note=note,
        creator=g.user.name,
    )
    audit("incident create", True, incident=incident.id)
    return jsonify(_with_proposal(incident)), 201


@bp.get("/api/incidents/<int:incident_id>")
@require(Role.VIEWER)
def get_incident(incident_id: int) -> Any:
    """One incident with its response times and, while unanswered, the proposal."""
    return jsonify(_with_proposal(_incident(incident_id)))


def _act(incident_id: int, action: str) -> Any:
    room = control_room()
    _incident(incident_id)
    if room.dispatcher is None:
        abort(409, description="no fleet is connected: start the app with drones to dispatch")
    body = request.get_json(silent=True) or {}
    vehicle = body.get("vehicle") if isinstance(body, dict) else None
    if vehicle is not None and not isinstance(vehicle, str):
        abort(400, description="'vehicle' must be a vehicle id")
    try:
        if action == "dispatch":
            vehicle = room.dispatcher.dispatch(incident_id, g.user.name, vehicle)
        else:
            room.dispatcher.release(incident_id, g.user.name)
    except (DispatchError, IncidentError) as exc:
        audit(
            f"incident {action}",
            False,
            incident=incident_id,
            reason=str(exc),
        )
        return jsonify(error="Conflict", message=str(exc)), 409
    audit(
        f"incident {action}",
        True,
        incident=incident_id,
        vehicle=vehicle,
    )
    return jsonify(incident=incident_id, vehicle=vehicle, status="queued"), 202


@bp.post("/api/incidents/<int:incident_id>/dispatch")
@require(Role.COMMANDER)
def dispatch(incident_id: int) -> Any:
    """Send the proposed drone (or ``{"vehicle": id}``) to the incident."""
    return _act(incident_id, "dispatch")


@bp.post("/api/incidents/<int:incident_id>/release")
@require(Role.COMMANDER)
def release(incident_id: int) -> Any:
    """Release the drone: back to its patrol where it left it, or home."""
    return _act(incident_id, "release")
