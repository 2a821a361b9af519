"""A vehicle's link shared with another ground station while DronePatrol flies it.

A DroneKit script (PyPI ``dronekit2``) attaches through ``--mavlink-out``'s
forward, reads the vehicle's state during a sortie and sends it home; the
vehicle obeys, and the sortie's audit trail records the command as external.
On the embedded simulator always, on real ArduCopter SITL when configured.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from pymavlink import mavutil
from support import heartbeat_answer

from dronepatrol import geo
from dronepatrol.database import upgrade
from dronepatrol.events import EventBus, EventKind
from dronepatrol.mavlink import Fleet, wait_ready
from dronepatrol.mavlink.forward import ForwardUrl, ForwardUrlError
from dronepatrol.mission import Cmd, Mission, MissionItem
from dronepatrol.missionfiles import save_mission
from dronepatrol.records.archive import SortieArchive
from dronepatrol.records.recorder import Recorder
from dronepatrol.records.report import command_audit
from dronepatrol.state import LandedState

pytestmark = pytest.mark.timeout(300)

SCRIPTS = Path(__file__).parent / "scripts"
ALT_M = 15.0
SPEEDUP = 10.0
"""Simulated seconds per wall second: the script, polling every 0.05 s, steps in as the
vehicle reaches ALT_M, with a minute of simulated flight (6 s of wall time) to spare
before the mission's last waypoint; the link's heartbeat is twice this."""
SAFE = {
    "FS_GCS_ENABLE": 1,
    "BATT_FS_LOW_ACT": 2,
    "FENCE_ENABLE": 1,
    "FENCE_TYPE": 1,
    "FENCE_ALT_MAX": 100,
    "RTL_ALT": 1500,
}
"""Parameters that pass `fly`'s preflight checks."""


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def long_patrol(home) -> Mission:
    """Three points 200 m out: the script has a minute of simulated flight to step in."""
    items = [MissionItem(Cmd.NAV_TAKEOFF, alt_m=ALT_M)]
    for north, east in ((200, 0), (200, 200), (0, 200)):
        lat, lon = geo.offset(home.lat_deg, home.lon_deg, north, east)
        items.append(MissionItem(Cmd.NAV_WAYPOINT, lat_deg=lat, lon_deg=lon, alt_m=ALT_M))
    items.append(MissionItem(Cmd.NAV_RETURN_TO_LAUNCH))
    return Mission(tuple(items), home=(home.lat_deg, home.lon_deg, home.alt_m))


