"""The day's patrol performance: on-time visits, coverage, incidents, flight hours, batteries.

:func:`build_day_report` reads one day (a window of epoch seconds, see
:mod:`dronepatrol.records.days`) out of the database and measures:

* **per target** (grid, line, point): its revisit deadlines met and missed in
  the day by the on-time rule (:mod:`dronepatrol.freshness.ontime`; the last
  visit before the day sets its first deadline, as the database knows it),
  patrols, the share of the day it was not overdue, whether it is overdue at
  the day's end, and the **coverage achieved**: the best imaged fraction of
  its visits that day (a line's length or a grid's flyable area; a point
  held for its dwell counts 1). Visits are only stored for targets that
  counted as patrolled, so a target without one is at 0.
* **per station and per priority level**: the same pooled (on-time rate over
  every deadline of their targets, overdue targets, mean coverage), with the
  incidents of the day near the station or of that priority;
* **incidents** created in the day: answered when a drone reached the scene;
  response times created -> dispatched, -> airborne, -> on scene as median
  and 95th percentile (numpy's default linear interpolation between closest
  ranks, Hyndman and Fan's type 7: one sample is its own p95, none gives None);
* **flight hours** per station and per vehicle: sortie time (arming to
  disarming) inside the day; an open sortie ends at its last track sample.
  A sortie's station is the station nearest its first track sample (its
  take-off point), else the station its plan named;
* **battery** per vehicle, for sorties started in the day: each sortie flies
  one battery (a swap between sorties), so sorties are battery swaps; the
  charge used is the first minus the last ``battery_pct`` of the sortie's
  track, and equivalent full cycles are the sum of charge used / 100.

A day that is not over yet is measured up to ``now_s``: overdue "at the end"
then means overdue now.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, tzinfo
from typing import Any

import numpy as np
from sqlalchemy import Engine, func, or_, select
from sqlalchemy.orm import Session

from dronepatrol import geo
from dronepatrol.database import Incident, Sortie, TargetVisit, TrackSample, VehicleRecord
from dronepatrol.freshness.ontime import OnTime, on_time
from dronepatrol.network import Kind, Network
from dronepatrol.network.revisit import PRIORITY_ORDER, RevisitPolicy
from dronepatrol.records.days import day_window, zone_name

UNKNOWN_STATION = ""
"""The station of a sortie or incident that no station is known for."""


@dataclass(frozen=True)
class Spread:
    """Median and 95th percentile of some durations [s]; None without samples."""

    count: int
    median_s: float | None
    p95_s: float | None

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        data = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
        if data.size == 0:
            return cls(0, None, None)
        median, p95 = np.percentile(data, [50, 95])
        return cls(int(data.size), float(median), float(p95))


@dataclass(frozen=True)
class Responses:
    """The incidents of a group: how many, how many answered, and how fast [s]."""

    created: int = 0
    answered: int = 0
    to_dispatch: Spread = field(default_factory=lambda: Spread(0, None, None))
    to_airborne: Spread = field(default_factory=lambda: Spread(0, None, None))
    to_scene: Spread = field(default_factory=lambda: Spread(0, None, None))

    @classmethod
    def of(cls, incidents: Sequence[Incident]) -> Responses:
        def legs(attr: str) -> Spread:
            return Spread.of(
                getattr(i, attr) - i.created_s for i in incidents if getattr(i, attr) is not None
            )

        return cls(
            created=len(incidents),
            answered=sum(1 for i in incidents if i.on_scene_s is not None),
            to_dispatch=legs("dispatched_s"),
            to_airborne=legs("airborne_s"),
            to_scene=legs("on_scene_s"),
        )


@dataclass(frozen=True)
class TargetLine:
    """One target's day. Times [s since the epoch]; ``interval_min`` its revisit interval."""

    target_id: str
    name: str
    kind: str
    station: str
    priority: str
    interval_min: float
    record: OnTime
    coverage: float

    @property
    def on_time_rate(self) -> float | None:
        return self.record.rate


