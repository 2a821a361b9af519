"""Large events from the control app: list, add (the event's GeoJSON), end early, and the map.

Adding and ending an event are commanders' decisions, as lockdown is: an
event says where the patrol effort goes and how often, not how a drone flies
(planning and flying stay operators'), and the commander on site is the one
who knows when the crowd has gone. Viewers see the events and their zones.
"""

from __future__ import annotations

import time
from typing import Any

from flask import abort, g, request
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
from dronepatrol.web.schema.api import FeatureCollection
from dronepatrol.web.schema.base import ApiBlueprint, Error, refuse, reply, validated
from dronepatrol.web.schema.large_events import (
    AddedEvent,
    BadEventFile,
    EventFile,
    Issue,
    LargeEvents,
)
from dronepatrol.web.schema.large_events import LargeEvent as EventOut
from dronepatrol.web.security import require

bp = ApiBlueprint("large_events", __name__)

MAX_FILE_BYTES = 2_000_000
"""Largest event file accepted [bytes] (a venue's zone and targets fit in a few kB)."""


def event_json(record: LargeEventRecord, now_s: float) -> dict[str, Any]:
    """One event as the API sends it (times [s since the epoch]): an :class:`EventOut`."""
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


def _issues(issues: list[Any]) -> list[Issue]:
    return [Issue(severity=i.severity, feature=i.feature, message=i.message) for i in issues]


@bp.get("/api/large-events", responses={200: LargeEvents})
@require(Role.VIEWER)
def list_events() -> Any:
    """Large events, latest start first, with their status and time left."""
    now_s = time.time()
    events = [EventOut(**event_json(r, now_s)) for r in control_room().large_events.list()]
    return reply(LargeEvents(events=events))


@bp.get("/api/large-events/active", responses={200: FeatureCollection})
@require(Role.VIEWER)
def active_zones() -> Any:
    """The zones and targets of the events on now, as a GeoJSON FeatureCollection."""
    now_s = time.time()
    features: list[dict[str, Any]] = []
    for event in control_room().large_events.active(now_s):
        features.extend(zone_features(event, now_s))
    return reply(FeatureCollection(type="FeatureCollection", features=features))


@bp.post(
    "/api/large-events",
    responses={201: AddedEvent, 400: BadEventFile, 409: Error},
)
@require(Role.COMMANDER)
@validated
def add_event(body: EventFile) -> Any:
    """Add a large event: its GeoJSON file, a zone and its targets.

    The zone feature carries id, name, start, end and intervals_min. The
    event book checks the file as a whole and names every problem in
    ``issues``.
    """
    if (request.content_length or 0) > MAX_FILE_BYTES:
        abort(400, description=f"the event file is over {MAX_FILE_BYTES} bytes; trim it")
    room = control_room()
    data = body.model_dump()
    try:
        record, warnings = room.large_events.add(data, g.user.name, base=room.network)
    except LargeEventError as exc:
        errors = [i for i in exc.issues if i.severity == ERROR]
        return reply(
            BadEventFile(
                error="Bad Request",
                message=f"{len(errors)} error(s) in the event file: "
                + "; ".join(f"{i.feature}: {i.message}" for i in errors),
                issues=_issues(exc.issues),
            ),
            400,
        )
    except LargeEventConflict as exc:
        return refuse(409, "Conflict", str(exc))
    room.bus.emit(EventKind.LARGE_EVENT, None, event=record.event.id, action="added")
    audit("large event add", True, event=record.event.id)
    added = AddedEvent(**event_json(record, time.time()), warnings=_issues(warnings))
    return reply(added, 201)


@bp.post("/api/large-events/<event_id>/end", responses={200: EventOut, 404: Error, 409: Error})
@require(Role.COMMANDER)
def end_event(event_id: str) -> Any:
    """End the event now; one that has not started yet is cancelled."""
    room = control_room()
    try:
        record = room.large_events.end(event_id, g.user.name)
    except LargeEventNotFound as exc:
        abort(404, description=f"{exc}; see GET /api/large-events")
    except LargeEventConflict as exc:
        return refuse(409, "Conflict", str(exc))
    room.bus.emit(EventKind.LARGE_EVENT, None, event=event_id, action="ended")
    audit("large event end", True, event=event_id)
    return reply(EventOut(**event_json(record, time.time())))
