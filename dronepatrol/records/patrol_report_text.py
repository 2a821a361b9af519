"""The day's patrol report as one CSV table and as text tables for a terminal.

The CSV is a single table a spreadsheet can filter: its ``level`` column says
what a row measures (``fleet``, ``priority``, ``station``, ``vehicle``,
``target``) and ``key`` which one; columns that do not apply to a level are
empty. Rates and fractions are 0..1, durations seconds, flight in hours.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from dronepatrol.records.archive import iso_utc
from dronepatrol.records.patrol_report import DayReport, GroupLine, Spread

CSV_COLUMNS: tuple[str, ...] = (
    "day",
    "level",
    "key",
    "name",
    "kind",
    "station",
    "priority",
    "interval_min",
    "targets",
    "patrolled_targets",
    "patrols",
    "deadlines_met",
    "deadlines_missed",
    "on_time_rate",
    "overdue_at_end",
    "overdue_targets",
    "coverage",
    "fresh_frac",
    "last_patrol",
    "incidents",
    "incidents_answered",
    "dispatch_median_s",
    "dispatch_p95_s",
    "airborne_median_s",
    "airborne_p95_s",
    "response_median_s",
    "response_p95_s",
    "sorties",
    "flight_hours",
    "battery_used_pct",
    "battery_cycles",
)
"""The CSV's columns, in order."""


def _number(value: float | None, digits: int = 4) -> str:
    return "" if value is None else f"{round(value, digits):g}"


def _group_row(day: str, g: GroupLine) -> dict[str, Any]:
    r = g.responses

    def spread(prefix: str, s: Spread) -> dict[str, str]:
        return {
            f"{prefix}_median_s": _number(s.median_s, 1),
            f"{prefix}_p95_s": _number(s.p95_s, 1),
        }

    return {
        "day": day,
        "level": g.level,
        "key": g.key,
        "name": g.name,
        "station": g.key if g.level == "station" else "",
        "priority": g.key if g.level == "priority" else "",
        "targets": g.targets,
        "patrolled_targets": g.patrolled_targets,
        "deadlines_met": g.met,
        "deadlines_missed": g.missed,
        "on_time_rate": _number(g.on_time_rate),
        "overdue_targets": g.overdue_targets,
        "coverage": _number(g.mean_coverage),
        "fresh_frac": _number(g.mean_fresh_frac),
        "incidents": r.created,
        "incidents_answered": r.answered,
        **spread("dispatch", r.to_dispatch),
        **spread("airborne", r.to_airborne),
        **spread("response", r.to_scene),
        "sorties": g.sorties if g.level != "priority" else "",
        "flight_hours": _number(g.flight_s / 3600.0) if g.level != "priority" else "",
    }


def csv_rows(report: DayReport) -> Iterator[dict[str, Any]]:
    """The CSV's rows as dictionaries: fleet, priority levels, stations, vehicles, targets."""
    yield _group_row(report.day, report.fleet)
    for g in (*report.priorities, *report.stations):
        yield _group_row(report.day, g)
    for v in report.vehicles:
        yield {
            "day": report.day,
            "level": "vehicle",
            "key": v.vehicle_id,
            "name": v.name,
            "sorties": v.sorties,
            "flight_hours": _number(v.flight_s / 3600.0),
            "battery_used_pct": _number(v.battery_used_pct, 1),
            "battery_cycles": _number(v.battery_cycles, 3),
        }
    for t in report.targets:
        yield {
            "day": report.day,
            "level": "target",
            "key": t.target_id,
            "name": t.name,
            "kind": t.kind,
            "station": t.station,
            "priority": t.priority,
            "interval_min": _number(t.interval_min, 2),
            "patrols": t.record.patrols,
            "deadlines_met": t.record.met,
            "deadlines_missed": t.record.missed,
            "on_time_rate": _number(t.on_time_rate),
            "overdue_at_end": "yes" if t.record.overdue_at_end else "no",
            "coverage": _number(t.coverage),
            "fresh_frac": _number(t.record.fresh_frac),
            "last_patrol": iso_utc(t.record.last_patrol_s) or "",
        }


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula (OWASP, "CSV injection")."""


def spreadsheet_text(value: Any) -> Any:
    """``value`` as a spreadsheet shows it and never runs: text that starts like a
    formula (a target named ``=HYPERLINK(...)`` in a network or event file) gets a
    leading ``'``; numbers, negative ones included, are left as they are.

    >>> spreadsheet_text("=1+1"), spreadsheet_text("-35.3"), spreadsheet_text(-2)
    ("'=1+1", '-35.3', -2)
    """
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS):
        return value
    try:
        float(value)
    except ValueError:
        return "'" + value
    return value


def report_csv(report: DayReport) -> str:
    """The report as one CSV table (RFC 4180, CRLF line ends, a header row)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, restval="")
    writer.writeheader()
    writer.writerows({k: spreadsheet_text(v) for k, v in row.items()} for row in csv_rows(report))
    return out.getvalue()


