"""Large events from the control app: list, add (the event's GeoJSON), end early, and the map.

Adding and ending an event are commanders' decisions, as lockdown is: an
event says where the patrol effort goes and how often, not how a drone flies
(planning and flying stay operators'), and the commander on site is the one
who knows when the crowd has gone. Viewers see the events and their zones.
"""

from __future__ import annotations

import time
from typing import Any

from flask import Blueprint, abort, g, jsonify, request
from shapely.geometry import mapping

from dronepatrol.accounts import Role
from dronepatrol.events import EventKind
from dronepatrol.large_events import (
    LargeEvent,
    LargeEventConflict,
    LargeEventError,
    LargeEventNotFound,
    LargeEventRecord,
)
from dronepatrol.network import ERROR
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.security import require

bp = Blueprint("large_events", __name__)

MAX_FILE_BYTES = 2_000_000
"""Largest event file accepted [bytes] (a venue's zone and targets fit in a few kB)."""


def event_json(record: LargeEventRecord, now_s: float) -> dict[str, Any]:
    """One event as the API sends it (times [s since the epoch])."""
    event = record.event
    return {
        "id": event.id,
        "name": event.name,
        "status": event.status(now_s),
        "active": event.active(now_s),
        "start_s": event.start_s,
        "end_s": event.end_s,
        "ended_s": event.ended_s,
        "time_left_s": event.time_left_s(now_s),
        "targets": len(event.targets),
        "intervals_min": dict(event.policy.intervals_min),
        "creator": record.creator,
        "created_s": record.created_s,
        "ended_by": record.ended_by,
    }


def zone_features(event: LargeEvent, now_s: float) -> list[dict[str, Any]]:
    """The zone and targets of one event as GeoJSON features for the map."""
    zone = {
        "type": "Feature",
        "geometry": mapping(event.zone),
        "properties": {
            "kind": "zone",
            "id": event.id,
            "event": event.id,
            "name": event.name,
            "start_s": event.start_s,
            "end_s": event.finish_s,
            "time_left_s": event.time_left_s(now_s),
        },
    }
    targets = [
        {
            "type": "Feature",
            "geometry": mapping(t.geometry),
            "properties": {
                "kind": str(t.kind),
                "id": t.id,
                "event": event.id,
                "name": t.name,
                "priority": str(t.priority),
            },
        }
        for t in event.targets
    ]
    return [zone, *targets]


def _issues_json(issues: list[Any]) -> list[dict[str, str]]:
    return [{"severity": i.severity, "feature": i.feature, "message": i.message} for i in issues]


@bp.get("/api/large-events")
@require(Role.VIEWER)
def list_events() -> Any:
    """Every large event, latest start first, with its status and time left."""
    now_s = time.time()
    return jsonify(events=[event_json(r, now_s) for r in control_room().large_events.list()])


@bp.get("/api/large-events/active")
@require(Role.VIEWER)
def active_zones() -> Any:
    """The zones and targets of the events on now, as a GeoJSON FeatureCollection."""
    now_s = time.time()
    features: list[dict[str, Any]] = []
    for event in control_room().large_events.active(now_s):
        features.extend(zone_features(event, now_s))
    return jsonify(type="FeatureCollection", features=features)


@bp.post("/api/large-events")
@require(Role.COMMANDER)
def add_event() -> Any:
    """Add a large event: the body is its GeoJSON file (a zone and its targets)."""
    if (request.content_length or 0) > MAX_FILE_BYTES:
        abort(400, description=f"the event file is over {MAX_FILE_BYTES} bytes; trim it")
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="send the event's GeoJSON FeatureCollection as JSON")
    room = control_room()
    try:
        record, warnings = room.large_events.add(data, g.user.name, base=room.network)
    except LargeEventError as exc:
        errors = [i for i in exc.issues if i.severity == ERROR]
        return jsonify(
            error="Bad Request",
            message=f"{len(errors)} error(s) in the event file: "
            + "; ".join(f"{i.feature}: {i.message}" for i in errors),
            issues=_issues_json(exc.issues),
        ), 400
    except LargeEventConflict as exc:
        return jsonify(error="Conflict", message=str(exc)), 409
    room.bus.emit(EventKind.LARGE_EVENT, None, event=record.event.id, action="added")
    audit("large event add", True, event=record.event.id)
    body = event_json(record, time.time())
    body["warnings"] = _issues_json(warnings)
    return jsonify(body), 201


@bp.post("/api/large-events/<event_id>/end")
@require(Role.COMMANDER)
def end_event(event_id: str) -> Any:
    """End the event now; one that has not started yet is cancelled."""
    room = control_room()
    try:
        record = room.large_events.end(event_id, g.user.name)
    except LargeEventNotFound as exc:
        abort(404, description=f"{exc}; see GET /api/large-events")
    except LargeEventConflict as exc:
        return jsonify(error="Conflict", message=str(exc)), 409
    room.bus.emit(EventKind.LARGE_EVENT, None, event=event_id, action="ended")
    audit("large event end", True, event=event_id)
    return jsonify(event_json(record, time.time()))
