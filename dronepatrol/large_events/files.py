"""Large-event files: a GeoJSON FeatureCollection read and checked as the network loader does.

One feature of kind ``zone`` (a Polygon) carries the event's ``id``, ``name``,
``start`` and ``end`` (ISO-8601 with a time zone) and optionally
``intervals_min`` (per priority level); every other feature is a grid, line or
point written as in a network file and read by the network loader.
:func:`read_large_event` reports every problem at once, numbered by the
file's own feature indices.

Pure code: no I/O, no database.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from shapely.geometry import Polygon

from dronepatrol.large_events.model import (
    DEFAULT_EVENT_REVISIT_MIN,
    EVENT_ID,
    TARGET_ID_MAX,
    ZONE_KIND,
    LargeEvent,
    event_target_id,
    reaches_into,
)
from dronepatrol.network import (
    ERROR,
    TARGET_KINDS,
    WARNING,
    Issue,
    Kind,
    Network,
    Target,
    feature_list,
    parse_network,
    parse_polygon,
)
from dronepatrol.network.revisit import PRIORITY_ORDER, RevisitError, RevisitPolicy


class LargeEventError(ValueError):
    """An event file has errors; ``issues`` lists every one of them."""

    def __init__(self, source: str, issues: list[Issue]) -> None:
        self.source = source
        self.issues = issues
        errors = [i for i in issues if i.severity == ERROR]
        lines = "\n".join(str(i) for i in errors)
        super().__init__(f"{source}: {len(errors)} error(s) in the large event\n{lines}")


def load_large_event(
    data: Any, *, base: Network | None = None, now_s: float | None = None, source: str = "event"
) -> LargeEvent:
    """The event in ``data``; raises :class:`LargeEventError` listing every error."""
    event, issues = read_large_event(data, base=base, now_s=now_s, source=source)
    if event is None:
        raise LargeEventError(source, issues)
    return event


def read_large_event(
    data: Any, *, base: Network | None = None, now_s: float | None = None, source: str = "event"
) -> tuple[LargeEvent | None, list[Issue]]:
    """Check a parsed event file; returns the event (None on any error) and every issue.

    With ``base``, the file is also checked against the network it joins:
    named stations exist, no target id clashes, no-fly zones are noted. With
    ``now_s``, an event already over is refused.
    """
    issues: list[Issue] = []
    features = feature_list(data, source, issues, "the zone and targets")
    if features is None:
        return None, issues

    zones: list[tuple[int, Mapping[str, Any]]] = []
    target_features: list[dict[str, Any]] = []
    index_of: list[int] = []  # file index of each target feature
    named_station: dict[str, str] = {}
    for index, feature in enumerate(features):
        props = feature.get("properties") if isinstance(feature, Mapping) else None
        kind = props.get("kind") if isinstance(props, Mapping) else None
        if kind == ZONE_KIND:
            zones.append((index, feature))
            continue
        if kind in (Kind.STATION.value, Kind.NOFLY.value):
            label = str(props.get("id") or f"feature[{index}]")
            issues.append(
                Issue(
                    ERROR,
                    label,
                    f"a {_WORDS[kind]} belongs to the patrol network, not to an event file; "
                    "remove it",
                )
            )
            continue
        if isinstance(props, Mapping) and props.get("station") not in (None, ""):
            props = dict(props)
            raw_id = props.get("id", feature.get("id"))
            named_station[str(raw_id)] = str(props.pop("station"))
            feature = {**feature, "properties": props}
        target_features.append(feature)
        index_of.append(index)

    zone_fields = _read_zone(zones, source, issues)
    targets: list[Target] = []
    if not target_features:
        issues.append(Issue(ERROR, source, "no targets: add the event's points, lines and grids"))
    else:
        collection = {"type": "FeatureCollection", "features": target_features}
        parsed, target_issues = parse_network(collection, source, require_station=False)
        issues.extend(_renumbered(i, index_of) for i in target_issues)
        targets = list(parsed.targets) if parsed is not None else []

    if zone_fields is None:
        return None, issues
    event_id, name, zone, start_s, end_s, policy = zone_fields
    if now_s is not None and end_s is not None and end_s <= now_s:
        issues.append(
            Issue(
                ERROR,
                event_id,
                f"the event ended at {_iso(end_s)} (it is now {_iso(now_s)}); "
                "give an end in the future",
            )
        )
    station_ids = {s.id for s in base.stations} if base is not None else None
    base_ids = {t.id for t in base.targets} if base is not None else set()
    placed: list[Target] = []
    for target in targets:
        if zone is not None and not zone.covers(target.geometry):
            where = "lies outside" if not zone.intersects(target.geometry) else "reaches outside"
            issues.append(
                Issue(
                    ERROR,
                    target.id,
                    f"{target.kind} {where} the zone {event_id}; "
                    "move it inside the zone or widen the zone",
                )
            )
        full_id = event_target_id(event_id, target.id)
        if len(full_id) > TARGET_ID_MAX:
            issues.append(
                Issue(
                    ERROR,
                    target.id,
                    f"id {full_id!r} is longer than {TARGET_ID_MAX} characters; "
                    "shorten the event or target id",
                )
            )
        if full_id in base_ids:
            issues.append(
                Issue(
                    ERROR,
                    target.id,
                    f"id {full_id!r} is already a target of the patrol network; rename it",
                )
            )
        station = named_station.get(target.id, "")
        if station and station_ids is not None and station not in station_ids:
            known = ", ".join(sorted(station_ids)) or "none"
            issues.append(
                Issue(ERROR, target.id, f"unknown station {station!r}; use one of: {known}")
            )
        placed.append(replace(target, id=full_id, station=station))
    if base is not None and zone is not None:
        _note_nofly(event_id, zone, placed, base, issues)
    if any(i.severity == ERROR for i in issues) or zone is None:
        return None, issues
    assert start_s is not None and end_s is not None and policy is not None
    event = LargeEvent(event_id, name, zone, start_s, end_s, tuple(placed), policy)
    return event, issues


def _read_zone(
    zones: list[tuple[int, Mapping[str, Any]]], source: str, issues: list[Issue]
) -> tuple[str, str, Polygon | None, float | None, float | None, RevisitPolicy | None] | None:
    """The zone feature's id, name, polygon, times and policy (None items where unsound)."""
    if not zones:
        issues.append(
            Issue(
                ERROR,
                source,
                "no zone: add a Polygon feature with kind 'zone' and the event's id, "
                "name, start and end",
            )
        )
        return None
    if len(zones) > 1:
        where = ", ".join(f"feature[{i}]" for i, _ in zones)
        issues.append(
            Issue(ERROR, source, f"{len(zones)} zones ({where}); an event file has exactly one")
        )
        return None
    index, feature = zones[0]
    props = feature["properties"]
    raw_id = props.get("id", feature.get("id"))
    label = f"feature[{index}]"
    event_id = label
    if raw_id is None or not EVENT_ID.fullmatch(str(raw_id)):
        issues.append(
            Issue(
                ERROR,
                label,
                f"zone id {raw_id!r} is not an event id; give 'id' of letters, digits, "
                "'-' and '_' (at most 40), e.g. \"cup-final\"",
            )
        )
    else:
        event_id = label = str(raw_id)
    name = props.get("name")
    if name is not None and not isinstance(name, str):
        issues.append(Issue(ERROR, label, "'name' must be text"))
    zone = parse_polygon(label, feature.get("geometry"), issues, ZONE_KIND)
    start_s = _read_time(props, "start", label, issues)
    end_s = _read_time(props, "end", label, issues)
    if start_s is not None and end_s is not None and end_s <= start_s:
        issues.append(
            Issue(
                ERROR,
                label,
                f"end {_iso(end_s)} is not after start {_iso(start_s)}; "
                "the event must end after it starts",
            )
        )
    policy = _read_policy(props.get("intervals_min"), label, issues)
    return event_id, str(name or event_id), zone, start_s, end_s, policy


