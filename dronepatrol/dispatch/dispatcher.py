"""Carrying out dispatch: send the chosen drone to an incident, hold it there, release it.

A dispatch runs on its own thread (flying there takes minutes): a drone on
the ground takes off; a drone on patrol pauses its mission, remembering the
item it was flying; then it orbits the incident at a set radius and height,
nose on the place, until released. Release resumes the patrol at the item
it left, or returns home. Response times (dispatched, airborne, on scene,
released) are written to the incident as they happen, and every stage is
published as a ``dispatch`` event.

A drone the energy watch sends home on its charge (its ``return_now``)
leaves its incident at once: the incident fails with that reason (stage
``sent_home``), no further move of the dispatch is sent, and its patrol is
not resumed (:meth:`Dispatcher.follow_energy`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from dronepatrol.actions import Action, why_not
from dronepatrol.dispatch.choice import DispatchProposal, propose_dispatch
from dronepatrol.events import BusWorker, Event, EventBus, EventKind
from dronepatrol.geo import distance_m
from dronepatrol.incidents.book import IncidentBook, IncidentView
from dronepatrol.lockdown.plan import LockdownPlan, OverwatchPoint, plan_lockdown
from dronepatrol.lockdown.status import Lockdown, LockdownStatus, lockdown_status
from dronepatrol.mavlink.preflight import prepare_flight
from dronepatrol.planning.airspace import Airspace, NoSafeVantage, Vantage
from dronepatrol.planning.orders import CAMERA_RANGE_M
from dronepatrol.responders import (
    DISPATCHABLE,
    DistanceFn,
    Responder,
    ResponderState,
    ResponseModel,
    reach,
)
from dronepatrol.state import CopterMode, LinkState, VehicleSnapshot

log = logging.getLogger(__name__)

ON_SCENE_GRACE_S = 10.0
"""How long, once a drone has arrived, its watcher is given to mark it on scene [s]."""

ON_SCENE_MARGIN_M = 15.0
"""A drone this much beyond its orbit radius from the incident counts as on scene [m]."""


class DispatchError(RuntimeError):
    """A dispatch or release that cannot be done now; the message says why."""


class NoVantageError(DispatchError):
    """The place lies in a no-fly zone with no safe point within camera range (HTTP 422)."""


def responder_of(
    snapshot: VehicleSnapshot, busy: bool = False, endurance_s: float | None = None
) -> Responder:
    """How dispatch sees a vehicle, from its snapshot (and its own endurance [s], when known).

    Whether it may respond at all is the can-do table's answer
    (:data:`dronepatrol.actions.Action.RESPOND`), as for the web and the fleet.
    """
    blocked = why_not(snapshot, Action.RESPOND)
    if snapshot.link is not LinkState.UP or snapshot.position is None:
        state = ResponderState.UNAVAILABLE
    elif busy:
        state = ResponderState.ON_INCIDENT
    elif blocked:
        state = ResponderState.RETURNING if snapshot.returning else ResponderState.UNAVAILABLE
    elif snapshot.flying:
        state = ResponderState.PATROLLING
    elif snapshot.ekf_ok or snapshot.prearm_ok:
        state = ResponderState.IDLE
    else:
        state = ResponderState.UNAVAILABLE
    position = snapshot.position
    home = snapshot.home or position
    battery = snapshot.battery.remaining_pct
    why = ""
    if state is ResponderState.UNAVAILABLE and snapshot.link is LinkState.UP and position:
        why = blocked or "not ready to arm (no EKF position, prearm checks failing)"
    return Responder(
        vehicle_id=snapshot.vehicle_id,
        state=state,
        lat_deg=position.lat_deg if position else 0.0,
        lon_deg=position.lon_deg if position else 0.0,
        alt_rel_m=position.alt_rel_m if position else 0.0,
        battery_frac=(battery or 0.0) / 100.0,
        station_lat_deg=home.lat_deg if home else 0.0,
        station_lon_deg=home.lon_deg if home else 0.0,
        endurance_s=endurance_s,
        why_not=why,
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
        distance_fn: flyable path length (default: the airspace's routed length).
        airspace: the no-fly zones errands keep out of, or a callable giving the
            current one (the control app's network may change).
        camera_range_m: farthest vantage point from a place in a no-fly zone [m].
        preflight_overrides: preflight checks accepted although they fail (by name).
        clock: wall-clock time [s since the epoch] stamped on dispatch, airborne,
            on-scene and release (the control room passes its own; tests move theirs).
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
        distance_fn: DistanceFn | None = None,
        airspace: Airspace | Callable[[], Airspace | None] | None = None,
        camera_range_m: float = CAMERA_RANGE_M,
        preflight_overrides: tuple[str, ...] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.fleet = fleet
        self._clock = clock
        self.book = book
        self.bus = bus
        self.model = model or ResponseModel(response_alt_m=orbit_alt_m)
        self.orbit_radius_m = orbit_radius_m
        self.orbit_alt_m = orbit_alt_m
        self.hold_s = hold_s
        self._distance_fn = distance_fn
        self._airspace = airspace
        self.camera_range_m = camera_range_m
        self.preflight_overrides = preflight_overrides
        self._paused_at: dict[int, tuple[float, float, float]] = {}
        self.energy: Any = None
        """The :class:`dronepatrol.energy.EnergyWatch` when served: each drone's own endurance."""
        self._lock = threading.Lock()
        self._busy: dict[str, int] = {}
        self._lockdown_lock = threading.Lock()  # one activation or release at a time
        self._lockdown: Lockdown | None = None
        self._sent_home: set[int] = set()  # incidents whose drone the energy watch took home
        self._energy_worker: BusWorker | None = None

    def follow_energy(self) -> Dispatcher:
        """Follow the energy watch's decisions on a thread: see :meth:`observe_energy`."""
        if self._energy_worker is None:
            self._energy_worker = BusWorker(
                self.bus,
                "dispatch-energy",
                self.observe_energy,
                accept=lambda e: e.kind is EventKind.ENERGY and e.data.get("stage") == "return_now",
            )
            self._energy_worker.start()
        return self

    def stop(self) -> None:
        if self._energy_worker is not None:
            self._energy_worker.stop(5.0)
            self._energy_worker = None

    def observe_energy(self, event: Event) -> None:
        """The energy watch is sending ``event``'s drone home on its charge: the incident it
        answers (or the point it holds) fails with that reason, the drone is free, and
        the dispatch sends it nothing more (its patrol is not resumed)."""
        if event.kind is not EventKind.ENERGY or event.data.get("stage") != "return_now":
            return
        vehicle_id = event.vehicle_id
        with self._lock:
            incident_id = self._busy.pop(vehicle_id, None) if vehicle_id else None
            if incident_id is None:
                return
            self._sent_home.add(incident_id)
        self._paused_at.pop(incident_id, None)
        reason = f"{vehicle_id} sent home on its charge: " + str(event.data.get("text") or "")
        self.book.mark(incident_id, status="failed", failure=reason)
        self._event(incident_id, vehicle_id, "sent_home", reason=reason)

    def _taken_home(self, incident_id: int) -> bool:
        with self._lock:
            return incident_id in self._sent_home

    def airspace(self) -> Airspace:
        """The no-fly zones in force (none when no network is loaded)."""
        found = self._airspace
        if found is not None and not isinstance(found, Airspace):
            found = found()
        return found if found is not None else _OPEN_SKY

    @property
    def distance_fn(self) -> DistanceFn:
        """Flyable path length for ETAs: the routed length round the no-fly zones."""
        return self._distance_fn or self.airspace().path_length_m

    def vantage(self, lat_deg: float, lon_deg: float) -> Vantage:
        """Where a drone answering (lat, lon) goes; NoVantageError when nowhere is safe."""
        try:
            return self.airspace().vantage(lat_deg, lon_deg, self.camera_range_m)
        except NoSafeVantage as exc:
            raise NoVantageError(str(exc)) from None

    def is_busy(self, vehicle_id: str) -> bool:
        """True while the vehicle is sent to (or holds over) an incident."""
        with self._lock:
            return vehicle_id in self._busy

    def responders(self) -> list[Responder]:
        with self._lock:
            busy = set(self._busy)
        responders = []
        for snap in self.fleet.snapshots():
            endurance = self._endurance_s(snap.vehicle_id)
            responder = responder_of(snap, snap.vehicle_id in busy, endurance)
            if self.energy is not None and endurance is None and responder.state in DISPATCHABLE:
                # the energy watch runs but cannot tell this drone's pack: not flown on hope
                responder = replace(
                    responder,
                    state=ResponderState.UNAVAILABLE,
                    why_not=(
                        "its pack is unknown (BATT_CAPACITY 0 or unread): cannot tell whether "
                        "it can go, hold and come back"
                    ),
                )
            responders.append(responder)
        return responders

    def _endurance_s(self, vehicle_id: str) -> float | None:
        """The drone's cruise endurance from its own pack and consumption [s], when known."""
        if self.energy is None:
            return None
        return self.energy.cruise_endurance_s(vehicle_id)

    def propose(self, incident: IncidentView) -> DispatchProposal:
        """Every drone's ETA to ``incident`` (to its vantage point), the earliest feasible first.

        Raises NoVantageError when the place cannot be watched safely.
        """
        vantage = self.vantage(incident.lat_deg, incident.lon_deg)
        return propose_dispatch(
            self.responders(),
            vantage.lat_deg,
            vantage.lon_deg,
            self.hold_s,
            self.model,
            self.distance_fn,
        )

    def dispatch(self, incident_id: int, actor: str, vehicle_id: str | None = None) -> str:
        """Send ``vehicle_id`` (default: the proposal's choice); returns the vehicle sent."""
        incident = self.book.get(incident_id)
        if not incident.dispatchable:
            if incident.kind == "hold":
                raise DispatchError(
                    f"incident {incident_id} is a lockdown hold, {incident.status}: its "
                    "lockdown sends the drones; activate a lockdown again to hold the point"
                )
            raise DispatchError(f"incident {incident_id} is {incident.status}: release it first")
        vantage = self.vantage(incident.lat_deg, incident.lon_deg)
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
            vantage.lat_deg,
            vantage.lon_deg,
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
        now = self._clock()
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
        self._event(
            incident_id,
            vehicle_id,
            "dispatched",
            actor=actor,
            eta_s=option.eta_s,
            watch=vantage.as_dict(),
        )
        threading.Thread(
            target=self._fly,
            args=(incident, vehicle_id, actor, vantage),
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
            started_s = self._clock()
            reachable, refused = self._vantage_points(points)
            plan = plan_lockdown(
                self.responders(), reachable, self.hold_s, self.model, self.distance_fn
            )
            if refused:
                plan = replace(plan, uncovered={**plan.uncovered, **refused})
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

    def _vantage_points(
        self, points: list[OverwatchPoint]
    ) -> tuple[list[OverwatchPoint], dict[str, str]]:
        """Each point as the place its drone flies to, and those no drone may watch (why)."""
        reachable, refused = [], {}
        for point in points:
            try:
                vantage = self.vantage(point.lat_deg, point.lon_deg)
            except NoVantageError as exc:
                refused[point.point_id] = str(exc)
                continue
            reachable.append(replace(point, lat_deg=vantage.lat_deg, lon_deg=vantage.lon_deg))
        return reachable, refused

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
        self.book.mark(incident_id, status="released", released_s=self._clock())
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

    def _fly(self, incident: IncidentView, vehicle_id: str, actor: str, vantage: Vantage) -> None:
        vehicle = self.fleet.vehicle(vehicle_id)
        airspace = self.airspace()
        target = (incident.lat_deg, incident.lon_deg)
        orbit = not vantage.from_outside and airspace.circle_is_clear(*target, self.orbit_radius_m)
        scene = (*target, self.orbit_radius_m) if orbit else (*_point(vantage), 0.0)
        stop_watch = threading.Event()
        watcher = threading.Thread(
            target=self._watch, args=(incident, vehicle, scene, stop_watch), daemon=True
        )
        watcher.start()
        cancelled = lambda: self._taken_home(incident.id)  # noqa: E731
        try:
            snap = vehicle.snapshot
            if not snap.armed:
                prepare_flight(
                    vehicle,
                    airspace.fence(),
                    self.preflight_overrides,
                    min_battery_pct=self.model.reserve_frac * 100.0,
                )
                self._event(incident.id, vehicle_id, "preflight_passed")
                vehicle.action.takeoff(min(self.orbit_alt_m, 30.0), source=actor)
            elif cancelled():
                raise DispatchError("sent home on its charge before it could answer")
            elif snap.flight_mode is CopterMode.AUTO:
                here = snap.position
                paused = vehicle.action.pause(source=actor)
                self.book.mark(incident.id, paused_seq=paused)
                if here is not None:
                    self._paused_at[incident.id] = (here.lat_deg, here.lon_deg, here.alt_rel_m)
                self._event(incident.id, vehicle_id, "patrol_paused", item=paused)
            if cancelled():
                raise DispatchError("sent home on its charge before it could answer")
            here = vehicle.snapshot.position
            start = (here.lat_deg, here.lon_deg)
            if orbit:
                route = airspace.route_to_circle(start, target, self.orbit_radius_m)
            else:
                route = airspace.route(start, _point(vantage))
            if route is None:
                raise DispatchError("no flyable route round the no-fly zones from where it is")
            self._event(
                incident.id, vehicle_id, "route", route=[list(p) for p in route], orbit=orbit
            )
            if orbit:
                vehicle.action.orbit_via(
                    route,
                    *target,
                    self.orbit_alt_m,
                    self.orbit_radius_m,
                    source=actor,
                    transit_speed_mps=self.model.cruise_speed_mps,  # as the ETA assumed
                    cancelled=cancelled,
                )
            else:  # hold at the vantage point, camera on the place
                vehicle.action.fly_route(
                    route,
                    self.orbit_alt_m,
                    self.model.cruise_speed_mps,
                    source=actor,
                    look_at=target if vantage.from_outside else None,
                    cancelled=cancelled,
                )
            # it is there: let the watcher see it and mark the time on scene
            watcher.join(timeout=ON_SCENE_GRACE_S)
        except Exception as exc:  # the vehicle refused or the link failed: say so
            log.warning("dispatch of %s to incident %d failed: %s", vehicle_id, incident.id, exc)
            if cancelled():
                pass  # the energy watch brings it home: leave the vehicle to it
            elif self.book.get(incident.id).status != "released":
                self.book.mark(incident.id, status="failed", failure=str(exc))
                self._event(incident.id, vehicle_id, "failed", reason=str(exc))
                self._free(vehicle_id)
                self._make_safe(vehicle, incident, actor)
        finally:
            stop_watch.set()

    def _make_safe(self, vehicle: Any, incident: IncidentView, actor: str) -> None:
        """After a failed dispatch: disarm on the ground (never leave it armed there); a
        patrol paused for it flies back round the zones to where it paused and goes on."""
        try:
            snap = vehicle.snapshot
            if snap.armed and snap.on_ground:
                vehicle.action.disarm(source=actor)
            elif self.book.get(incident.id).paused_seq and snap.flying:
                self._return(incident, vehicle.vehicle_id, actor)
        except Exception as exc:
            log.error("could not disarm %s after a failed dispatch: %s", vehicle, exc)

    def _watch(
        self,
        incident: IncidentView,
        vehicle: Any,
        scene: tuple[float, float, float],
        stop: threading.Event,
    ) -> None:
        """Mark airborne and on-scene times from the vehicle's snapshots.

        ``scene`` is (lat, lon, radius [m]): the orbit's centre and radius, or
        the vantage point (radius 0) the place is watched from.
        """
        lat, lon, radius = scene
        deadline = time.monotonic() + 3600
        while not stop.is_set() and time.monotonic() < deadline:
            snap = vehicle.snapshot
            if snap.position is not None:
                if snap.position.alt_rel_m > 2.0 and self.book.mark_once(
                    incident.id, "airborne_s", self._clock()
                ):
                    self._event(incident.id, vehicle.vehicle_id, "airborne")
                away = distance_m(snap.position.lat_deg, snap.position.lon_deg, lat, lon)
                if away <= radius + ON_SCENE_MARGIN_M and snap.position.alt_rel_m > 2:
                    if self.book.mark_once(
                        incident.id,
                        "on_scene_s",
                        self._clock(),
                        status_from="dispatched",
                        status="on_scene",
                    ):
                        self._event(incident.id, vehicle.vehicle_id, "on_scene")
                    return
            stop.wait(0.2)

    def _return(self, incident: IncidentView, vehicle_id: str, actor: str) -> None:
        vehicle = self.fleet.vehicle(vehicle_id)
        paused = self.book.get(incident.id).paused_seq
        airspace = self.airspace()
        try:
            here = vehicle.snapshot.position
            start = (here.lat_deg, here.lon_deg) if here is not None else None
            if paused:
                left = self._paused_at.pop(incident.id, None)
                if left is not None and start is not None:  # back to the patrol's own track
                    route = airspace.route(start, left[:2])
                    if route is None:
                        raise DispatchError("no flyable route back to the patrol")
                    vehicle.action.fly_route(route, max(left[2], 15.0), source=actor)
                vehicle.action.resume(paused, source=actor)
                self._event(incident.id, vehicle_id, "patrol_resumed", item=paused)
            else:
                home = vehicle.snapshot.home
                route = (
                    airspace.route_home(start, (home.lat_deg, home.lon_deg))
                    if start is not None and home is not None
                    else None
                )
                self._event(
                    incident.id,
                    vehicle_id,
                    "returning",
                    route=[list(p) for p in route] if route else None,
                )
                vehicle.action.return_home(route or (), source=actor)
        except Exception as exc:
            self._event(incident.id, vehicle_id, "release_failed", reason=str(exc))
        finally:
            self._free(vehicle_id)

    def _free(self, vehicle_id: str) -> None:
        with self._lock:
            self._busy.pop(vehicle_id, None)


_OPEN_SKY = Airspace(())
"""No no-fly zones: straight lines everywhere."""


def _point(vantage: Vantage) -> tuple[float, float]:
    return (vantage.lat_deg, vantage.lon_deg)
