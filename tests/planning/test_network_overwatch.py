"""Overwatch points: the named lockdown plans a network carries, checked like every feature."""

from __future__ import annotations

import json

import shapely
from click.testing import CliRunner
from planning_helpers import EXAMPLE, collection, feature, line, point, polygon, write

from dronepatrol.cli import main
from dronepatrol.geo import LocalFrame
from dronepatrol.network import ERROR, WARNING, load_network, read_network
from dronepatrol.planning import plan_sorties

NOFLY = polygon([(300, 300), (300, 500), (500, 500), (500, 300)])


def test_plans_are_gathered_by_name_in_file_order(tmp_path) -> None:
    data = collection(
        feature("station", "S1", point(0, 0)),
        feature("point", "P1", point(50, 50)),
        feature("overwatch", "X-north", point(900, 0), lockdown="gates", name="North exit"),
        feature("overwatch", "X-east", point(0, 900), lockdown=["gates", "market"]),
        feature("overwatch", "X-shop", point(100, 300), lockdown=["market", " market "]),
    )
    net = load_network(write(tmp_path / "n.geojson", data))
    plans = net.lockdown_plans()
    assert list(plans) == ["gates", "market"]
    assert [p.id for p in plans["gates"]] == ["X-north", "X-east"]
    assert [p.id for p in plans["market"]] == ["X-east", "X-shop"]
    assert net.lockdown_plan("gates")[0].name == "North exit"
    north = net.lockdown_plan("gates")[0]
    assert north.lat_deg > net.station("S1").lat_deg  # 900 m north of the station
    assert net.overwatch[2].plans == ("market",)  # a repeated name counts once
    # not patrol targets: the planner and freshness only ever see the point P1
    assert [t.id for t in net.targets] == ["P1"]
    result = plan_sorties(net)
    planned = {tid for sortie in result.sorties for tid in sortie.targets}
    assert planned == {"P1"}


def test_bad_overwatch_features_are_all_reported(tmp_path) -> None:
    data = collection(
        feature("station", "S1", point(0, 0)),
        feature("nofly", "NF1", NOFLY),
        feature("overwatch", "X-none", point(900, 0)),
        feature("overwatch", "X-empty", point(900, 100), lockdown=""),
        feature("overwatch", "X-number", point(900, 200), lockdown=5),
        feature("overwatch", "X-list", point(900, 300), lockdown=["gates", 7]),
        feature("overwatch", "X-line", line([(0, 0), (0, 100)]), lockdown="gates"),
        feature("overwatch", "X-zone", point(400, 400), lockdown="gates"),
        feature("grid", "G1", polygon([(0, 0), (0, 50), (50, 50)]), lockdown="gates"),
        feature("overwatch", "X-fine", point(-900, 0), lockdown="gates"),
    )
    net, issues = read_network(write(tmp_path / "bad.geojson", data))
    text = "\n".join(str(i) for i in issues)
    expected = [
        (ERROR, "X-none", "belongs to no lockdown plan"),
        (ERROR, "X-empty", "has 'lockdown' ''"),
        (ERROR, "X-number", "has 'lockdown' 5"),
        (ERROR, "X-list", "give it 'lockdown': a plan name"),
        (ERROR, "X-line", "an overwatch point needs a Point"),
        (ERROR, "X-zone", "inside no-fly zone NF1"),
        (WARNING, "G1", "'lockdown' applies to overwatch points, not a grid"),
    ]
    for severity, fid, words in expected:
        assert any(
            i.severity == severity and i.feature == fid and words in i.message for i in issues
        ), f"missing {severity} {fid} {words!r} in:\n{text}"
    assert net is not None
    assert [p.id for p in net.lockdown_plan("gates")] == ["X-zone", "X-fine"]

    result = CliRunner().invoke(main, ["network", "check", str(tmp_path / "bad.geojson")])
    assert result.exit_code == 2
    for fid in ("X-none", "X-empty", "X-number", "X-list", "X-line", "X-zone"):
        assert f": {fid}: " in result.output


def test_example_network_carries_the_gates_plan() -> None:
    net = load_network(EXAMPLE)
    plans = net.lockdown_plans()
    assert len(plans["gates"]) == 8
    assert 2 <= len(plans["market"]) < 8
    assert all(p.name for p in net.overwatch)
    # the exits ring the patrolled area: every gate lies at least 50 m outside its hull
    frame = LocalFrame(*net.centre())
    area = shapely.union_all(
        [frame.geometry_to_xy(f.geometry) for f in (*net.targets, *net.stations)]
    ).convex_hull
    for gate in plans["gates"]:
        where = frame.geometry_to_xy(gate.geometry)
        assert not area.contains(where), f"{gate.id} is inside the area, not at an exit"
        assert area.exterior.distance(where) >= 50.0, gate.id

    result = CliRunner().invoke(main, ["network", "check", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "overwatch points in lockdown plans: gates (8)" in result.output
    doc = json.loads(CliRunner().invoke(main, ["network", "check", "--json", str(EXAMPLE)]).output)
    assert doc["summary"]["counts"]["overwatch"] == len(net.overwatch)
    assert doc["summary"]["lockdown_plans"]["gates"] == 8
