"""Lockdown ("close the city gates") from the control app.

The patrol network names its lockdown plans (overwatch points at the city's
exits and checkpoints): ``GET /api/lockdown/plans`` lists them. A commander
activates one with ``POST /api/lockdown {"plan": "gates"}`` (or gives the
points explicitly); the available drones fly to hold as many points as they
can, earliest worst arrival first, on routes round the no-fly zones, and the
answer lists the points left uncovered with why. A point inside a no-fly zone
is held from the nearest safe point outside it (each assignment's ``watch``),
or left uncovered when none is within camera range. ``GET /api/lockdown``
shows the latest lockdown with each hold's live status; ``POST
/api/lockdown/release`` ends every hold at once.

One lockdown at a time: activating another while one is in force answers
409 naming it, so two plans never fight over the same drones.
"""

from __future__ import annotations

from typing import Any

from flask import abort, g

from dronepatrol.accounts import Role
from dronepatrol.dispatch import DispatchError
from dronepatrol.lockdown import overwatch_points
from dronepatrol.lockdown.plan import OverwatchPoint
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.schema.base import ApiBlueprint, Error, reply, validated
from dronepatrol.web.schema.lockdown import (
    Activated,
    Activation,
    Assignment,
    CurrentLockdown,
    LockdownPlan,
    LockdownPlans,
    LockdownStatus,
    Released,
)
from dronepatrol.web.schema.lockdown import OverwatchPoint as PointOut
from dronepatrol.web.schema.vehicles import Watch
from dronepatrol.web.security import require

bp = ApiBlueprint("lockdown", __name__)

NO_NETWORK = "no patrol network loaded: start with dronepatrol serve --network FILE"
NO_FLEET = "no fleet is connected: start the app with drones to dispatch"


def _network() -> Any:
    network = control_room().network
    if network is None:
        abort(404, description=NO_NETWORK)
    return network


def _plan_points(name: str) -> list[OverwatchPoint]:
    network = _network()
    try:
        return overwatch_points(network.lockdown_plan(name))
    except KeyError:
        known = ", ".join(network.lockdown_plans()) or "none"
        abort(404, description=f"no lockdown plan {name!r} in the network; plans: {known}")


def _status() -> LockdownStatus | None:
    dispatcher = control_room().dispatcher
    status = dispatcher.lockdown_status() if dispatcher is not None else None
    return LockdownStatus(**status.as_dict()) if status is not None else None


@bp.get("/api/lockdown/plans", responses={200: LockdownPlans, 404: Error})
@require(Role.VIEWER)
def plans() -> Any:
    """The network's lockdown plans, each with its overwatch points in plan order."""
    return reply(
        LockdownPlans(
            plans=[
                LockdownPlan(
                    name=name,
                    points=[
                        PointOut(id=p.id, name=p.name, lat=p.lat_deg, lon=p.lon_deg) for p in points
                    ],
                )
                for name, points in _network().lockdown_plans().items()
            ]
        )
    )


@bp.get("/api/lockdown", responses={200: CurrentLockdown})
@require(Role.VIEWER)
def current() -> Any:
    """The latest lockdown with every point's drone, ETA and live status (null before any)."""
    return reply(CurrentLockdown(lockdown=_status()))


@bp.post("/api/lockdown", responses={202: Activated, 404: Error, 409: Error})
@require(Role.COMMANDER)
@validated
def activate(body: Activation) -> Any:
    """Close the city gates: send the available drones to hold a plan's overwatch points.

    Give a plan of the network ({"plan": NAME}) or the points themselves.
    Answers 409 while another lockdown is in force.
    """
    room = control_room()
    if body.plan is not None:
        name, points = body.plan, _plan_points(body.plan)
    else:
        assert body.name is not None and body.points is not None  # the model's rule
        name = body.name
        points = [OverwatchPoint(p.id, p.lat, p.lon, p.name) for p in body.points]
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
    by_id = {p.point_id: p for p in points}
    return reply(
        Activated(
            name=name,
            assignments=[
                Assignment(
                    point=a.point_id,
                    vehicle=a.vehicle_id,
                    eta_s=a.eta_s,
                    incident=incidents.get(a.point_id),
                    # a point in a no-fly zone is held from the nearest safe point outside it
                    watch=Watch(
                        **room.dispatcher.vantage(
                            by_id[a.point_id].lat_deg, by_id[a.point_id].lon_deg
                        ).as_dict()
                    ),
                )
                for a in plan.assignments
            ],
            uncovered=plan.uncovered,
            worst_eta_s=plan.worst_eta_s,
            lockdown=_status(),
        ),
        202,
    )


@bp.post("/api/lockdown/release", responses={202: Released, 409: Error})
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
    return reply(Released(name=name, released=released, status="queued"), 202)