@dataclass(frozen=True)
class GroupLine:
    """A station, a priority level or the whole fleet over the day.

    ``level`` is ``station``, ``priority`` or ``fleet``; ``key`` the station id,
    the priority level or ``all``.
    """

    level: str
    key: str
    name: str
    targets: int
    patrolled_targets: int
    met: int
    missed: int
    overdue_targets: int
    mean_coverage: float | None
    mean_fresh_frac: float | None
    responses: Responses
    sorties: int = 0
    flight_s: float = 0.0

    @property
    def on_time_rate(self) -> float | None:
        return self.met / (self.met + self.missed) if self.met + self.missed else None


@dataclass(frozen=True)
class VehicleLine:
    """One vehicle's day: sorties (battery swaps), flight time [s], battery used [%]."""

    vehicle_id: str
    name: str
    sorties: int
    flight_s: float
    battery_used_pct: float
    sorties_without_battery: int

    @property
    def battery_cycles(self) -> float:
        """Equivalent full battery cycles: charge used / 100 %."""
        return self.battery_used_pct / 100.0


@dataclass(frozen=True)
class DayReport:
    """One day's patrol performance.

    Attributes:
        day: the date, ``YYYY-MM-DD``; zone: the time zone it is read in.
        start_s, end_s: the day [s since the epoch]; as_of_s: measured up to
            this moment (``end_s`` for a day that is over).
    """

    day: str
    zone: str
    start_s: float
    end_s: float
    as_of_s: float
    targets: list[TargetLine]
    stations: list[GroupLine]
    priorities: list[GroupLine]
    fleet: GroupLine
    vehicles: list[VehicleLine]

    @property
    def complete(self) -> bool:
        """The day is over: nothing after ``as_of_s`` can change it."""
        return self.as_of_s >= self.end_s


@dataclass(frozen=True)
class _SortieDay:
    vehicle_id: str
    station: str
    started_in_day: bool
    flight_s: float
    battery_used_pct: float | None


# ----------------------------------------------------------------------- building


def build_day_report(
    engine: Engine,
    network: Network,
    day: date,
    zone: tzinfo | None = None,
    now_s: float | None = None,
    policy: RevisitPolicy | None = None,
) -> DayReport:
    """Measure one calendar ``day`` in ``zone`` (the machine's local time when None).

    Args:
        engine: the migrated database (sorties, track, target visits, incidents).
        network: the patrol network whose targets and stations are reported.
        day, zone: the day, from local midnight to the next (see :mod:`.days`).
        now_s: the present [s since the epoch]; a day not over is measured up
            to it (default: the clock).
        policy: revisit intervals per priority level (a target's own
            ``revisit_min`` wins).

    Raises:
        ValueError: the day has not begun yet.
    """
    start_s, end_s = day_window(day, zone)
    return build_report(
        engine,
        network,
        start_s,
        end_s,
        day=day.isoformat(),
        zone=zone_name(zone),
        now_s=now_s,
        policy=policy,
    )


