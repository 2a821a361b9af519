"""Fixtures of the video tests: a small patrol network's scene."""

from __future__ import annotations

import pytest
from shapely.geometry import LineString, Point, Polygon
from video_support import LAT0, LON0, lonlat

from dronepatrol.video.scene import Scene


@pytest.fixture(scope="session")
def two_road_scene() -> Scene:
    """Two parallel east-west roads 120 m apart inside one grid, with a plaza point."""
    lines = [
        LineString([lonlat(-60, -300), lonlat(-60, 300)]),
        LineString([lonlat(60, -300), lonlat(60, 300)]),
    ]
    grid = Polygon([lonlat(-350, -350), lonlat(-350, 350), lonlat(350, 350), lonlat(350, -350)])
    return Scene(
        lines,
        [grid],
        [Point(lonlat(0, 100))],
        origin=(LAT0, LON0),
        seed=3,
        people_per_km=30,
        vehicles_per_km=6,
    )
