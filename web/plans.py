"""Planning from the control app: plan sorties, preview them, upload one to a drone.

``POST /api/plans`` runs the planner over the loaded patrol network (pure
CPU work, no radio) and keeps the result under a plan id for this app's
lifetime; with ``"vehicle"`` it plans with that vehicle's own pack and
consumption. ``POST /api/vehicles/<id>/mission`` uploads one of its sorties
(mission, fence and rally point, verified by reading back) in the
background and answers 202; the outcome arrives as the ``command_result``
event whose ``command_id`` is the answer's ``request_id``. A sortie the
vehicle's charge cannot fly with the reserve kept is refused (409) before
anything is uploaded.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from flask import abort, g

from dronepatrol.accounts import Role
from dronepatrol.energy import EnergyRefusal
from dronepatrol.events import EventKind
from dronepatrol.geo import distance_m
from dronepatrol.planning import PlanningError, PlanningLimitError, PlanResult, plan_sorties
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.schema.base import ApiBlueprint, Error, refuse, reply, validated
from dronepatrol.web.schema.plans import MissionQueued, MissionUpload, Plan, PlanRequest
from dronepatrol.web.security import require

bp = ApiBlueprint("plans", __name__)

MAX_START_DISTANCE_M = 100.0
"""A sortie is only uploaded to a drone standing this close to the sortie's station [m]."""

_plan_ids = itertools.count(1)
_lock = threading.Lock()


def _plan(plan_id: str, result: PlanResult) -> Plan:
    return Plan.model_validate(
        {
            "id": plan_id,
            "summary": result.summary(),
            "tracks": {s.id: [[lat, lon] for lat, lon, _alt in s.track] for s in result.sorties},
        }
    )


@bp.post("/api/plans", responses={201: Plan, 404: Error, 413: Error})
@require(Role.OPERATOR)
@validated
def create_plan(body: PlanRequest) -> Any:
    """Plan sorties for stations and/or targets (ids; default every station)."""
    room = control_room()
    if room.network is None:
        abort(
            404, description="no patrol network loaded: start with dronepatrol serve --network FILE"
        )
    stations, targets = body.stations or None, body.targets or None
    profile = None
    if body.vehicle is not None:
        if room.energy is None or body.vehicle not in {s.vehicle_id for s in room.snapshots()}:
            abort(404, description=f"no vehicle {body.vehicle!r}; see GET /api/vehicles")
        profile = room.energy.profile_for(body.vehicle)  # its own pack and consumption
    try:
        result = plan_sorties(room.network, profile, station_ids=stations, target_ids=targets)
    except PlanningLimitError as exc:
        abort(413, description="; ".join(exc.problems))
    except PlanningError as exc:
        abort(400, description="; ".join(exc.problems))
    with _lock:
        plan_id = f"P{next(_plan_ids)}"
        room.plans[plan_id] = result
    return reply(_plan(plan_id, result), 201)


@bp.get("/api/plans/<plan_id>", responses={200: Plan, 404: Error})
@require(Role.VIEWER)
def get_plan(plan_id: str) -> Any:
    """A plan made earlier in this session."""
    result = control_room().plans.get(plan_id)
    if result is None:
        abort(404, description=f"no plan {plan_id!r}; POST /api/plans makes one")
    return reply(_plan(plan_id, result))


def _why_not_upload(snapshot: Any, sortie: Any) -> str | None:
    """Why ``sortie`` cannot be loaded into the vehicle of ``snapshot`` now, or None."""
    if snapshot.link.value != "up":
        return f"link to the vehicle is {snapshot.link.value}: wait until it is back"
    if snapshot.armed:
        return "the vehicle is armed: land and disarm before loading another sortie"
    if snapshot.position is None:
        return "the vehicle's position is unknown: wait for GPS"
    if sortie.mission.home is not None:
        lat, lon, _ = sortie.mission.home
        away = distance_m(snapshot.position.lat_deg, snapshot.position.lon_deg, lat, lon)
        if away > MAX_START_DISTANCE_M:
            return (
                f"the vehicle is {away:.0f} m from station {sortie.station}: "
                f"move it there or pick a sortie of its own station"
            )
    return None


@bp.post(
    "/api/vehicles/<vehicle_id>/mission",
    responses={202: MissionQueued, 404: Error, 409: Error},
)
@require(Role.OPERATOR)
@validated
def upload(vehicle_id: str, body: MissionUpload) -> Any:
    """Upload one planned sortie to a drone on the ground at its station."""
    room = control_room()
    result = room.plans.get(body.plan)
    if result is None:
        abort(404, description=f"no plan {body.plan!r}; POST /api/plans makes one")
    sortie = next((s for s in result.sorties if s.id == body.sortie), None)
    if sortie is None:
        ids = ", ".join(s.id for s in result.sorties) or "none"
        abort(404, description=f"plan {body.plan} has no sortie {body.sortie!r} ({ids})")
    snapshot = next((s for s in room.snapshots() if s.vehicle_id == vehicle_id), None)
    if snapshot is None or room.fleet is None:
        abort(404, description=f"no vehicle {vehicle_id!r}; see GET /api/vehicles")
    reason = room.unknown_vehicle(vehicle_id) or _why_not_upload(snapshot, sortie)
    figures: dict[str, Any] = {}
    if reason is None and room.energy is not None:
        try:  # before anything is uploaded
            figures = room.energy.check_sortie(vehicle_id, sortie.energy_frac, result.profile)
        except EnergyRefusal as exc:
            reason = str(exc)
    actor = g.user.name
    if reason is not None:
        audit(
            "upload mission",
            False,
            vehicle=vehicle_id,
            sortie=sortie.id,
            reason=reason,
        )
        return refuse(409, "Conflict", reason)
    handle = room.fleet.submit(vehicle_id, "upload_mission", sortie.mission, source=actor)
    request_id = handle.command_id
    room.bus.emit(
        EventKind.MISSION_UPLOAD,
        vehicle_id,
        plan=f"{body.plan}/{sortie.id}",
        targets=list(sortie.targets),
        station=sortie.station,
        operator=actor,
        count=len(sortie.mission.items),
        request_id=request_id,
    )
    audit(
        "upload mission",
        True,
        vehicle=vehicle_id,
        sortie=sortie.id,
        request_id=request_id,
        **figures,
    )
    return reply(
        MissionQueued(request_id=request_id, vehicle=vehicle_id, sortie=sortie.id, status="queued"),
        202,
    )
