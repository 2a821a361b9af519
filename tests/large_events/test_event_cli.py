"""``dronepatrol event``: add, list and end large events from the command line."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from dronepatrol.cli import main

MISSIONS = Path(__file__).resolve().parents[2] / "missions"
EXAMPLE = MISSIONS / "canberra-showground-event.geojson"
NETWORK = MISSIONS / "canberra-sitl.geojson"


def _runner(tmp_path: Path) -> CliRunner:
    return CliRunner(env={"DRONEPATROL_DATA_DIR": str(tmp_path / "data")})


def _moved(tmp_path: Path, start_in_s: float) -> Path:
    """The example event starting ``start_in_s`` from now, for three hours."""
    data = json.loads(EXAMPLE.read_text())
    zone = data["features"][0]["properties"]
    start = time.time() + start_in_s
    zone["start"] = datetime.fromtimestamp(start, UTC).isoformat()
    zone["end"] = datetime.fromtimestamp(start + 3 * 3600, UTC).isoformat()
    path = tmp_path / "event.geojson"
    path.write_text(json.dumps(data))
    return path


def test_add_list_and_end(tmp_path) -> None:
    runner = _runner(tmp_path)
    added = runner.invoke(main, ["event", "add", str(EXAMPLE), "--network", str(NETWORK)])
    assert added.exit_code == 0, added.output
    assert "added showground-final (Showground final): 7 targets" in added.output
    listed = runner.invoke(main, ["event", "list"])
    assert listed.exit_code == 0
    assert "showground-final" in listed.output and "scheduled" in listed.output
    ended = runner.invoke(main, ["event", "end", "showground-final"])
    assert ended.exit_code == 0 and "cancelled" in ended.output
    again = runner.invoke(main, ["event", "end", "showground-final"])
    assert again.exit_code == 2 and "cancelled already" in again.output


def test_an_active_event_ends_early(tmp_path) -> None:
    runner = _runner(tmp_path)
    path = _moved(tmp_path, -600)
    assert runner.invoke(main, ["event", "add", str(path)]).exit_code == 0
    assert "active" in runner.invoke(main, ["event", "list"]).output
    ended = runner.invoke(main, ["event", "end", "showground-final", "--by", "cmdr"])
    assert ended.exit_code == 0 and "ended" in ended.output


def test_a_bad_file_exits_2_listing_every_problem(tmp_path) -> None:
    data = copy.deepcopy(json.loads(EXAMPLE.read_text()))
    data["features"][0]["properties"]["start"] = "2030-03-17T00:00:00+11:00"  # after the end
    data["features"][2]["properties"]["priority"] = "urgent"  # FAN-WALK
    data["features"][6]["properties"]["station"] = "S99"  # BUS
    path = tmp_path / "bad.geojson"
    path.write_text(json.dumps(data))
    result = _runner(tmp_path).invoke(main, ["event", "add", str(path), "--network", str(NETWORK)])
    assert result.exit_code == 2
    assert "is not after start" in result.output
    assert "FAN-WALK: priority 'urgent' is unknown" in result.output
    assert "BUS: unknown station 'S99'; use one of: S01, S02" in result.output
    assert "3 error(s); nothing stored" in result.output
    assert "no large events" in _runner(tmp_path).invoke(main, ["event", "list"]).output


def test_missing_file_unknown_event_and_duplicate_id_exit_2(tmp_path) -> None:
    runner = _runner(tmp_path)
    missing = runner.invoke(main, ["event", "add", str(tmp_path / "nope.geojson")])
    assert missing.exit_code == 2 and "no such file" in missing.output
    unknown = runner.invoke(main, ["event", "end", "nope"])
    assert unknown.exit_code == 2 and "event list" in unknown.output
    assert runner.invoke(main, ["event", "add", str(EXAMPLE)]).exit_code == 0
    dup = runner.invoke(main, ["event", "add", str(EXAMPLE)])
    assert dup.exit_code == 2 and "exists already" in dup.output
