"""The drone profile and the generated city network."""

from __future__ import annotations

import math

import pytest

from dronepatrol.network import Kind, parse_network, summarize
from dronepatrol.network.synthetic import COUNTS, city_network
from dronepatrol.planning import DroneProfile, ProfileError, load_profile


def test_default_profile_matches_the_dataclass_defaults() -> None:
    assert load_profile() == DroneProfile()


def test_swath_width_follows_altitude_and_field_of_view() -> None:
    profile = DroneProfile(camera_hfov_deg=90.0, side_overlap=0.25)
    assert profile.swath_width_m(50.0) == pytest.approx(100.0)
    assert profile.lane_spacing_m(50.0) == pytest.approx(75.0)
    assert profile.swath_width_m() == pytest.approx(120.0)  # patrol altitude 60 m
    assert profile.footprint_length_m(60.0) == pytest.approx(120 * math.tan(math.radians(27.5)))


def test_profile_errors_name_the_key(tmp_path) -> None:
    path = tmp_path / "p.toml"
    path.write_text("cruise_speed_mps = 'fast'\n")
    with pytest.raises(ProfileError, match="cruise_speed_mps = 'fast' is not a number"):
        load_profile(path)
    path.write_text("patrol_altitude_m = 150\n")
    with pytest.raises(ProfileError, match="patrol_altitude_m must not exceed max_altitude_m"):
        load_profile(path)
    path.write_text("side_overlap = [\n")
    with pytest.raises(ProfileError, match="not valid TOML"):
        load_profile(path)


def test_city_network_has_the_reports_counts_and_is_deterministic() -> None:
    data = city_network(seed=4)
    assert data == city_network(seed=4)
    assert data != city_network(seed=5)
    network, issues = parse_network(data)
    assert not [i for i in issues if i.severity == "error"]
    counts = summarize(network)["counts"]
    assert counts[Kind.GRID] == 129 and counts[Kind.LINE] == 105 and counts[Kind.POINT] == 677
    assert counts[Kind.STATION] == COUNTS["station"] >= 10
    assert counts[Kind.NOFLY] == COUNTS["nofly"]
    _, south, _, north = network.bounds()
    assert 25 < (north - south) * 111.0 < 40
    concave = [
        t
        for t in network.targets
        if t.kind is Kind.GRID and t.geometry.convex_hull.area > 1.02 * t.geometry.area
    ]
    assert len(concave) > 60
