"""Flight orders routed round the no-fly zones (pure): what the web and the city bus fly."""

from __future__ import annotations

import math

import pytest
from shapely.geometry import Polygon

from dronepatrol.geo import distance_m, offset
from dronepatrol.network.model import NoFlyZone
from dronepatrol.planning.airspace import Airspace
from dronepatrol.planning.orders import (
    CAMERA_RANGE_M,
    BadOrder,
    OrderRefused,
    Unflyable,
    parse_order,
    route_order,
)
from dronepatrol.state import Position, VehicleSnapshot

HOME = (-35.363261, 149.165230)


def square(north_m: float, east_m: float, half_m: float) -> Polygon:
    """A square no-fly polygon (lon/lat) centred ``north_m``/``east_m`` from HOME."""
    corners = [(-half_m, -half_m), (-half_m, half_m), (half_m, half_m), (half_m, -half_m)]
    pts = [offset(*HOME, north_m + dn, east_m + de) for dn, de in corners]
    return Polygon([(lon, lat) for lat, lon in pts])


@pytest.fixture
def airspace() -> Airspace:
    """A 120 m substation 300 m north of home, kept 25 m clear."""
    return Airspace([NoFlyZone("SUB", square(300, 0, 60), "Substation")], margin_m=25)


def at(north_m: float, east_m: float, alt_m: float = 30.0) -> Position:
    lat, lon = offset(*HOME, north_m, east_m)
    return Position(float(lat), float(lon), 584.0 + alt_m, alt_m)


def drone(north_m: float = 0.0, east_m: float = 0.0) -> VehicleSnapshot:
    """Airborne ``north_m``/``east_m`` of its home."""
    return VehicleSnapshot("north-1", position=at(north_m, east_m), home=at(0, 0, 0))


def test_goto_inside_a_zone_watches_it_from_the_nearest_safe_vantage(airspace) -> None:
    place = offset(*HOME, 330, 10)  # 30 m inside the zone's north edge
    order = route_order(airspace, drone(), "fly_route", [*place, 25.0], CAMERA_RANGE_M)
    route, alt, speed, look_at = order.arguments
    assert (alt, speed, look_at) == (25.0, -1.0, tuple(place))  # camera on the place (ROI)
    watch = order.watch
    assert watch is not None and watch.from_outside and watch.zone_id == "SUB"
    # 30 m to the edge + 25 m margin + the 2 m offset outside it
    assert 55 <= watch.distance_m <= 60
    assert route[-1] == (watch.lat_deg, watch.lon_deg) and airspace.crosses(route) == []
    told = order.told()
    assert (
        told["watch"]["message"].startswith("watching from 5")
        and "'Substation'" in (told["watch"]["message"])
    )
    assert told["route"] == [list(p) for p in route]


def test_goto_deep_in_a_zone_beyond_camera_range_is_unflyable(airspace) -> None:
    middle = offset(*HOME, 300, 0)  # 60 m + 25 m + 2 m from outside
    with pytest.raises(Unflyable, match=r"'Substation'.*beyond the camera's 50 m range"):
        route_order(airspace, drone(), "fly_route", [*middle, 25.0], camera_range_m=50)


def test_goto_to_a_clear_place_flies_straight_there_with_no_camera_target(airspace) -> None:
    east = offset(*HOME, 0, 400)
    order = route_order(airspace, drone(), "fly_route", [*east, 25.0], CAMERA_RANGE_M)
    here = drone().position
    assert order.arguments == [[(here.lat_deg, here.lon_deg), tuple(east)], 25.0, -1.0, None]
    assert order.watch is not None and not order.watch.from_outside


def test_orbit_into_a_zone_or_its_margin_is_unflyable(airspace) -> None:
    inside = offset(*HOME, 300, 0)
    with pytest.raises(Unflyable, match="'Substation'"):
        route_order(airspace, drone(), "orbit_via", [*inside, 25.0, 50.0], CAMERA_RANGE_M)
    # centred clear of the zone, but a 120 m circle reaches into its margin (210 m away)
    near = offset(*HOME, 150, 0)
    with pytest.raises(Unflyable, match="a no-fly zone"):
        route_order(airspace, drone(), "orbit_via", [*near, 25.0, 120.0], CAMERA_RANGE_M)


