"""Commands from the centre to a station's simulated copter, through the real broker.

The person at the centre is named in the station's audit log and in the
vehicle's own command events; requests outside the centre's set, for a vehicle
that cannot take them, or past their deadline are refused, with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from shapely.geometry import Polygon
from sqlalchemy import Engine
from support import wait_until

from dronepatrol.accounts import AccountService
from dronepatrol.city import Centre, CommandError, StationLink
from dronepatrol.city.local_broker import LocalBroker
from dronepatrol.events import EventBus, EventKind
from dronepatrol.geo import offset
from dronepatrol.network.model import NoFlyZone
from dronepatrol.planning.airspace import Airspace
from dronepatrol.state import LinkState, Position, VehicleSnapshot

pytestmark = pytest.mark.postgres

CMAC = (-35.363261, 149.165230, 584.0, 0.0)


@pytest.fixture
def copter(station_engine: Engine) -> Iterator[tuple[Any, EventBus, str]]:
    """One simulated copter flown by the station's fleet: (fleet, bus, vehicle id)."""
    from dronepatrol.mavlink import Fleet, wait_ready
    from dronepatrol.sitl import SimFleet

    bus = EventBus()
    sim = SimFleet(1, CMAC, speedup=5, base_port=0, fast_start=True).start()
    fleet = Fleet(bus)
    try:
        fleet.add(sim.urls[0], sysid=1, name="north-1")
        (vehicle,) = fleet.wait_vehicles(1, timeout_s=30)
        wait_ready(vehicle, 120)
        yield fleet, bus, vehicle.vehicle_id
    finally:
        fleet.close()
        sim.stop()


@pytest.fixture
def centre(centre_engine: Engine, broker: LocalBroker) -> Iterator[Centre]:
    centre = Centre(centre_engine, broker.centre_settings()).start()
    assert centre.wait_connected(10)
    yield centre
    centre.stop()


def test_a_centre_command_is_flown_and_audited_at_the_station_under_the_persons_name(
    broker: LocalBroker,
    centre: Centre,
    station_engine: Engine,
    copter: tuple[Any, EventBus, str],
) -> None:
    fleet, bus, vehicle = copter
    accounts = AccountService(station_engine)
    link = StationLink(
        "north",
        bus,
        station_engine,
        broker.station_settings("north"),
        fleet=fleet,
        audit=accounts.audit,
    ).start()
    try:
        wait_until(
            lambda: centre.station("north") and not centre.station("north")["stale"],
            10,
            "the station in the centre's picture",
        )
        # on the ground, disarmed: the station's fleet says why not
        with pytest.raises(CommandError, match="armed") as refused:
            centre.command("north", vehicle, "rtl", actor="alice")
        assert refused.value.status == "refused"
        # a goto asking for 500 m is refused naming the argument and its range
        with pytest.raises(CommandError, match=r"alt_m must be 2\.\.120"):
            centre.command("north", vehicle, "goto", actor="alice", arguments=[-35.36, 149.16, 500])

        with bus.subscribe() as events:
            fleet.run(vehicle, "takeoff", 15.0, timeout_s=120)
            reply = centre.command("north", vehicle, "rtl", actor="alice")
            assert reply.status == "accepted" and reply.command_id
            wait_until(
                lambda: any(r.status == "completed" for r in centre.replies[reply.request_id]),
                60,
                "the station reporting RTL accepted by the copter",
            )
            results = [
                e
                for e in events.drain()
                if e.kind is EventKind.COMMAND_RESULT
                and e.data.get("command_id") == reply.command_id
            ]
        assert results and results[-1].data.get("source") == "centre:alice"
        audit = [e for e in accounts.recent_audit() if e.action == "command rtl"]
        assert [(e.username, e.ok) for e in reversed(audit)] == [
            ("centre:alice", False),
            ("centre:alice", True),
        ]
        assert audit[0].detail["request_id"] == reply.request_id
        assert audit[0].detail["via"] == "centre"
    finally:
        link.stop()


class FakeFleet:
    """A fleet that would take anything: what the station's own checks refuse never reaches it.

    Its one drone, ``north-1``, flies 600 m north of its home at CMAC.
    """

    def __init__(self) -> None:
        self.submitted: list[str] = []

    def snapshots(self) -> list[VehicleSnapshot]:
        home = Position(*CMAC[:2], CMAC[2], 0.0)
        here = Position(*offset(*CMAC[:2], 600, 0), CMAC[2] + 30, 30.0)
        return [VehicleSnapshot("north-1", link=LinkState.UP, armed=True, position=here, home=home)]

    def why_not(self, vehicle_id: str, operation: str) -> None:
        return None

    def submit(self, vehicle_id: str, operation: str, *args: Any, **kwargs: Any) -> Any:
        self.submitted.append(operation)