def build_report(
    engine: Engine,
    network: Network,
    start_s: float,
    end_s: float,
    *,
    day: str = "",
    zone: str = "UTC",
    now_s: float | None = None,
    policy: RevisitPolicy | None = None,
) -> DayReport:
    """Measure any window ``[start_s, end_s)`` [s since the epoch], named ``day`` in ``zone``."""
    policy = policy or RevisitPolicy()
    now = time.time() if now_s is None else now_s
    as_of = min(end_s, now)
    if as_of <= start_s:
        raise ValueError(f"the report's window has not begun yet ({day or start_s})")
    with Session(engine) as session:
        visits, last_before = _visits(session, start_s, as_of)
        incidents = list(
            session.scalars(
                select(Incident)
                .where(
                    Incident.created_s >= start_s,
                    Incident.created_s < as_of,
                    Incident.kind == "incident",  # lockdown holds are not incidents
                )
                .order_by(Incident.created_s)
            )
        )
        in_service_s = session.scalar(select(func.min(Sortie.started_s)))
        session.expunge_all()
        sorties = _sorties(session, network, start_s, as_of)
        names = dict(session.execute(select(VehicleRecord.id, VehicleRecord.name)).all())

    window = _Window(start_s, end_s, as_of, in_service_s)
    targets = [
        _target_line(t, visits.get(t.id, []), last_before.get(t.id), policy, window)
        for t in network.targets
    ]
    incident_station = {i.id: _nearest_station(network, i.lat_deg, i.lon_deg) for i in incidents}

    stations = []
    for station_id in [s.id for s in network.stations] + sorted(
        {t.station for t in network.targets} - {s.id for s in network.stations}
    ):
        station_name = _station_name(network, station_id)
        mine = [s for s in sorties if s.station == station_id]
        stations.append(
            _group(
                "station",
                station_id,
                station_name,
                [t for t in targets if t.station == station_id],
                [i for i in incidents if incident_station[i.id] == station_id],
                mine,
            )
        )
    priorities = [
        _group(
            "priority",
            level,
            level,
            [t for t in targets if t.priority == level],
            [i for i in incidents if i.priority == level],
            [],
        )
        for level in PRIORITY_ORDER
    ]
    fleet = _group("fleet", "all", network.name or "all", targets, incidents, sorties)
    return DayReport(
        day=day,
        zone=zone,
        start_s=start_s,
        end_s=end_s,
        as_of_s=as_of,
        targets=targets,
        stations=stations,
        priorities=priorities,
        fleet=fleet,
        vehicles=_vehicles(sorties, names),
    )


def _visits(
    session: Session, start_s: float, end_s: float
) -> tuple[dict[str, list[tuple[float, float]]], dict[str, float]]:
    """(patrolled_s, imaged) of each target's visits in the day; its last visit before."""
    visits: dict[str, list[tuple[float, float]]] = defaultdict(list)
    rows = session.execute(
        select(TargetVisit.target_id, TargetVisit.patrolled_s, TargetVisit.imaged).where(
            TargetVisit.patrolled_s >= start_s, TargetVisit.patrolled_s < end_s
        )
    )
    for target_id, patrolled_s, imaged in rows:
        visits[target_id].append((patrolled_s, imaged))
    last_before = dict(
        session.execute(
            select(TargetVisit.target_id, func.max(TargetVisit.patrolled_s))
            .where(TargetVisit.patrolled_s < start_s)
            .group_by(TargetVisit.target_id)
        ).all()
    )
    return visits, last_before


@dataclass(frozen=True)
class _Window:
    """The day measured: [start, end), known up to ``as_of``, patrols since ``in_service``."""

    start_s: float
    end_s: float
    as_of_s: float
    in_service_s: float | None


def _target_line(
    target: Any,
    visits: list[tuple[float, float]],
    last_before_s: float | None,
    policy: RevisitPolicy,
    window: _Window,
) -> TargetLine:
    interval_s = policy.interval_s(str(target.priority), target.revisit_min)
    record = on_time(
        [t for t, _ in visits],
        interval_s,
        window.start_s,
        window.end_s,
        last_before_s,
        as_of_s=window.as_of_s,
        in_service_s=window.in_service_s,
    )
    if target.kind == Kind.POINT:
        coverage = 1.0 if visits else 0.0  # a point's visit is its dwell held in view
    else:
        coverage = min(1.0, max((imaged for _, imaged in visits), default=0.0))
    return TargetLine(
        target_id=target.id,
        name=target.name,
        kind=str(target.kind),
        station=target.station,
        priority=str(target.priority),
        interval_min=interval_s / 60.0,
        record=record,
        coverage=coverage,
    )


