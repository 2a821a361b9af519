"""``dronepatrol fly``: bad input is refused with exit status 2 and the fix named."""

from __future__ import annotations

from click.testing import CliRunner

from dronepatrol.cli import main
from dronepatrol.missionfiles import load_mission

WAYPOINTS = """QGC WPL 110
0\t1\t0\t16\t0\t0\t0\t0\t-35.363261\t149.165230\t584.000000\t1
1\t0\t3\t22\t0\t0\t0\t0\t0\t0\t20\t1
2\t0\t3\t16\t0\t0\t0\t0\t-35.362\t149.1652\t30\t1
3\t0\t3\t20\t0\t0\t0\t0\t0\t0\t0\t1
"""


def test_waypoints_file_is_read_with_home_apart(tmp_path):
    path = tmp_path / "patrol.waypoints"
    path.write_text(WAYPOINTS)
    mission = load_mission(path)
    assert mission.home == (-35.363261, 149.16523, 584.0)
    assert [i.command for i in mission.items] == [22, 16, 20]
    assert mission.items[1].lat_deg == -35.362


def test_bad_link_url_exits_2_naming_the_form(tmp_path):
    path = tmp_path / "patrol.waypoints"
    path.write_text(WAYPOINTS)
    result = CliRunner().invoke(main, ["fly", "--connect", "tcp:nowhere", "--mission", str(path)])
    assert result.exit_code == 2
    assert "tcp:HOST:PORT" in result.output


def test_unreadable_mission_exits_2_naming_the_file(tmp_path):
    path = tmp_path / "broken.waypoints"
    path.write_text("QGC WPL 110\n1\t0\t3\t16\tnot numbers\n")
    result = CliRunner().invoke(
        main, ["fly", "--connect", "tcp:127.0.0.1:5760", "--mission", str(path)]
    )
    assert result.exit_code == 2
    assert "broken.waypoints" in result.output
    missing = CliRunner().invoke(
        main, ["fly", "--connect", "tcp:127.0.0.1:5760", "--mission", str(tmp_path / "none.plan")]
    )
    assert missing.exit_code == 2 and "none.plan" in missing.output


def test_the_cli_offers_exactly_the_preflight_checks_there_are():
    from dronepatrol.cli.fly import PREFLIGHT_CHECKS
    from dronepatrol.mavlink.preflight import CHECKS

    assert PREFLIGHT_CHECKS == CHECKS


def test_fly_will_not_take_over_a_vehicle_that_is_already_armed(tmp_path, copter, monkeypatch):
    monkeypatch.setenv("DRONEPATROL_DATA_DIR", str(tmp_path / "data"))
    path = tmp_path / "patrol.waypoints"
    path.write_text(WAYPOINTS)
    copter.armed = True
    copter.custom_mode = 5  # someone is flying it in LOITER
    result = CliRunner().invoke(
        main, ["fly", "--connect", copter.url, "--mission", str(path), "--record", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "already armed" in result.output
    assert copter.armed and copter.custom_mode == 5
    assert not [
        m
        for m in copter.received
        if m._type in ("COMMAND_LONG", "COMMAND_INT") and m.command in (176, 400, 20, 21)
    ]
