"""City scale: the planner's work grows with the targets, not with the square of the chunks,
on a small city with the real one's traits (concave grids, a large edge grid far from its
station, roads through no-fly zones and over the edge)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import shapely
from planning_helpers import EXAMPLE, flat_plan_length_m
from shapely.geometry import LineString

from dronepatrol.geo import LocalFrame
from dronepatrol.mission import Cmd
from dronepatrol.network import Kind, load_network, parse_network
from dronepatrol.network.city import SMALL_HARD_CITY, CitySpec, real_city_network
from dronepatrol.network.synthetic import city_network
from dronepatrol.planning import batteries_needed, load_profile, plan_sorties, touring
from dronepatrol.planning.routing import TransitRouter

# One worker plans the small city once for the whole file (module fixtures are per worker).
pytestmark = pytest.mark.xdist_group("city-scale")


@pytest.fixture(scope="module")
def small_city():
    network, issues = parse_network(real_city_network(3, SMALL_HARD_CITY))
    assert not [i for i in issues if i.severity == "error"]
    return network


@pytest.fixture(scope="module")
def small_plan(small_city):
    return plan_sorties(small_city, load_profile())


def test_the_generated_city_has_the_real_ones_traits() -> None:
    data = real_city_network(seed=0)
    assert data == real_city_network(seed=0)
    network, issues = parse_network(data)
    assert not [i for i in issues if i.severity == "error"]
    spec = CitySpec()
    frame = LocalFrame(*network.centre())
    grids = [frame.geometry_to_xy(t.geometry) for t in network.targets if t.kind is Kind.GRID]
    lines = [frame.geometry_to_xy(t.geometry) for t in network.targets if t.kind is Kind.LINE]
    points = [t for t in network.targets if t.kind is Kind.POINT]
    assert (len(grids), len(lines), len(points)) == (spec.grids, spec.lines, spec.points)
    assert len(network.stations) == 16 and len(network.nofly) == 12
    areas_km2 = np.array([g.area for g in grids]) / 1e6
    assert areas_km2.sum() == pytest.approx(420, rel=0.01)  # they tile the city
    assert areas_km2.max() > 15 and np.percentile(areas_km2, 10) < 1  # big edge, small centre
    assert sum(g.convex_hull.area > 1.02 * g.area for g in grids) > 100
    assert sum(line.length for line in lines) / 1000 == pytest.approx(518, rel=0.1)
    city = shapely.union_all(grids)
    zones = [frame.geometry_to_xy(z.geometry) for z in network.nofly]
    assert max(shapely.minimum_bounding_radius(z) for z in zones) * 2 <= 600 + 1
    assert sum(any(line.intersects(z) for z in zones) for line in lines) >= 10
    assert sum(not city.buffer(1).covers(line) for line in lines) >= 10
    assert {t.station for t in network.targets} == {s.id for s in network.stations}


def test_every_grid_is_covered_and_nothing_enters_a_no_fly_zone(small_city, small_plan) -> None:
    profile = load_profile()
    frame = LocalFrame(*small_city.centre())
    zones = [frame.geometry_to_xy(z.geometry) for z in small_city.nofly]
    for status in small_plan.targets.values():
        if status.coverage_frac is not None:
            assert status.coverage_frac >= 0.99, status
    assert small_plan.summary()["totals"]["targets_skipped"] <= 1
    for sortie in small_plan.sorties:
        track = frame.geometry_to_xy(LineString([(lon, lat) for lat, lon, _ in sortie.track]))
        for zone in zones:
            assert track.distance(zone) >= profile.nofly_margin_m - 0.5
    assert plan_sorties(small_city, profile).summary() == small_plan.summary()


@pytest.mark.parametrize("which", ["example", "small hard city", "generated city"])
def test_flight_length_within_3_percent_of_one_tour_over_every_chunk(which, request) -> None:
    """Touring targets rather than chunks costs at most 3 % of flight length."""
    profile = load_profile()
    if which == "small hard city":  # planned once for the file
        network = request.getfixturevalue("small_city")
        plan = request.getfixturevalue("small_plan")
    else:
        network = load_network(EXAMPLE) if which == "example" else parse_network(city_network(0))[0]
        plan = plan_sorties(network, profile)
    ours = sum(s.length_m for s in plan.sorties)
    reference = flat_plan_length_m(network, profile)
    assert ours <= 1.03 * reference


def test_a_district_with_large_grids_flies_no_more_than_the_previous_planner() -> None:
    """S06 of the real-shaped city: four grids too large for one battery among 50 targets.
    Chunks sized to fill a battery each left every sortie its remainder (7 % more flight
    than one tour over every chunk); chunks of a fraction of a battery are packed."""
    profile = load_profile()
    network, _ = parse_network(real_city_network(0))
    plan = plan_sorties(network, profile, ["S06"])
    grids = [t for t in network.targets_of("S06") if t.kind is Kind.GRID]
    assert all(plan.targets[g.id].coverage_frac >= 0.99 for g in grids)
    ours = sum(s.length_m for s in plan.sorties)
    assert ours <= 1.03 * flat_plan_length_m(network, profile, ["S06"])


def test_distance_matrices_stay_small_when_a_station_has_many_targets(
    small_city, small_plan, monkeypatch
) -> None:
    """With the dense tour capped at 6 stops, no matrix grows past 6 stops' ends, and the
    plan still covers everything at a length close to the uncapped one."""
    sizes: list[int] = []
    real = TransitRouter.distances

    def spy(self, points):
        sizes.append(len(points))
        return real(self, points)

    monkeypatch.setattr(TransitRouter, "distances", spy)
    monkeypatch.setattr(touring, "DENSE_STOPS", 6)
    capped = plan_sorties(small_city, load_profile())
    assert sizes and max(sizes) <= 2 * 6 + 2
    assert len(sizes) > len(small_city.stations)  # clusters were toured one by one
    assert {t: s.status for t, s in capped.targets.items()} == {
        t: s.status for t, s in small_plan.targets.items()
    }
    length = sum(s.length_m for s in capped.sorties)
    assert length <= 1.08 * sum(s.length_m for s in small_plan.sorties)


def test_a_grid_cut_into_chunks_is_flown_in_one_run_of_its_chunks(small_city, small_plan) -> None:
    """The big edge grid needs many sorties; they follow one another, not interleaved."""
    by_grid: dict[str, list[int]] = {}
    for k, sortie in enumerate(small_plan.sorties):
        for tid in sortie.targets:
            if tid.startswith("G"):
                by_grid.setdefault(tid, []).append(k)
    big = max(by_grid, key=lambda t: len(by_grid[t]))
    flown = by_grid[big]
    assert len(flown) >= 5
    assert flown == list(range(flown[0], flown[0] + len(flown)))


def test_a_far_line_is_cut_into_chunks_as_long_as_the_battery_allows() -> None:
    """Where the straight line home is clear, chunks are sized on it, not on a detour
    allowance: a line near the edge of the battery's reach gets fewer, longer chunks."""
    from dronepatrol.planning.pieces import Piece, split_piece

    profile = load_profile()
    far = Piece("L1", Kind.LINE, ((5200.0, -1000.0), (5200.0, 1000.0)), 60.0)
    clear_router = TransitRouter([], profile.nofly_margin_m)
    exact = split_piece(far, profile, (0.0, 0.0), clear_router)
    allowance = split_piece(far, profile, (0.0, 0.0))
    assert len(exact) == 1 and len(allowance) >= 10  # one sortie, not a dozen slivers
    for chunks in (exact, allowance):
        assert sum(c.length_m for c in chunks) == pytest.approx(far.length_m, abs=1.0)
        assert all(a.exit == b.entry for a, b in itertools.pairwise(chunks))
    # a zone across every straight line home brings the allowance back
    wall = shapely.geometry.box(2000, -4000, 2100, 4000)
    blocked = split_piece(far, profile, (0.0, 0.0), TransitRouter([wall], 25.0))
    assert [c.points for c in blocked] == [c.points for c in allowance]