def _group(
    level: str,
    key: str,
    name: str,
    targets: Sequence[TargetLine],
    incidents: Sequence[Incident],
    sorties: Sequence[_SortieDay],
) -> GroupLine:
    records = [t.record for t in targets]
    return GroupLine(
        level=level,
        key=key,
        name=name,
        targets=len(targets),
        patrolled_targets=sum(1 for r in records if r.patrols),
        met=sum(r.met for r in records),
        missed=sum(r.missed for r in records),
        overdue_targets=sum(1 for r in records if r.overdue_at_end),
        mean_coverage=float(np.mean([t.coverage for t in targets])) if targets else None,
        mean_fresh_frac=float(np.mean([r.fresh_frac for r in records])) if records else None,
        responses=Responses.of(incidents),
        sorties=sum(1 for s in sorties if s.started_in_day),
        flight_s=sum(s.flight_s for s in sorties),
    )


def _sorties(session: Session, network: Network, start_s: float, end_s: float) -> list[_SortieDay]:
    """The sorties flown (partly) inside the day, with their station and battery use."""
    last_sample = (  # an open sortie (still flying, or cut short) ends at its last sample
        select(TrackSample.sortie_id, func.max(TrackSample.time_s).label("last_s"))
        .join(Sortie, Sortie.id == TrackSample.sortie_id)
        .where(Sortie.ended_s.is_(None), Sortie.started_s < end_s)
        .group_by(TrackSample.sortie_id)
        .subquery()
    )
    ended = func.coalesce(Sortie.ended_s, last_sample.c.last_s, Sortie.started_s)
    rows = session.execute(
        select(Sortie.id, Sortie.vehicle_id, Sortie.station, Sortie.started_s, ended)
        .outerjoin(last_sample, last_sample.c.sortie_id == Sortie.id)
        .where(Sortie.started_s < end_s, ended > start_s)
        .order_by(Sortie.started_s)
    ).all()
    if not rows:
        return []
    ids = [r[0] for r in rows]
    first_fix = _first_and_last(session, ids, TrackSample.lat_deg.is_not(None))
    battery = _first_and_last(session, ids, TrackSample.battery_pct.is_not(None))
    out = []
    for sortie_id, vehicle_id, planned_station, started_s, ended_s in rows:
        takeoff = first_fix.get(sortie_id)
        station = (
            _nearest_station(network, takeoff[0].lat_deg, takeoff[0].lon_deg)
            if takeoff is not None
            else UNKNOWN_STATION
        ) or planned_station
        charge = battery.get(sortie_id)
        used = (
            max(0.0, charge[0].battery_pct - charge[1].battery_pct) if charge is not None else None
        )
        out.append(
            _SortieDay(
                vehicle_id=vehicle_id,
                station=station,
                started_in_day=start_s <= started_s < end_s,
                flight_s=max(0.0, min(ended_s, end_s) - max(started_s, start_s)),
                battery_used_pct=used,
            )
        )
    return out


def _first_and_last(
    session: Session, sortie_ids: list[int], having: Any
) -> dict[int, tuple[Any, Any]]:
    """Each sortie's first and last track sample that satisfies ``having``."""
    bounds = (
        select(
            TrackSample.sortie_id,
            func.min(TrackSample.time_s).label("first_s"),
            func.max(TrackSample.time_s).label("last_s"),
        )
        .where(TrackSample.sortie_id.in_(sortie_ids), having)
        .group_by(TrackSample.sortie_id)
        .subquery()
    )
    rows = session.execute(
        select(TrackSample, bounds.c.first_s, bounds.c.last_s)
        .join(bounds, TrackSample.sortie_id == bounds.c.sortie_id)
        .where(
            or_(TrackSample.time_s == bounds.c.first_s, TrackSample.time_s == bounds.c.last_s),
            having,
        )
        .order_by(TrackSample.sortie_id, TrackSample.time_s, TrackSample.id)
    ).all()
    found: dict[int, dict[str, Any]] = defaultdict(dict)
    for sample, first_s, last_s in rows:
        ends = found[sample.sortie_id]
        if sample.time_s == first_s:
            ends.setdefault("first", sample)
        if sample.time_s == last_s:
            ends["last"] = sample
    return {k: (v["first"], v["last"]) for k, v in found.items() if "first" in v and "last" in v}


