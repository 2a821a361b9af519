"""Operator alerts: the active list, and acknowledging one (audited with the person).

``GET /api/alerts`` lists the alerts not yet acknowledged (``?recent=1``
adds the last acknowledged ones); ``POST /api/alerts/<id>/acknowledge``
takes one off the list for everyone. Raising, clearing and acknowledging
reach every open page as ``alert`` server-sent events.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, g, jsonify, request

from dronepatrol.accounts import Role
from dronepatrol.alerts import AlertError
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.security import require

bp = Blueprint("alerts", __name__, url_prefix="/api/alerts")


def _book() -> Any:
    book = control_room().alerts
    if book is None:
        abort(404, description="no alert book in this app")
    return book


@bp.get("")
@require(Role.VIEWER)
def listing() -> Any:
    """Active alerts, critical first (with ``recent=1`` also the last acknowledged ones)."""
    book = _book()
    alerts = book.recent() if request.args.get("recent") in ("1", "true") else book.active()
    return jsonify(alerts=[a.as_dict() for a in alerts])


@bp.post("/<alert_id>/acknowledge")
@require(Role.COMMANDER)
def acknowledge(alert_id: str) -> Any:
    """The signed-in person has seen the alert: off the active list, into the record."""
    book = _book()
    try:
        alert = book.acknowledge(alert_id, g.user.name)
    except AlertError as exc:
        audit("acknowledge alert", False, alert=alert_id, reason=str(exc))
        code = 409 if "already" in str(exc) else 404
        return jsonify(error="Conflict" if code == 409 else "Not Found", message=str(exc)), code
    audit(
        "acknowledge alert",
        True,
        alert=alert.id,
        vehicle=alert.vehicle_id,
        kind=alert.kind,
        text=alert.text,
    )
    return jsonify(alert=alert.as_dict())
