"""The patrolled rules on synthetic tracks: what the camera saw, not what was planned."""

from __future__ import annotations

import doctest
import itertools
import math

import pytest
from shapely.geometry import LineString, Point, Polygon

from dronepatrol.freshness import patrolled
from dronepatrol.freshness.patrolled import (
    DEFAULT_DWELL_S,
    Camera,
    TrackCoverage,
    TrackSample,
    judge,
)
from dronepatrol.geo import offset
from dronepatrol.network import Kind, Network, NoFlyZone, Target
from dronepatrol.planning import DroneProfile

ORIGIN = (-35.363261, 149.165230)
CAMERA = Camera(hfov_deg=70.0, vfov_deg=50.0)
ALT = 60.0
SWATH = 2 * ALT * math.tan(math.radians(35))  # 84 m across track at 60 m


def _ll(north: float, east: float) -> tuple[float, float]:
    """(lon, lat) of a local offset, in GeoJSON order."""
    lat, lon = offset(*ORIGIN, north, east)
    return lon, lat


def _fly(waypoints: list[tuple[float, float]], speed: float = 10.0, t0: float = 1000.0, alt=ALT):
    """Samples at 2 Hz along straight legs between local (north, east) waypoints."""
    samples, t = [], t0
    for (n1, e1), (n2, e2) in itertools.pairwise(waypoints):
        length = math.hypot(n2 - n1, e2 - e1)
        heading = math.degrees(math.atan2(e2 - e1, n2 - n1)) % 360
        steps = max(1, int(length / speed * 2))
        for k in range(steps):
            f = k / steps
            lat, lon = offset(*ORIGIN, n1 + f * (n2 - n1), e1 + f * (e2 - e1))
            samples.append(TrackSample(t, lat, lon, alt, heading))
            t += 0.5
    lat, lon = offset(*ORIGIN, *waypoints[-1])
    samples.append(TrackSample(t, lat, lon, alt, samples[-1].heading_deg))
    return samples


def _hover(north: float, east: float, seconds: float, t0: float = 1000.0, alt=ALT):
    lat, lon = offset(*ORIGIN, north, east)
    return [TrackSample(t0 + k * 0.5, lat, lon, alt, 0.0) for k in range(int(seconds * 2) + 1)]


def _grid(width_e: float, height_n: float) -> Polygon:
    return Polygon([_ll(0, 0), _ll(0, width_e), _ll(height_n, width_e), _ll(height_n, 0)])


def _lawnmower(width_e: float, height_n: float, spacing: float) -> list[tuple[float, float]]:
    lanes, east, up = [], spacing / 2, True
    while east < width_e:
        lanes += [(0, east), (height_n, east)] if up else [(height_n, east), (0, east)]
        east += spacing
        up = not up
    return lanes


def test_grid_covered_by_lanes_within_the_swath_is_patrolled() -> None:
    coverage = TrackCoverage(_fly(_lawnmower(300, 200, SWATH * 0.9)), CAMERA)
    check = coverage.check_grid(_grid(300, 200))
    assert check.patrolled
    assert check.imaged >= 0.95
    assert check.at_s is not None


def test_grid_with_lanes_twice_the_swath_apart_is_not() -> None:
    coverage = TrackCoverage(_fly(_lawnmower(400, 300, SWATH * 2)), CAMERA)
    check = coverage.check_grid(_grid(400, 300))
    assert not check.patrolled
    assert 0.4 < check.imaged < 0.75


def test_no_fly_part_of_a_grid_does_not_count_against_it() -> None:
    # lanes cover only the western 200 m; the eastern 100 m is a no-fly zone
    coverage = TrackCoverage(_fly(_lawnmower(200, 200, SWATH * 0.9)), CAMERA)
    nofly = Polygon([_ll(-10, 200), _ll(-10, 320), _ll(210, 320), _ll(210, 200)])
    assert not coverage.check_grid(_grid(300, 200)).patrolled
    assert coverage.check_grid(_grid(300, 200), [nofly]).patrolled


