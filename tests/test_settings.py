"""Settings from the environment and a TOML file."""

from __future__ import annotations

from pathlib import Path

import pytest

from dronepatrol.settings import Settings, SettingsError


def test_defaults_put_the_database_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings.load(environ={"DRONEPATROL_DATA_DIR": str(tmp_path)})
    assert settings.data_dir == tmp_path
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'dronepatrol.db'}"


def test_environment_overrides_file(tmp_path: Path) -> None:
    config = tmp_path / "dp.toml"
    config.write_text(f'data_dir = "{tmp_path / "a"}"\ntile_url = "https://t/{{z}}"\n')
    settings = Settings.load(
        environ={"DRONEPATROL_DATA_DIR": str(tmp_path / "b")}, config_file=config
    )
    assert settings.data_dir == tmp_path / "b"
    assert settings.tile_url == "https://t/{z}"


def test_database_url_from_environment(tmp_path: Path) -> None:
    url = "postgresql+psycopg://u@127.0.0.1/dp"
    settings = Settings.load(environ={"DRONEPATROL_DATABASE_URL": url})
    assert settings.effective_database_url == url


def test_changing_data_dir_moves_the_default_database(tmp_path: Path) -> None:
    settings = Settings.load(environ={}).with_overrides(data_dir=tmp_path)
    assert settings.effective_database_url.endswith(str(tmp_path / "dronepatrol.db"))


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("nonsense = 1\n", "nonsense"),
        ("data_dir = [\n", "not valid TOML"),
        ("tile_url = 3\n", "tile_url"),
    ],
)
def test_bad_config_file_is_refused_by_name(tmp_path: Path, text: str, needle: str) -> None:
    config = tmp_path / "dp.toml"
    config.write_text(text)
    with pytest.raises(SettingsError, match=needle):
        Settings.load(environ={}, config_file=config)


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        Settings.load(environ={"DRONEPATROL_CONFIG": str(tmp_path / "none.toml")})


def test_unwritable_data_dir_names_the_variable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    settings = Settings.load(environ={"DRONEPATROL_DATA_DIR": str(blocker / "sub")})
    with pytest.raises(SettingsError, match="DRONEPATROL_DATA_DIR"):
        settings.ensure_dirs()


def test_patrol_settings_tighten_intervals_and_set_the_turnaround(tmp_path: Path) -> None:
    settings = Settings.load(
        environ={
            "DRONEPATROL_DATA_DIR": str(tmp_path),
            "DRONEPATROL_REVISIT_MIN": "key=20, general=360",
            "DRONEPATROL_BATTERY_TURNAROUND": "charge:45",
            "DRONEPATROL_LAUNCH_MIN_BATTERY_PCT": "80",
        }
    )
    policy = settings.revisit_policy()
    assert policy.interval_s("key") == 20 * 60 and policy.interval_s("attention") == 120 * 60
    assert policy.interval_s("general") == 360 * 60
    turnaround = settings.turnaround()
    assert turnaround.mode == "charge" and turnaround.charge_full_s == 45 * 60
    assert turnaround.launch_min_frac == pytest.approx(0.8)
    defaults = Settings(data_dir=tmp_path)
    assert (
        defaults.turnaround().swap_s == 300 and defaults.revisit_policy().interval_s("key") == 1800
    )


@pytest.mark.parametrize(
    ("name", "value", "needle"),
    [
        ("REVISIT_MIN", "key=soon", "revisit_min"),
        ("REVISIT_MIN", "vip=10", "unknown priority level"),
        ("REVISIT_MIN", "key=0", "must be > 0"),
        ("BATTERY_TURNAROUND", "teleport:1", "neither swap nor charge"),
        ("BATTERY_TURNAROUND", "swap:five", "swap:MINUTES"),
        ("LAUNCH_MIN_BATTERY_PCT", "150", "launch_min_frac"),
    ],
)
def test_bad_patrol_settings_are_refused_by_name(
    tmp_path: Path, name: str, value: str, needle: str
) -> None:
    with pytest.raises(SettingsError, match=needle):
        Settings.load(environ={"DRONEPATROL_DATA_DIR": str(tmp_path), f"DRONEPATROL_{name}": value})


def test_a_bad_patrol_setting_stops_the_command_with_exit_2(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from dronepatrol.cli import main

    result = CliRunner().invoke(
        main,
        ["report", "--help"],
        env={"DRONEPATROL_DATA_DIR": str(tmp_path), "DRONEPATROL_REVISIT_MIN": "key=-5"},
    )
    assert result.exit_code == 2
    assert "revisit_min" in result.output


def test_video_server_defaults_to_builtin_mjpeg_and_takes_janus() -> None:
    assert Settings.load({}, None).video_server_mode == "builtin"
    settings = Settings.load(
        {"DRONEPATROL_VIDEO_SERVER": "Janus", "DRONEPATROL_VIDEO_BITRATE_KBPS": "1800"}, None
    )
    assert settings.video_server_mode == "janus"
    assert settings.video_bitrate_bps == 1_800_000
    assert Settings.load({}, None).video_bitrate_bps == 2_500_000


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"DRONEPATROL_VIDEO_SERVER": "go2rtc"}, "video_server must be builtin or janus"),
        ({"DRONEPATROL_VIDEO_BITRATE_KBPS": "50000"}, "video_bitrate_kbps"),
    ],
)
def test_bad_video_settings_are_refused_by_name(env: dict, needle: str) -> None:
    with pytest.raises(SettingsError, match=needle):
        Settings.load(env, None)


def test_one_setting_selects_the_city_role_and_single_needs_nothing() -> None:
    assert Settings().deployment_mode == "single"
    station = Settings.load(
        {
            "DRONEPATROL_MODE": "station",
            "DRONEPATROL_STATION_ID": "north",
            "DRONEPATROL_BROKER_URL": "mqtts://bus.city.example",
        }
    )
    assert station.deployment_mode == "station"


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"mode": "hub"}, "mode must be one of single, station, centre"),
        ({"mode": "centre"}, "needs setting broker_url"),
        ({"mode": "centre", "broker_url": "http://bus:1883"}, "needs setting broker_url"),
        ({"mode": "station", "broker_url": "mqtt://bus:1883"}, "needs setting station_id"),
        (
            {"mode": "station", "broker_url": "mqtt://bus:1883", "station_id": "north/#"},
            "needs setting station_id",
        ),
    ],
)
def test_a_city_role_missing_what_it_needs_is_refused_by_name(
    values: dict[str, str], needle: str
) -> None:
    with pytest.raises(SettingsError, match=needle):
        Settings(**values)
