"""The patrol scheduler at work: idle, charged drones at stations fly the most overdue targets.

Every few seconds the scheduler looks at the fleet. A drone that stands
disarmed at a station, with its link up, its battery turned around (swapped
or charged, :class:`dronepatrol.schedule.choice.Turnaround`) and no
dispatch on it gets a proposal: the most overdue targets of its station
that fit one battery (:func:`dronepatrol.schedule.choice.propose_sortie`).
Targets too large for one battery are flown section by section, each
section with its own freshness (kept by the freshness keeper when it knows
the drone profile).

Operators choose how much the scheduler may do on its own:

- ``off``: nothing is proposed;
- ``approve`` (the default): proposals wait for one click (:meth:`approve`)
  or are rejected (the drone is left alone for ``snooze_s``);
- ``auto``: proposals are flown at once.

Flying a proposal uploads and verifies the mission, runs the preflight
checks, takes off and starts the mission; every stage is published as a
``schedule`` event, and a failure on the ground leaves the drone disarmed,
one in the air brings it home (RTL). Targets being flown are not offered to
another drone until the sortie has landed and been judged.
"""

from __future__ import annotations

import itertools
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from dronepatrol.actions import Action, why_not
from dronepatrol.energy import EnergyRefusal
from dronepatrol.events import BusWorker, Event, EventBus, EventKind
from dronepatrol.geo import distance_m
from dronepatrol.mavlink.preflight import prepare_flight
from dronepatrol.network.model import Network, Station
from dronepatrol.planning import DroneProfile
from dronepatrol.planning.sections import Sectioning
from dronepatrol.schedule.choice import SortieProposal, Turnaround, propose_sortie
from dronepatrol.state import LinkState, VehicleSnapshot

log = logging.getLogger(__name__)

MODES = ("off", "approve", "auto")
"""How much the scheduler does on its own."""

STATION_RADIUS_M = 60.0
"""A drone within this distance of a station stands at it [m]."""

TAKEOFF_ALT_M = 20.0
"""Take-off height before the mission starts [m above home] (as ``dronepatrol fly``)."""

CLAIM_GRACE_S = 120.0
"""Targets of a landed sortie stay claimed this long, while its track is judged [s]."""


PLAN_BUDGET_S = 0.1
"""Planning time one scheduler pass may spend before it leaves drones to the next [s CPU]."""


class SchedulerError(RuntimeError):
    """An approval, rejection or mode change that cannot be done; the message says why."""


def station_at(
    snapshot: VehicleSnapshot, network: Network, radius_m: float = STATION_RADIUS_M
) -> Station | None:
    """The station the vehicle stands at (nearest within ``radius_m`` [m]), else None."""
    if snapshot.position is None:
        return None
    best: tuple[float, Station] | None = None
    for station in network.stations:
        away = distance_m(
            snapshot.position.lat_deg, snapshot.position.lon_deg, station.lat_deg, station.lon_deg
        )
        if away <= radius_m and (best is None or away < best[0]):
            best = (away, station)
    return best[1] if best else None


@dataclass(frozen=True)
class PendingSortie:
    """A proposal waiting for approval (or being flown, in ``auto``).

    Attributes:
        id: unique, e.g. ``sched-3``.
        vehicle_id: the drone that would fly it.
        proposal: the sortie and why.
        created_s: when proposed [s since the epoch].
    """

    id: str
    vehicle_id: str
    proposal: SortieProposal
    created_s: float
    profile: DroneProfile | None = None
    """The profile it was planned with (the vehicle's own energy figures when known)."""

    def as_dict(self) -> dict[str, Any]:
        sortie = self.proposal.sortie
        return {
            "id": self.id,
            "vehicle": self.vehicle_id,
            "station": self.proposal.station,
            "targets": list(self.proposal.targets),
            "reason": self.proposal.reason(),
            "duration_s": round(sortie.duration_s, 1),
            "energy_frac": round(sortie.energy_frac, 4),
            "length_m": round(sortie.length_m, 1),
            "created_s": self.created_s,
            "track": [[lat, lon] for lat, lon, _ in sortie.track],
        }


