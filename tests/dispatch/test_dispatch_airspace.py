"""Dispatch and lockdown with no-fly zones, before anything flies: ETAs, vantage, refusals."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest
from shapely.geometry import Polygon
from support import wait_until

from dronepatrol.database import upgrade
from dronepatrol.dispatch import Dispatcher, DispatchError, NoVantageError
from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.geo import distance_m, offset
from dronepatrol.incidents import IncidentBook
from dronepatrol.lockdown.plan import OverwatchPoint
from dronepatrol.network.model import NoFlyZone
from dronepatrol.planning.airspace import Airspace
from dronepatrol.state import (
    Battery,
    LandedState,
    LinkState,
    MissionProgress,
    Position,
    VehicleSnapshot,
)

HOME = (-35.363261, 149.165230)


class StandingFleet:
    """A fleet whose drones stand ready at HOME (snapshots only: nothing here flies)."""

    def __init__(self, count: int) -> None:
        place = Position(*HOME, 584.0, 0.0)
        self._snaps = [
            VehicleSnapshot(
                str(k),
                link=LinkState.UP,
                mode="STABILIZE",
                position=place,
                home=place,
                ekf_ok=True,
                prearm_ok=True,
                battery=Battery(remaining_pct=100.0),
            )
            for k in range(count)
        ]

    def snapshots(self) -> list[VehicleSnapshot]:
        return self._snaps


def _square(north_m: float, half_m: float) -> Polygon:
    corners = [(-1, -1), (-1, 1), (1, 1), (1, -1)]
    pts = [offset(*HOME, north_m + dn * half_m, de * half_m) for dn, de in corners]
    return Polygon([(lon, lat) for lat, lon in pts])


@pytest.fixture
def dispatcher(tmp_path):
    engine = upgrade(f"sqlite:///{tmp_path / 'dp.db'}")
    airspace = Airspace([NoFlyZone("SUB", _square(300, 60), "Substation")], margin_m=25)
    yield Dispatcher(StandingFleet(0), IncidentBook(engine), EventBus(), airspace=airspace)
    engine.dispose()


def test_eta_flies_round_the_zone(tmp_path) -> None:
    engine = upgrade(f"sqlite:///{tmp_path / 'dp.db'}")
    book = IncidentBook(engine)
    beyond = offset(*HOME, 600, 0)
    incident = book.create(*beyond, "key", "", "cmdr")
    zone = NoFlyZone("SUB", _square(300, 60))
    straight = Dispatcher(StandingFleet(1), book, EventBus(), airspace=Airspace([]))
    routed = Dispatcher(StandingFleet(1), book, EventBus(), airspace=Airspace([zone], 25))
    eta_straight = straight.propose(incident).chosen.eta_s
    eta_routed = routed.propose(incident).chosen.eta_s
    extra_m = routed.distance_fn(*HOME, *beyond) - distance_m(*HOME, *beyond)
    assert extra_m > 20
    assert eta_routed == pytest.approx(eta_straight + extra_m / routed.model.cruise_speed_mps)
    engine.dispose()


def test_place_in_a_zone_is_answered_from_outside_or_refused(dispatcher) -> None:
    inside = offset(*HOME, 300, 0)
    vantage = dispatcher.vantage(*inside)
    assert vantage.from_outside and "Substation" in vantage.describe()
    dispatcher.camera_range_m = 50.0
    with pytest.raises(NoVantageError, match="beyond the camera's 50 m range"):
        dispatcher.vantage(*inside)
    incident = dispatcher.book.create(*inside, "key", "", "cmdr")
    with pytest.raises(NoVantageError):
        dispatcher.dispatch(incident.id, "cmdr")
    assert dispatcher.book.get(incident.id).status == "open"


def test_lockdown_point_in_a_zone_without_vantage_is_left_uncovered_with_why(dispatcher) -> None:
    dispatcher.camera_range_m = 50.0
    gates = [
        OverwatchPoint("IN", *offset(*HOME, 300, 0)),
        OverwatchPoint("OUT", *offset(*HOME, 0, 500)),
    ]
    plan, incidents = dispatcher.lockdown("gates", gates, "cmdr")
    assert incidents == {} and plan.assignments == ()
    assert "no-fly zone 'Substation'" in plan.uncovered["IN"]
    assert "camera" in plan.uncovered["IN"]
    assert "OUT" in plan.uncovered  # no drone at all, for its own reason


def test_a_lockdown_hold_that_is_over_is_not_dispatched_again(tmp_path) -> None:
    """Its lockdown sends a hold's drone; once released or failed, the point is held again
    by activating a lockdown, not by dispatching its old hold (no proposal is made)."""
    engine = upgrade(f"sqlite:///{tmp_path / 'dp.db'}")
    book = IncidentBook(engine)
    dispatcher = Dispatcher(StandingFleet(1), book, EventBus(), airspace=Airspace([]))
    place = offset(*HOME, 400, 0)
    for status in ("released", "failed"):
        hold = book.create(*place, "key", "lockdown gates: GATE-N", "cmdr", kind="hold")
        book.mark(hold.id, status=status)
        assert not book.get(hold.id).dispatchable
        with pytest.raises(DispatchError, match="lockdown hold"):
            dispatcher.dispatch(hold.id, "cmdr")
        assert book.get(hold.id).status == status  # nothing changed
        incident = book.create(*place, "key", "", "cmdr")
        book.mark(incident.id, status=status)
        assert book.get(incident.id).dispatchable  # an incident is answered again
    for status, answerable in (("open", True), ("dispatched", False), ("on_scene", False)):
        hold = book.create(*place, "key", "", "cmdr", kind="hold")
        book.mark(hold.id, status=status)
        assert book.get(hold.id).dispatchable is answerable
    engine.dispose()


def test_a_lockdown_is_stamped_with_the_dispatchers_clock(tmp_path) -> None:
    """The control room's clock, not the machine's, says when a lockdown started."""
    engine = upgrade(f"sqlite:///{tmp_path / 'dp.db'}")
    started_s = 1_750_000_000.0
    dispatcher = Dispatcher(
        StandingFleet(0), IncidentBook(engine), EventBus(), clock=lambda: started_s
    )
    dispatcher.lockdown("gates", [OverwatchPoint("OUT", *offset(*HOME, 0, 500))], "cmdr")
    assert dispatcher.lockdown_status().as_dict()["started_s"] == started_s
    engine.dispose()


class DivertedDrone:
    """A patrolling drone whose moves are recorded; its route legs wait for the test."""

    def __init__(self) -> None:
        aloft = Position(*offset(*HOME, -200, 0), 644.0, 60.0)
        self.vehicle_id = "0"
        self.snapshot = VehicleSnapshot(
            "0",
            link=LinkState.UP,
            armed=True,
            mode="AUTO",
            position=aloft,
            home=Position(*HOME, 584.0, 0.0),
            landed_state=LandedState.IN_AIR,
            mission=MissionProgress(current_seq=3, total=8),
            battery=Battery(remaining_pct=90.0),
        )
        self.calls: list[str] = []
        self.on_route = threading.Event()
        self.leg_done = threading.Event()
        self.action = SimpleNamespace(
            pause=self._pause,
            fly_route=self._fly_route,
            orbit_via=self._orbit_via,
            resume=self._resume,
        )

    def _pause(self, source: str = "") -> int:
        self.calls.append("pause")
        return 3

    def _fly_route(self, route, alt_rel_m, speed_mps=-1.0, source="", look_at=None, cancelled=None):
        self.calls.append("fly_route")
        for _ in route[1:]:
            self.on_route.set()
            assert self.leg_done.wait(10)
            if cancelled is not None and cancelled():
                raise RuntimeError("route abandoned: the vehicle was taken over")
            self.calls.append("leg")

    def _orbit_via(self, route, lat, lon, alt, radius, source="", cancelled=None, **_):
        self._fly_route(route, alt, cancelled=cancelled)
        self.calls.append("orbit")

    def _resume(self, seq=None, source=""):
        self.calls.append("resume")


class OneDrone:
    def __init__(self, drone: DivertedDrone) -> None:
        self.drone = drone

    def vehicle(self, vehicle_id: str) -> DivertedDrone:
        return self.drone

    def snapshots(self) -> list[VehicleSnapshot]:
        return [self.drone.snapshot]


def test_a_drone_the_energy_watch_sends_home_leaves_its_incident(tmp_path) -> None:
    """Diverted from its patrol round a zone, the drone reaches its return mark: the energy
    watch takes it home. Dispatch marks the incident failed with that reason, sends no
    further leg, and does not resume the patrol (which would fly it away from home)."""
    engine = upgrade(f"sqlite:///{tmp_path / 'dp.db'}")
    book = IncidentBook(engine)
    drone = DivertedDrone()
    bus = EventBus()
    airspace = Airspace([NoFlyZone("SUB", _square(300, 60), "Substation")], margin_m=25)
    dispatcher = Dispatcher(OneDrone(drone), book, bus, airspace=airspace).follow_energy()
    stages = bus.subscribe(accept=lambda e: e.kind is EventKind.DISPATCH)
    try:
        incident = book.create(*offset(*HOME, 600, 0), "key", "", "cmdr")
        assert dispatcher.dispatch(incident.id, "cmdr") == "0"
        assert drone.on_route.wait(10)  # paused, on its way round the zone
        bus.publish(
            Event(
                EventKind.ENERGY,
                "0",
                {"stage": "return_now", "text": "0: return now: 900 mAh left"},
            )
        )
        wait_until(
            lambda: book.get(incident.id).status,
            10,
            "the incident failed",
            accept=lambda status: status == "failed",
        )
        drone.leg_done.set()
        name = f"dispatch-{incident.id}"
        wait_until(
            lambda: not any(t.name == name and t.is_alive() for t in threading.enumerate()),
            10,
            "the dispatch thread's end",
        )
        assert not dispatcher.is_busy("0")
        assert book.get(incident.id).failure == (
            "0 sent home on its charge: 0: return now: 900 mAh left"
        )
        assert drone.calls == ["pause", "fly_route"]  # no further leg, no resumed patrol
        seen = [e.data["stage"] for e in stages.drain()]
        assert "sent_home" in seen and "failed" not in seen
    finally:
        dispatcher.stop()
        stages.close()
        engine.dispose()


def test_with_the_energy_watch_a_drone_of_unknown_pack_is_not_sent_on_hope(tmp_path) -> None:
    """The energy watch runs but cannot tell a drone's pack (BATT_CAPACITY 0): dispatch does
    not fall back to the model's endurance; it says why the drone cannot answer."""
    engine = upgrade(f"sqlite:///{tmp_path / 'dp.db'}")
    book = IncidentBook(engine)
    dispatcher = Dispatcher(StandingFleet(2), book, EventBus(), airspace=Airspace([]))
    dispatcher.energy = SimpleNamespace(
        cruise_endurance_s=lambda vid: 1500.0 if vid == "1" else None
    )
    incident = book.create(*offset(*HOME, 400, 0), "key", "", "cmdr")
    proposal = dispatcher.propose(incident)
    assert proposal.chosen is not None and proposal.chosen.vehicle_id == "1"
    unknown = next(o for o in proposal.options if o.vehicle_id == "0")
    assert not unknown.feasible
    assert unknown.reason.startswith("its pack is unknown (BATT_CAPACITY 0 or unread)")
    with pytest.raises(DispatchError, match="0 cannot answer: its pack is unknown"):
        dispatcher.dispatch(incident.id, "cmdr", "0")
    engine.dispose()
