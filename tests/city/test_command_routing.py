"""The station routes the centre's orders round its no-fly zones as its own web app does.

The desk is driven directly (its broker side is tests/city/test_commands.py's):
a fleet that records what it is given stands for the vehicles, so what the
station would fly is read exactly, and the airspace is a substation 300 m
north of home.
"""

from __future__ import annotations

import time
from concurrent.futures import Future
from typing import Any

import pytest
from shapely.geometry import Polygon

from dronepatrol.city.commands import CommandDesk
from dronepatrol.city.contract import CommandReply, CommandRequest, Kind, Message, decode, topic_of
from dronepatrol.geo import offset
from dronepatrol.network.model import NoFlyZone
from dronepatrol.planning.airspace import Airspace
from dronepatrol.state import LinkState, Position, VehicleSnapshot

HOME = (-35.363261, 149.165230)


def square(north_m: float, east_m: float, half_m: float) -> Polygon:
    corners = [(-half_m, -half_m), (-half_m, half_m), (half_m, half_m), (half_m, -half_m)]
    pts = [offset(*HOME, north_m + dn, east_m + de) for dn, de in corners]
    return Polygon([(lon, lat) for lat, lon in pts])


AIRSPACE = Airspace([NoFlyZone("SUB", square(300, 0, 60), "Substation")], margin_m=25)


def at(north_m: float, east_m: float, alt_m: float) -> Position:
    lat, lon = offset(*HOME, north_m, east_m)
    return Position(float(lat), float(lon), 584.0 + alt_m, alt_m)


class RecordingFleet:
    """One airborne drone, 600 m north of home (beyond the substation); records submits."""

    def __init__(self, blocked: str | None = None) -> None:
        self.blocked = blocked
        self.submitted: list[tuple[str, tuple[Any, ...], str]] = []
        self.snapshot = VehicleSnapshot(
            "north-1", link=LinkState.UP, armed=True, position=at(600, 0, 30), home=at(0, 0, 0)
        )

    def snapshots(self) -> list[VehicleSnapshot]:
        return [self.snapshot]

    def why_not(self, vehicle_id: str, operation: str) -> str | None:
        if vehicle_id != "north-1":
            raise KeyError(vehicle_id)
        return self.blocked

    def submit(self, vehicle_id: str, operation: str, *args: Any, source: str = "") -> Any:
        self.submitted.append((operation, args, source))
        return type("Handle", (), {"command_id": f"op-{len(self.submitted)}", "future": Future()})


class Station:
    """A command desk as the station link builds it, its replies as the centre decodes them."""

    def __init__(self, fleet: RecordingFleet, camera_range_m: float = 300.0) -> None:
        self.fleet = fleet
        self.replies: list[CommandReply] = []
        self.audit: list[tuple[str, str, bool, dict[str, Any]]] = []
        self.desk = CommandDesk(
            "north",
            fleet,
            lambda user, action, ok, **detail: self.audit.append((user, action, ok, detail)),
            self._publish,
            airspace=lambda: AIRSPACE,
            camera_range_m=lambda: camera_range_m,
        )

    def _publish(self, kind: Kind, message: Message) -> bool:
        _parts, decoded = decode(topic_of(kind, "north"), message.encode())  # over the wire
        self.replies.append(decoded)  # type: ignore[arg-type]
        return True

    def order(self, operation: str, *arguments: Any, vehicle: str = "north-1") -> CommandReply:
        request = CommandRequest(
            station="north",
            request_id=f"req-{len(self.replies):04d}-{operation}",
            vehicle=vehicle,
            operation=operation,
            arguments=list(arguments),
            actor="alice",
            role="operator",
            deadline_s=time.time() + 10,
        )
        wire = CommandRequest.model_validate_json(request.encode())
        self.desk.receive(wire)
        self.desk.work()
        return self.replies[-1]


def test_a_centre_rtl_flies_the_routed_way_home_not_the_autopilots_straight_line() -> None:
    """The straight line home crosses the substation: the station flies round it."""
    station = Station(RecordingFleet())
    reply = station.order("rtl")
    assert reply.status == "accepted", reply.reason
    ((operation, (route,), source),) = station.fleet.submitted
    assert operation == "return_home" and source == "centre:alice"
    here, home = station.fleet.snapshot.position, station.fleet.snapshot.home
    assert AIRSPACE.crosses([(here.lat_deg, here.lon_deg), (home.lat_deg, home.lon_deg)])
    assert len(route) > 2 and AIRSPACE.crosses(route) == []
    assert reply.route == [tuple(p) for p in route] and reply.watch is None


