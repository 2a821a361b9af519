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

from flask import abort, g

from dronepatrol.accounts import Role
from dronepatrol.dispatch import DispatchError, NoVantageError
from dronepatrol.events import EventKind
from dronepatrol.incidents import IncidentError, IncidentView
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.schema.base import ApiBlueprint, Error, refuse, reply, validated
from dronepatrol.web.schema.incidents import (
    DispatchChoice,
    DispatchOption,
    Incident,
    IncidentAction,
    Incidents,
    NewIncident,
    Proposal,
)
from dronepatrol.web.schema.vehicles import Watch
from dronepatrol.web.security import require

bp = ApiBlueprint("incidents", __name__)


def _incident(incident_id: int) -> IncidentView:
    try:
        return control_room().incidents.get(incident_id)
    except IncidentError as exc:
        abort(404, description=f"{exc}; see GET /api/incidents")


def _with_proposal(incident: IncidentView) -> Incident:
    dispatcher = control_room().dispatcher
    if dispatcher is None:
        return Incident.of(incident)
    try:
        watch = Watch(**dispatcher.vantage(incident.lat_deg, incident.lon_deg).as_dict())
    except NoVantageError as exc:  # no drone may go: say why instead of proposing one
        return Incident.of(incident, refused=str(exc))
    if not incident.dispatchable:  # answered, or a lockdown hold that is over
        return Incident.of(incident, watch=watch)
    proposal = dispatcher.propose(incident)
    return Incident.of(
        incident,
        Proposal(
            chosen=proposal.chosen.vehicle_id if proposal.chosen else None,
            diverts_patrol=proposal.diverts_patrol,
            options=[
                DispatchOption(
                    vehicle=o.vehicle_id,
                    eta_s=o.eta_s if o.eta_s != float("inf") else None,
                    feasible=o.feasible,
                    reason=o.reason,
                )
                for o in proposal.options
            ],
        ),
        watch=watch,
    )


@bp.get("/api/incidents", responses={200: Incidents})
@require(Role.VIEWER)
def list_incidents() -> Any:
    """Incidents, newest first, with their response times."""
    return reply(Incidents(incidents=[Incident.of(i) for i in control_room().incidents.list()]))


@bp.post("/api/incidents", responses={201: Incident})
@require(Role.COMMANDER)
@validated
def create_incident(body: NewIncident) -> Any:
    """Record an incident; the answer carries the dispatch proposal (every drone's ETA)."""
    room = control_room()
    try:
        incident = room.incidents.create(body.lat, body.lon, body.priority, body.note, g.user.name)
    except IncidentError as exc:
        abort(400, description=str(exc))
    room.bus.emit(
        EventKind.INCIDENT,
        None,
        incident=incident.id,
        lat_deg=body.lat,
        lon_deg=body.lon,
        priority=incident.priority,
        note=body.note,
        creator=g.user.name,
    )
    audit("incident create", True, incident=incident.id)
    return reply(_with_proposal(incident), 201)


@bp.get("/api/incidents/<int:incident_id>", responses={200: Incident, 404: Error})
@require(Role.VIEWER)
def get_incident(incident_id: int) -> Any:
    """One incident with its response times and, while unanswered, the proposal."""
    return reply(_with_proposal(_incident(incident_id)))


def _act(incident_id: int, action: str, vehicle: str | None = None) -> Any:
    room = control_room()
    _incident(incident_id)
    if room.dispatcher is None:
        abort(409, description="no fleet is connected: start the app with drones to dispatch")
    watch = None
    try:
        if action == "dispatch":
            vehicle = room.dispatcher.dispatch(incident_id, g.user.name, vehicle)
            place = room.incidents.get(incident_id)
            watch = Watch(**room.dispatcher.vantage(place.lat_deg, place.lon_deg).as_dict())
        else:
            room.dispatcher.release(incident_id, g.user.name)
    except NoVantageError as exc:  # inside a no-fly zone, nowhere safe within camera range
        audit(f"incident {action}", False, incident=incident_id, reason=str(exc))
        return refuse(422, "Unprocessable Entity", str(exc))
    except (DispatchError, IncidentError) as exc:
        audit(
            f"incident {action}",
            False,
            incident=incident_id,
            reason=str(exc),
        )
        return refuse(409, "Conflict", str(exc))
    audit(
        f"incident {action}",
        True,
        incident=incident_id,
        vehicle=vehicle,
    )
    return reply(
        IncidentAction(incident=incident_id, vehicle=vehicle, status="queued", watch=watch), 202
    )


ACTED = {202: IncidentAction, 404: Error, 409: Error, 422: Error}


@bp.post("/api/incidents/<int:incident_id>/dispatch", responses=ACTED)
@require(Role.COMMANDER)
@validated
def dispatch(incident_id: int, body: DispatchChoice) -> Any:
    """Send the proposed drone (or ``{"vehicle": id}``) to the incident."""
    return _act(incident_id, "dispatch", body.vehicle)


@bp.post("/api/incidents/<int:incident_id>/release", responses=ACTED)
@require(Role.COMMANDER)
def release(incident_id: int) -> Any:
    """Release the drone: back to its patrol where it left it, or home."""
    return _act(incident_id, "release")