def _vehicles(sorties: Sequence[_SortieDay], names: dict[str, str]) -> list[VehicleLine]:
    by_vehicle: dict[str, list[_SortieDay]] = defaultdict(list)
    for s in sorties:
        by_vehicle[s.vehicle_id].append(s)
    lines = []
    for vehicle_id in sorted(by_vehicle):
        mine = by_vehicle[vehicle_id]
        started = [s for s in mine if s.started_in_day]
        lines.append(
            VehicleLine(
                vehicle_id=vehicle_id,
                name=names.get(vehicle_id) or vehicle_id,
                sorties=len(started),
                flight_s=sum(s.flight_s for s in mine),
                battery_used_pct=sum(s.battery_used_pct or 0.0 for s in started),
                sorties_without_battery=sum(1 for s in started if s.battery_used_pct is None),
            )
        )
    return lines


def _nearest_station(network: Network, lat_deg: float, lon_deg: float) -> str:
    if not network.stations:
        return UNKNOWN_STATION
    return min(
        network.stations,
        key=lambda s: geo.distance_m(lat_deg, lon_deg, s.lat_deg, s.lon_deg),
    ).id


def _station_name(network: Network, station_id: str) -> str:
    try:
        return network.station(station_id).name or station_id
    except KeyError:
        return station_id


# ----------------------------------------------------------------------- as data


def report_as_dict(report: DayReport) -> dict[str, Any]:
    """The report as plain JSON-ready data (no NaN: missing figures are None)."""

    def spread(s: Spread) -> dict[str, Any]:
        return {"count": s.count, "median_s": s.median_s, "p95_s": s.p95_s}

    def group(g: GroupLine) -> dict[str, Any]:
        r = g.responses
        return {
            "level": g.level,
            "key": g.key,
            "name": g.name,
            "targets": g.targets,
            "patrolled_targets": g.patrolled_targets,
            "deadlines_met": g.met,
            "deadlines_missed": g.missed,
            "on_time_rate": g.on_time_rate,
            "overdue_targets": g.overdue_targets,
            "mean_coverage": g.mean_coverage,
            "mean_fresh_frac": g.mean_fresh_frac,
            "incidents": r.created,
            "incidents_answered": r.answered,
            "response": {
                "to_dispatch": spread(r.to_dispatch),
                "to_airborne": spread(r.to_airborne),
                "to_scene": spread(r.to_scene),
            },
            "sorties": g.sorties,
            "flight_hours": g.flight_s / 3600.0,
        }

    return {
        "day": report.day,
        "zone": report.zone,
        "start_s": report.start_s,
        "end_s": report.end_s,
        "as_of_s": report.as_of_s,
        "complete": report.complete,
        "fleet": group(report.fleet),
        "priorities": [group(g) for g in report.priorities],
        "stations": [group(g) for g in report.stations],
        "vehicles": [
            {**asdict(v), "flight_hours": v.flight_s / 3600.0, "battery_cycles": v.battery_cycles}
            for v in report.vehicles
        ],
        "targets": [
            {
                "id": t.target_id,
                "name": t.name,
                "kind": t.kind,
                "station": t.station,
                "priority": t.priority,
                "interval_min": t.interval_min,
                "on_time_rate": t.on_time_rate,
                "deadlines_met": t.record.met,
                "deadlines_missed": t.record.missed,
                "patrols": t.record.patrols,
                "coverage": t.coverage,
                "fresh_frac": t.record.fresh_frac,
                "overdue_at_end": t.record.overdue_at_end,
                "last_patrol_s": t.record.last_patrol_s,
            }
            for t in report.targets
        ],
    }
