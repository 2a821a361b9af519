"""Transit around no-fly zones and the tour order."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely.geometry import LineString, Point, Polygon

from dronepatrol.planning.ordering import LINK, solve_tour, tour_length
from dronepatrol.planning.routing import AreaRouter, TransitRouter, path_length

ZONE = Polygon([(-100, -300), (100, -300), (100, 300), (-100, 300)])


def test_transit_goes_around_a_zone_with_its_margin() -> None:
    router = TransitRouter([ZONE], margin_m=25.0)
    route = router.path((-500, 0), (500, 0))
    assert route is not None
    line = LineString(route)
    assert line.distance(ZONE) >= 25.0 - 1e-6
    # around the short side: via the corners at y = +-(300 + margin)
    assert 1000 < path_length(route) < 2 * math.hypot(600, 325) + 10
    assert router.path((-500, 0), (-400, 0)) == [(-500, 0), (-400, 0)]


def test_distances_match_paths_and_are_symmetric() -> None:
    zones = [ZONE, Polygon([(400, -100), (600, -100), (600, 100), (400, 100)])]
    router = TransitRouter(zones, margin_m=20.0)
    pts = np.array([(-500.0, 0.0), (300.0, 0.0), (900.0, 50.0), (0.0, 800.0)])
    dist = router.distances(pts)
    assert np.allclose(dist, dist.T)
    for i in range(len(pts)):
        for j in range(len(pts)):
            if i != j:
                route = router.path(tuple(pts[i]), tuple(pts[j]))
                assert route is not None
                assert path_length(route) == pytest.approx(dist[i, j], rel=1e-9)
                assert all(LineString(route).distance(z) >= 20 - 1e-6 for z in zones)


def test_area_router_stays_inside_a_u() -> None:
    u = Polygon(
        [(0, 0), (600, 0), (600, 500), (400, 500), (400, 150), (200, 150), (200, 500), (0, 500)]
    )
    router = AreaRouter(u)
    route = router.path((100, 450), (500, 450))
    assert route is not None
    assert u.buffer(1e-6).covers(LineString(route))
    assert min(y for _, y in route) <= 150.0
    assert path_length(route) == pytest.approx(2 * math.hypot(100, 300) + 200, abs=2.0)


def circle_points(n: int) -> np.ndarray:
    t = 2 * math.pi * np.arange(n) / n
    order = np.random.default_rng(3).permutation(n)
    return np.column_stack([np.cos(t), np.sin(t)])[order] * 1000


def matrix(pts: np.ndarray) -> np.ndarray:
    return np.hypot(*(pts[:, None, :] - pts[None, :, :]).transpose(2, 0, 1))


def test_tour_on_a_circle_is_the_circle() -> None:
    pts = circle_points(60)
    d = matrix(pts)
    tour = solve_tour(d)
    assert sorted(tour) == list(range(60)) and tour[0] == 0
    perimeter = 60 * 2 * 1000 * math.sin(math.pi / 60)
    assert tour_length(d, tour) == pytest.approx(perimeter, rel=1e-9)


def test_tour_is_deterministic_and_beats_nearest_neighbour() -> None:
    pts = np.random.default_rng(7).uniform(0, 10_000, (200, 2))
    d = matrix(pts)
    first, second = solve_tour(d, iterations=200), solve_tour(d, iterations=200)
    assert first == second
    plain = solve_tour(d, iterations=0)
    assert tour_length(d, first) <= tour_length(d, plain)
    # nearest neighbour from node 0, for reference
    left, tour = set(range(1, 200)), [0]
    while left:
        nxt = min(left, key=lambda j: d[tour[-1], j])
        tour.append(nxt)
        left.remove(nxt)
    assert tour_length(d, first) < 0.95 * tour_length(d, tour)


def test_linked_pairs_stay_adjacent() -> None:
    pts = np.random.default_rng(2).uniform(0, 5000, (41, 2))
    d = matrix(pts)
    pairs = [(1, 2), (10, 11), (20, 21), (30, 31)]
    for a, b in pairs:
        d[a, b] = d[b, a] = -LINK
    tour = solve_tour(d, iterations=100)
    n = len(tour)
    where = {c: i for i, c in enumerate(tour)}
    for a, b in pairs:
        assert (where[a] - where[b]) % n in (1, n - 1)


def traced_zone(corners: int, radius_m: float = 300.0, centre_x: float = 0.0) -> Polygon:
    """A no-fly zone traced point by point: a slightly ragged ring of many corners."""
    rng = np.random.default_rng(corners)
    theta = np.linspace(0, 2 * math.pi, corners, endpoint=False)
    r = radius_m + rng.uniform(-1.5, 1.5, corners)
    return Polygon(np.column_stack([centre_x + r * np.cos(theta), r * np.sin(theta)]))


def test_a_finely_traced_zone_is_routed_round_on_few_corners_and_never_closer() -> None:
    """3,200 corners would make the corner graph's all-pairs step take minutes: the router
    bends round a simplified outline that contains the zone and its margin."""
    from dronepatrol.planning.routing import MAX_CORNER_NODES

    zones = [traced_zone(2000), traced_zone(1200, 200.0, 900.0)]
    router = TransitRouter(zones, margin_m=25.0)
    assert 0 < len(router.nodes) <= MAX_CORNER_NODES
    for zone in zones:
        assert router.blocked.covers(zone.buffer(25.0 - 1e-6))
    ends = [(-800.0, 0.0), (1500.0, 30.0), (400.0, -20.0), (0.0, 900.0)]
    dist = router.distances(np.array(ends))
    for i, a in enumerate(ends):
        for j, b in enumerate(ends):
            if i == j:
                continue
            route = router.path(a, b)
            assert route is not None
            assert all(LineString(route).distance(z) >= 25.0 - 1e-6 for z in zones)
            assert path_length(route) == pytest.approx(dist[i, j], rel=1e-9)
    # round the big zone: hardly longer than round its smooth outline
    smooth = TransitRouter([Point(0, 0).buffer(301.5, quad_segs=64)], margin_m=25.0)
    around = path_length(router.path((-800.0, 0.0), (600.0, -200.0)))
    assert around <= 1.02 * path_length(smooth.path((-800.0, 0.0), (600.0, -200.0)))
