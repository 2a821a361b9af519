"""Requests too large for the planning limits are refused at once, naming the limit."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from planning_helpers import collection, feature, line, point, polygon, write

from dronepatrol.cli import main
from dronepatrol.network import parse_network
from dronepatrol.planning import PlanningError, PlanningLimitError, PlanningLimits, plan_sorties

HUGE_SIDE_M = 12_500.0  # a 156 km2 grid: past the default max_grid_area_km2 of 100


def huge_network() -> dict:
    s = HUGE_SIDE_M
    return collection(
        feature("station", "S01", point(0, 0)),
        feature("grid", "G-huge", polygon([(10, 10), (10, s), (s, s), (s, 10)])),
        feature("line", "L01", line([(0, 100), (2000, 100)])),
    )


def test_a_grid_past_the_area_limit_is_refused_before_any_planning() -> None:
    network, _ = parse_network(huge_network())
    with pytest.raises(PlanningLimitError) as caught:
        plan_sorties(network)
    (problem,) = caught.value.problems
    assert "max_grid_area_km2 = 100" in problem and "G-huge" in problem
    area_km2 = float(problem.split(" is ")[1].split(" km2")[0])
    assert area_km2 == pytest.approx((HUGE_SIDE_M - 10) ** 2 / 1e6, rel=0.01)
    assert isinstance(caught.value, PlanningError)


def test_every_limit_passed_is_named() -> None:
    network, _ = parse_network(huge_network())
    tight = PlanningLimits(max_targets=1, max_total_line_km=1.0, max_grid_vertices=3)
    with pytest.raises(PlanningLimitError) as caught:
        plan_sorties(network, limits=tight)
    text = "\n".join(caught.value.problems)
    for name in ("max_targets", "max_total_line_km", "max_grid_vertices", "max_grid_area_km2"):
        assert name in text


def test_limits_read_from_key_value_text() -> None:
    limits = PlanningLimits().with_text(["max_grid_area_km2=200", "max_targets=50"])
    assert limits.max_grid_area_km2 == 200.0 and limits.max_targets == 50
    assert isinstance(limits.max_targets, int)
    with pytest.raises(ValueError, match="KEY one of"):
        PlanningLimits().with_text(["max_area=3"])
    with pytest.raises(ValueError, match="not a number"):
        PlanningLimits().with_text(["max_targets=lots"])
    with pytest.raises(ValueError, match="positive"):
        PlanningLimits().with_text(["max_targets=-1"])


def test_cli_exits_2_naming_the_limit_and_writes_nothing(tmp_path) -> None:
    net = write(tmp_path / "huge.geojson", json.dumps(huge_network()))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["plan", str(net), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "max_grid_area_km2" in result.output and "G-huge" in result.output
    assert not out.exists()
    bad = CliRunner().invoke(main, ["plan", str(net), "--out", str(out), "--limit", "speed=3"])
    assert bad.exit_code == 2 and "--limit" in bad.output and "max_grid_area_km2" in bad.output
    # a limit lowered on the command line is enforced too
    low = CliRunner().invoke(
        main, ["plan", str(net), "--out", str(out), "--limit", "max_total_line_km=0.5"]
    )
    assert low.exit_code == 2 and "max_total_line_km = 0.5" in low.output


def test_a_finely_traced_no_fly_zone_is_planned_round_not_refused() -> None:
    """A zone traced point by point (4,000 corners, past the old limit of 1,000) is planned
    round at the margin, quickly, rather than refused or left to a cubic corner graph."""
    import math
    import time

    import numpy as np
    from shapely.geometry import LineString

    from dronepatrol.geo import LocalFrame
    from dronepatrol.planning import load_profile

    theta = np.linspace(0, 2 * math.pi, 4000, endpoint=False)
    r = 300.0 + np.random.default_rng(0).uniform(-1.5, 1.5, len(theta))
    traced = [(1500 + a * math.cos(t), a * math.sin(t)) for a, t in zip(r, theta, strict=True)]
    data = collection(
        feature("station", "S01", point(0, 0)),
        feature("nofly", "NF-traced", polygon(traced)),
        feature("point", "P-beyond", point(3000, 0)),
        feature("line", "L-beyond", line([(2600, -300), (2600, 300)])),
    )
    network, _ = parse_network(data)
    started = time.process_time()
    plan = plan_sorties(network)
    assert time.process_time() - started < 20.0  # cubic in 4,000 corners: many minutes
    assert {t.status for t in plan.targets.values()} == {"planned"}
    frame = LocalFrame(*network.centre())
    zone = frame.geometry_to_xy(network.nofly[0].geometry)
    margin = load_profile().nofly_margin_m
    for sortie in plan.sorties:
        track = frame.geometry_to_xy(LineString([(lon, lat) for lat, lon, _ in sortie.track]))
        assert track.distance(zone) >= margin - 0.5


def many_zones_network(count: int = 151) -> dict:
    """A station, a point, and ``count`` small no-fly zones 500 m apart (a grid of them)."""
    zones = [
        feature(
            "nofly", f"NF{k:03d}", polygon([(n, e), (n, e + 40), (n + 40, e + 40), (n + 40, e)])
        )
        for k in range(count)
        for n, e in [(2000 + 500 * (k // 13), -3000 + 500 * (k % 13))]
    ]
    return collection(
        feature("station", "S01", point(0, 0)), feature("point", "P01", point(300, 0)), *zones
    )


def test_serve_refuses_a_network_past_a_no_fly_limit_with_exit_2(tmp_path, monkeypatch) -> None:
    """Errands and the scheduler route round the zones: serve says so at start, not later."""
    import waitress

    def never(*args, **kwargs):
        raise AssertionError("serve got as far as serving")

    monkeypatch.setattr(waitress, "create_server", never)
    net = write(tmp_path / "zones.geojson", json.dumps(many_zones_network()))
    config = write(tmp_path / "dp.toml", f"data_dir = {str(tmp_path / 'data')!r}\n")
    result = CliRunner().invoke(
        main, ["--config", str(config), "serve", "--network", str(net), "--port", "8799"]
    )
    assert result.exit_code == 2, result.output
    assert "--network" in result.output and "max_nofly_zones = 150" in result.output


def test_too_many_no_fly_zones_are_refused_by_name_wherever_they_would_be_routed() -> None:
    """151 zones apart would make a transit graph of 600+ corners (cubic): the planner,
    the scheduler's battery question and errands' airspace all refuse, naming the limit."""
    from dronepatrol.planning import batteries_needed, load_profile
    from dronepatrol.planning.airspace import Airspace
    from dronepatrol.planning.limits import check_nofly

    network, _ = parse_network(many_zones_network())
    for attempt in (
        lambda: plan_sorties(network),
        lambda: batteries_needed(network, load_profile(), "P01"),
        lambda: Airspace(network.nofly),
    ):
        with pytest.raises(PlanningLimitError) as caught:
            attempt()
        assert "max_nofly_zones = 150" in "\n".join(caught.value.problems)
    check_nofly(network.nofly[:150])  # at the limit: routed round
