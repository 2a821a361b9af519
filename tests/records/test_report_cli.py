"""`dronepatrol report` as a station chief and a spreadsheet use it."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import REPORT_DAY, REPORT_NETWORK, REPORT_ZONE, seed_report_day

from dronepatrol.cli import main
from dronepatrol.database import make_engine, upgrade
from dronepatrol.records.patrol_report_text import CSV_COLUMNS


@pytest.fixture
def run(tmp_path: Path):
    """Invoke ``dronepatrol report`` on a database holding the worked day."""
    url = f"sqlite:///{tmp_path / 'patrol.db'}"
    engine = upgrade(make_engine(url))
    seed_report_day(engine)
    engine.dispose()
    network = tmp_path / "network.geojson"
    network.write_text(json.dumps(REPORT_NETWORK), encoding="utf-8")
    env = {"DRONEPATROL_DATABASE_URL": url, "DRONEPATROL_DATA_DIR": str(tmp_path)}

    def invoke(*args: str, with_network: bool = True):
        extra = ["--network", str(network)] if with_network else []
        return CliRunner().invoke(main, ["report", *extra, *args], env=env)

    return invoke


def test_table_for_people(run) -> None:
    result = run("--day", REPORT_DAY, "--tz", REPORT_ZONE)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"Patrol report {REPORT_DAY} (UTC+08:00)" in out
    assert "on time 64 % (7 of 11 deadlines), 3 of 4 targets overdue" in out
    assert "response median 5.0 min, p95 6.8 min" in out
    assert "flight 3.33 h in 5 sorties" in out


@pytest.mark.parametrize("day", ["29/11/2025", "2025-11-31", "yesterday", "2025-1-5"])
def test_a_bad_day_exits_2_naming_it_and_the_format(run, day: str) -> None:
    result = run("--day", day)
    assert result.exit_code == 2
    assert "--day" in result.output and repr(day) in result.output
    assert "YYYY-MM-DD" in result.output


def test_a_bad_zone_exits_2_with_what_a_zone_may_be(run) -> None:
    result = run("--day", REPORT_DAY, "--tz", "Mars/Olympus")
    assert result.exit_code == 2
    assert "--tz" in result.output and "Asia/Shanghai" in result.output


def test_csv_is_one_table_a_spreadsheet_filters_by_level(run) -> None:
    result = run("--day", REPORT_DAY, "--tz", REPORT_ZONE, "--format", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert tuple(rows[0]) == CSV_COLUMNS
    by = {(r["level"], r["key"]): r for r in rows}
    assert {level for level, _ in by} == {"fleet", "priority", "station", "vehicle", "target"}
    assert by[("station", "N")]["on_time_rate"] == "0.5714"
    assert by[("priority", "key")]["response_median_s"] == "250"
    assert by[("vehicle", "V1")]["battery_cycles"] == "1.2"
    assert by[("target", "K1")]["overdue_at_end"] == "yes"
    assert by[("target", "G1")]["coverage"] == "0.99"


def test_json_for_scripts(run) -> None:
    result = run("--day", REPORT_DAY, "--tz", REPORT_ZONE, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["day"] == REPORT_DAY and data["complete"] is True
    assert data["fleet"]["response"]["to_scene"] == {"count": 3, "median_s": 300.0, "p95_s": 408.0}
    assert [t["id"] for t in data["targets"]] == ["K1", "A1", "G1", "K2"]


def test_output_replaces_the_file_whole(run, tmp_path: Path) -> None:
    out = tmp_path / "reports" / "day.csv"
    out.parent.mkdir()
    out.write_text("an older report\n", encoding="utf-8")
    result = run("--day", REPORT_DAY, "--tz", REPORT_ZONE, "--format", "csv", "--output", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("day,level,key,") and "an older report" not in text
    assert len(text.splitlines()) == 1 + 12
    assert os.listdir(out.parent) == ["day.csv"]  # no temporary file left behind
    assert result.stdout == ""


def test_an_unwritable_output_exits_2_naming_it(run, tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("", encoding="utf-8")
    result = run("--day", REPORT_DAY, "--output", str(blocked / "day.csv"))
    assert result.exit_code == 2 and "--output" in result.output


def test_without_a_network_the_example_one_is_said(run) -> None:
    result = run("--day", REPORT_DAY, with_network=False)
    assert result.exit_code == 0, result.output
    assert "example network" in result.stderr
    assert "G001" in result.stdout  # the example network's targets


def test_the_command_is_listed() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert any(line.split()[:1] == ["report"] for line in result.output.splitlines())
