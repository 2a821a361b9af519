"""Freshness: which targets each flown sortie really patrolled, and how overdue each is.

When a vehicle disarms, the recorder closes its sortie; this keeper then
reads the sortie's recorded track, judges every target of the patrol network
by the patrolled rules (:func:`dronepatrol.freshness.patrolled.judge`: a point held
in view for its dwell time, 90 % of a line, 95 % of a grid's flyable area) and
stores a visit for each one patrolled. A target's last visit and its
priority's revisit interval give how overdue it is.

Targets too large for one battery (given the drone profile) are patrolled in
sections (:mod:`dronepatrol.planning.sections`): each section is judged by
its kind's rule and stored as a visit under its own id (``G014#3``); when a
sortie brings every section of a target within reach of a later time, the
target gets a visit of its own at its stalest section's time, so that a
target is as fresh as its stalest section wherever visits are read (states,
the map, reports), and all of it survives a restart.

Large events (:mod:`dronepatrol.large_events.model`) change both while they
are on: :meth:`FreshnessKeeper.network_at` is the network in force (the base
network plus every active event's targets), :meth:`FreshnessKeeper.states`
gives those targets their event's intervals and tightens base targets inside
an active zone, and a sortie is judged against the targets of every event on
at some moment of its flight.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterable
from typing import Protocol

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from dronepatrol.database import Sortie, TargetVisit
from dronepatrol.database import TrackSample as TrackRow
from dronepatrol.events import BusWorker, Event, EventBus, EventKind
from dronepatrol.freshness.patrolled import Camera, PatrolCheck, TrackSample, judge
from dronepatrol.large_events.model import LargeEvent, PatrolInForce, in_force, in_force_between
from dronepatrol.network import Network
from dronepatrol.network.revisit import RevisitPolicy, TargetFreshness
from dronepatrol.planning import DroneProfile
from dronepatrol.planning.sections import Sectioning, sections_of, whole_id

log = logging.getLogger(__name__)


class LargeEventSource(Protocol):
    """Where the keeper finds large events (:class:`dronepatrol.large_events.LargeEventBook`)."""

    def between(self, start_s: float, end_s: float) -> Iterable[LargeEvent]:
        """Events in force at some moment of [start_s, end_s] [s since the epoch]."""
        ...


class FreshnessKeeper:
    """Records target visits as sorties end and answers how fresh each target is.

    Args:
        engine: the migrated database the recorder writes sorties into.
        network: the patrol network.
        camera: the patrol camera's field of view.
        bus: the fleet's bus (DISARMED events start an assessment).
        policy: the city's revisit intervals per priority level.
        events: the large events, whose targets and intervals join while they are on.
        clock: wall-clock time [s since the epoch] that "now" means.
        profile: the drone profile the scheduler plans with; targets too large for one of
            its batteries are kept in sections (None: every target is judged whole).
    """

    def __init__(
        self,
        engine: Engine,
        network: Network,
        camera: Camera,
        bus: EventBus | None = None,
        policy: RevisitPolicy | None = None,
        events: LargeEventSource | None = None,
        clock: Callable[[], float] = time.time,
        profile: DroneProfile | None = None,
    ) -> None:
        self.engine = engine
        self.network = network
        self.camera = camera
        self.bus = bus
        self.policy = policy or RevisitPolicy()
        self.events = events
        self.clock = clock
        self.profile = profile
        self._worker: BusWorker | None = None

    # ------------------------------------------------------------- running

    def start(self) -> FreshnessKeeper:
        """Assess each sortie as its vehicle disarms (on a thread of its own)."""
        assert self.bus is not None, "a bus is needed to hear sorties end"
        self.sections()  # cut once now (seconds for a city), not in a scheduler pass
        self._worker = BusWorker(
            self.bus,
            "freshness",
            self._assess_landed,
            accept=lambda e: e.kind is EventKind.DISARMED and e.vehicle_id is not None,
        ).start()
        return self

    def stop(self) -> None:
        if self._worker is not None:
            self._worker.stop(10.0)

    def _assess_landed(self, event: Event) -> None:
        """Assess the sortie a DISARMED event ended, once the recorder has closed it."""
        assert event.vehicle_id is not None  # the worker keeps only a vehicle's events
        sortie_id = self._wait_closed_sortie(event.vehicle_id, event.time_s)
        if sortie_id is None:
            log.warning("no closed sortie of %s to assess", event.vehicle_id)
            return
        try:
            self.assess(sortie_id)
        except Exception:  # logged with the sortie it concerns; the next ones are assessed
            log.exception("assessing sortie %d failed", sortie_id)

    def _wait_closed_sortie(self, vehicle_id: str, disarmed_s: float, timeout_s: float = 15.0):
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with Session(self.engine) as session:
                sortie_id = session.scalar(
                    select(Sortie.id)
                    .where(
                        Sortie.vehicle_id == vehicle_id,
                        Sortie.ended_s.is_not(None),
                        Sortie.ended_s >= disarmed_s - 30.0,
                    )
                    .order_by(Sortie.ended_s.desc())
                    .limit(1)
                )
            if sortie_id is not None:
                return sortie_id
            time.sleep(0.5)
        return None

    # ------------------------------------------------------------- judging

    def assess(self, sortie_id: int) -> dict[str, PatrolCheck]:
        """Judge one recorded sortie, store a visit per target patrolled; returns every check."""
        with Session(self.engine) as session:
            rows = session.execute(
                select(
                    TrackRow.time_s,
                    TrackRow.lat_deg,
                    TrackRow.lon_deg,
                    TrackRow.alt_rel_m,
                    TrackRow.heading_deg,
                )
                .where(TrackRow.sortie_id == sortie_id)
                .order_by(TrackRow.time_s)
            ).all()
            samples = [
                TrackSample(t, lat, lon, alt or 0.0, heading or 0.0)
                for t, lat, lon, alt, heading in rows
            ]
            checks: dict[str, PatrolCheck] = {}
            sections = self.sections()
            if samples:
                flown = self.network_flown(samples[0].time_s, samples[-1].time_s)
                if sections is not None:
                    flown = sections.units_of(flown)
                checks = judge(flown, samples, self.camera)
            session.query(TargetVisit).filter(TargetVisit.sortie_id == sortie_id).delete()
            for target_id, check in checks.items():
                if check.patrolled and check.at_s is not None:
                    session.add(
                        TargetVisit(
                            target_id=target_id,
                            sortie_id=sortie_id,
                            patrolled_s=check.at_s,
                            imaged=check.imaged,
                        )
                    )
            session.flush()
            if sections is not None:
                self._visit_wholes(session, sections, sortie_id, checks)
            session.commit()
        patrolled = sorted(t for t, c in checks.items() if c.patrolled)
        if self.bus is not None:
            self.bus.emit(EventKind.FRESHNESS, None, sortie=sortie_id, patrolled=patrolled)
        log.info("sortie %d patrolled %d targets", sortie_id, len(patrolled))
        return checks

    def _visit_wholes(
        self,
        session: Session,
        sections: Sectioning,
        sortie_id: int,
        checks: dict[str, PatrolCheck],
    ) -> None:
        """A visit for each cut target whose stalest section this sortie made later."""
        touched = {
            whole_id(unit)
            for unit, check in checks.items()
            if check.patrolled and whole_id(unit) != unit and whole_id(unit) in sections.sections
        }
        if not touched:
            return
        last = self._last_patrolled(session)  # this sortie's section visits included
        stalest = sections.whole_last_patrolled(last)
        for target_id in sorted(touched):
            at = stalest.get(target_id)
            if at is None or at <= last.get(target_id, -math.inf):
                continue
            # imaged 1.0: every section was patrolled by its rule
            session.add(
                TargetVisit(target_id=target_id, sortie_id=sortie_id, patrolled_s=at, imaged=1.0)
            )

    def last_patrolled(self) -> dict[str, float]:
        """Each target's latest visit [s since the epoch] (sections' too, by their ids)."""
        with Session(self.engine) as session:
            return self._last_patrolled(session)

    @staticmethod
    def _last_patrolled(session: Session) -> dict[str, float]:
        rows = session.execute(
            select(TargetVisit.target_id, func.max(TargetVisit.patrolled_s)).group_by(
                TargetVisit.target_id
            )
        ).all()
        return dict(rows)

    def sections(self) -> Sectioning | None:
        """The sections of the base network's large targets (None: no profile given)."""
        if self.profile is None:
            return None
        return sections_of(self.network, self.profile)

    # ------------------------------------------------------------- in force

    def in_force(self, now_s: float | None = None) -> PatrolInForce:
        """The network, revisit intervals and large events in force now (or at ``now_s``)."""
        now_s = self.clock() if now_s is None else now_s
        events = self.events.between(now_s, now_s) if self.events is not None else ()
        return in_force(self.network, events, now_s, self.policy)

    def _in_force_between(self, start_s: float, end_s: float) -> PatrolInForce:
        events = self.events.between(start_s, end_s) if self.events is not None else ()
        return in_force_between(self.network, events, start_s, end_s, self.policy)

    def network_flown(self, start_s: float, end_s: float) -> Network:
        """The network a sortie flown over [start_s, end_s] is judged against [s since epoch].

        The base network plus the targets of every large event on at some moment of it.
        """
        return self._in_force_between(start_s, end_s).network

    def network_at(self, now_s: float | None = None) -> Network:
        """The patrol network in force: the base network plus every active event's targets."""
        return self.in_force(now_s).network

    def units_at(self, now_s: float | None = None) -> Network:
        """The network in force with each large target replaced by its sections: what the
        scheduler plans."""
        network = self.network_at(now_s)
        sections = self.sections()
        return network if sections is None else sections.units_of(network)

    def unit_states(self, now_s: float | None = None) -> list[TargetFreshness]:
        """The freshness of every target the scheduler plans: whole targets and sections
        (a section has its target's priority and interval)."""
        now_s = self.clock() if now_s is None else now_s
        sections = self.sections()
        if sections is None:
            return self.states(now_s)
        force = self.in_force(now_s)
        last = self.last_patrolled()
        return [
            TargetFreshness(
                target_id=t.id,
                priority=str(t.priority),
                interval_s=force.interval_s[whole_id(t.id)],
                last_patrolled_s=last.get(t.id),
                now_s=now_s,
            )
            for t in sections.units_of(force.network).targets
        ]

    def states(self, now_s: float | None = None) -> list[TargetFreshness]:
        """Every target's freshness now (or at ``now_s``), active events' targets included.

        Intervals are the ones in force: an event target's event policy, and
        for a base target inside an active zone the tighter of its own and the event's.
        """
        now_s = self.clock() if now_s is None else now_s
        force = self.in_force(now_s)
        last = self.last_patrolled()
        sections = self.sections()
        if sections is not None:  # as fresh as the stalest section (stored as visits too)
            last.update(sections.whole_last_patrolled(last))
        return [
            TargetFreshness(
                target_id=t.id,
                priority=str(t.priority),
                interval_s=force.interval_s[t.id],
                last_patrolled_s=last.get(t.id),
                now_s=now_s,
            )
            for t in force.network.targets
        ]
