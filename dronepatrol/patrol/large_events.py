"""Large-event mode: a temporary zone with its own targets and tighter revisit intervals.

A cup final, a festival, a marathon finish: for a few hours a zone needs its
own points, lines and grids, patrolled far more often than the city's network
asks. A :class:`LargeEvent` holds the zone, its start and end, its targets and
its revisit policy; :func:`in_force` says what the patrol is at a moment.

The rules, in one place:

* An event is in force from its start (inclusive) until its end or the moment
  it was ended early (exclusive). Ended before it started, it was cancelled.
* Its targets join the base network with ids namespaced ``"<event id>:<target
  id>"`` (:func:`event_target_id`), so they never collide with the network's
  or another event's, and their visit history is their own.
* An event target belongs to the station its file names, else to the base
  network's nearest station (the file is checked against the network's
  stations when the network is known).
* An event target's revisit interval is its own ``revisit_min``, else the
  event policy's for its priority (:data:`DEFAULT_EVENT_REVISIT_MIN`).
* A base-network target that reaches into an active zone (a point inside, a
  line or grid overlapping it) gets the tighter of its own interval and the
  event's for its priority: the crowd is there, and an event only ever
  tightens the city's patrol, never loosens it. Overlapping events: the
  tightest.

Event files are GeoJSON FeatureCollections: one feature of kind ``zone`` (a
Polygon) carries the event's ``id``, ``name``, ``start`` and ``end`` (ISO-8601
with a time zone) and optionally ``intervals_min`` (per priority level); every
other feature is a grid, line or point written as in a network file and read by
the network loader. :func:`read_large_event` reports every problem at once.

Pure code: no I/O, no database.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import shapely
from shapely.geometry import LineString, Point, Polygon

from dronepatrol.network import (
    ERROR,
    TARGET_KINDS,
    WARNING,
    Issue,
    Kind,
    Network,
    Station,
    Target,
    feature_list,
    parse_network,
    parse_polygon,
)
from dronepatrol.patrol.revisit import PRIORITY_ORDER, RevisitError, RevisitPolicy

DEFAULT_EVENT_REVISIT_MIN: Mapping[str, float] = MappingProxyType(
    {"key": 10.0, "attention": 30.0, "general": 60.0}
)
"""An event's revisit interval per priority level [min] unless its file says otherwise.

Key sites (gates, the stage front, the VIP entrance) every 10 min: about one
drone's circuit of a compact venue, and the pace at which queues and crowd
pressure build. Attention sites every 30 min, general ones every hour, which
still gives each several checks over a three-to-four-hour event. Three to
eight times tighter than the city's defaults (30 min, 2 h, 8 h).
"""

ZONE_KIND = "zone"
"""The ``kind`` of an event file's zone feature."""

EVENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")
"""An event id: letters, digits, ``-`` and ``_``, at most 40 (it names URLs and target ids)."""

TARGET_ID_MAX = 100
"""Longest namespaced target id (the visit table's column) [characters]."""


def event_target_id(event_id: str, target_id: str) -> str:
    """The id an event's target has in the patrol network.

    >>> event_target_id("cup-final", "GATE-A")
    'cup-final:GATE-A'
    """
    return f"{event_id}:{target_id}"


@dataclass(frozen=True)
class LargeEvent:
    """A temporary zone with its own targets and revisit policy.

    Attributes:
        id: the event's id (letters, digits, ``-``, ``_``).
        name: what people call it.
        zone: the zone, lon/lat [deg].
        start_s, end_s: when it is in force [s since the epoch].
        targets: its grids, lines and points, ids namespaced by :func:`event_target_id`;
            ``station`` is the one the file names, or empty (the nearest, in force).
        policy: its revisit interval per priority level.
        ended_s: when it was ended early (or cancelled) [s since the epoch], else None.
    """

    id: str
    name: str
    zone: Polygon
    start_s: float
    end_s: float
    targets: tuple[Target, ...] = ()
    policy: RevisitPolicy = field(
        default_factory=lambda: RevisitPolicy(dict(DEFAULT_EVENT_REVISIT_MIN))
    )
    ended_s: float | None = None

    @property
    def finish_s(self) -> float:
        """When it stops being in force [s]: its end, or when it was ended early."""
        return self.end_s if self.ended_s is None else min(self.end_s, self.ended_s)

    def active(self, now_s: float) -> bool:
        """True while the event is in force at ``now_s``."""
        return self.start_s <= now_s < self.finish_s

    def overlaps(self, start_s: float, end_s: float) -> bool:
        """True when it is in force at some moment of [start_s, end_s] (a sortie)."""
        return self.start_s <= end_s and start_s < self.finish_s

    def status(self, now_s: float) -> str:
        """``scheduled``, ``active``, ``ended`` or ``cancelled`` (ended before it started)."""
        if self.ended_s is not None and self.ended_s <= self.start_s:
            return "cancelled"
        if now_s < self.start_s:
            return "scheduled"
        return "active" if now_s < self.finish_s else "ended"

    def time_left_s(self, now_s: float) -> float:
        """Seconds until it stops being in force (0 once over)."""
        return max(0.0, self.finish_s - max(now_s, self.start_s))

    def ended_at(self, at_s: float) -> LargeEvent:
        """The same event ended early at ``at_s`` (cancelled when that is before its start)."""
        return replace(self, ended_s=at_s)

    def interval_s(self, target: Target) -> float:
        """The revisit interval [s] this event asks of ``target``'s priority level."""
        return self.policy.interval_s(str(target.priority))


