"""The JSON API under ``/api/``: read-only views here; commands live with their areas."""

from __future__ import annotations

import time
from typing import Any

from flask import abort

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
    """Every vehicle with id, name, link state, armed, mode, position and battery."""
    room = control_room()
    snapshots = sorted(room.snapshots(), key=lambda s: s.vehicle_id)
    return reply(Vehicles(vehicles=[Vehicle.of(s, room.registry) for s in snapshots]))


@bp.get("/network", responses={200: FeatureCollection, 404: Error})
@require(Role.VIEWER)
def network() -> Any:
    """The loaded patrol network as a GeoJSON FeatureCollection."""
    geojson = control_room().network_geojson
    if geojson is None:
        abort(
            404,
            description="no patrol network loaded: start with dronepatrol serve --network FILE",
        )
    return reply(FeatureCollection.model_validate(geojson))


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
