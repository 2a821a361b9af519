"""From bus events to audit-trail rows, and the rule that decides a sortie's outcome.

What the recorder reads from each event's ``data`` (every key optional):

==================  =============================================================
kind                keys
==================  =============================================================
armed, disarmed     ``name`` (vehicle), ``plan``, ``targets``, ``station``,
                    ``operator``; on disarmed also ``outcome``
                    (completed/aborted) and ``reason`` to state it outright
mission_upload      ``plan``, ``targets``, ``station``, ``operator``: kept as the
                    context of the vehicle's next sortie; ``mission_type``,
                    ``phase``, ``sent``/``total``, ``result``, ``reason``
mode_changed        ``mode`` (new mode name), ``previous``
waypoint_reached    ``seq`` (mission item number), ``total``
mission_current     ``seq``, ``total``
statustext          ``text``, ``severity``
failsafe            ``reason`` or ``text``, ``failsafe`` (which one)
command_sent,       ``name`` (e.g. ``COMPONENT_ARM_DISARM``) or ``command`` (MAV_CMD),
                    ``command_id`` (pairs a result and retries with their command),
command_result      ``result`` (``ACCEPTED``, ``DENIED``, ``TIMEOUT``, ...),
                    ``actor`` or ``source`` (who: a user name, ``scheduler``, ``link``),
                    ``reason`` (the autopilot's STATUSTEXT explanation)
detection           ``class`` (or ``label``), ``confidence`` [0..1], ``lat_deg``,
                    ``lon_deg``, ``snapshot`` or ``snapshot_path`` (image path)
media               ``path``, ``kind`` (tlog/video/snapshot), ``complete``
                    (false: still being written, hashed when the sortie ends),
                    ``sha256`` and ``size_bytes`` when the writer hashed it
recording           the video pipeline's finished recording: ``path``,
                    ``sha256``, ``size_bytes`` (filed as video media)
==================  =============================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dronepatrol.database.record_tables import Outcome
from dronepatrol.events import Event, EventKind

CONTEXT_KEYS = ("plan", "targets", "station", "operator")
"""Event data keys that describe the sortie about to be (or being) flown."""

_ACTOR_KEYS = ("actor", "by", "user", "operator", "source")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def actor_of(data: Mapping[str, Any]) -> str | None:
    """Who caused an event (sent a command), from the first actor-like key present."""
    for key in _ACTOR_KEYS:
        if data.get(key):
            return str(data[key])
    return None


def summary(event: Event) -> str:
    """A one-line description of ``event`` for the timeline."""
    data = event.data
    kind = event.kind
    if kind == EventKind.MODE_CHANGED:
        previous = f" (from {data['previous']})" if data.get("previous") else ""
        return f"mode {data.get('mode', '?')}{previous}"
    if kind == EventKind.WAYPOINT_REACHED:
        return f"waypoint {data.get('seq', '?')} reached"
    if kind == EventKind.MISSION_CURRENT:
        return f"mission item {data.get('seq', '?')}/{data.get('total', '?')}"
    if kind == EventKind.STATUSTEXT:
        return _text(data.get("text"))
    if kind == EventKind.FAILSAFE:
        why = data.get("reason") or data.get("text") or data.get("failsafe") or data.get("type")
        return f"failsafe: {_text(why)}"
    if kind in (EventKind.COMMAND_SENT, EventKind.COMMAND_RESULT):
        parts = [command_name(data)]
        if kind == EventKind.COMMAND_SENT and _int(data.get("attempt"), 1) > 1:
            parts.append(f"(attempt {data['attempt']})")
        if data.get("result") is not None:
            parts.append(f"-> {data['result']}")
        if data.get("reason"):
            parts.append(f"({data['reason']})")
        actor = actor_of(data)
        if actor:
            parts.append(f"by {actor}")
        return " ".join(parts)
    if kind == EventKind.MISSION_UPLOAD:
        what = _text(data.get("mission_type") or "mission")
        plan = f" {data['plan']}" if data.get("plan") else ""
        phase = _text(data.get("phase") or "upload")
        done = data.get("sent", data.get("received"))
        total = data.get("total", data.get("count"))
        progress = f" {done}/{total}" if done is not None and total is not None else ""
        if done is None and total is not None:
            progress = f", {total} items"
        result = f" -> {data['result']}" if data.get("result") else ""
        reason = f" ({data['reason']})" if data.get("reason") else ""
        return f"{what}{plan} {phase}{progress}{result}{reason}"
    if kind == EventKind.LINK_LOST:
        silent = f" (silent {data['silent_s']} s)" if data.get("silent_s") is not None else ""
        return f"link lost{silent}"
    if kind == EventKind.LINK_RESTORED:
        outage = f" after {data['outage_s']} s" if data.get("outage_s") is not None else ""
        return f"link restored{outage}"
    if kind == EventKind.LINK_UP:
        return "link up"
    if kind == EventKind.LANDED_STATE:
        return f"landed state {_text(data.get('state') or '?')}"
    if kind == EventKind.ARMED:
        return "armed"
    if kind == EventKind.DISARMED:
        return "disarmed"
    text = data.get("text") or data.get("reason") or data.get("message")
    return _text(text) or str(kind).replace("_", " ")


def command_name(data: Mapping[str, Any]) -> str:
    """A command's name: ``name`` when the link gives one, else the MAV_CMD number."""
    return _text(data.get("name") or data.get("command") or "command")


