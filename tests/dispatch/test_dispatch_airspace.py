"""Dispatch and lockdown with no-fly zones, before anything flies: ETAs, vantage, refusals."""

from __future__ import annotations

import pytest
from shapely.geometry import Polygon

from dronepatrol.database import upgrade
from dronepatrol.dispatch import Dispatcher, DispatchError, NoVantageError
from dronepatrol.events import EventBus
from dronepatrol.geo import distance_m, offset
from dronepatrol.incidents import IncidentBook
from dronepatrol.lockdown.plan import OverwatchPoint
from dronepatrol.network.model import NoFlyZone
from dronepatrol.planning.airspace import Airspace
from dronepatrol.state import Battery, LinkState, Position, VehicleSnapshot

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