ORBIT_AT_THE_END_OF_A_LONG_SORTIE = [
    (6989.01, 2105.71),
    (6989.01, 2105.71),
    (6441.88, 3051.53),
    (5894.75, 3997.34),
    (6231.81, 2624.87),
    (6568.87, 1252.4),
    (6568.87, 1252.4),
    (7033.16, 636.62),
    (7497.44, 20.84),
    (7243.22, 1063.28),
    (6989.01, 2105.71),
    (6989.01, 2105.71),
    (6989.01, 2105.71),
    (6989.01, 2105.71),
    (8640.94, -725.4),
    (10292.88, -3556.52),
    (8640.94, -725.4),
    (6989.01, 2105.71),
    (6989.01, 2105.71),
    (6608.87, 1252.4),
    (6608.11, 1244.6),
    (6605.83, 1237.1),
    (6602.13, 1230.18),
    (6597.16, 1224.12),
    (6591.1, 1219.14),
    (6584.18, 1215.45),
    (6576.68, 1213.17),
    (6568.87, 1212.4),
    (6561.07, 1213.17),
    (6553.57, 1215.45),
    (6546.65, 1219.14),
    (6540.59, 1224.12),
    (6535.62, 1230.18),
    (6531.92, 1237.1),
    (6529.64, 1244.6),
    (6528.87, 1252.4),
    (6529.64, 1260.21),
    (6531.92, 1267.71),
    (6535.62, 1274.63),
    (6540.59, 1280.69),
    (6546.65, 1285.66),
    (6553.57, 1289.36),
    (6561.07, 1291.63),
    (6568.87, 1292.4),
    (6576.68, 1291.63),
    (6584.18, 1289.36),
    (6591.1, 1285.66),
    (6597.16, 1280.69),
    (6602.13, 1274.63),
    (6605.83, 1267.71),
    (6608.11, 1260.21),
    (6608.87, 1252.4),
]
"""Track positions of a sortie planned over the generated city (to 1 cm): a long, thin
spread with an orbit circle at one end, repeats included (the station, the orbit's centre),
whose hull GEOS got wrong (non-convex, too small)."""


