"""The JSON API under ``/api/``: read-only views here; commands live with their areas."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from flask import Response, abort, request

from dronepatrol import __version__
from dronepatrol.accounts import Role
from dronepatrol.web.context import control_room
from dronepatrol.web.schema.api import FeatureCollection, Freshness, Health, TargetFreshness
from dronepatrol.web.schema.base import ApiBlueprint, Error, reply
from dronepatrol.web.schema.vehicles import Vehicle, Vehicles
from dronepatrol.web.security import require

bp = ApiBlueprint("api", __name__, url_prefix="/api")


@bp.get("/health", responses={200: Health})
def health() -> Any:
    """Liveness for monitors and `make demo`: no authentication, no device I/O."""
    return reply(Health(status="ok", version=__version__))


@bp.get("/vehicles", responses={200: Vehicles})
@require(Role.VIEWER)
def vehicles() -> Any:
    """Every vehicle with id, name, link state, armed, mode, position, battery and endurance."""
    room = control_room()
    snapshots = sorted(room.snapshots(), key=lambda s: s.vehicle_id)
    return reply(
        Vehicles(
            vehicles=[Vehicle.of(s, room.registry, room.endurance_left_s(s)) for s in snapshots]
        )
    )


@bp.get("/network", responses={200: FeatureCollection, 404: Error})
@require(Role.VIEWER)
def network() -> Any:
    """The loaded patrol network as a GeoJSON FeatureCollection."""
    room = control_room()
    if room.network_geojson is None:
        abort(
            404,
            description="no patrol network loaded: start with dronepatrol serve --network FILE",
        )
    body, etag = network_body(room)
    headers = {"ETag": f'"{etag}"', "Cache-Control": "private, no-cache"}
    if request.if_none_match.contains(etag):
        return Response(status=304, headers=headers)
    return Response(body, mimetype="application/json", headers=headers)


def network_body(room: Any) -> tuple[bytes, str]:
    """The network's GeoJSON as JSON bytes and their entity tag (unquoted), made once per
    loaded network.

    A city's network is megabytes of JSON and every page's map asks for it: encoding it
    on every request costs the server a second of CPU per ten viewers. The bytes are
    kept with the GeoJSON object they were made from; loading a network replaces the
    object (never changes it in place), and the next request encodes it afresh.
    """
    geojson = room.network_geojson
    held = room.extensions.get("network_body")
    if held is None or held[0] is not geojson:
        body = json.dumps(geojson, separators=(",", ":"), allow_nan=False).encode()
        etag = hashlib.sha256(body).hexdigest()[:32]
        held = room.extensions["network_body"] = (geojson, body, etag)
    return held[1], held[2]


@bp.get("/freshness", responses={200: Freshness, 404: Error})
@require(Role.VIEWER)
def freshness() -> Any:
    """Each target in force (large events' included): last patrol and how overdue it is.

    ``event`` names the large event a target belongs to, ``tightened_by`` the
    event whose zone tightened a network target's interval (else null).
    """
    keeper = control_room().freshness
    if keeper is None:
        abort(404, description="no patrol network loaded: serve with --network FILE")
    now_s = time.time()
    force = keeper.in_force(now_s)
    return reply(
        Freshness(
            targets=[
                TargetFreshness(
                    id=s.target_id,
                    priority=str(s.priority),
                    interval_s=s.interval_s,
                    last_patrolled_s=s.last_patrolled_s,
                    due_in_s=s.due_in_s if s.last_patrolled_s is not None else None,
                    overdue=s.overdue,
                    staleness=s.staleness if s.last_patrolled_s is not None else None,
                    event=force.event_of.get(s.target_id),
                    tightened_by=force.tightened_by.get(s.target_id),
                )
                for s in keeper.states(now_s)
            ]
        )
    )