class Scheduler:
    """Keeps the patrol network on schedule with the fleet's idle drones.

    Args:
        fleet: the :class:`dronepatrol.mavlink.Fleet`.
        keeper: the :class:`dronepatrol.freshness.keeper.FreshnessKeeper`
            (``states(now)`` and ``network_at(now)``, large events included).
        profile: the drone profile to plan with.
        bus: where ``schedule`` events go; DISARMED events start a turnaround.
        mode: ``off``, ``approve`` or ``auto``.
        turnaround: battery swap or charge time at the station.
        horizon_s: also fly targets falling due within this time [s]. About one
            sortie's length: a target is reached some way into the sortie, and
            bench/patrol_day.py shows 30 min keeping key targets (30 min) on time
            where 10 min does not.
        busy: tells whether a vehicle is taken by something else (a dispatch).
        tick_s: how often the fleet is looked at [s].
        snooze_s: how long a rejected or failed drone is left alone [s].
        proposal_ttl_s: a pending proposal older than this is made afresh [s].
        plan_budget_s: planning time one pass may spend [s of this thread's CPU]; drones
            left when it is spent are looked at first in the next pass. Planning a city's
            grids the first time takes seconds; spread over passes, no pass holds the
            fleet's lock that long. A pass always plans for at least one drone.
        energy: the :class:`dronepatrol.energy.EnergyWatch`: each drone is planned with
            its own pack and consumption, and a sortie its charge cannot fly with the
            reserve kept is refused before upload (None: the profile alone).
    """

    def __init__(
        self,
        fleet: Any,
        keeper: Any,
        profile: DroneProfile,
        bus: EventBus,
        *,
        mode: str = "approve",
        turnaround: Turnaround | None = None,
        horizon_s: float = 1800.0,
        busy: Callable[[str], bool] = lambda vehicle_id: False,
        tick_s: float = 5.0,
        snooze_s: float = 600.0,
        proposal_ttl_s: float = 600.0,
        plan_budget_s: float = PLAN_BUDGET_S,
        clock: Callable[[], float] = time.time,
        energy: Any = None,
    ) -> None:
        if mode not in MODES:
            raise SchedulerError(f"unknown scheduler mode {mode!r}; use one of {', '.join(MODES)}")
        self.fleet = fleet
        self.keeper = keeper
        self.profile = profile
        self.bus = bus
        self.turnaround = turnaround or Turnaround()
        self.horizon_s = horizon_s
        self.busy = busy
        self.tick_s = tick_s
        self.snooze_s = snooze_s
        self.proposal_ttl_s = proposal_ttl_s
        self.plan_budget_s = plan_budget_s
        self.clock = clock
        self.energy = energy
        self._mode = mode
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._pending: dict[str, PendingSortie] = {}
        self._flying: dict[str, tuple[str, ...]] = {}
        self._landed_claims: list[tuple[float, tuple[str, ...]]] = []
        self._landed_s: dict[str, float] = {}
        self._snoozed: dict[str, float] = {}
        self._unschedulable: dict[str, str] = {}
        self._blockers: dict[str, str] = {}
        self._deferred: list[str] = []
        self._worker = BusWorker(
            bus,
            "scheduler",
            self._note_landing,
            accept=lambda e: e.kind is EventKind.DISARMED and e.vehicle_id is not None,
            tick=self.tick,
            every_s=tick_s,
        )

    # ------------------------------------------------------------------ running

    def start(self) -> Scheduler:
        """Look at the fleet every ``tick_s`` on a thread of its own."""
        self._worker.start()
        return self

    def stop(self) -> None:
        self._worker.stop(10.0)

    # ------------------------------------------------------------------ state

    @property
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str, actor: str) -> None:
        """Switch between ``off``, ``approve`` and ``auto``; pending proposals go on ``off``."""
        if mode not in MODES:
            raise SchedulerError(f"unknown scheduler mode {mode!r}; use one of {', '.join(MODES)}")
        with self._lock:
            self._mode = mode
            if mode == "off":
                self._pending.clear()
        self._emit(None, stage="mode", mode=mode, actor=actor)

    def pending(self) -> list[PendingSortie]:
        """Proposals waiting for approval, oldest first."""
        with self._lock:
            return sorted(self._pending.values(), key=lambda p: p.created_s)

    def status(self) -> dict[str, Any]:
        """Mode, proposals, sorties in the air, and why each idle drone is not proposed."""
        with self._lock:
            return {
                "mode": self._mode,
                "turnaround": asdict(self.turnaround),
                "horizon_s": self.horizon_s,
                "pending": [p.as_dict() for p in self.pending()],
                "flying": {vid: list(t) for vid, t in self._flying.items()},
                "waiting": dict(self._blockers),
                "unschedulable": dict(self._unschedulable),
            }

    # ------------------------------------------------------------------ deciding

    def launch_blocker(
        self, snapshot: VehicleSnapshot, now_s: float, network: Network | None = None
    ) -> str | None:
        """Why this vehicle cannot be sent on patrol now (None: it can).

        ``network`` is the network in force at ``now_s`` when the caller has it.

        A pack the crew reports swapped (BATTERY_RESET to 100 %) does not end a
        ``swap`` turnaround early: ``swap_s`` counts from landing and includes
        the crew's checks, and in ``auto`` mode a launch must not surprise a
        crew still at the drone. In ``charge`` mode the wait follows the
        remaining charge, so a pack reported full is ready at once.
        """
        vid = snapshot.vehicle_id
        if snapshot.link is not LinkState.UP:
            return f"link is {snapshot.link.value}"
        blocked = why_not(snapshot, Action.LAUNCH_PATROL)
        if blocked is not None:
            return blocked
        if vid in self._flying:
            return "launching"
        if self.busy(vid):
            return "on an incident"
        if snapshot.position is None:
            return "position unknown"
        network = network or self._network(now_s)
        if station_at(snapshot, network) is None:
            return "not at a station"
        landed = self._landed_s.get(vid)
        if landed is not None:
            remaining = self.turnaround.ground_time_s(self._charge(snapshot)) - (now_s - landed)
            if remaining > 0:
                return f"battery turnaround: ready in {remaining / 60:.0f} min"
        charge = self._charge(snapshot)
        if charge < self.turnaround.launch_min_frac:
            return (
                f"battery {charge * 100:.0f}% is below {self.turnaround.launch_min_frac * 100:.0f}%"
                ": swap or charge it"
            )
        if not (snapshot.ekf_ok or snapshot.prearm_ok):
            return "not ready to arm"
        snoozed = self._snoozed.get(vid, 0.0)
        if snoozed > now_s:
            return f"left alone for {(snoozed - now_s) / 60:.0f} min (rejected or failed)"
        return None

    def tick(self, now_s: float | None = None) -> list[PendingSortie]:
        """One look at the fleet: propose (and in ``auto`` fly) for every drone that can go.

        Returns the proposals made in this pass.
        """
        now_s = self.clock() if now_s is None else now_s
        made: list[PendingSortie] = []
        if self._mode == "off":
            return made
        network = self._network(now_s)
        units = self._units(now_s)
        sections = self._sections()
        states = None  # read from the database only when a drone can be proposed for
        snapshots = sorted(self.fleet.snapshots(), key=lambda s: s.vehicle_id)
        first = {vid: n for n, vid in enumerate(self._deferred)}
        snapshots.sort(key=lambda s: first.get(s.vehicle_id, len(first)))  # waited: go first
        deferred: list[str] = []
        planning_started = time.thread_time()
        planned = False
        with self._lock:
            self._expire(now_s)
            self._landed_claims = [(t, c) for t, c in self._landed_claims if t > now_s]
            pending_by_vehicle = {p.vehicle_id: p for p in self._pending.values()}
            for snapshot in snapshots:
                vid = snapshot.vehicle_id
                blocker = self.launch_blocker(snapshot, now_s, network)
                if blocker is not None:
                    self._blockers[vid] = blocker
                    if vid in pending_by_vehicle:
                        del self._pending[pending_by_vehicle[vid].id]
                    continue
                if vid in pending_by_vehicle:
                    self._blockers.pop(vid, None)
                    continue
                if planned and time.thread_time() - planning_started > self.plan_budget_s:
                    deferred.append(vid)
                    self._blockers[vid] = "waiting for the planner: next pass"
                    continue
                planned = True
                station = station_at(snapshot, network)
                assert station is not None
                states = states if states is not None else self._unit_states(now_s)
                profile = self.profile_for(vid)
                if sections is not None:  # sections no battery reaches: say so, never fly
                    self._unschedulable.update(sections.beyond_reach)
                choice = propose_sortie(
                    units,
                    profile,
                    station.id,
                    states,
                    horizon_s=self.horizon_s,
                    exclude=self._claimed() | set(self._unschedulable),
                    sections=sections,
                )
                self._unschedulable.update(choice.unschedulable)
                if choice.proposal is None:
                    self._blockers[vid] = f"nothing of {station.id} is due"
                    continue
                refusal = self._energy_refusal(vid, choice.proposal.sortie.energy_frac, profile)
                if refusal is not None:
                    self._blockers[vid] = refusal
                    continue
                self._blockers.pop(vid, None)
                pending = PendingSortie(
                    f"sched-{next(self._ids)}", vid, choice.proposal, now_s, profile
                )
                self._pending[pending.id] = pending
                made.append(pending)
                self._emit(vid, stage="proposed", **_brief(pending))
            self._deferred = deferred
        if self._mode == "auto":
            for pending in made:
                self.approve(pending.id, "scheduler")
        return made

    def approve(self, proposal_id: str, actor: str) -> PendingSortie:
        """Fly a pending proposal now (on a thread: upload, checks, take-off, mission)."""
        with self._lock:
            pending = self._pending.pop(proposal_id, None)
            if pending is None:
                raise SchedulerError(
                    f"no pending proposal {proposal_id!r}: it was flown, rejected or expired"
                )
            self._flying[pending.vehicle_id] = pending.proposal.targets
        self._emit(pending.vehicle_id, stage="approved", actor=actor, **_brief(pending))
        threading.Thread(
            target=self._launch, args=(pending, actor), name=f"launch-{pending.id}", daemon=True
        ).start()
        return pending

    def reject(self, proposal_id: str, actor: str) -> PendingSortie:
        """Drop a proposal; its drone is left alone for ``snooze_s``."""
        with self._lock:
            pending = self._pending.pop(proposal_id, None)
            if pending is None:
                raise SchedulerError(
                    f"no pending proposal {proposal_id!r}: it was flown, rejected or expired"
                )
            self._snoozed[pending.vehicle_id] = self.clock() + self.snooze_s
        self._emit(pending.vehicle_id, stage="rejected", actor=actor, **_brief(pending))
        return pending

    # ------------------------------------------------------------------ flying

    def _launch(self, pending: PendingSortie, actor: str) -> None:
        vid = pending.vehicle_id
        sortie = pending.proposal.sortie
        vehicle = self.fleet.vehicle(vid)
        stage = "energy"
        try:
            if self.energy is not None:  # before anything is uploaded
                self.energy.check_sortie(
                    vid, sortie.energy_frac, pending.profile or self.profile_for(vid)
                )
            stage = "uploading"
            self._emit(vid, stage=stage, proposal=pending.id)
            vehicle.mission.upload(sortie.mission)
            self.bus.emit(
                EventKind.MISSION_UPLOAD,
                vid,
                plan=f"schedule/{pending.id}/{sortie.id}",
                targets=list(pending.proposal.targets),
                station=pending.proposal.station,
                operator=actor,
                count=len(sortie.mission.items),
            )
            stage = "preflight"
            prepare_flight(
                vehicle, sortie.mission, min_battery_pct=self.turnaround.launch_min_frac * 100
            )
            stage = "takeoff"
            vehicle.action.takeoff(TAKEOFF_ALT_M, source=actor)
            stage = "mission start"
            vehicle.action.start_mission(source=actor)
        except Exception as exc:  # refused or lost: make the drone safe, say why, move on
            log.warning("scheduled sortie %s on %s failed at %s: %s", pending.id, vid, stage, exc)
            self._make_safe(vehicle, actor)
            with self._lock:
                self._flying.pop(vid, None)
                self._snoozed[vid] = self.clock() + self.snooze_s
            self._emit(vid, stage="failed", proposal=pending.id, at=stage, reason=str(exc))
            return
        self._emit(vid, stage="launched", **_brief(pending))

    def _make_safe(self, vehicle: Any, actor: str) -> None:
        """After a failed launch: disarm on the ground, or come home from the air."""
        try:
            snap = vehicle.snapshot
            if snap.flying:
                vehicle.action.rtl(source=actor)
            elif snap.armed:
                vehicle.action.disarm(source=actor)
        except Exception as exc:
            log.error("could not make %s safe after a failed launch: %s", vehicle, exc)

    # ------------------------------------------------------------------ helpers

    def _energy_refusal(
        self, vehicle_id: str, energy_frac: float, profile: DroneProfile
    ) -> str | None:
        """Why the drone's charge now cannot fly a sortie (None: it can, or no energy watch)."""
        if self.energy is None:
            return None
        try:
            self.energy.check_sortie(vehicle_id, energy_frac, profile)
        except EnergyRefusal as exc:
            return str(exc)
        return None

    def profile_for(self, vehicle_id: str) -> DroneProfile:
        """The profile to plan this drone's sorties with: its own energy figures when known."""
        if self.energy is None:
            return self.profile
        return self.energy.profile_for(vehicle_id)

    def _note_landing(self, event: Event) -> None:
        """A DISARMED event starts the drone's turnaround and frees its targets (after a grace)."""
        assert event.vehicle_id is not None  # the worker keeps only a vehicle's events
        self.note_landed(event.vehicle_id, event.time_s)

    def note_landed(self, vehicle_id: str, at_s: float) -> None:
        """Start a turnaround without a bus event (a drone that landed before we started)."""
        with self._lock:
            self._landed_s[vehicle_id] = at_s
            targets = self._flying.pop(vehicle_id, None)
            if targets:
                self._landed_claims.append((at_s + CLAIM_GRACE_S, targets))

    def _claimed(self) -> set[str]:
        claimed = {t for targets in self._flying.values() for t in targets}
        claimed |= {t for p in self._pending.values() for t in p.proposal.targets}
        claimed |= {t for _, targets in self._landed_claims for t in targets}
        return claimed

    def _expire(self, now_s: float) -> None:
        for pid, pending in list(self._pending.items()):
            if now_s - pending.created_s > self.proposal_ttl_s:
                del self._pending[pid]
                self._emit(pending.vehicle_id, stage="expired", proposal=pid)

    def _network(self, now_s: float) -> Network:
        return self.keeper.network_at(now_s)

    def _units(self, now_s: float) -> Network:
        """The network in force with large targets in sections, when the keeper keeps them."""
        units_at = getattr(self.keeper, "units_at", None)
        return units_at(now_s) if units_at is not None else self._network(now_s)

    def _unit_states(self, now_s: float) -> list:
        unit_states = getattr(self.keeper, "unit_states", None)
        return unit_states(now_s) if unit_states is not None else self.keeper.states(now_s)

    def _sections(self) -> Sectioning | None:
        sections = getattr(self.keeper, "sections", None)
        return sections() if sections is not None else None

    @staticmethod
    def _charge(snapshot: VehicleSnapshot) -> float:
        remaining = snapshot.battery.remaining_pct
        if remaining is None or not math.isfinite(remaining):
            return 0.0
        return remaining / 100.0

    def _emit(self, vehicle_id: str | None, **data: Any) -> None:
        self.bus.emit(EventKind.SCHEDULE, vehicle_id, **data)


def _brief(pending: PendingSortie) -> dict[str, Any]:
    return {
        "proposal": pending.id,
        "station": pending.proposal.station,
        "targets": list(pending.proposal.targets),
        "duration_s": round(pending.proposal.sortie.duration_s, 1),
        "reason": pending.proposal.reason(),
    }
