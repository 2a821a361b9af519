"""`dronepatrol sorties` as an operator and a script use it."""

from __future__ import annotations

import json
from pathlib import Path

import gpxpy
import pytest
from click.testing import CliRunner

from dronepatrol.cli import main
from dronepatrol.cli.sorties import parse_since
from dronepatrol.records.media import register_media


@pytest.fixture
def run(recorded, db_url: str, tmp_path: Path):
    def invoke(*args: str):
        env = {"DRONEPATROL_DATABASE_URL": db_url, "DRONEPATROL_DATA_DIR": str(tmp_path)}
        return CliRunner().invoke(main, ["sorties", *args], env=env)

    return invoke


def test_list_and_show(run, recorded) -> None:
    _, sortie_id, _ = recorded
    listing = run("list")
    assert listing.exit_code == 0, listing.output
    assert "copter-1" in listing.output and "completed" in listing.output
    rows = json.loads(run("list", "--json").output)
    assert [r["id"] for r in rows] == [sortie_id]
    assert rows[0]["outcome"] == "completed" and rows[0]["samples"] > 300
    assert json.loads(run("list", "--json", "--vehicle", "nobody").output) == []
    assert json.loads(run("list", "--json", "--since", "2026-09-21T14:00Z").output)
    assert json.loads(run("list", "--json", "--since", "2026-09-21T15:00Z").output) == []
    shown = json.loads(run("show", str(sortie_id), "--json").output)
    assert shown["stats"]["waypoints_reached"] == [1, 2, 3, 4]
    assert shown["stats"]["track_rate_hz"] >= 2.0
    text = run("show", str(sortie_id)).output
    assert "waypoint 4 reached" in text and "ARM by alice" in text