def test_line_rules() -> None:
    line = LineString([_ll(0, 0), _ll(1000, 0)])
    full = TrackCoverage(_fly([(0, 0), (1000, 0)]), CAMERA).check_line(line)
    assert full.patrolled and full.imaged == pytest.approx(1.0, abs=0.01)
    part = TrackCoverage(_fly([(0, 0), (800, 0)]), CAMERA).check_line(line)
    assert not part.patrolled and part.imaged == pytest.approx(0.82, abs=0.02)
    beside = TrackCoverage(_fly([(0, 60), (1000, 60)]), CAMERA).check_line(line)
    assert not beside.patrolled and beside.imaged == 0.0 and beside.at_s is None


def test_point_needs_its_dwell_time() -> None:
    hovered = TrackCoverage(_hover(500, 0, 30), CAMERA)
    check = hovered.check_point(*offset(*ORIGIN, 510, 5), dwell_s=20)
    assert check.patrolled and check.at_s == pytest.approx(1020.0)
    assert check.imaged == pytest.approx(30.0)  # the whole time in view, beyond the dwell
    passed = TrackCoverage(_fly([(0, 0), (1000, 0)]), CAMERA)
    fly_by = passed.check_point(*offset(*ORIGIN, 500, 0), dwell_s=20)
    assert not fly_by.patrolled
    assert 4 < fly_by.imaged < 7  # ~56 m of footprint at 10 m/s
    assert passed.check_point(*offset(*ORIGIN, 500, 0), dwell_s=0).patrolled


def test_heading_turns_the_footprint() -> None:
    # flying east, the 84 m-wide side of the image lies north-south
    east = TrackCoverage(_fly([(0, 0), (0, 1000)]), CAMERA)
    assert east.check_point(*offset(*ORIGIN, 40, 500), dwell_s=0).patrolled
    assert not east.check_point(*offset(*ORIGIN, 0, 1040 + 29), dwell_s=0).patrolled


def test_on_the_ground_nothing_is_patrolled() -> None:
    parked = TrackCoverage(_hover(0, 0, 60, alt=0.0), CAMERA)
    assert not parked.check_point(*ORIGIN, dwell_s=1).patrolled
    assert parked.check_grid(_grid(10, 10)).imaged == 0.0


def _point(target_id: str, north: float, east: float, dwell_s: float | None = None) -> Target:
    lon, lat = _ll(north, east)
    return Target(target_id, Kind.POINT, Point(lon, lat), dwell_s=dwell_s)


def test_judge_applies_each_kinds_rule_over_a_network() -> None:
    """Points without a dwell of their own need the default; no-fly zones leave grids."""
    samples = _hover(-300, 0, 8) + _fly(_lawnmower(200, 200, SWATH * 0.9), t0=1100.0)
    nofly = Polygon([_ll(-10, 200), _ll(-10, 320), _ll(210, 320), _ll(210, 200)])
    network = Network(
        targets=(
            _point("P-DEFAULT", -300, 0),
            _point("P-SHORT", -300, 0, dwell_s=5),
            Target("G-WEST", Kind.GRID, _grid(300, 200)),
            Target("L-LANE", Kind.LINE, LineString([_ll(0, SWATH * 0.45), _ll(200, SWATH * 0.45)])),
        ),
        nofly=(NoFlyZone("N-EAST", nofly),),
    )
    checks = judge(network, samples, CAMERA)
    assert DEFAULT_DWELL_S > 8.0
    assert not checks["P-DEFAULT"].patrolled and checks["P-DEFAULT"].imaged >= 8.0
    assert checks["P-SHORT"].patrolled and checks["P-SHORT"].at_s == pytest.approx(1005.0)
    assert checks["G-WEST"].patrolled  # 300 m wide, but its eastern 100 m are no-fly
    assert checks["L-LANE"].patrolled
    assert checks == TrackCoverage(samples, CAMERA).judge(network)


def test_camera_of_a_drone_profile() -> None:
    profile = DroneProfile(camera_hfov_deg=90.0, camera_vfov_deg=60.0)
    assert Camera.of_profile(profile) == Camera(hfov_deg=90.0, vfov_deg=60.0)
    width, length = Camera.of_profile(profile).footprint_m(50.0)
    assert width == pytest.approx(100.0) and length == pytest.approx(profile.footprint_length_m(50))


def test_docstring_examples() -> None:
    result = doctest.testmod(patrolled)
    assert result.failed == 0 and result.attempted > 0