def test_a_dronekit_script_shares_the_link_and_is_audited_as_external(
    launch_vehicle, tmp_path: Path
) -> None:
    backend = launch_vehicle(params={"DISARM_DELAY": 127}, speedup=SPEEDUP)
    port = free_udp_port()
    endpoint = f"udp:127.0.0.1:{port}"
    engine = upgrade(f"sqlite:///{tmp_path / 'sorties.db'}")
    bus = EventBus()
    recorder = Recorder(engine, bus)
    recorder.start()
    events = bus.subscribe()
    fleet = Fleet(bus, mavlink_out=[endpoint], heartbeat_hz=2 * backend.speedup)
    script = None
    try:
        fleet.add(backend.url, wait_s=60)
        [vehicle] = fleet.wait_vehicles(1, timeout_s=60)
        # the script attaches before the sortie, as an operator's would
        script = subprocess.Popen(
            [sys.executable, str(SCRIPTS / "dronekit_takeover.py"), endpoint, str(ALT_M)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        wait_ready(vehicle, 120)
        vehicle.mission.upload(long_patrol(backend.home))
        vehicle.action.takeoff(ALT_M, source="alice")
        vehicle.action.start_mission(source="alice")
        vehicle.telemetry.wait_for(
            lambda s: not s.armed and s.landed_state == LandedState.ON_GROUND,
            240,
            "landed and disarmed after the script's RTL",
        )
        out, _ = script.communicate(timeout=60)
    finally:
        if script is not None and script.poll() is None:
            script.kill()
            script.communicate()
        fleet.close()
    assert script.returncode == 0, out
    # the script read the vehicle's state through the forward ...
    assert "connected: mode" in out and "vehicle in RTL" in out, out
    altitude = next(line for line in out.splitlines() if line.startswith("flying AUTO at"))
    assert abs(float(altitude.split()[3]) - ALT_M) <= 2.0, altitude
    # ... and its RTL, not the mission's end, brought the vehicle home: not every waypoint
    log = events.drain()
    reached = {e.data["seq"] for e in log if e.kind == EventKind.WAYPOINT_REACHED}
    assert 4 not in reached, reached
    modes = [e.data["mode"] for e in log if e.kind == EventKind.MODE_CHANGED]
    assert modes.index("RTL") > modes.index("AUTO"), modes
    assert recorder.flush()
    recorder.stop()

    archive = SortieArchive(engine)
    [summary] = archive.list()
    audit = command_audit(archive.record(summary.id).events)
    external = [row for row in audit if row["actor"] == f"external {endpoint}"]
    assert any(
        row["command"] == "DO_SET_MODE" and row["result"] == "ACCEPTED" for row in external
    ), audit
    assert all(row["result"] is not None for row in external), external
    ours = {row["command"] for row in audit if row["actor"] == "alice"}
    assert any("TAKEOFF" in name for name in ours), ours
    engine.dispose()


def test_fly_shares_its_link_and_reports_the_external_command(launch_vehicle, tmp_path) -> None:
    """`dronepatrol fly --mavlink-out`: the sortie goes on while a DroneKit script takes over."""
    backend = launch_vehicle(params={"DISARM_DELAY": 127, **SAFE}, speedup=SPEEDUP)
    endpoint = f"udp:127.0.0.1:{free_udp_port()}"
    plan = tmp_path / "patrol.plan"
    save_mission(long_patrol(backend.home), plan)
    fly = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dronepatrol",
            "fly",
            "--connect",
            backend.url,
            "--mission",
            str(plan),
            "--takeoff-alt",
            str(ALT_M),
            "--record",
            str(tmp_path / "tlogs"),
            "--heartbeat-hz",
            str(2 * backend.speedup),
            "--mavlink-out",
            endpoint,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "DRONEPATROL_DATA_DIR": str(tmp_path / "data")},
    )
    script = subprocess.Popen(
        [sys.executable, str(SCRIPTS / "dronekit_takeover.py"), endpoint, str(ALT_M)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        script_out, _ = script.communicate(timeout=240)
        out, _ = fly.communicate(timeout=240)
    finally:
        for proc in (script, fly):
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert script.returncode == 0, script_out + out
    assert f"sharing the vehicle's MAVLink with {endpoint}" in out, out
    assert f"external {endpoint}: DO_SET_MODE -> ACCEPTED" in out, out
    assert "mode RTL" in out and "landed and disarmed" in out, out
    assert fly.returncode == 0, out
    # the tlog holds the script's command as the vehicle got it (from the script's own id)
    tlog = next((tmp_path / "tlogs").glob("*.tlog"))
    log = mavutil.mavlink_connection(str(tlog))
    commands = []
    while (msg := log.recv_match(type="COMMAND_LONG")) is not None:
        commands.append((msg.get_srcComponent(), msg.command))
    log.close()
    assert (0, mavutil.mavlink.MAV_CMD_DO_SET_MODE) in commands, commands


def test_sim_shares_each_vehicle_on_its_own_port(tmp_path: Path) -> None:
    """`dronepatrol sim --drones 2 --mavlink-out udp:...:P`: vehicle i answers on P + i."""
    base = free_udp_port()
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dronepatrol",
            "sim",
            "--drones",
            "2",
            "--base-port",
            "0",
            "--fast-start",
            "--mavlink-out",
            f"udpin:127.0.0.1:{base}",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [sim.stdout.readline() for _ in range(4)]
        assert f"shared with udpin:127.0.0.1:{base + 1}" in lines[3], lines
        for i in range(2):
            # a ground station that sends first to a listening endpoint (udpout) is answered
            gcs = mavutil.mavlink_connection(f"udpout:127.0.0.1:{base + i}", source_system=250)
            try:
                heard = heartbeat_answer(gcs, 30, f"vehicle {i + 1}'s HEARTBEAT on its endpoint")
                assert heard.get_srcSystem() == i + 1
                # and what it sends reaches the vehicle, whose answer comes back to it
                gcs.mav.command_long_send(i + 1, 1, 31999, 0, 0, 0, 0, 0, 0, 0, 0)
                ack = gcs.recv_match(type="COMMAND_ACK", blocking=True, timeout=10)
                assert ack is not None and ack.get_srcSystem() == i + 1
                assert (ack.command, ack.target_system) == (31999, 250)
                assert ack.result == mavutil.mavlink.MAV_RESULT_UNSUPPORTED
            finally:
                gcs.close()
    finally:
        sim.terminate()
        sim.communicate(timeout=20)


@pytest.mark.parametrize(
    "value",
    ["tcp:127.0.0.1:5760", "udp:127.0.0.1", "udp:127.0.0.1:99999", "14550"],
)
def test_a_bad_endpoint_is_refused_with_the_forms_to_use(value: str) -> None:
    with pytest.raises(ForwardUrlError, match="udp:HOST:PORT"):
        ForwardUrl.parse(value)
    proc = subprocess.run(
        [sys.executable, "-m", "dronepatrol", "sim", "--mavlink-out", value],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "--mavlink-out" in proc.stderr and "udp:127.0.0.1:14550" in proc.stderr
