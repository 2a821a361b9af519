"""`dronepatrol network check`: every problem at once, named, with the fix; exit 2 on errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from planning_helpers import EXAMPLE, collection, feature, line, point, polygon, write

from dronepatrol.cli import main
from dronepatrol.network import ERROR, WARNING, NetworkError, load_network, read_network

SQUARE = [(0, 0), (0, 200), (200, 200), (200, 0)]


def bad_network() -> dict:
    bowtie = [(0, 0), (200, 200), (0, 200), (200, 0)]
    return collection(
        feature("station", "S1", point(0, 0)),
        feature("grid", "G-bowtie", polygon(bowtie)),
        feature("point", "P-range", {"type": "Point", "coordinates": [149.1, -95.0]}),
        feature("hangar", "X1", point(10, 10)),
        feature("point", "P-prio", point(50, 50), priority="urgent"),
        feature("point", "P-dup", point(60, 60)),
        feature("point", "P-dup", point(70, 70)),
        feature("line", "L-short", line([(0, 0)])),
        feature("point", "P-owner", point(80, 80), station="S9"),
        feature("point", None, point(90, 90)),
        feature("nofly", "NF1", polygon([(300, 300), (300, 500), (500, 500), (500, 300)])),
        feature("point", "P-nofly", point(400, 400)),
        feature("grid", "G-nofly", polygon([(350, 350), (350, 450), (450, 450), (450, 350)])),
        feature("point", "P-dwell", point(20, 20), dwell_s=-5),
        feature("grid", "G-type", point(5, 5)),
    )


def test_every_problem_is_reported_at_once(tmp_path) -> None:
    net, issues = read_network(write(tmp_path / "bad.geojson", bad_network()))
    text = "\n".join(str(i) for i in issues)
    expected = [
        (ERROR, "G-bowtie", "self-intersecting polygon"),
        (ERROR, "P-range", "out of range"),
        (ERROR, "X1", "kind 'hangar' is unknown"),
        (ERROR, "P-prio", "priority 'urgent' is unknown"),
        (ERROR, "P-dup", "duplicate id"),
        (ERROR, "L-short", "fewer than 2"),
        (ERROR, "P-owner", "unknown station 'S9'"),
        (ERROR, "feature[9]", "no id"),
        (WARNING, "P-nofly", "inside no-fly zone NF1"),
        (WARNING, "G-nofly", "inside no-fly zone NF1"),
        (ERROR, "P-dwell", "'dwell_s' is -5"),
        (ERROR, "G-type", "needs a Polygon"),
    ]
    for severity, fid, words in expected:
        assert any(
            i.severity == severity and i.feature == fid and words in i.message for i in issues
        ), f"missing {severity} {fid} {words!r} in:\n{text}"
    assert net is not None
    with pytest.raises(NetworkError) as caught:
        load_network(tmp_path / "bad.geojson")
    assert "G-bowtie" in str(caught.value) and "P-owner" in str(caught.value)


def test_check_command_exits_2_and_lists_every_error(tmp_path) -> None:
    path = write(tmp_path / "bad.geojson", bad_network())
    result = CliRunner().invoke(main, ["network", "check", str(path)])
    assert result.exit_code == 2
    for fid in ("G-bowtie", "P-range", "X1", "P-prio", "P-dup", "L-short", "P-owner"):
        assert f": {fid}: " in result.output
    assert "error(s)" in result.output


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("", "empty file"),
        ("{not json", "not JSON"),
        ('{"type": "FeatureCollection", "features": []}', "empty network"),
        ("[1, 2]", "not a GeoJSON FeatureCollection"),
    ],
)
def test_unusable_files_exit_2_naming_the_file(tmp_path, content, words) -> None:
    path = write(tmp_path / "net.geojson", content)
    result = CliRunner().invoke(main, ["network", "check", str(path)])
    assert result.exit_code == 2
    assert words in result.output
    assert "net.geojson" in result.output


def test_missing_file_exits_2(tmp_path) -> None:
    result = CliRunner().invoke(main, ["network", "check", str(tmp_path / "nope.geojson")])
    assert result.exit_code == 2
    assert "file not found" in result.output


def test_network_without_station_is_an_error(tmp_path) -> None:
    path = write(tmp_path / "n.geojson", collection(feature("point", "P1", point(0, 0))))
    result = CliRunner().invoke(main, ["network", "check", str(path)])
    assert result.exit_code == 2
    assert "no station" in result.output


def test_example_network_is_clean_and_summarised() -> None:
    result = CliRunner().invoke(main, ["network", "check", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "5 grids, 3 lines, 15 points, 2 no-fly zones, 2 stations" in result.output
    assert "grid area" in result.output
    result = CliRunner().invoke(main, ["network", "check", "--json", str(EXAMPLE)])
    doc = json.loads(result.output)
    assert doc["ok"] is True
    assert doc["summary"]["counts"]["point"] == 15
    assert doc["summary"]["priorities"]["grid"]["key"] == 2
    assert 0.5 < doc["summary"]["grid_area_km2"] < 1.5


def test_targets_without_station_go_to_the_nearest(tmp_path) -> None:
    data = collection(
        feature("station", "A", point(0, 0)),
        feature("station", "B", point(0, 3000)),
        feature("point", "P1", point(0, 2500)),
        feature("grid", "G1", polygon(SQUARE), station="B"),
    )
    net = load_network(write(tmp_path / "n.geojson", data))
    assert net.target("P1").station == "B"
    assert net.target("G1").station == "B"
    assert net.target("P1").effective_revisit_min == 480.0
