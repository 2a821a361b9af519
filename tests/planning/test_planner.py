"""plan_sorties on the example network and on hand-made ones: safe, complete, deterministic."""

from __future__ import annotations

import dataclasses
import math

import pytest
import shapely
from planning_helpers import EXAMPLE, collection, feature, point, polygon
from shapely.geometry import LineString, Point

from dronepatrol.geo import LocalFrame
from dronepatrol.mission import Cmd
from dronepatrol.network import load_network, parse_network
from dronepatrol.planning import PlanningError, load_profile, plan_sorties
from dronepatrol.planning.safety import check_mission


@pytest.fixture(scope="module")
def example():
    network = load_network(EXAMPLE)
    return network, plan_sorties(network)


def test_every_sortie_takes_off_and_lands_at_its_station(example) -> None:
    network, result = example
    assert result.sorties
    for sortie in result.sorties:
        items = sortie.mission.items
        station = network.station(sortie.station)
        assert items[0].command == Cmd.NAV_TAKEOFF
        assert items[-1].command == Cmd.NAV_LAND
        assert (items[-1].lat_deg, items[-1].lon_deg) == pytest.approx(
            (station.lat_deg, station.lon_deg), abs=1e-7
        )
        assert sortie.mission.home[:2] == pytest.approx((station.lat_deg, station.lon_deg))
        assert sortie.id.startswith(f"{sortie.station}-")
        assert 0 < sortie.energy_frac <= load_profile().usable_battery_frac
        assert sortie.mission.fence_inclusions and sortie.mission.rally_points


def test_nothing_flies_into_a_no_fly_zone_or_above_the_limit(example) -> None:
    network, result = example
    profile = load_profile()
    frame = LocalFrame(*network.centre())
    zones = [frame.geometry_to_xy(z.geometry) for z in network.nofly]
    for sortie in result.sorties:
        pts = [(lon, lat) for lat, lon, _ in sortie.track]
        track = frame.geometry_to_xy(LineString(pts))
        for zone in zones:
            assert track.distance(zone) >= profile.nofly_margin_m - 0.5
        assert max(alt for *_, alt in sortie.track) <= profile.max_altitude_m
        nofly = [(z.id, frame.geometry_to_xy(z.geometry)) for z in network.nofly]
        assert check_mission(sortie.mission, frame, nofly, profile.max_altitude_m) == []


def test_every_target_is_planned_or_skipped_with_a_reason(example) -> None:
    network, result = example
    assert set(result.targets) == {t.id for t in network.targets}
    assert result.targets["P014"].status == "skipped"
    assert result.targets["P014"].reason == "inside no-fly NF02"
    flown = {tid for s in result.sorties for tid in s.targets}
    for tid, status in result.targets.items():
        assert (status.status == "planned") == (tid in flown), tid
        if network.target(tid).kind == "grid":
            assert status.coverage_frac >= 0.99
    summary = result.summary()
    assert summary["targets"]["G003"]["coverage_frac"] >= 0.99  # grid around a no-fly zone
    assert summary["profile"]["swath_width_m"] == pytest.approx(84.02, abs=0.01)


def test_points_are_inspected_with_the_camera_on_them(example) -> None:
    network, result = example
    items = [it for s in result.sorties for it in s.mission.items]
    orbit = next(it for it in items if it.command == Cmd.NAV_LOITER_TURNS)
    assert orbit.param3 > 0 and orbit.param1 >= 1
    for k, it in enumerate(items):
        if it.command in (Cmd.NAV_LOITER_TURNS, Cmd.NAV_LOITER_TIME):
            roi = items[k - 1]
            assert roi.command == Cmd.DO_SET_ROI_LOCATION
            assert (roi.lat_deg, roi.lon_deg) == (it.lat_deg, it.lon_deg)
            assert items[k + 1].command == Cmd.DO_SET_ROI_NONE
    p5 = network.target("P005")  # dwell 20 s, orbit 40 m
    circle = next(
        it
        for it in items
        if it.command == Cmd.NAV_LOITER_TURNS
        and (it.lat_deg, it.lon_deg) == pytest.approx((p5.geometry.y, p5.geometry.x), abs=1e-6)
    )
    assert circle.param3 == 40.0


def test_same_input_same_plan() -> None:
    network = load_network(EXAMPLE)
    assert plan_sorties(network).summary() == plan_sorties(network).summary()


def test_station_and_target_selection(example) -> None:
    network, _ = example
    only = plan_sorties(network, station_ids=["S02"])
    assert {s.station for s in only.sorties} == {"S02"}
    assert set(only.targets) == {t.id for t in network.targets_of("S02")}
    picked = plan_sorties(network, target_ids=["G001", "P001"])
    assert set(picked.targets) == {"G001", "P001"}
    assert {t for s in picked.sorties for t in s.targets} == {"G001", "P001"}
    with pytest.raises(PlanningError) as caught:
        plan_sorties(network, station_ids=["S99"], target_ids=["NOPE"])
    assert "unknown station 'S99'" in str(caught.value)
    assert "unknown target 'NOPE'" in str(caught.value)