def test_export_writes_valid_files(run, recorded, tmp_path: Path) -> None:
    _, sortie_id, _ = recorded
    out = tmp_path / "exports" / "track.gpx"
    result = run("export", str(sortie_id), "--format", "gpx", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert len(gpxpy.parse(out.read_text()).tracks[0].segments[0].points) > 300
    to_stdout = run("export", str(sortie_id), "--format", "geojson")
    assert json.loads(to_stdout.output)["type"] == "FeatureCollection"
    refused = run("export", str(sortie_id), "--format", "shp")
    assert refused.exit_code == 2 and "shp" in refused.output


def test_report_writes_a_page(run, recorded, tmp_path: Path) -> None:
    _, sortie_id, _ = recorded
    network = tmp_path / "network.geojson"
    from records.test_coverage import NETWORK

    network.write_text(json.dumps({"type": "FeatureCollection", "features": NETWORK}))
    out = tmp_path / "report.html"
    result = run(
        "report", str(sortie_id), "--out", str(out), "--network", str(network), "--hfov-deg", "30"
    )
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "a 30° × 55° field of view" in html  # the default profile's along-track view
    # a 21 m footprint over the 40 m wide strip: 54 % imaged, short of the 95 % rule
    assert "G-STRIP" in html and "54 % of flyable area imaged" in html
    bad = tmp_path / "bad.geojson"
    bad.write_text("[1, 2]")
    refused = run("report", str(sortie_id), "--out", str(out), "--network", str(bad))
    assert refused.exit_code == 2 and "bad.geojson" in refused.output
    assert "FeatureCollection" in refused.output


def test_report_takes_the_camera_from_a_drone_profile(run, recorded, tmp_path: Path) -> None:
    _, sortie_id, _ = recorded
    out = tmp_path / "report.html"
    profile = tmp_path / "wide.toml"
    profile.write_text("name = 'wide'\ncamera_hfov_deg = 90.0\n")
    result = run("report", str(sortie_id), "--out", str(out), "--profile", str(profile))
    assert result.exit_code == 0, result.output
    assert "a 90° × 55° field of view" in out.read_text()
    profile.write_text("camera_fov = 90.0\n")
    refused = run("report", str(sortie_id), "--out", str(out), "--profile", str(profile))
    assert refused.exit_code == 2 and "wide.toml" in refused.output
    assert "camera_fov" in refused.output


def test_planned_targets_match_a_sortie_by_id_or_plan_file(tmp_path: Path) -> None:
    from dronepatrol.cli.sorties import planned_targets

    summary = tmp_path / "summary.json"
    summary.write_text(
        json.dumps(
            {
                "sorties": [
                    {"id": "S01-1", "plan": "S01-1.plan", "targets": ["G001", "P003"]},
                    {"id": "S01-2", "plan": "S01-2.plan", "targets": ["L002"]},
                ],
            }
        )
    )
    assert planned_targets(summary, "S01-2") == ["L002"]
    assert planned_targets(summary, "/missions/out/S01-1.plan") == ["G001", "P003"]
    assert planned_targets(summary, "S09-9") == []


def test_verify_exit_status_names_the_file(run, recorded, tmp_path: Path) -> None:
    engine, sortie_id, _ = recorded
    assert "no media" in run("verify", str(sortie_id)).output
    video = tmp_path / "front.mp4"
    video.write_bytes(b"frames" * 100)
    register_media(engine, sortie_id, video)
    ok = run("verify", str(sortie_id))
    assert ok.exit_code == 0 and "match" in ok.output
    video.write_bytes(b"edited" * 100)
    failed = run("verify", str(sortie_id))
    assert failed.exit_code == 1
    assert "MISMATCH" in failed.output and str(video) in failed.output


def test_unknown_sortie_exits_2(run) -> None:
    for command in (["show", "999"], ["export", "999", "--format", "csv"], ["verify", "999"]):
        result = run(*command)
        assert result.exit_code == 2, command
        assert "no sortie with id 999" in result.output
    assert run("show", "abc").exit_code == 2


def test_since_accepts_dates_and_ages() -> None:
    assert parse_since("30m", now_s=4000.0) == 2200.0
    assert parse_since("1970-01-01T01:00:00+01:00") == 0.0
    with pytest.raises(Exception, match="neither a date"):
        parse_since("last tuesday")


def test_report_takes_camera_and_targets_from_the_plan_summary(tmp_path: Path, db_url) -> None:
    from dronepatrol.database import make_engine, upgrade
    from dronepatrol.events import EventBus
    from dronepatrol.records.recorder import Recorder
    from records.sortie_script import ScriptedSortie

    engine = upgrade(make_engine(db_url))
    bus = EventBus()
    recorder = Recorder(engine, bus)
    recorder.start()
    ScriptedSortie(bus, plan="S01-2", targets=()).fly()
    assert recorder.flush()
    recorder.stop()
    engine.dispose()
    summary = tmp_path / "summary.json"
    summary.write_text(
        json.dumps(
            {
                "profile": {"camera_hfov_deg": 90.0, "camera_vfov_deg": 60.0},
                "sorties": [{"id": "S01-2", "plan": "S01-2.plan", "targets": ["L-ROAD"]}],
            }
        )
    )
    out = tmp_path / "report.html"
    env = {"DRONEPATROL_DATABASE_URL": db_url, "DRONEPATROL_DATA_DIR": str(tmp_path)}
    args = ["sorties", "report", "1", "--out", str(out), "--plan-summary", str(summary)]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert "a 90° × 60° field of view" in html
    assert "L-ROAD" in html  # planned, but absent from any network given
    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    args = ["sorties", "report", "1", "--out", str(out), "--plan-summary", str(broken)]
    refused = CliRunner().invoke(main, args, env=env)
    assert refused.exit_code == 2 and "broken.json" in refused.output


def test_attach_registers_files_for_verify(run, recorded, tmp_path: Path) -> None:
    _, sortie_id, _ = recorded
    video = tmp_path / "body-cam.mp4"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42" * 50)
    attached = run("attach", str(sortie_id), str(video))
    assert attached.exit_code == 0, attached.output
    shown = json.loads(run("show", str(sortie_id), "--json").output)
    [media] = shown["media"]
    assert media["kind"] == "video" and media["path"] == str(video.resolve())
    assert run("verify", str(sortie_id)).exit_code == 0
    missing = run("attach", str(sortie_id), str(tmp_path / "nope.mp4"))
    assert missing.exit_code == 2 and "nope.mp4" in missing.output


def test_an_unreachable_database_is_named_without_its_password(tmp_path: Path) -> None:
    from support import free_tcp_port

    url = f"postgresql+psycopg://patrol:s3cret@127.0.0.1:{free_tcp_port()}/records"
    env = {"DRONEPATROL_DATABASE_URL": url, "DRONEPATROL_DATA_DIR": str(tmp_path)}
    result = CliRunner().invoke(main, ["sorties", "list"], env=env)
    assert result.exit_code == 1
    assert "cannot open the sortie database" in result.output
    assert "127.0.0.1" in result.output and "s3cret" not in result.output