# ------------------------------------------------------------------ in force


@dataclass(frozen=True)
class PatrolInForce:
    """The patrol at one moment (or over one sortie).

    Attributes:
        network: the base network plus the targets of every event in force.
        interval_s: each target's revisit interval [s], by target id.
        event_of: the event each event target belongs to, by target id.
        tightened_by: for base targets whose interval an event tightened, that event's id.
        events: the events in force.
    """

    network: Network
    interval_s: Mapping[str, float]
    event_of: Mapping[str, str]
    tightened_by: Mapping[str, str]
    events: tuple[LargeEvent, ...]


def in_force(
    base: Network,
    events: Iterable[LargeEvent],
    now_s: float,
    policy: RevisitPolicy | None = None,
) -> PatrolInForce:
    """The network and revisit intervals in force at ``now_s``.

    ``policy`` is the city's revisit policy for base targets (the default one
    when None).
    """
    return _combine(base, [e for e in events if e.active(now_s)], policy or RevisitPolicy())


def in_force_between(
    base: Network,
    events: Iterable[LargeEvent],
    start_s: float,
    end_s: float,
    policy: RevisitPolicy | None = None,
) -> PatrolInForce:
    """The network of every event in force at some moment of [start_s, end_s].

    A sortie is judged against this: a visit to an event target flown while
    the event was on (or during the sweep just before it began) counts.
    """
    chosen = [e for e in events if e.overlaps(start_s, end_s)]
    return _combine(base, chosen, policy or RevisitPolicy())


def network_at(base: Network, events: Iterable[LargeEvent], now_s: float) -> Network:
    """The base network plus the targets of every event active at ``now_s``."""
    return in_force(base, events, now_s).network


def _combine(base: Network, events: list[LargeEvent], policy: RevisitPolicy) -> PatrolInForce:
    events.sort(key=lambda e: (e.start_s, e.id))
    intervals = {t.id: policy.interval_s(str(t.priority), t.revisit_min) for t in base.targets}
    tightened: dict[str, str] = {}
    for target in base.targets:
        for event in events:
            tight = event.interval_s(target)
            if tight < intervals[target.id] and reaches_into(event.zone, target.geometry):
                intervals[target.id] = tight
                tightened[target.id] = event.id
    targets = list(base.targets)
    event_of: dict[str, str] = {}
    station_ids = {s.id for s in base.stations}
    for event in events:
        for target in event.targets:
            if target.id in intervals:
                continue  # a clash the file check refuses when it knows the network
            station = target.station
            if station not in station_ids:
                station = nearest_station(target.geometry, base.stations)
            targets.append(replace(target, station=station))
            intervals[target.id] = event.policy.interval_s(str(target.priority), target.revisit_min)
            event_of[target.id] = event.id
    network = Network(tuple(targets), base.nofly, base.stations, name=base.name)
    return PatrolInForce(
        network=network,
        interval_s=MappingProxyType(intervals),
        event_of=MappingProxyType(event_of),
        tightened_by=MappingProxyType(tightened),
        events=tuple(events),
    )


def reaches_into(zone: Polygon, geometry: Polygon | LineString | Point) -> bool:
    """True when a target is inside the zone or overlaps it (touching its edge is not enough).

    >>> from shapely.geometry import box
    >>> reaches_into(box(0, 0, 1, 1), LineString([(0.5, 0.5), (3, 3)]))
    True
    >>> reaches_into(box(0, 0, 1, 1), box(1, 0, 2, 1))
    False
    """
    if isinstance(geometry, Point):
        return bool(zone.covers(geometry))
    common = zone.intersection(geometry)
    if isinstance(geometry, LineString):
        return common.length > 0
    return common.area > 0


def nearest_station(geometry: Any, stations: list[Station] | tuple[Station, ...]) -> str:
    """The id of the station nearest ``geometry`` (empty when there is none)."""
    if not stations:
        return ""
    distances = shapely.distance(geometry, [s.geometry for s in stations])
    return stations[int(distances.argmin())].id


# ------------------------------------------------------------------ reading


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
