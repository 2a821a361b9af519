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

Event files are GeoJSON FeatureCollections read by
:mod:`dronepatrol.large_events.files`: one feature of kind ``zone`` (a
Polygon) carries the event's ``id``, ``name``, ``start`` and ``end`` (ISO-8601
with a time zone) and optionally ``intervals_min`` (per priority level); every
other feature is a grid, line or point written as in a network file and read by
the network loader; the reader reports every problem at once.

Pure code: no I/O, no database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import shapely
from shapely.geometry import LineString, Point, Polygon

from dronepatrol.network import (
    Network,
    Station,
    Target,
)
from dronepatrol.network.revisit import RevisitPolicy

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
