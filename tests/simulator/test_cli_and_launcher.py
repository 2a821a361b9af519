"""`dronepatrol sim`, `dronepatrol sitl` and the SITL launcher's command lines."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from dronepatrol.sitl.launcher import SitlFleet, default_params_file, fleet_specs, parse_home
from pymavlink import mavutil

from dronepatrol.cli import main

pytestmark = pytest.mark.timeout(60)


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["sim", "--home", "91,10"], "--home"),
        (["sim", "--home", "abc"], "--home"),
        (["sim", "--out", "tcp:1.2.3.4:5"], "--out"),
        (["sim", "--drones", "0"], "--drones"),
        (["sim", "--speedup", "0"], "--speedup"),
        (["sim", "--drones", "100", "--base-port", "65000"], "--base-port"),
        (["sitl", "--binary", "/no/such/arducopter"], "--binary"),
    ],
)
def test_bad_input_exits_2_naming_it(args: list[str], named: str) -> None:
    result = CliRunner().invoke(main, args, env={"ARDUPILOT_SITL": ""})
    assert result.exit_code == 2, result.output
    assert named in result.output


def test_sitl_without_a_binary_says_how_to_get_one() -> None:
    result = CliRunner().invoke(main, ["sitl"], env={"ARDUPILOT_SITL": ""})
    assert result.exit_code == 2
    assert "ARDUPILOT_SITL" in result.output


def test_sim_serves_vehicles_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dronepatrol",
            "sim",
            "--drones",
            "2",
            "--base-port",
            "0",
            "--speedup",
            "5",
            "--fast-start",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        urls = []
        for _ in range(2):
            line = proc.stdout.readline()
            assert line.startswith(f"vehicle {len(urls) + 1}: tcp:127.0.0.1:"), line
            urls.append(line.split(": ", 1)[1].strip())
        for i, url in enumerate(urls):
            conn = mavutil.mavlink_connection(url, source_system=255)
            hb = conn.wait_heartbeat(timeout=10)
            assert hb is not None and hb.get_srcSystem() == i + 1
            conn.close()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "simulator stopped" in err


def test_sitl_command_line() -> None:
    home = parse_home("-35.363261,149.165230,584,90")
    specs = fleet_specs("/opt/ardupilot/arducopter", 3, home, spacing_m=20, speedup=5)
    cmd = specs[2].command()
    assert cmd[0] == "/opt/ardupilot/arducopter"
    assert cmd[cmd.index("-I") + 1] == "2"
    assert cmd[cmd.index("--sysid") + 1] == "3"
    assert cmd[cmd.index("--speedup") + 1] == "5"
    assert "-w" in cmd
    assert cmd[cmd.index("--defaults") + 1] == str(default_params_file())
    assert default_params_file().is_file()
    assert specs[2].url == "tcp:127.0.0.1:5780"
    lat, lon, alt, heading = (float(x) for x in cmd[cmd.index("--home") + 1].split(","))
    assert (alt, heading) == (584, 90)
    assert lat == pytest.approx(-35.363261)
    assert lon > specs[1].home[1] > specs[0].home[1]  # spaced apart eastward


def test_launcher_runs_each_vehicle_in_its_own_directory(tmp_path: Path) -> None:
    fake = tmp_path / "arducopter"
    fake.write_text(
        textwrap.dedent(f"""\
        #!{sys.executable}
        import os, sys, time
        open("argv.txt", "w").write(" ".join(sys.argv[1:]))
        time.sleep(60)
        """)
    )
    fake.chmod(0o755)
    specs = fleet_specs(str(fake), 2, parse_home("-35.36,149.16"), speedup=2)
    with SitlFleet(specs, root=tmp_path / "run") as fleet:
        deadline = time.monotonic() + 10
        files = [tmp_path / "run" / f"vehicle{i}" / "argv.txt" for i in (1, 2)]
        while time.monotonic() < deadline and not all(f.exists() for f in files):
            time.sleep(0.05)
        assert all(p.alive() for p in fleet.processes)
        assert fleet.urls == ["tcp:127.0.0.1:5760", "tcp:127.0.0.1:5770"]
    assert "--sysid 2" in files[1].read_text()
    assert not any(p.alive() for p in fleet.processes)


@pytest.mark.sitl
def test_real_sitl_launch_prints_urls_and_serves_mavlink(tmp_path: Path) -> None:
    binary = os.environ["ARDUPILOT_SITL"]
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dronepatrol",
            "sitl",
            "--binary",
            binary,
            "--drones",
            "2",
            "--workdir",
            str(tmp_path),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        urls = [proc.stdout.readline().split(": ", 1)[1].split()[0] for _ in range(2)]
        for i, url in enumerate(urls):
            conn = mavutil.mavlink_connection(url, source_system=255, retries=30)
            hb = conn.wait_heartbeat(timeout=60)
            assert hb is not None and hb.get_srcSystem() == i + 1
            conn.close()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0


def test_sitl_reports_a_vehicle_that_exits(tmp_path: Path) -> None:
    fake = tmp_path / "arducopter"
    fake.write_text(
        f"#!{sys.executable}\nimport sys\nprint('bind failed: port in use')\nsys.exit(3)\n"
    )
    fake.chmod(0o755)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "dronepatrol",
            "sitl",
            "--binary",
            str(fake),
            "--workdir",
            str(tmp_path / "run"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1
    assert "vehicle 1: tcp:127.0.0.1:5760" in proc.stdout
    assert "exited with status 3" in proc.stderr
    assert "bind failed: port in use" in proc.stderr
