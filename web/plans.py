"""Planning from the control app: plan sorties, preview them, upload one to a drone.

``POST /api/plans`` runs the planner over the loaded patrol network (pure
CPU work, no radio) and keeps the result under a plan id for this app's
lifetime; ``POST /api/vehicles/<id>/mission`` uploads one of its sorties
(mission, fence and rally point, verified by reading back) in the
background and answers 202; the outcome arrives as the ``command_result``
event whose ``command_id`` is the answer's ``request_id``.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

from flask import Blueprint, abort, g, jsonify, request

from dronepatrol.accounts import Role
from dronepatrol.events import EventKind
from dronepatrol.geo import distance_m
from dronepatrol.planning import PlanningError, PlanResult, plan_sorties
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.security import require

bp = Blueprint("plans", __name__)

MAX_START_DISTANCE_M = 100.0
"""A sortie is only uploaded to a drone standing this close to the sortie's station [m]."""

_plan_ids = itertools.count(1)
_lock = threading.Lock()


def _plan_json(plan_id: str, result: PlanResult) -> dict[str, Any]:
    return {
        "id": plan_id,
        "summary": result.summary(),
        "tracks": {s.id: [[lat, lon] for lat, lon, _alt in s.track] for s in result.sorties},
    }


def _id_list(body: dict[str, Any], key: str) -> list[str] | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        abort(400, description=f"'{key}' must be a list of ids")
    return value or None


@bp.post("/api/plans")
@require(Role.OPERATOR)
def create_plan() -> Any:
    """Plan sorties for ``stations`` and/or ``targets`` (ids; default every station)."""
    room = control_room()
    if room.network is None:
        abort(
            404, description="no patrol network loaded: start with dronepatrol serve --network FILE"
        )
    body = request.get_json(silent=True) if request.content_length else {}
    if not isinstance(body, dict):  # malformed JSON once planned every station
        abort(400, description='send {"stations": [...], "targets": [...]} (both optional)')
    stations, targets = _id_list(body, "stations"), _id_list(body, "targets")
    try:
        result = plan_sorties(room.network, station_ids=stations, target_ids=targets)
    except PlanningError as exc:
        abort(400, description="; ".join(exc.problems))
    with _lock:
        plan_id = f"P{next(_plan_ids)}"
        room.plans[plan_id] = result
    return jsonify(_plan_json(plan_id, result)), 201


@bp.get("/api/plans/<plan_id>")
@require(Role.VIEWER)
def get_plan(plan_id: str) -> Any:
    """A plan made earlier in this session."""
    result = control_room().plans.get(plan_id)
    if result is None:
        abort(404, description=f"no plan {plan_id!r}; POST /api/plans makes one")
    return jsonify(_plan_json(plan_id, result))


@bp.post("/api/vehicles/<vehicle_id>/mission")
@require(Role.OPERATOR)
def upload(vehicle_id: str) -> Any:
    """Upload sortie ``sortie`` of plan ``plan`` to a drone on the ground at its station."""
    room = control_room()
    body = request.get_json(silent=True)
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("plan"), str)
        or not isinstance(body.get("sortie"), str)
    ):
        abort(400, description='send {"plan": PLAN_ID, "sortie": SORTIE_ID}')
    result = room.plans.get(body["plan"])
    if result is None:
        abort(404, description=f"no plan {body['plan']!r}; POST /api/plans makes one")
    sortie = next((s for s in result.sorties if s.id == body["sortie"]), None)
    if sortie is None:
        ids = ", ".join(s.id for s in result.sorties) or "none"
        abort(404, description=f"plan {body['plan']} has no sortie {body['sortie']!r} ({ids})")
    snapshot = next((s for s in room.snapshots() if s.vehicle_id == vehicle_id), None)
    if snapshot is None or room.fleet is None:
        abort(404, description=f"no vehicle {vehicle_id!r}; see GET /api/vehicles")
    reason = None
    if snapshot.link.value != "up":
        reason = f"link to the vehicle is {snapshot.link.value}: wait until it is back"
    elif snapshot.armed:
        reason = "the vehicle is armed: land and disarm before loading another sortie"
    elif snapshot.position is None:
        reason = "the vehicle's position is unknown: wait for GPS"
    elif sortie.mission.home is not None:
        lat, lon, _ = sortie.mission.home
        away = distance_m(snapshot.position.lat_deg, snapshot.position.lon_deg, lat, lon)
        if away > MAX_START_DISTANCE_M:
            reason = (
                f"the vehicle is {away:.0f} m from station {sortie.station}: "
                f"move it there or pick a sortie of its own station"
            )
    actor = g.user.name
    if reason is not None:
        audit(
            "upload mission",
            False,
            vehicle=vehicle_id,
            sortie=sortie.id,
            reason=reason,
        )
        return jsonify(error="Conflict", message=reason), 409
    handle = room.fleet.submit(vehicle_id, "upload_mission", sortie.mission, source=actor)
    request_id = handle.command_id
    room.bus.emit(
        EventKind.MISSION_UPLOAD,
        vehicle_id,
        plan=f"{body['plan']}/{sortie.id}",
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
    )
    return jsonify(
        request_id=request_id, vehicle=vehicle_id, sortie=sortie.id, status="queued"
    ), 202
