"""Geodesy helpers against known distances."""

from __future__ import annotations

import math

import pytest
import shapely

from dronepatrol.geo import LocalFrame, bearing_deg, distance_m, ne_offset_m, offset

HOME = (-35.363261, 149.165230)  # ArduPilot SITL's default home (CMAC)


def test_offset_and_back() -> None:
    lat, lon = offset(*HOME, north_m=300.0, east_m=-400.0)
    assert distance_m(*HOME, lat, lon) == pytest.approx(500.0, rel=2e-3)
    north, east = ne_offset_m(*HOME, lat, lon)
    assert north == pytest.approx(300.0, abs=0.5)
    assert east == pytest.approx(-400.0, abs=0.5)


def test_one_degree_of_latitude() -> None:
    assert distance_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(111_319.5, rel=1e-4)


@pytest.mark.parametrize(
    ("north", "east", "expected"), [(1, 0, 0), (0, 1, 90), (-1, 0, 180), (0, -1, 270)]
)
def test_bearing(north: float, east: float, expected: float) -> None:
    lat, lon = offset(*HOME, north_m=north * 1000, east_m=east * 1000)
    assert bearing_deg(*HOME, lat, lon) == pytest.approx(expected, abs=0.05)


def test_local_frame_preserves_distances_across_a_city() -> None:
    frame = LocalFrame(*HOME)
    lat, lon = offset(*HOME, north_m=15_000, east_m=15_000)
    x, y = frame.to_xy(lon, lat)
    assert math.hypot(x, y) == pytest.approx(distance_m(*HOME, lat, lon), rel=3e-3)
    back_lon, back_lat = frame.to_lonlat(x, y)
    assert (back_lat, back_lon) == pytest.approx((lat, lon), abs=1e-9)


def test_local_frame_projects_polygons_with_their_area() -> None:
    frame = LocalFrame(*HOME)
    square_xy = shapely.box(-500, -500, 500, 500)
    square_ll = frame.geometry_to_lonlat(square_xy)
    assert frame.geometry_to_xy(square_ll).area == pytest.approx(1_000_000, rel=1e-6)