# ----------------------------------------------------------------------- text


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value / 60:.1f} min"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in column) for column in zip(header, *rows, strict=True)]
    lines = ["  ".join(f"{h:<{w}}" for h, w in zip(header, widths, strict=True)).rstrip()]
    lines += ["  ".join(f"{c:<{w}}" for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return lines


def report_table(report: DayReport) -> str:
    """The report as text tables, for a terminal."""
    f = report.fleet
    r = f.responses
    state = "" if report.complete else f" (so far, up to {iso_utc(report.as_of_s)})"
    lines = [
        f"Patrol report {report.day} ({report.zone}){state}",
        "",
        f"on time {_pct(f.on_time_rate)} ({f.met} of {f.met + f.missed} deadlines), "
        f"{f.overdue_targets} of {f.targets} targets overdue at the end, "
        f"coverage {_pct(f.mean_coverage)}",
        f"incidents {r.created}, answered {r.answered}; response median "
        f"{_minutes(r.to_scene.median_s)}, p95 {_minutes(r.to_scene.p95_s)}",
        f"flight {f.flight_s / 3600:.2f} h in {f.sorties} sorties",
        "",
    ]
    group_header = ["", "targets", "on time", "met", "missed", "overdue", "coverage", "incidents"]

    def group_rows(groups: list[GroupLine]) -> list[list[str]]:
        return [
            [
                g.name if g.name == g.key else f"{g.key} {g.name}",
                str(g.targets),
                _pct(g.on_time_rate),
                str(g.met),
                str(g.missed),
                str(g.overdue_targets),
                _pct(g.mean_coverage),
                f"{g.responses.answered}/{g.responses.created}",
            ]
            for g in groups
        ]

    lines += [*_table(["PRIORITY", *group_header[1:]], group_rows(report.priorities)), ""]
    station_rows = [
        [*row, f"{g.flight_s / 3600:.2f}"]
        for row, g in zip(group_rows(report.stations), report.stations, strict=True)
    ]
    lines += [*_table(["STATION", *group_header[1:], "flight h"], station_rows), ""]
    if report.vehicles:
        vehicles = _table(
            ["VEHICLE", "sorties", "flight h", "battery used", "cycles"],
            [
                [
                    v.name,
                    str(v.sorties),
                    f"{v.flight_s / 3600:.2f}",
                    f"{v.battery_used_pct:.0f} %",
                    f"{v.battery_cycles:.2f}",
                ]
                for v in report.vehicles
            ],
        )
        lines += [*vehicles, ""]
    lines += _table(
        [
            "TARGET",
            "kind",
            "station",
            "priority",
            "on time",
            "met",
            "missed",
            "patrols",
            "coverage",
            "overdue",
        ],
        [
            [
                t.target_id,
                t.kind,
                t.station,
                t.priority,
                _pct(t.on_time_rate),
                str(t.record.met),
                str(t.record.missed),
                str(t.record.patrols),
                _pct(t.coverage),
                "yes" if t.record.overdue_at_end else "no",
            ]
            for t in report.targets
        ],
    )
    return "\n".join(lines) + "\n"