def test_orbit_beyond_a_zone_is_reached_round_it(airspace) -> None:
    beyond = offset(*HOME, 600, 0)
    order = route_order(airspace, drone(), "orbit_via", [*beyond, 25.0, 50.0], CAMERA_RANGE_M)
    route = order.arguments[0]
    assert order.arguments[1:] == [*beyond, 25.0, 50.0] and order.route == route
    assert len(route) > 2 and airspace.crosses(route) == []
    assert distance_m(*route[-1], *beyond) == pytest.approx(50.0, abs=0.5)  # on the circle
    assert order.watch is None


def test_rtl_across_a_zone_flies_the_routed_path_home(airspace) -> None:
    far = drone(600, 0)  # the straight line home crosses the substation
    here, home = far.position, far.home
    assert airspace.crosses([(here.lat_deg, here.lon_deg), (home.lat_deg, home.lon_deg)])
    order = route_order(airspace, far, "return_home", [], CAMERA_RANGE_M)
    (route,) = order.arguments
    assert len(route) > 2 and airspace.crosses(route) == [] and order.route == route
    assert route[-1] == (home.lat_deg, home.lon_deg)


def test_rtl_with_a_clear_line_is_straight_home(airspace) -> None:
    east = drone(0, 400)
    order = route_order(airspace, east, "return_home", [], CAMERA_RANGE_M)
    (route,) = order.arguments
    assert len(route) == 2 and route[-1] == (east.home.lat_deg, east.home.lon_deg)


def test_rtl_without_a_home_is_the_autopilots_own(airspace) -> None:
    unknown = VehicleSnapshot("north-1", position=at(600, 0))
    assert route_order(airspace, unknown, "return_home", [], CAMERA_RANGE_M).arguments == [[]]


def test_goto_without_a_position_is_refused(airspace) -> None:
    blind = VehicleSnapshot("north-1", home=at(0, 0, 0))
    with pytest.raises(OrderRefused, match="position is not known"):
        route_order(airspace, blind, "fly_route", [*HOME, 25.0], CAMERA_RANGE_M)


def test_takeoff_carries_the_zones_as_fence_and_other_orders_pass_unchanged(airspace) -> None:
    order = route_order(airspace, drone(), "safe_takeoff", [20.0], CAMERA_RANGE_M)
    alt, fence = order.arguments
    assert alt == 20.0 and fence == list(airspace.fence().fence_items()) and fence
    assert route_order(airspace, drone(), "land", [], CAMERA_RANGE_M).arguments == []
    assert route_order(airspace, drone(), "land", [], CAMERA_RANGE_M).told() == {}


@pytest.mark.parametrize(
    ("name", "arguments", "fault"),
    [
        ("goto", [-35.36, 149.16], "takes \\[lat, lon, alt_m\\], got 2"),
        ("goto", [-95.0, 149.16, 30], "lat must be -90..90"),
        ("goto", [-35.36, 181.0, 30], "lon must be -180..180"),
        ("goto", [-35.36, 149.16, 121], "alt_m must be 2..120"),
        ("goto", [-35.36, 149.16, 1.5], "alt_m must be 2..120"),
        ("goto", [-35.36, 149.16, math.nan], "alt_m must be 2..120"),
        ("goto", [-35.36, 149.16, "30"], "alt_m must be a number"),
        ("goto", [True, 149.16, 30], "lat must be a number"),
        ("orbit", [-35.36, 149.16, 30, 4], "radius_m must be 5..500"),
        ("orbit", [-35.36, 149.16, 30, 501], "radius_m must be 5..500"),
        ("rtl", [1], "takes no arguments"),
        ("arm", [], "no order named 'arm'"),
    ],
)
def test_bad_arguments_are_refused_naming_the_argument(name, arguments, fault) -> None:
    with pytest.raises(BadOrder, match=fault):
        parse_order(name, arguments)


def test_resume_carries_the_airspace_so_the_way_back_is_routed_when_flown(airspace) -> None:
    """The mission's next place is on the vehicle, read when the resume is flown: the order
    takes the zones along (with none, the resume passes unchanged)."""
    routed = route_order(airspace, drone(500, 0), "resume", [], CAMERA_RANGE_M)
    assert routed.operation == "resume" and routed.arguments == [None, airspace]
    assert route_order(Airspace(()), drone(), "resume", [], CAMERA_RANGE_M).arguments == []