def is_progress(kind: str, data: Mapping[str, Any]) -> bool:
    """True for per-item mission transfer progress (kept, but left out of timelines)."""
    return (
        kind == EventKind.MISSION_UPLOAD.value
        and data.get("phase") in ("upload", "download")
        and not data.get("result")
    )


def event_row(event: Event, sortie_id: int | None) -> dict[str, Any]:
    """The ``events`` table row for ``event``."""
    data = event.data
    command = result = None
    if event.kind in (EventKind.COMMAND_SENT, EventKind.COMMAND_RESULT):
        command = command_name(data)[:80]
        result = _text(data.get("result"))[:80] or None
    return {
        "sortie_id": sortie_id,
        "vehicle_id": event.vehicle_id,
        "time_s": event.time_s,
        "seq": event.seq,
        "kind": str(event.kind),
        "command": command,
        "result": result,
        "actor": actor_of(data),
        "text": summary(event),
        "data": dict(data),
    }


def detection_row(event: Event, sortie_id: int | None) -> dict[str, Any]:
    """The ``detections`` table row for a DETECTION event."""
    data = event.data
    label = data.get("class") or data.get("label") or data.get("class_name") or "object"
    try:
        confidence = float(data.get("confidence", 0.0))
    except (TypeError, ValueError):
        confidence = 0.0
    return {
        "sortie_id": sortie_id,
        "vehicle_id": event.vehicle_id,
        "time_s": event.time_s,
        "lat_deg": data.get("lat_deg"),
        "lon_deg": data.get("lon_deg"),
        "class_name": str(label)[:80],
        "confidence": confidence,
        "snapshot_path": _text(data.get("snapshot") or data.get("snapshot_path")) or None,
        "data": dict(data),
    }


@dataclass
class OpenSortie:
    """What the recorder tracks about a sortie in flight, to decide its outcome."""

    sortie_id: int
    vehicle_id: str
    started_s: float
    failsafes: list[str] = field(default_factory=list)
    reached_max: int = -1
    mission_total: int = 0
    flew_auto: bool = False
    pending_media: list[int] = field(default_factory=list)

    def observe(self, event: Event) -> None:
        """Update from one event of this sortie's vehicle."""
        data = event.data
        if event.kind == EventKind.FAILSAFE:
            self.failsafes.append(summary(event))
        elif event.kind == EventKind.WAYPOINT_REACHED:
            self.reached_max = max(self.reached_max, _int(data.get("seq"), -1))
            self.mission_total = max(self.mission_total, _int(data.get("total"), 0))
        elif event.kind == EventKind.MISSION_CURRENT:
            self.mission_total = max(self.mission_total, _int(data.get("total"), 0))
        elif event.kind == EventKind.MODE_CHANGED and data.get("mode") == "AUTO":
            self.flew_auto = True

    def observe_sample(self, sample: Mapping[str, Any], mission_total: Any) -> None:
        """Update from one track sample (its mode) and the telemetry's mission size."""
        if sample.get("mode") == "AUTO":
            self.flew_auto = True
        self.mission_total = max(self.mission_total, _int(mission_total, 0))

    def outcome(self, disarm: Mapping[str, Any]) -> tuple[Outcome, str]:
        """(outcome, reason) at disarming.

        An outcome stated in the disarm event wins. Otherwise a failsafe makes
        the sortie aborted, and so does a mission flown in AUTO that stopped
        before its last waypoints (the final item may be RTL or LAND, which
        the autopilot does not report as reached; mission totals count item 0,
        home). Everything else completed.
        """
        stated = disarm.get("outcome")
        if stated in (Outcome.COMPLETED.value, Outcome.ABORTED.value):
            return Outcome(stated), _text(disarm.get("reason"))
        if self.failsafes:
            return Outcome.ABORTED, "; ".join(dict.fromkeys(self.failsafes))
        last_item = self.mission_total - 1
        if self.flew_auto and last_item >= 1 and self.reached_max < last_item - 1:
            reached = max(self.reached_max, 0)
            return Outcome.ABORTED, f"mission stopped after waypoint {reached} of {last_item}"
        return Outcome.COMPLETED, ""


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
