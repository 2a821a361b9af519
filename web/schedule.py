"""The patrol schedule: what the scheduler proposes, and the operator's consent.

Viewers see the mode, the proposals and why each idle drone waits;
operators switch the mode (off / approve / auto) and approve or reject a
proposal with one click. Every decision goes to the audit log.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, request

from dronepatrol.accounts import Role
from dronepatrol.schedule.scheduler import MODES, SchedulerError
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.security import require

bp = Blueprint("schedule", __name__, url_prefix="/api/schedule")


def _scheduler() -> Any:
    scheduler = control_room().scheduler
    if scheduler is None:
        abort(
            404,
            description="no patrol scheduler: serve with a patrol network (--network FILE) "
            "and drones (--connect URL or --demo N)",
        )
    return scheduler


@bp.get("")
@require(Role.VIEWER)
def status() -> Any:
    """Mode, pending proposals (with their planned tracks), sorties flying, drones waiting."""
    return jsonify(_scheduler().status())


@bp.put("/mode")
@require(Role.OPERATOR)
def set_mode() -> Any:
    """Switch the scheduler off, to one-click approval, or to flying on its own."""
    scheduler = _scheduler()
    body = request.get_json(silent=True)
    mode = body.get("mode") if isinstance(body, dict) else None
    if mode not in MODES:
        abort(400, description=f'send {{"mode": ...}} with one of: {", ".join(MODES)}')
    scheduler.set_mode(mode, g.user.name)
    audit("schedule mode", True, mode=mode)
    return jsonify(mode=scheduler.mode)


def _decide(proposal_id: str, decision: str) -> Any:
    scheduler = _scheduler()
    try:
        if decision == "approve":
            pending = scheduler.approve(proposal_id, g.user.name)
        else:
            pending = scheduler.reject(proposal_id, g.user.name)
    except SchedulerError as exc:
        audit(
            f"{decision} sortie",
            False,
            proposal=proposal_id,
            reason=str(exc),
        )
        return jsonify(error="Conflict", message=str(exc)), 409
    audit(
        f"{decision} sortie",
        True,
        proposal=proposal_id,
        vehicle=pending.vehicle_id,
        targets=list(pending.proposal.targets),
    )
    code = 202 if decision == "approve" else 200
    decided = "approved" if decision == "approve" else "rejected"
    return jsonify(proposal=proposal_id, vehicle=pending.vehicle_id, decision=decided), code


@bp.post("/proposals/<proposal_id>/approve")
@require(Role.OPERATOR)
def approve(proposal_id: str) -> Any:
    """Fly the proposed sortie now: upload, preflight checks, take-off, mission."""
    return _decide(proposal_id, "approve")


@bp.post("/proposals/<proposal_id>/reject")
@require(Role.OPERATOR)
def reject(proposal_id: str) -> Any:
    """Drop the proposal; its drone is left alone for a while."""
    return _decide(proposal_id, "reject")