def big_grid_network():
    # a 2 km x 1.5 km grid: about 45 km of lanes, far more than one battery
    data = collection(
        feature("station", "S1", point(-300, -300)),
        feature("grid", "G1", polygon([(0, 0), (0, 2000), (1500, 2000), (1500, 0)])),
        feature("nofly", "NF1", polygon([(600, 800), (600, 1100), (900, 1100), (900, 800)])),
    )
    network, issues = parse_network(data)
    assert not [i for i in issues if i.severity == "error"]
    return network


def test_a_grid_too_big_for_one_battery_is_split_across_sorties() -> None:
    network = big_grid_network()
    profile = load_profile()
    result = plan_sorties(network, profile)
    assert len(result.sorties) >= 3
    assert all(s.targets == ("G1",) for s in result.sorties)
    assert all(s.energy_frac <= profile.usable_battery_frac for s in result.sorties)
    status = result.targets["G1"]
    assert status.status == "planned"
    assert status.coverage_frac >= 0.99
    frame = LocalFrame(*network.centre())
    zone = frame.geometry_to_xy(network.nofly[0].geometry)
    grid = frame.geometry_to_xy(network.target("G1").geometry)
    lanes = shapely.union_all(
        [frame.geometry_to_xy(LineString([(o, a) for a, o, _ in s.track])) for s in result.sorties]
    )
    assert lanes.distance(zone) >= profile.nofly_margin_m - 0.5
    # the sorties together see the grid (less the no-fly margin): the swaths meet
    seen = shapely.buffer(lanes, profile.swath_width_m() / 2, cap_style="flat")
    flyable = grid.difference(zone.buffer(profile.nofly_margin_m))
    assert flyable.intersection(seen).area / flyable.area >= 0.99


def test_a_point_out_of_battery_range_is_skipped_with_the_reason() -> None:
    data = collection(
        feature("station", "S1", point(0, 0)),
        feature("point", "FAR", point(0, 20_000), station="S1"),
        feature("point", "NEAR", point(0, 500), station="S1"),
    )
    network, _ = parse_network(data)
    result = plan_sorties(network)
    assert result.targets["FAR"].status == "skipped"
    assert "battery" in result.targets["FAR"].reason
    assert result.targets["NEAR"].status == "planned"


def test_an_orbit_squeezed_by_a_no_fly_zone_shrinks() -> None:
    data = collection(
        feature("station", "S1", point(0, 0)),
        feature("nofly", "NF1", polygon([(0, 300), (0, 400), (100, 400), (100, 300)])),
        feature("point", "P1", point(50, 230), orbit_radius_m=60.0),
    )
    network, _ = parse_network(data)
    result = plan_sorties(network)
    status = result.summary()["targets"]["P1"]
    assert status["status"] == "planned"
    assert status["orbit_radius_m"] < 60.0
    assert any("orbit radius cut" in n for n in status["notes"])


def test_safety_check_catches_a_breach(example) -> None:
    network, result = example
    profile = load_profile()
    frame = LocalFrame(*network.centre())
    nofly = [(z.id, frame.geometry_to_xy(z.geometry)) for z in network.nofly]
    mission = result.sorties[0].mission
    zone = network.nofly[0].geometry.centroid
    k = next(i for i, it in enumerate(mission.items) if it.command == Cmd.NAV_WAYPOINT)
    bad_items = list(mission.items)
    bad_items[k] = dataclasses.replace(
        bad_items[k], lat_deg=zone.y, lon_deg=zone.x, alt_m=profile.max_altitude_m + 30
    )
    bad = dataclasses.replace(mission, items=tuple(bad_items))
    problems = check_mission(bad, frame, nofly, profile.max_altitude_m)
    assert any(f"item {k + 1} is inside no-fly NF01" in p for p in problems)
    assert any("above the 120 m limit" in p for p in problems)
    assert any("crosses no-fly NF01" in p for p in problems)


def test_a_grid_wholly_in_a_no_fly_zone_is_skipped() -> None:
    data = collection(
        feature("station", "S1", point(0, 0)),
        feature("nofly", "NF1", polygon([(100, 100), (100, 600), (600, 600), (600, 100)])),
        feature("grid", "G1", polygon([(200, 200), (200, 400), (400, 400), (400, 200)])),
    )
    network, _ = parse_network(data)
    result = plan_sorties(network)
    assert result.targets["G1"].status == "skipped"
    assert "flyable area is empty" in result.targets["G1"].reason
    assert result.sorties == ()
    assert math.isfinite(Point(0, 0).x)
