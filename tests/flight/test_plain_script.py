"""A pymavlink script written for real ArduCopter runs unchanged against `dronepatrol sim`."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from flight.conftest import _start_sitl

SCRIPT = Path(__file__).parent / "scripts" / "guided_takeoff_mission_rtl.py"
EXPECTED = [
    "armed",
    "took off",
    "uploaded 4 waypoints",
    "mode AUTO",
    "reached [1, 2, 3, 4]",
    "mode RTL",
    "landed and disarmed",
]

pytestmark = pytest.mark.timeout(180)

SCRIPT_SPEEDUP = 8.0
"""A script written for real time answers mission requests at its own pace; ArduPilot's
mission timeouts run in simulated time (8 s give-up), so keep the speedup modest."""


def _run_script(url: str, sysid: int) -> str:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), url], capture_output=True, text=True, timeout=170
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for stage in [f"heartbeat from system {sysid}", *EXPECTED]:
        assert stage in proc.stdout, proc.stdout
    return proc.stdout


def test_script_runs_against_dronepatrol_sim() -> None:
    sim = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dronepatrol",
            "sim",
            "--base-port",
            "0",
            "--speedup",
            str(SCRIPT_SPEEDUP),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = sim.stdout.readline().split(": ", 1)[1].strip()
        _run_script(url, sysid=1)  # `dronepatrol sim` vehicle 1
    finally:
        sim.send_signal(signal.SIGINT)
        try:
            sim.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            sim.kill()


@pytest.mark.sitl
def test_script_runs_against_real_sitl() -> None:
    backend = _start_sitl(None, SCRIPT_SPEEDUP)
    try:
        _run_script(backend.url, backend.sysid)
    finally:
        backend.stop()