def station_with(
    broker: LocalBroker, station_engine: Engine, fleet: FakeFleet, **kwargs: Any
) -> tuple[StationLink, AccountService]:
    accounts = AccountService(station_engine)
    link = StationLink(
        "north",
        EventBus(),
        station_engine,
        broker.station_settings("north"),
        fleet=fleet,
        audit=accounts.audit,
        **kwargs,
    ).start()
    return link, accounts


def test_a_request_received_after_its_deadline_is_not_acted_on(
    broker: LocalBroker, centre: Centre, station_engine: Engine
) -> None:
    """A station whose clock runs 30 s ahead receives every 10 s request past its deadline."""
    fleet = FakeFleet()
    link, accounts = station_with(broker, station_engine, fleet, clock=lambda: time.time() + 30.0)
    try:
        wait_until(
            lambda: centre.station("north") and not centre.station("north")["stale"],
            10,
            "the station in the centre's picture",
        )
        with pytest.raises(CommandError, match="after its deadline") as expired:
            centre.command("north", "north-1", "land", actor="bob", deadline_s=10)
        assert expired.value.status == "expired"
        assert fleet.submitted == []
        (entry,) = [e for e in accounts.recent_audit() if e.action == "command land"]
        assert (entry.username, entry.ok) == ("centre:bob", False)
    finally:
        link.stop()


def test_the_station_flies_centre_commands_of_operators_only(
    broker: LocalBroker, centre: Centre, station_engine: Engine
) -> None:
    fleet = FakeFleet()
    link, accounts = station_with(broker, station_engine, fleet)
    try:
        wait_until(
            lambda: centre.station("north") and not centre.station("north")["stale"],
            10,
            "the station in the centre's picture",
        )
        with pytest.raises(CommandError, match="need the operator role"):
            centre.command("north", "north-1", "rtl", actor="carol", role="commander")
        assert fleet.submitted == []
        centre.command("north", "north-1", "rtl", actor="dave", role="operator")
        assert fleet.submitted == ["return_home"]  # the routed way home, not a bare RTL
        audit = [(e.username, e.ok, e.detail["role"]) for e in accounts.recent_audit()]
        assert audit == [("centre:dave", True, "operator"), ("centre:carol", False, "commander")]
    finally:
        link.stop()


def test_a_stale_station_is_not_sent_commands(centre: Centre) -> None:
    with pytest.raises(CommandError, match="unreachable") as unreachable:
        centre.command("south", "south-1", "rtl", actor="alice")
    assert unreachable.value.status == "unreachable"


def test_a_centre_goto_into_a_no_fly_zone_is_watched_from_outside_and_an_orbit_refused(
    broker: LocalBroker, centre: Centre, station_engine: Engine
) -> None:
    """Through the broker: the station's reply carries what it flies (route, watch)."""
    corners = [offset(*CMAC[:2], n, e) for n, e in ((240, -60), (240, 60), (360, 60), (360, -60))]
    zone = NoFlyZone("SUB", Polygon([(lon, lat) for lat, lon in corners]), "Substation")
    airspace = Airspace([zone], margin_m=25)
    fleet = FakeFleet()
    link, accounts = station_with(broker, station_engine, fleet, airspace=lambda: airspace)
    try:
        wait_until(
            lambda: centre.station("north") and not centre.station("north")["stale"],
            10,
            "the station in the centre's picture",
        )
        place = offset(*CMAC[:2], 330, 10)  # inside the zone, 30 m from its north edge
        reply = centre.command("north", "north-1", "goto", actor="erin", arguments=[*place, 25])
        assert reply.status == "accepted" and reply.watch is not None
        assert reply.watch.from_outside and "'Substation'" in reply.watch.message
        assert reply.route[-1] == (reply.watch.lat, reply.watch.lon)
        assert airspace.crosses(reply.route) == []
        with pytest.raises(CommandError, match=r"orbit of 50 m.*'Substation'") as refused:
            centre.command("north", "north-1", "orbit", actor="erin", arguments=[*place, 25, 50])
        assert refused.value.status == "refused"
        assert fleet.submitted == ["fly_route"]
        audit = [(e.action, e.ok) for e in accounts.recent_audit()]
        assert audit == [("command orbit", False), ("command goto", True)]
    finally:
        link.stop()
