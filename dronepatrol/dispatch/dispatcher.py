"""Carrying out dispatch: send the chosen drone to an incident, hold it there, release it.

A dispatch runs on its own thread (flying there takes minutes): a drone on
the ground takes off; a drone on patrol pauses its mission, remembering the
item it was flying; then it orbits the incident at a set radius and height,
nose on the place, until released. Release resumes the patrol at the item
it left, or returns home. Response times (dispatched, airborne, on scene,
released) are written to the incident as they happen, and every stage is
published as a ``dispatch`` event.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from dronepatrol.dispatch.choice import DispatchProposal, propose_dispatch
from dronepatrol.events import EventBus, EventKind
from dronepatrol.geo import distance_m
from dronepatrol.incidents.book import IncidentBook, IncidentView
from dronepatrol.lockdown.plan import LockdownPlan, OverwatchPoint, plan_lockdown
from dronepatrol.lockdown.status import Lockdown, LockdownStatus, lockdown_status
from dronepatrol.responders import (
    DistanceFn,
    Responder,
    ResponderState,
    ResponseModel,
    reach,
)
from dronepatrol.state import RETURNING_MODES, LinkState, VehicleSnapshot

log = logging.getLogger(__name__)

ON_SCENE_MARGIN_M = 15.0
"""A drone this much beyond its orbit radius from the incident counts as on scene [m]."""


class DispatchError(RuntimeError):
    """A dispatch or release that cannot be done now; the message says why."""


def responder_of(snapshot: VehicleSnapshot, busy: bool = False) -> Responder:
    """How dispatch sees a vehicle, from its snapshot."""
    if snapshot.link is not LinkState.UP or snapshot.position is None:
        state = ResponderState.UNAVAILABLE
    elif busy:
        state = ResponderState.ON_INCIDENT
    elif snapshot.armed and snapshot.mode in {m.name for m in RETURNING_MODES}:
        state = ResponderState.RETURNING
    elif snapshot.armed:
        state = ResponderState.PATROLLING
    elif snapshot.ekf_ok or snapshot.prearm_ok:
        state = ResponderState.IDLE
    else:
        state = ResponderState.UNAVAILABLE
    position = snapshot.position
    home = snapshot.home or position
    battery = snapshot.battery.remaining_pct
    return Responder(
        vehicle_id=snapshot.vehicle_id,
        state=state,
        lat_deg=position.lat_deg if position else 0.0,
        lon_deg=position.lon_deg if position else 0.0,
        alt_rel_m=position.alt_rel_m if position else 0.0,
        battery_frac=(battery or 0.0) / 100.0,
        station_lat_deg=home.lat_deg if home else 0.0,
        station_lon_deg=home.lon_deg if home else 0.0,
    )


class Dispatcher:
    """Sends fleet vehicles to incidents, one at a time or a lockdown's worth at once.

    It keeps the latest lockdown (:meth:`lockdown_status`); only one is in
    force at a time, until :meth:`release_lockdown` or its last hold's release.

    Args:
        fleet: the :class:`dronepatrol.mavlink.Fleet`.
        book: where incidents and response times are kept.
        bus: where ``dispatch`` events go.
        model: flight times and battery for choosing the drone.
        orbit_radius_m, orbit_alt_m: the hold over the incident [m].
        hold_s: how long a drone must be able to hold before returning [s].
        distance_fn: flyable path length (default straight line).
    """

    def __init__(
        self,
        fleet: Any,
        book: IncidentBook,
        bus: EventBus,
        model: ResponseModel | None = None,
        orbit_radius_m: float = 40.0,
        orbit_alt_m: float = 60.0,
        hold_s: float = 600.0,
        distance_fn: DistanceFn = distance_m,
    ) -> None:
        self.fleet = fleet
        self.book = book
        self.bus = bus
        self.model = model or ResponseModel(response_alt_m=orbit_alt_m)
        self.orbit_radius_m = orbit_radius_m
        self.orbit_alt_m = orbit_alt_m
        self.hold_s = hold_s
        self.distance_fn = distance_fn
        self._lock = threading.Lock()
        self._busy: dict[str, int] = {}
        self._lockdown_lock = threading.Lock()  # one activation or release at a time
        self._lockdown: Lockdown | None = None

    def is_busy(self, vehicle_id: str) -> bool:
        """True while the vehicle is sent to (or holds over) an incident."""
        with self._lock:
            return vehicle_id in self._busy

    def responders(self) -> list[Responder]:
        with self._lock:
            busy = set(self._busy)
        return [responder_of(s, s.vehicle_id in busy) for s in self.fleet.snapshots()]

    def propose(self, incident: IncidentView) -> DispatchProposal:
        """Every drone's ETA to ``incident``, the earliest feasible first."""
        return propose_dispatch(
            self.responders(),
            incident.lat_deg,
            incident.lon_deg,
            self.hold_s,
            self.model,
            self.distance_fn,
        )

    def dispatch(self, incident_id: int, actor: str, vehicle_id: str | None = None) -> str:
        """Send ``vehicle_id`` (default: the proposal's choice); returns the vehicle sent."""
        incident = self.book.get(incident_id)
        if incident.status not in ("open", "failed", "released"):
            raise DispatchError(f"incident {incident_id} is {incident.status}: release it first")
        responders = {r.vehicle_id: r for r in self.responders()}
        if vehicle_id is None:
            proposal = self.propose(incident)
            if proposal.chosen is None:
                reasons = "; ".join(f"{o.vehicle_id}: {o.reason}" for o in proposal.options)
                raise DispatchError(f"no drone can answer now ({reasons or 'no drones'})")
            vehicle_id = proposal.chosen.vehicle_id
        elif vehicle_id not in responders:
            raise DispatchError(f"no vehicle {vehicle_id!r} in the fleet")
        option = reach(
            responders[vehicle_id],
            incident.lat_deg,
            incident.lon_deg,
            self.hold_s,
            self.model,
            self.distance_fn,
        )
        if not option.feasible:
            raise DispatchError(f"{vehicle_id} cannot answer: {option.reason}")
        with self._lock:
            if vehicle_id in self._busy:
                raise DispatchError(f"{vehicle_id} is already on incident {self._busy[vehicle_id]}")
            self._busy[vehicle_id] = incident_id
        now = time.time()
        self.book.mark(
            incident_id,
            status="dispatched",
            vehicle_id=vehicle_id,
            dispatched_by=actor,
            dispatched_s=now,
            airborne_s=None,
            on_scene_s=None,
            released_s=None,
            paused_seq=None,
            failure="",
        )
        self._event(incident_id, vehicle_id, "dispatched", actor=actor, eta_s=option.eta_s)
        threading.Thread(
            target=self._fly,
            args=(incident, vehicle_id, actor),
            name=f"dispatch-{incident_id}",
            daemon=True,
        ).start()
        return vehicle_id

    def lockdown(
        self, name: str, points: list[OverwatchPoint], actor: str
    ) -> tuple[LockdownPlan, dict[str, int]]:
        """Activate a lockdown plan: hold as many overwatch points as the fleet can.

        Drones are assigned for the earliest worst arrival
        (:func:`dronepatrol.lockdown.plan.plan_lockdown`); each assignment
        becomes a key-priority incident, dispatched at once, and holds until
        released like any other. Returns the plan and each covered point's
        incident id. Refused with :class:`DispatchError` while another
        lockdown still holds a point: release it first.
        """
        with self._lockdown_lock:
            current = self.lockdown_status()
            if current is not None and current.active:
                held = len(current.holding)
                raise DispatchError(
                    f"lockdown {current.name!r} is in force ({held} point(s) held, started by "
                    f"{current.lockdown.actor}): release it before activating {name!r}"
                )
            started_s = time.time()
            plan = plan_lockdown(
                self.responders(), points, self.hold_s, self.model, self.distance_fn
            )
            by_id = {p.point_id: p for p in points}
            incidents: dict[str, int] = {}
            for assignment in plan.assignments:
                point = by_id[assignment.point_id]
                label = f"{point.point_id} ({point.name})" if point.name else point.point_id
                incident = self.book.create(
                    point.lat_deg,
                    point.lon_deg,
                    "key",
                    f"lockdown {name}: {label}",
                    actor,
                    kind="hold",
                )
                incidents[point.point_id] = incident.id
                try:
                    self.dispatch(incident.id, actor, assignment.vehicle_id)
                except DispatchError as exc:  # the fleet changed since planning: report, go on
                    self.book.mark(incident.id, status="failed", failure=str(exc))
            self._lockdown = Lockdown(name, tuple(points), plan, incidents, actor, started_s)
        self.bus.emit(
            EventKind.DISPATCH,
            None,
            stage="lockdown",
            name=name,
            covered=sorted(incidents),
            incidents=sorted(incidents.values()),
            uncovered=plan.uncovered,
            worst_eta_s=plan.worst_eta_s,
            actor=actor,
        )
        return plan, incidents

    def lockdown_status(self) -> LockdownStatus | None:
        """The latest lockdown (in force or ended) with each hold's live status; None before any."""
        lockdown = self._lockdown
        return None if lockdown is None else lockdown_status(lockdown, self.book)

    def release_lockdown(self, actor: str) -> list[int]:
        """Release every hold of the lockdown in force; returns the incidents released.

        Raises :class:`DispatchError` when no lockdown holds any point.
        """
        with self._lockdown_lock:
            current = self.lockdown_status()
            if current is None or not current.active:
                raise DispatchError("no lockdown is in force: nothing to release")
            released = []
            for hold in current.holding:
                assert hold.incident_id is not None
                try:
                    self.release(hold.incident_id, actor)
                except DispatchError:  # released on its own meanwhile: nothing left to do
                    continue
                released.append(hold.incident_id)
        self.bus.emit(
            EventKind.DISPATCH,
            None,
            stage="lockdown_released",
            name=current.name,
            incidents=released,
            actor=actor,
        )
        return released

    def release(self, incident_id: int, actor: str) -> None:
        """End the hold: the drone resumes its patrol where it left it, or comes home."""
        incident = self.book.get(incident_id)
        if incident.status not in ("dispatched", "on_scene") or incident.vehicle_id is None:
            raise DispatchError(
                f"incident {incident_id} has no drone to release ({incident.status})"
            )
        vehicle_id = incident.vehicle_id
        self.book.mark(incident_id, status="released", released_s=time.time())
        self._event(incident_id, vehicle_id, "released", actor=actor)
        threading.Thread(
            target=self._return,
            args=(incident, vehicle_id, actor),
            daemon=True,
            name=f"release-{incident_id}",
        ).start()

    # ------------------------------------------------------------------ flying

    def _event(self, incident_id: int, vehicle_id: str, stage: str, **data: Any) -> None:
        self.bus.emit(EventKind.DISPATCH, vehicle_id, incident=incident_id, stage=stage, **data)

    def _fly(self, incident: IncidentView, vehicle_id: str, actor: str) -> None:
        vehicle = self.fleet.vehicle(vehicle_id)
        stop_watch = threading.Event()
        watcher = threading.Thread(
            target=self._watch, args=(incident, vehicle, stop_watch), daemon=True
        )
        watcher.start()
        try:
            snap = vehicle.snapshot
            if not snap.armed:
                vehicle.takeoff(min(self.orbit_alt_m, 30.0), source=actor)
            elif snap.mode == "AUTO":
                paused = vehicle.pause(source=actor)
                self.book.mark(incident.id, paused_seq=paused)
                self._event(incident.id, vehicle_id, "patrol_paused", item=paused)
            vehicle.orbit(
                incident.lat_deg,
                incident.lon_deg,
                self.orbit_radius_m,
                self.orbit_alt_m,
                source=actor,
                timeout_s=1800.0,
                transit_speed_mps=self.model.cruise_speed_mps,  # as the ETA assumed
            )
        except Exception as exc:  # the vehicle refused or the link failed: say so
            log.warning("dispatch of %s to incident %d failed: %s", vehicle_id, incident.id, exc)
            if self.book.get(incident.id).status != "released":
                self.book.mark(incident.id, status="failed", failure=str(exc))
                self._event(incident.id, vehicle_id, "failed", reason=str(exc))
                self._free(vehicle_id)
        finally:
            stop_watch.set()

    def _watch(self, incident: IncidentView, vehicle: Any, stop: threading.Event) -> None:
        """Mark airborne and on-scene times from the vehicle's snapshots."""
        deadline = time.monotonic() + 3600
        while not stop.is_set() and time.monotonic() < deadline:
            snap = vehicle.snapshot
            if snap.position is not None:
                if snap.position.alt_rel_m > 2.0 and self.book.mark_once(
                    incident.id, "airborne_s", time.time()
                ):
                    self._event(incident.id, vehicle.vehicle_id, "airborne")
                away = distance_m(
                    snap.position.lat_deg, snap.position.lon_deg, incident.lat_deg, incident.lon_deg
                )
                if away <= self.orbit_radius_m + ON_SCENE_MARGIN_M and snap.position.alt_rel_m > 2:
                    if self.book.mark_once(incident.id, "on_scene_s", time.time()):
                        if self.book.get(incident.id).status == "dispatched":
                            self.book.mark(incident.id, status="on_scene")
                        self._event(incident.id, vehicle.vehicle_id, "on_scene")
                    return
            stop.wait(0.2)

    def _return(self, incident: IncidentView, vehicle_id: str, actor: str) -> None:
        vehicle = self.fleet.vehicle(vehicle_id)
        paused = self.book.get(incident.id).paused_seq
        try:
            if paused:
                vehicle.resume(paused, source=actor)
                self._event(incident.id, vehicle_id, "patrol_resumed", item=paused)
            else:
                vehicle.rtl(source=actor)
                self._event(incident.id, vehicle_id, "returning")
        except Exception as exc:
            self._event(incident.id, vehicle_id, "release_failed", reason=str(exc))
        finally:
            self._free(vehicle_id)

    def _free(self, vehicle_id: str) -> None:
        with self._lock:
            self._busy.pop(vehicle_id, None)
