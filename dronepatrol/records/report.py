"""The sortie report: one self-contained HTML page a commander or a court can read.

Everything is inline (CSS and SVG): the page opens with no network, from a
USB stick, years later. Sections: summary, the track on a map with the
camera swath and the patrol targets, altitude / speed / battery over time,
targets covered (from the flown track, judged by the patrolled rules of
:func:`dronepatrol.freshness.patrolled.judge`, the same the freshness keeper
applies), the command audit, the events timeline, detections and media with
their SHA-256.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from shapely.geometry import mapping

from dronepatrol import __version__
from dronepatrol.freshness.patrolled import (
    DEFAULT_DWELL_S,
    GRID_IMAGED_FRACTION,
    LINE_IMAGED_FRACTION,
    MIN_IMAGING_ALT_M,
    Camera,
    PatrolCheck,
    TrackCoverage,
    TrackSample,
)
from dronepatrol.network import Kind, Network
from dronepatrol.records.archive import SortieRecord, iso_utc
from dronepatrol.records.audit import is_progress
from dronepatrol.records.svg import time_plot, track_map

CSS = """
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:820px;color:#0f172a}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid
#cbd5e1;padding-bottom:4px}table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #e2e8f0;vertical-align:top}
th{background:#f1f5f9}td.num{text-align:right;font-variant-numeric:tabular-nums}
.outcome-completed{color:#15803d}.outcome-aborted{color:#b45309}
.outcome-interrupted,.outcome-open{color:#b91c1c}.empty{color:#64748b;font-style:italic}
.verdict-missed{color:#b91c1c}.verdict-partly{color:#b45309}.verdict-yes{color:#15803d}
code{font-size:11px}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
@media print{body{margin:0}}
"""


def _fmt(value: Any, digits: int = 1, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}{unit}"
    return f"{value}{unit}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "still open"
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    numeric: frozenset[int] | set[int] = frozenset(),
) -> str:
    """An HTML table; ``rows`` hold already-escaped cell HTML."""
    if not rows:
        return '<p class="empty">None.</p>'
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if i in numeric else f"<td>{cell}</td>"
            for i, cell in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def command_audit(events: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Commands paired with their results: sent time, command, who, result, reason, latency."""
    rows: list[dict[str, Any]] = []
    waiting: dict[str, list[dict[str, Any]]] = {}
    by_id: dict[Any, dict[str, Any]] = {}
    for event in events:
        command_id = event["data"].get("command_id")
        if event["kind"] == "command_sent":
            if command_id is not None and command_id in by_id:  # a retry of the same command
                by_id[command_id]["attempts"] += 1
                continue
            row = {
                "sent_s": event["time_s"],
                "command": event["command"] or "?",
                "actor": event["actor"] or "",
                "result": None,
                "reason": "",
                "latency_s": None,
                "attempts": 1,
            }
            rows.append(row)
            if command_id is not None:
                by_id[command_id] = row
            else:
                waiting.setdefault(row["command"], []).append(row)
        elif event["kind"] == "command_result":
            if command_id is not None and command_id in by_id:
                row = by_id.pop(command_id)
            else:
                queue = waiting.get(event["command"] or "?") or []
                row = queue.pop(0) if queue else None
            if row is None:
                row = {"sent_s": None, "command": event["command"] or "?", "actor": ""}
                row["latency_s"] = None
                row["attempts"] = 0
                rows.append(row)
            else:
                row["latency_s"] = event["time_s"] - row["sent_s"]
            row["result"] = event["result"]
            row["reason"] = str(event["data"].get("reason") or "")
            row["actor"] = row["actor"] or event["actor"] or ""
    return rows


def _summary_section(record: SortieRecord) -> str:
    s = record.summary
    stats = record.stats()
    battery_used = (
        stats["battery_start_pct"] - stats["battery_end_pct"]
        if stats["battery_start_pct"] is not None and stats["battery_end_pct"] is not None
        else None
    )
    outcome = f'<b class="outcome-{escape(s.status)}">{escape(s.status)}</b>' + (
        f" – {escape(s.outcome_reason)}" if s.outcome_reason else ""
    )
    rows = [
        ("Vehicle", f"{escape(s.vehicle_name)} (id {escape(s.vehicle_id)})"),
        ("Plan", escape(s.plan_ref or "–")),
        ("Planned targets", escape(", ".join(_target_label(t) for t in s.targets) or "–")),
        ("Station", escape(s.station or "–")),
        ("Operator", escape(s.operator or "–")),
        ("Started (UTC)", escape(iso_utc(s.started_s) or "")),
        ("Ended (UTC)", escape(iso_utc(s.ended_s) or "still open")),
        ("Duration", _duration(s.duration_s)),
        ("Outcome", outcome),
        ("Distance flown", _fmt(stats["distance_m"] / 1000.0, 2, " km")),
        ("Track", f"{len(record.track)} samples, {stats['track_rate_hz']:.1f} Hz"),
        ("Highest altitude", _fmt(stats["max_alt_rel_m"], 1, " m above home")),
        ("Fastest ground speed", _fmt(stats["max_groundspeed_mps"], 1, " m/s")),
        ("Battery used", _fmt(battery_used, 0, " %")),
        ("Waypoints reached", escape(", ".join(map(str, stats["waypoints_reached"])) or "–")),
    ]
    return _table(("", ""), [(f"<b>{escape(k)}</b>", v) for k, v in rows])


def _target_label(target: Any) -> str:
    if isinstance(target, Mapping):
        return str((target.get("properties") or {}).get("id", "?"))
    return str(target)


KIND_ORDER = (Kind.GRID, Kind.LINE, Kind.POINT)


@dataclass(frozen=True)
class TargetCoverage:
    """One target's row in the report: what the sortie imaged of it, and its verdict.

    ``check``: the patrolled rules' verdict (None when the target could not be
    judged: ``note`` says why); ``planned``: the sortie's plan listed it;
    ``dwell_s``: the time a point must be held in view [s].
    """

    target_id: str
    kind: str
    name: str = ""
    priority: str = ""
    planned: bool = True
    check: PatrolCheck | None = None
    dwell_s: float | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        """yes (patrolled), partly (imaged, rule not met), no (nothing imaged) or unknown."""
        if self.check is None:
            return "unknown"
        if self.check.patrolled:
            return "yes"
        return "partly" if self.check.imaged > 0 else "no"

    @property
    def detail(self) -> str:
        """What was imaged: share of a grid's flyable area or a line's length, a point's time."""
        if self.check is None:
            return self.note
        imaged = self.check.imaged
        if self.kind == Kind.GRID:
            return f"{imaged * 100:.0f} % of flyable area imaged"
        if self.kind == Kind.LINE:
            return f"{imaged * 100:.0f} % of length imaged"
        return f"{imaged:.0f} s in view (dwell {self.dwell_s or 0:g} s)"


def track_samples(track: Sequence[Mapping[str, Any]]) -> list[TrackSample]:
    """A recorded track (:attr:`SortieRecord.track` rows) as the patrolled rules read it."""
    return [
        TrackSample(
            s["time_s"],
            s["lat_deg"],
            s["lon_deg"],
            s.get("alt_rel_m") or 0.0,
            s.get("heading_deg") or 0.0,
        )
        for s in track
    ]


def target_coverage(
    coverage: TrackCoverage | None, network: Network, planned: Sequence[Any] = ()
) -> list[TargetCoverage]:
    """Each target the sortie planned or imaged, planned first, judged by the patrolled rules.

    ``coverage`` is None when no track was recorded; ``planned`` is the sortie's
    target list (ids, or GeoJSON features carrying an ``id`` property).
    """
    planned_ids = [_target_label(t) for t in planned]
    if coverage is None:
        return [TargetCoverage(t, "", note="no track recorded") for t in planned_ids]
    known = {t.id for t in network.targets}
    rows = [
        TargetCoverage(t, "", note="not in the patrol network")
        for t in planned_ids
        if t not in known
    ]
    checks = coverage.judge(network)
    for target in network.targets:
        check = checks.get(target.id)
        is_planned = target.id in planned_ids
        if check is None or not (is_planned or check.imaged > 0):
            continue
        dwell = None
        if target.kind == Kind.POINT:
            dwell = target.dwell_s if target.dwell_s is not None else DEFAULT_DWELL_S
        rows.append(
            TargetCoverage(
                target.id,
                str(target.kind),
                target.name,
                str(target.priority),
                is_planned,
                check,
                dwell,
            )
        )
    rows.sort(key=lambda r: (not r.planned, KIND_ORDER.index(r.kind) if r.kind else -1))
    return rows


def _coverage_section(results: Sequence[TargetCoverage], camera: Camera, given: bool) -> str:
    intro = (
        f"<p>From the flown track (not the plan), with a {camera.hfov_deg:g}° × "
        f"{camera.vfov_deg:g}° field of view straight down, counting only samples at "
        f"least {MIN_IMAGING_ALT_M:g} m above home. Judged by the patrolled rules, as "
        "freshness is: a point is patrolled when held in view for its dwell time "
        f"({DEFAULT_DWELL_S:g} s unless the network gives one), a line when "
        f"{LINE_IMAGED_FRACTION * 100:.0f} % of its length was imaged, a grid when "
        f"{GRID_IMAGED_FRACTION * 100:.0f} % of its flyable area (outside no-fly zones) was.</p>"
    )
    if not given:
        return intro + (
            '<p class="empty">No patrol network was given, so no grid, line or point '
            "was judged (the command line takes it as <code>--network</code>).</p>"
        )
    rows = [
        (
            escape(r.target_id),
            escape(r.kind or "?"),
            escape(r.name),
            escape(r.priority),
            "yes" if r.planned else "no",
            _verdict_cell(r.verdict),
            escape(r.detail),
        )
        for r in results
    ]
    headers = ("Target", "Kind", "Name", "Priority", "Planned", "Patrolled", "Imaged")
    return intro + _table(headers, rows)


def _verdict_cell(verdict: str) -> str:
    """Patrolled yes or no; a partly imaged target's "no" in amber, a missed one's in red."""
    text = {"yes": "yes", "unknown": "unknown"}.get(verdict, "no")
    css = {"no": "missed", "unknown": "missed"}.get(verdict, verdict)
    return f'<b class="verdict-{css}">{text}</b>'


def _drawn(network: Network, ids: set[str]) -> list[dict[str, Any]]:
    """The targets ``ids`` as GeoJSON features, for the map."""
    return [
        {
            "type": "Feature",
            "geometry": mapping(t.geometry),
            "properties": {"kind": str(t.kind), "id": t.id, "name": t.name},
        }
        for t in network.targets
        if t.id in ids
    ]


def build_report(
    record: SortieRecord,
    network: Network | None = None,
    camera: Camera | None = None,
) -> str:
    """The report page for ``record``, its targets judged against ``network`` with ``camera``.

    Give the network the freshness keeper judged the sortie against (with the
    large events then on) and the patrol camera, so both tell the same truth.
    """
    camera = camera or Camera()
    s = record.summary
    t0 = s.started_s
    coverage = TrackCoverage(track_samples(record.track), camera) if record.track else None
    results = target_coverage(coverage, network, s.targets) if network is not None else []
    shown = _drawn(network, {r.target_id for r in results}) if network is not None else []
    swath = coverage.swath if coverage is not None and not coverage.swath.is_empty else None
    frame = coverage.frame if swath is not None else None
    markers = [
        (d["lat_deg"], d["lon_deg"], f"{d['class_name']} {d['confidence']:.2f}", "#e11d48")
        for d in record.detections
        if d["lat_deg"] is not None and d["lon_deg"] is not None
    ]
    times = [p["time_s"] for p in record.track]
    plots = "".join(
        f"<h3>{escape(title)}</h3>"
        + time_plot(times, [p[key] for p in record.track], title, unit, colour)
        for title, key, unit, colour in (
            ("Altitude above home", "alt_rel_m", "m", "#2563eb"),
            ("Ground speed", "groundspeed_mps", "m/s", "#7c3aed"),
            ("Battery remaining", "battery_pct", "%", "#16a34a"),
        )
    )
    audit_rows = [
        (
            escape(iso_utc(c["sent_s"]) or "–"),
            escape(c["command"]),
            escape(c["actor"] or "–"),
            escape(str(c["result"] or "no answer")),
            escape(c["reason"]),
            _fmt(c["latency_s"], 2, " s"),
            str(c["attempts"]),
        )
        for c in command_audit(record.events)
    ]
    timeline_rows = [
        (
            escape(e["time"] or ""),
            _duration(e["time_s"] - t0) if e["time_s"] >= t0 else "-" + _duration(t0 - e["time_s"]),
            escape(e["kind"]),
            escape(e["text"]),
        )
        for e in record.events
        if not is_progress(e["kind"], e["data"])
    ]
    detection_rows = [
        (
            escape(iso_utc(d["time_s"]) or ""),
            escape(d["class_name"]),
            f"{d['confidence']:.2f}",
            escape(f"{d['lat_deg']:.6f}, {d['lon_deg']:.6f}" if d["lat_deg"] is not None else "–"),
            escape(d["snapshot_path"] or "–"),
        )
        for d in record.detections
    ]
    media_rows = [
        (
            escape(m["kind"]),
            escape(m["path"]),
            f"<code>{escape(m['sha256'] or 'pending')}</code>",
            f"{m['size_bytes']:,}" + ("" if m["complete"] else " (still being written then)"),
        )
        for m in record.media
    ]
    title = f"Sortie {s.id} – {s.vehicle_name} – {iso_utc(s.started_s)}"
    legend = (
        '<p class="legend"><span>■ track (darker = higher)</span>'
        '<span style="color:#22c55e">■ camera swath</span>'
        '<span style="color:#2563eb">■ grid</span><span style="color:#9333ea">■ line</span>'
        '<span style="color:#f59e0b">● point</span>'
        '<span style="color:#e11d48">■ detection</span></p>'
    )
    body = [
        f"<h1>{escape(title)}</h1>",
        f"<p>DronePatrol sortie record, generated {escape(iso_utc(time.time()) or '')}.</p>",
        "<h2>Summary</h2>",
        _summary_section(record),
        "<h2>Track</h2>",
        track_map(record.track, shown, swath, frame, markers),
        legend,
        "<h2>Altitude, speed and battery</h2>",
        plots,
        "<h2>Targets covered</h2>",
        _coverage_section(results, camera, network is not None),
        "<h2>Command audit</h2>",
        _table(
            ("Sent (UTC)", "Command", "By", "Result", "Reason", "Answered in", "Sends"),
            audit_rows,
            {5, 6},
        ),
        "<h2>Events</h2>",
        _table(("Time (UTC)", "T+", "Kind", "What"), timeline_rows, {1}),
        "<h2>Detections</h2>",
        _table(("Time (UTC)", "Class", "Confidence", "Position", "Snapshot"), detection_rows, {2}),
        "<h2>Media</h2>",
        _table(("Kind", "File", "SHA-256", "Bytes hashed"), media_rows, {3}),
        f'<p class="empty">DronePatrol {escape(__version__)}</p>',
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{CSS}</style></head><body>" + "".join(body) + "</body></html>\n"
    )