def test_the_fence_holds_every_leg_between_the_positions_it_was_built_on() -> None:
    from dronepatrol.planning.safety import convex_hull, fence_polygon

    pts = np.array(ORBIT_AT_THE_END_OF_A_LONG_SORTIE)
    hull = convex_hull(pts)
    legs = [LineString([a, b]) for a, b in itertools.combinations(pts.tolist(), 2)]
    assert all(hull.buffer(1e-6).covers(leg) for leg in legs)
    fence = fence_polygon(pts, 150.0)
    assert all(fence.covers(leg) for leg in legs)
    assert fence.covers(hull.buffer(0.9 * 150.0, quad_segs=2))


def test_a_target_said_to_need_several_batteries_is_never_flown_whole_in_one(
    small_city, small_plan
) -> None:
    # the whole city planned at once is the company every target can be in: each target
    # said to need several sorties is cut over several there, and planned alone too
    profile = load_profile()
    several = [t for t in small_city.targets if batteries_needed(small_city, profile, t.id) >= 2]
    assert several, "the small city has a grid too large for one battery"
    for target in several:
        assert len(small_plan.targets[target.id].sorties) >= 2, target.id
        alone = plan_sorties(small_city, profile, [target.station], [target.id])
        assert len(alone.targets[target.id].sorties) >= 2, target.id
    # and a target planned whole in one sortie is never said to need more
    for tid, status in small_plan.targets.items():
        if status.status == "planned" and len(status.sorties) == 1:
            assert batteries_needed(small_city, profile, tid) == 1, tid


def test_a_line_that_starts_beyond_the_battery_reach_is_flown_where_it_is_within_it() -> None:
    """A road from 8 km out (past a sortie's reach) to 2 km from the station: its near part
    is flown and the target reported partial with the reason, not skipped whole."""
    from planning_helpers import collection, feature, line, point

    data = collection(
        feature("station", "S01", point(0, 0)),
        feature("line", "L-out", line([(0, 8000), (0, 2000)])),
    )
    network, _ = parse_network(data)
    plan = plan_sorties(network, load_profile())
    status = plan.targets["L-out"]
    assert status.status == "partial" and "battery range" in status.reason
    assert status.sorties
    frame = LocalFrame(*network.centre())
    flown = shapely.union_all(
        [
            frame.geometry_to_xy(LineString([(lon, lat) for lat, lon, _ in s.track]))
            for s in plan.sorties
        ]
    )
    road = frame.geometry_to_xy(network.target("L-out").geometry)
    station = frame.geometry_to_xy(network.station("S01").geometry)
    near = road.intersection(station.buffer(5000))  # well within reach
    assert near.length > 2900
    assert flown.buffer(1.0).covers(near)


def test_chunks_flown_one_after_the_other_add_no_repeated_waypoint(small_plan) -> None:
    """Where a chunk of a cut grid begins at the previous one's end, the sortie flies on:
    no second waypoint at the same place (each costs a mission item on the vehicle)."""
    for sortie in small_plan.sorties:
        places = [
            (i.command, i.lat_deg, i.lon_deg, i.alt_m)
            for i in sortie.mission.items
            if i.command == Cmd.NAV_WAYPOINT
        ]
        assert all(a != b for a, b in itertools.pairwise(places)), sortie.id
