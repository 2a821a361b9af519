"""Lawnmower coverage: lanes and legs never leave the flyable area; >= 99 % of it is seen."""

from __future__ import annotations

import math

import numpy as np
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Polygon

from dronepatrol.planning.coverage import covered_fraction, plan_coverage

SWATH = 84.0
SPACING = 67.2
TOLERANCE_M = 1e-6


def star(cx: float, cy: float, radii: list[float], phase: float) -> Polygon:
    n = len(radii)
    angles = phase + 2 * math.pi * np.arange(n) / n
    return Polygon(np.column_stack([cx + np.cos(angles) * radii, cy + np.sin(angles) * radii]))


@st.composite
def concave_with_holes(draw) -> Polygon:
    """A star-shaped (usually concave) polygon, 150-700 m across, with 0-2 holes inside."""
    n = draw(st.integers(5, 12))
    radii = draw(st.lists(st.floats(150, 700), min_size=n, max_size=n))
    outer = star(0, 0, radii, draw(st.floats(0, math.pi)))
    holes = []
    for _ in range(draw(st.integers(0, 2))):
        k = draw(st.integers(3, 6))
        hr = draw(st.lists(st.floats(20, 80), min_size=k, max_size=k))
        cx, cy = draw(st.floats(-300, 300)), draw(st.floats(-300, 300))
        hole = star(cx, cy, hr, draw(st.floats(0, math.pi)))
        # keep holes well inside and apart, as no-fly bites in a grid would be
        if outer.buffer(-60).contains(hole) and all(h.distance(hole) > 60 for h in holes):
            holes.append(hole)
    return Polygon(outer.exterior.coords, [h.exterior.coords for h in holes])


def inside(area: Polygon, coords) -> bool:
    grown = area.buffer(TOLERANCE_M)
    pts = np.asarray(coords)
    geom = shapely.points(pts[0]) if len(pts) == 1 else shapely.linestrings(pts)
    return bool(grown.covers(geom))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(concave_with_holes())
def test_every_lane_and_leg_stays_inside_and_coverage_is_high(area: Polygon) -> None:
    plan = plan_coverage(area, SWATH, SPACING)
    assert plan is not None
    for lane in plan.lanes:
        assert inside(area, lane), f"lane {lane} leaves the area"
    for leg in plan.legs:
        assert inside(area, leg), f"leg {leg} leaves the area"
    assert inside(area, plan.waypoints), "the flown path leaves the area"
    assert plan.coverage_frac >= 0.99, plan.coverage_frac
    # the reported coverage is the real one
    assert abs(covered_fraction(area, plan.waypoints, SWATH) - plan.coverage_frac) < 1e-9


def test_rectangle_lanes_follow_the_long_side_at_lane_spacing() -> None:
    # 1000 m x 200 m, rotated 30 degrees: lanes run along the long side
    rect = shapely.affinity.rotate(
        Polygon([(0, 0), (1000, 0), (1000, 200), (0, 200)]), 30, origin=(0, 0)
    )
    plan = plan_coverage(rect, SWATH, SPACING)
    assert plan is not None
    assert abs(plan.sweep_angle_deg - 30.0) < 1.0
    assert len(plan.lanes) == math.ceil(200 / SPACING)
    mids = [np.mean(lane, axis=0) for lane in plan.lanes]
    normal = np.array([-math.sin(math.radians(30)), math.cos(math.radians(30))])
    offsets = sorted(float(m @ normal) for m in mids)
    assert np.allclose(np.diff(offsets), SPACING, atol=1e-6)
    assert plan.coverage_frac > 0.995


def test_u_shape_is_split_into_cells_and_never_crosses_the_notch() -> None:
    u = Polygon(
        [(0, 0), (600, 0), (600, 500), (400, 500), (400, 150), (200, 150), (200, 500), (0, 500)]
    )
    plan = plan_coverage(u, SWATH, SPACING)
    assert plan is not None
    notch = Polygon([(200, 150), (400, 150), (400, 500), (200, 500)])
    path = shapely.linestrings(plan.waypoints)
    assert not path.crosses(notch) and path.intersection(notch).length < 1e-6
    assert plan.coverage_frac >= 0.99


def test_a_sliver_too_thin_to_fly_gives_none() -> None:
    assert plan_coverage(Polygon([(0, 0), (100, 0), (100, 0.5), (0, 0.5)]), SWATH, SPACING) is None


def test_a_grid_narrower_than_the_swath_is_one_lane() -> None:
    strip = Polygon([(0, 0), (800, 0), (800, 40), (0, 40)])
    plan = plan_coverage(strip, SWATH, SPACING)
    assert plan is not None
    assert len(plan.lanes) == 1
    assert plan.coverage_frac > 0.99
