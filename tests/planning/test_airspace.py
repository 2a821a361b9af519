"""Errand routes and vantage points around no-fly zones (pure)."""

from __future__ import annotations

import math

import pytest
from shapely.geometry import Polygon

from dronepatrol.geo import distance_m, offset
from dronepatrol.network.model import NoFlyZone
from dronepatrol.planning.airspace import Airspace, NoSafeVantage, route_length_m

HOME = (-35.363261, 149.165230)


def square(north_m: float, east_m: float, half_m: float) -> Polygon:
    """A square no-fly polygon (lon/lat) centred ``north_m``/``east_m`` from HOME."""
    corners = [(-half_m, -half_m), (-half_m, half_m), (half_m, half_m), (half_m, -half_m)]
    pts = [offset(*HOME, north_m + dn, east_m + de) for dn, de in corners]
    return Polygon([(lon, lat) for lat, lon in pts])


@pytest.fixture
def airspace() -> Airspace:
    return Airspace([NoFlyZone("SUB", square(300, 0, 60), "Substation")], margin_m=25)


def test_route_bends_round_a_zone_and_its_length_is_the_eta_distance(airspace) -> None:
    far = offset(*HOME, 600, 0)
    assert airspace.crosses([HOME, far]) == ["SUB"]  # the straight line would cross
    route = airspace.route(HOME, far)
    assert route[0] == HOME and route[-1] == far and len(route) > 2
    assert airspace.crosses(route) == []
    length = airspace.path_length_m(*HOME, *far)
    assert length == pytest.approx(route_length_m(route))
    # longer than straight, shorter than going the long way round the margin
    assert distance_m(*HOME, *far) + 10 < length < distance_m(*HOME, *far) + 150


def test_route_is_straight_when_nothing_is_in_the_way(airspace) -> None:
    east = offset(*HOME, 0, 500)
    assert airspace.route(HOME, east) == [HOME, east]
    assert Airspace([]).route(HOME, east) == [HOME, east]


def test_no_route_into_a_zone(airspace) -> None:
    inside = offset(*HOME, 300, 0)
    assert airspace.route(HOME, inside) is None
    assert math.isinf(airspace.path_length_m(*HOME, *inside))


def test_place_in_a_zone_is_watched_from_the_nearest_safe_point(airspace) -> None:
    inside = offset(*HOME, 330, 10)  # 30 m from the zone's north edge
    vantage = airspace.vantage(*inside, camera_range_m=300)
    assert vantage.from_outside and vantage.zone_id == "SUB"
    # north edge is 30 m away, plus the 25 m margin and the small offset
    assert 55 <= vantage.distance_m <= 60
    assert airspace.zone_at(vantage.lat_deg, vantage.lon_deg) is None
    assert airspace.route(HOME, (vantage.lat_deg, vantage.lon_deg)) is not None
    assert vantage.describe() == (
        f"watching from {vantage.distance_m:.0f} m outside the no-fly zone 'Substation'"
    )


def test_place_in_a_zone_beyond_camera_range_is_refused_with_the_reason(airspace) -> None:
    with pytest.raises(NoSafeVantage, match=r"Substation.*beyond the camera's 40 m range"):
        airspace.vantage(*offset(*HOME, 300, 0), camera_range_m=40)


def test_place_in_the_margin_only_is_watched_from_outside_the_margin(airspace) -> None:
    near = offset(*HOME, 370, 0)  # 10 m north of the zone: inside its 25 m margin
    vantage = airspace.vantage(*near, camera_range_m=300)
    assert vantage.from_outside and vantage.distance_m < 20


def test_place_clear_of_zones_is_flown_to(airspace) -> None:
    clear = offset(*HOME, 0, 400)
    vantage = airspace.vantage(*clear, camera_range_m=10)
    assert not vantage.from_outside and (vantage.lat_deg, vantage.lon_deg) == clear
    assert airspace.circle_is_clear(*clear, 50)
    assert not airspace.circle_is_clear(*offset(*HOME, 420, 0), 50)


def test_route_home_from_inside_a_margin_leaves_it_first(airspace) -> None:
    near = offset(*HOME, 370, 0)
    route = airspace.route_home(near, HOME)
    assert route is not None and route[0] == near and route[-1] == HOME
    assert airspace.crosses(route) == []


def test_fence_carries_every_zone_as_an_exclusion_polygon(airspace) -> None:
    fence = airspace.fence()
    assert len(fence.fence_exclusions) == 1 and len(fence.fence_exclusions[0]) == 4
    assert not fence.fence_inclusions and fence.fence_items()
