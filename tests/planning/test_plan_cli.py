"""`dronepatrol plan`: the files it writes, and nothing at all when it fails."""

from __future__ import annotations

import json

from click.testing import CliRunner
from planning_helpers import EXAMPLE, collection, feature, point, polygon, write

from dronepatrol.cli import main
from dronepatrol.missionfiles import load_mission


def run(*args: str):
    return CliRunner().invoke(main, ["plan", *args])


def test_plan_writes_one_plan_and_waypoints_per_sortie_and_a_summary(tmp_path) -> None:
    out = tmp_path / "out"
    result = run(str(EXAMPLE), "--out", str(out))
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["profile"]["altitude_m"] == 60.0
    assert summary["profile"]["swath_width_m"] > 0
    names = {p.name for p in out.iterdir()}
    assert names == {"summary.json"} | {
        name for s in summary["sorties"] for name in (s["plan"], s["waypoints"])
    }
    for sortie in summary["sorties"]:
        assert set(sortie) >= {
            "id",
            "station",
            "plan",
            "waypoints",
            "targets",
            "items",
            "length_m",
            "duration_s",
            "energy_frac",
        }
        plan = load_mission(out / sortie["plan"])
        wp = load_mission(out / sortie["waypoints"])
        assert len(plan.items) == len(wp.items) == sortie["items"]
    assert summary["targets"]["P014"] == {
        "status": "skipped",
        "reason": "inside no-fly NF02",
        "kind": "point",
        "priority": "general",
    }
    assert summary["targets"]["G001"]["status"] == "planned"
    assert summary["targets"]["G001"]["coverage_frac"] >= 0.99
    assert summary["totals"]["sorties"] == len(summary["sorties"])
    assert "P014: skipped: inside no-fly NF02" in result.output


def test_station_and_targets_options(tmp_path) -> None:
    result = run(str(EXAMPLE), "--out", str(tmp_path / "a"), "--station", "S02")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert {s["station"] for s in summary["sorties"]} == {"S02"}
    result = run(str(EXAMPLE), "--out", str(tmp_path / "b"), "--targets", "G001, P001")
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert set(summary["targets"]) == {"G001", "P001"}


def test_bad_network_exits_2_with_every_error_and_writes_nothing(tmp_path) -> None:
    bad = write(
        tmp_path / "bad.geojson",
        collection(
            feature("station", "S1", point(0, 0)),
            feature("grid", "G1", polygon([(0, 0), (200, 200), (0, 200), (200, 0)])),
            feature("point", "P1", point(10, 10), priority="urgent"),
        ),
    )
    out = tmp_path / "out"
    result = run(str(bad), "--out", str(out))
    assert result.exit_code == 2
    assert "G1: self-intersecting polygon" in result.output
    assert "P1: priority 'urgent' is unknown" in result.output
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["bad.geojson"]


def test_unknown_station_exits_2_and_writes_nothing(tmp_path) -> None:
    out = tmp_path / "out"
    result = run(str(EXAMPLE), "--out", str(out), "--station", "S09")
    assert result.exit_code == 2
    assert "unknown station 'S09'" in result.output
    assert list(tmp_path.iterdir()) == []


def test_out_dir_with_files_is_refused(tmp_path) -> None:
    (tmp_path / "keep.txt").write_text("x")
    result = run(str(EXAMPLE), "--out", str(tmp_path))
    assert result.exit_code == 2
    assert "not an empty directory" in result.output
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_profile_option(tmp_path) -> None:
    profile = write(tmp_path / "p.toml", "patrol_altitude_m = 40.0\nside_overlap = 0.3\n")
    result = run(str(EXAMPLE), "--out", str(tmp_path / "o"), "--profile", str(profile))
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["profile"]["altitude_m"] == 40.0
    assert summary["profile"]["swath_width_m"] < 60
    bad = write(tmp_path / "bad.toml", "patrol_altitude_m = 400.0\nwingspan = 3\n")
    result = run(str(EXAMPLE), "--out", str(tmp_path / "x"), "--profile", str(bad))
    assert result.exit_code == 2
    assert "unknown key(s) wingspan" in result.output
    assert not (tmp_path / "x").exists()


def test_print_profile_shows_the_documented_defaults() -> None:
    result = CliRunner().invoke(main, ["plan", "--print-profile"])
    assert result.exit_code == 0
    assert "patrol_altitude_m = 60.0" in result.output
    assert "camera_hfov_deg" in result.output


def test_same_network_same_files_in_fresh_processes(tmp_path) -> None:
    import os
    import subprocess
    import sys

    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"run{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "dronepatrol", "plan", str(EXAMPLE), "--out", str(out)],
            check=True,
            capture_output=True,
            env=env,
        )
        outputs.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert outputs[0] == outputs[1]