def test_a_centre_goto_into_a_zone_watches_the_place_from_outside() -> None:
    station = Station(RecordingFleet())
    place = offset(*HOME, 330, 10)  # 30 m inside the substation's north edge
    reply = station.order("goto", *place, 25)
    assert reply.status == "accepted", reply.reason
    ((operation, (route, alt, speed, look_at), _),) = station.fleet.submitted
    assert (operation, alt, speed, look_at) == ("fly_route", 25.0, -1.0, tuple(place))
    watch = reply.watch
    assert watch is not None and watch.from_outside and watch.zone_name == "Substation"
    assert (
        watch.message
        == f"watching from {watch.distance_m:.0f} m outside the no-fly zone 'Substation'"
    )
    assert route[-1] == (watch.lat, watch.lon) and AIRSPACE.crosses(route) == []
    (entry,) = station.audit
    assert entry[:3] == ("centre:alice", "command goto", True)
    assert entry[3]["watch"]["zone"] == "SUB" and entry[3]["arguments"] == [*place, 25]


def test_a_centre_goto_with_no_safe_vantage_in_camera_range_is_refused_with_the_reason() -> None:
    station = Station(RecordingFleet(), camera_range_m=50.0)
    reply = station.order("goto", *offset(*HOME, 300, 0), 25)
    assert reply.status == "refused"
    assert "inside the no-fly zone 'Substation'" in reply.reason and "50 m range" in reply.reason
    assert station.fleet.submitted == []


def test_a_centre_orbit_into_a_zone_is_refused_and_a_clear_one_is_routed() -> None:
    station = Station(RecordingFleet())
    refused = station.order("orbit", *offset(*HOME, 300, 0), 25, 50)
    assert refused.status == "refused" and "'Substation'" in refused.reason
    assert station.fleet.submitted == []
    beyond = offset(*HOME, 700, 200)
    accepted = station.order("orbit", *beyond, 25, 40)
    assert accepted.status == "accepted", accepted.reason
    ((operation, arguments, _),) = station.fleet.submitted
    assert operation == "orbit_via" and list(arguments[1:]) == [*beyond, 25.0, 40.0]
    assert accepted.route == [tuple(p) for p in arguments[0]]


@pytest.mark.parametrize(
    ("operation", "arguments", "reason"),
    [
        ("goto", [-35.36, 149.16], "goto: takes [lat, lon, alt_m], got 2"),
        ("goto", [-35.36, 149.16, 500], "alt_m must be 2..120 [m above home], got 500"),
        ("goto", [-135.0, 149.16, 30], "lat must be -90..90"),
        ("goto", [-35.36, 149.16, "high"], "alt_m must be a number"),
        ("orbit", [-35.36, 149.16, 30, 1000], "radius_m must be 5..500"),
        ("land", [3], "land: takes no arguments"),
        ("arm", [], "not taken from the centre"),
    ],
)
def test_bad_orders_from_the_bus_are_refused_with_the_reason(
    operation: str, arguments: list[Any], reason: str
) -> None:
    station = Station(RecordingFleet())
    reply = station.order(operation, *arguments)
    assert reply.status == "refused" and reason in reply.reason
    assert station.fleet.submitted == []
    assert [(a[2], a[3]["reason"]) for a in station.audit] == [(False, reply.reason)]


def test_the_vehicles_own_refusal_and_an_unknown_vehicle_come_before_any_routing() -> None:
    station = Station(RecordingFleet(blocked="the vehicle is on the ground: take off first"))
    assert "take off first" in station.order("goto", *HOME, 25).reason
    station = Station(RecordingFleet())
    assert "no vehicle 'south-9'" in station.order("rtl", vehicle="south-9").reason
    assert station.fleet.submitted == []


def test_a_station_without_zones_flies_straight() -> None:
    fleet = RecordingFleet()
    desk_replies: list[Message] = []
    desk = CommandDesk("north", fleet, None, lambda kind, m: desk_replies.append(m) or True)
    east = offset(*HOME, 600, 300)
    desk.receive(
        CommandRequest(
            station="north",
            request_id="req-straight",
            vehicle="north-1",
            operation="goto",
            arguments=[*east, 30],
            actor="alice",
            role="operator",
            deadline_s=time.time() + 10,
        )
    )
    desk.work()
    (reply,) = desk_replies
    assert reply.status == "accepted" and len(reply.route) == 2