def _read_time(props: Mapping[str, Any], key: str, label: str, issues: list[Issue]) -> float | None:
    value = props.get(key)
    example = "e.g. 2026-05-02T19:30:00+10:00"
    if not isinstance(value, str):
        issues.append(
            Issue(ERROR, label, f"'{key}' is {value!r}; give an ISO-8601 time, {example}")
        )
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        issues.append(Issue(ERROR, label, f"'{key}' {value!r} is not an ISO-8601 time; {example}"))
        return None
    if moment.tzinfo is None:
        issues.append(
            Issue(
                ERROR,
                label,
                f"'{key}' {value!r} has no time zone; add one (+10:00, Z ...), {example}",
            )
        )
        return None
    return moment.timestamp()


def _read_policy(raw: Any, label: str, issues: list[Issue]) -> RevisitPolicy | None:
    intervals = dict(DEFAULT_EVENT_REVISIT_MIN)
    if raw is not None:
        if not isinstance(raw, Mapping):
            issues.append(
                Issue(
                    ERROR,
                    label,
                    "'intervals_min' must map priority levels to minutes, "
                    'e.g. {"key": 10, "attention": 30, "general": 60}',
                )
            )
            return None
        for level, minutes in raw.items():
            if level not in PRIORITY_ORDER:
                issues.append(
                    Issue(
                        ERROR,
                        label,
                        f"intervals_min: priority {level!r} is unknown; "
                        "use key, attention or general",
                    )
                )
                continue
            if (
                isinstance(minutes, bool)
                or not isinstance(minutes, int | float)
                or not math.isfinite(minutes)
                or minutes <= 0
            ):
                issues.append(
                    Issue(
                        ERROR,
                        label,
                        f"intervals_min: {level} is {minutes!r}; give minutes greater than 0",
                    )
                )
                continue
            intervals[level] = float(minutes)
    try:
        return RevisitPolicy(intervals)
    except RevisitError as exc:  # pragma: no cover - every case is reported above
        issues.append(Issue(ERROR, label, str(exc)))
        return None


