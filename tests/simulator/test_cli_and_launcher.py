"""`dronepatrol sim`, `dronepatrol sitl` and the SITL launcher's command lines."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from pymavlink import mavutil
from support import wait_until

from dronepatrol.cli import main
from dronepatrol.sitl.launcher import (
    SitlFleet,
    SitlPortsBusy,
    default_params_file,
    first_free_instance,
    fleet_specs,
    parse_home,
)

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
    first = first_free_instance(2, start=20)
    specs = fleet_specs(str(fake), 2, parse_home("-35.36,149.16"), speedup=2, first_instance=first)
    with SitlFleet(specs, root=tmp_path / "run") as fleet:
        files = [tmp_path / "run" / f"vehicle{first + i}" / "argv.txt" for i in (1, 2)]
        wait_until(
            lambda: [f.name for f in files if f.exists()],
            10,
            "both instances' argv.txt",
            accept=lambda written: len(written) == 2,
            every_s=0.05,
        )
        assert all(p.alive() for p in fleet.processes)
        port = 5760 + 10 * first
        assert fleet.urls == [f"tcp:127.0.0.1:{port}", f"tcp:127.0.0.1:{port + 10}"]
    assert f"-I {first + 1} --sysid {first + 2}" in files[1].read_text()
    assert not any(p.alive() for p in fleet.processes)


@pytest.mark.sitl
def test_real_sitl_launch_prints_urls_and_serves_mavlink(tmp_path: Path) -> None:
    binary = os.environ["ARDUPILOT_SITL"]
    first = first_free_instance(2, start=20)  # a developer's own SITL may hold 5760
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
            "--instance",
            str(first),
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
            assert hb is not None and hb.get_srcSystem() == first + i + 1
            conn.close()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0


def test_sitl_refuses_ports_another_program_holds(tmp_path: Path) -> None:
    """A SITL that cannot listen exits, and a ground station would meet the other program."""
    fake = tmp_path / "arducopter"
    fake.write_text(f"#!{sys.executable}\nopen('started', 'w')\n")
    fake.chmod(0o755)
    first = first_free_instance(2, start=20)
    with socket.socket() as other:
        other.bind(("127.0.0.1", 5760 + 10 * (first + 1) + 2))  # vehicle 2's SERIAL1
        other.listen()
        specs = fleet_specs(str(fake), 2, parse_home("-35.36,149.16"), first_instance=first)
        with pytest.raises(SitlPortsBusy, match=str(5760 + 10 * (first + 1) + 2)):
            SitlFleet(specs, root=tmp_path / "run").start()
        assert not list(tmp_path.glob("run/*/started"))
        args = ["sitl", "--binary", str(fake), "--drones", "2", "--instance", str(first)]
        result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "--instance" in result.output and "already in use" in result.output


def test_sitl_reports_a_vehicle_that_exits(tmp_path: Path) -> None:
    fake = tmp_path / "arducopter"
    fake.write_text(
        f"#!{sys.executable}\nimport sys\nprint('bind failed: port in use')\nsys.exit(3)\n"
    )
    fake.chmod(0o755)
    first = first_free_instance(1, start=20)
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
            "--instance",
            str(first),
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 1
    assert f"vehicle {first + 1}: tcp:127.0.0.1:{5760 + 10 * first}" in proc.stdout
    assert "exited with status 3" in proc.stderr
    assert "bind failed: port in use" in proc.stderr


def test_sim_console_injects_faults() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dronepatrol",
            "sim",
            "--base-port",
            "0",
            "--speedup",
            "10",
            "--fast-start",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    assert proc.stdin is not None and proc.stdout is not None

    def say(line: str) -> str:
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        return proc.stdout.readline().strip()

    try:
        url = proc.stdout.readline().split(": ", 1)[1].strip()
        conn = mavutil.mavlink_connection(url, source_system=255)
        conn.wait_heartbeat(timeout=10)
        conn.mav.request_data_stream_send(1, 1, 2, 4, 1)  # extended status: GPS_RAW_INT
        fix = conn.recv_match(
            type="GPS_RAW_INT", condition="GPS_RAW_INT.fix_type>=3", blocking=True, timeout=10
        )
        assert fix is not None
        assert say("gps 1 off") == "vehicle 1: GPS off"
        lost = conn.recv_match(
            type="GPS_RAW_INT", condition="GPS_RAW_INT.fix_type<3", blocking=True, timeout=10
        )
        assert lost is not None
        assert say("wind 1 8 270 2") == "vehicle 1: wind 8 m/s from 270 deg, gusts 2 m/s"
        assert say("cut 1") == "vehicle 1: link cut"
        assert "link CUT" in say("status")
        proc.stdin.write("battery 9 10\nfly away\n")  # two bad lines, reported on stderr
        assert say("restore 1") == "vehicle 1: link restored"
        conn.close()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert "error: no vehicle 9: vehicles are 1..1" in err
    assert "error: unknown command 'fly'" in err


def _param(conn, name: str) -> float:
    for _ in range(5):
        conn.mav.param_request_read_send(conn.target_system, 1, name.encode(), -1)
        msg = conn.recv_match(type="PARAM_VALUE", blocking=True, timeout=2)
        while msg is not None and msg.param_id != name:
            msg = conn.recv_match(type="PARAM_VALUE", blocking=True, timeout=2)
        if msg is not None:
            return msg.param_value
    raise AssertionError(f"no PARAM_VALUE for {name}")


def test_patrol_vehicles_carry_the_failsafes_fence_and_pack_fly_checks(tmp_path: Path) -> None:
    """``--patrol``: what ``fly``'s preflight checks ask for, and the profile's pack."""
    from dronepatrol.mavlink.preflight import PATROL_SAFETY_PARAMS
    from dronepatrol.planning import load_profile
    from dronepatrol.sitl.physics import HOVER_CURRENT_A

    # the profile's promises on the simulated quad: 1800 s of hover at 28 A, and cruise
    # at 10 m/s (28 A x 1.12, no translational lift in SITL's model) at 0.9 of hover power
    profile = load_profile()
    hover_mah = HOVER_CURRENT_A * profile.hover_endurance_s / 3.6
    cruise_mah = HOVER_CURRENT_A * 1.12 * profile.hover_endurance_s / 0.9 / 3.6
    assert (profile.cruise_speed_mps, profile.cruise_power_ratio) == (10.0, 0.9)
    pack_mah = round(max(hover_mah, cruise_mah))
    expected = {**PATROL_SAFETY_PARAMS, "BATT_CAPACITY": pack_mah}
    fake = tmp_path / "arducopter"
    fake.write_text(
        f"#!{sys.executable}\nimport sys\nopen('argv.txt', 'w').write(' '.join(sys.argv[1:]))\n"
        "sys.exit(3)\n"
    )
    fake.chmod(0o755)
    first = first_free_instance(1, start=20)

    # real SITL: a defaults file after the project's own, by default (--stock: none)
    def sitl_defaults(*flags: str) -> list[str]:
        run = tmp_path / ("run" + "".join(flags))
        args = ["--binary", str(fake), "--workdir", str(run), "--instance", str(first), *flags]
        subprocess.run(
            [sys.executable, "-m", "dronepatrol", "sitl", *args], capture_output=True, timeout=30
        )
        argv = (run / f"vehicle{first + 1}" / "argv.txt").read_text().split()
        return argv[argv.index("--defaults") + 1].split(",")

    assert sitl_defaults("--stock") == [str(default_params_file())]
    defaults = sitl_defaults()
    assert defaults[0] == str(default_params_file())
    lines = Path(defaults[1]).read_text().splitlines()
    written = dict(line.split() for line in lines if not line.startswith("#"))
    assert {k: float(v) for k, v in written.items()} == expected
    # the embedded simulator: the same parameters, and a frame pack of that capacity
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dronepatrol",
            "sim",
            "--base-port",
            "0",
            "--fast-start",
            "--patrol",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = proc.stdout.readline().split(": ", 1)[1].strip()
        conn = mavutil.mavlink_connection(url, source_system=255)
        conn.wait_heartbeat(timeout=10)
        for name, value in expected.items():
            assert _param(conn, name) == value, name
        assert _param(conn, "SIM_BATT_CAP_AH") == pytest.approx(pack_mah / 1000, abs=1e-3)
        conn.close()
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
