"""Patrol performance reports in the app: one day as JSON or as a CSV download."""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from flask import Response, abort

from dronepatrol.accounts import Role
from dronepatrol.records.days import DayError, parse_day, parse_zone
from dronepatrol.records.patrol_report import DayReport, build_day_report, report_as_dict
from dronepatrol.records.patrol_report_text import report_csv
from dronepatrol.web.context import control_room
from dronepatrol.web.schema.base import ApiBlueprint, Error, reply, validated
from dronepatrol.web.schema.reports import CSV, DayQuery
from dronepatrol.web.schema.reports import DayReport as DayReportOut
from dronepatrol.web.security import require

bp = ApiBlueprint("reports", __name__)


def _day_and_zone(query: DayQuery) -> tuple[date, tzinfo | None]:
    """``date`` (default today) and ``tz`` (default the server's local time) of the request."""
    try:
        zone = parse_zone(query.tz)
        text = query.date or datetime.now(zone).date().isoformat()
        return parse_day(text), zone
    except DayError as exc:
        abort(400, description=f"{exc}; e.g. ?date=2026-11-29&tz=Asia/Shanghai")


def _report(query: DayQuery) -> DayReport:
    room = control_room()
    if room.network is None:
        abort(404, description="no patrol network loaded: serve with --network FILE")
    day, zone = _day_and_zone(query)
    policy = getattr(room.freshness, "policy", None)
    try:
        return build_day_report(room.engine, room.network, day, zone, policy=policy)
    except ValueError as exc:
        abort(400, description=str(exc))


@bp.get("/api/reports/day", responses={200: DayReportOut, 404: Error})
@require(Role.VIEWER)
@validated
def day_report(query: DayQuery) -> Any:
    """One day's patrol performance: on-time visits, coverage, incidents, flight hours.

    Per target, station, priority level, vehicle (battery cycles) and the whole
    fleet. A day not over yet is measured up to now.
    """
    return reply(DayReportOut.model_validate(report_as_dict(_report(query))))


@bp.get("/api/reports/day.csv", responses={200: CSV, 404: Error})
@require(Role.VIEWER)
@validated
def day_report_csv(query: DayQuery) -> Any:
    """The same day as one CSV table with a ``level`` column, as a download."""
    report = _report(query)
    response = Response(report_csv(report), mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="patrol-report-{report.day}.csv"'
    )
    return response
