"""Operator alerts: the active list, and acknowledging one (audited with the person).

``GET /api/alerts`` lists the alerts not yet acknowledged (``?recent=1``
adds the last acknowledged ones); ``POST /api/alerts/<id>/acknowledge``
takes one off the list for everyone. Raising, clearing and acknowledging
reach every open page as ``alert`` server-sent events.
"""

from __future__ import annotations

from typing import Any

from flask import abort, g

from dronepatrol.accounts import Role
from dronepatrol.alerts import AlertError
from dronepatrol.web.context import audit, control_room
from dronepatrol.web.schema.alerts import Acknowledged, Alert, Alerts, AlertsQuery
from dronepatrol.web.schema.base import ApiBlueprint, Error, refuse, reply, validated
from dronepatrol.web.security import require

bp = ApiBlueprint("alerts", __name__, url_prefix="/api/alerts")


def _book() -> Any:
    book = control_room().alerts
    if book is None:
        abort(404, description="no alert book in this app")
    return book


@bp.get("", responses={200: Alerts, 404: Error})
@require(Role.VIEWER)
@validated
def listing(query: AlertsQuery) -> Any:
    """Active alerts, critical first (with ``recent=1`` also the last acknowledged ones)."""
    book = _book()
    alerts = book.recent() if query.recent in ("1", "true") else book.active()
    return reply(Alerts(alerts=[Alert.of(a) for a in alerts]))


@bp.post("/<alert_id>/acknowledge", responses={200: Acknowledged, 404: Error, 409: Error})
@require(Role.COMMANDER)
def acknowledge(alert_id: str) -> Any:
    """The signed-in person has seen the alert: off the active list, into the record."""
    book = _book()
    try:
        alert = book.acknowledge(alert_id, g.user.name)
    except AlertError as exc:
        audit("acknowledge alert", False, alert=alert_id, reason=str(exc))
        if "already" in str(exc):
            return refuse(409, "Conflict", str(exc))
        return refuse(404, "Not Found", str(exc))
    audit(
        "acknowledge alert",
        True,
        alert=alert.id,
        vehicle=alert.vehicle_id,
        kind=alert.kind,
        text=alert.text,
    )
    return reply(Acknowledged(alert=Alert.of(alert)))