def _note_nofly(
    event_id: str, zone: Polygon, targets: list[Target], base: Network, issues: list[Issue]
) -> None:
    """Warn where the network's no-fly zones cut into the event, as the network loader does."""
    for nofly in base.nofly:
        if reaches_into(zone, nofly.geometry):
            issues.append(
                Issue(
                    WARNING,
                    event_id,
                    f"the zone overlaps no-fly zone {nofly.id}; drones keep out of it",
                )
            )
        for target in targets:
            if target.kind in TARGET_KINDS and nofly.geometry.contains(target.geometry):
                issues.append(
                    Issue(
                        WARNING,
                        target.id,
                        f"{target.kind} lies wholly inside no-fly zone {nofly.id}; "
                        "it will be skipped when planning",
                    )
                )


_WORDS = {Kind.STATION.value: "station", Kind.NOFLY.value: "no-fly zone"}

_FEATURE_INDEX = re.compile(r"feature\[(\d+)\]")


def _renumbered(issue: Issue, index_of: list[int]) -> Issue:
    """An issue of the targets-only collection, with feature indexes of the whole file."""

    def fix(text: str) -> str:
        return _FEATURE_INDEX.sub(lambda m: f"feature[{index_of[int(m.group(1))]}]", text)

    return Issue(issue.severity, fix(issue.feature), fix(issue.message))


def _iso(time_s: float) -> str:
    """``time_s`` as ISO-8601 UTC, for messages."""
    return datetime.fromtimestamp(time_s, UTC).isoformat(timespec="seconds")
