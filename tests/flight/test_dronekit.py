"""A DroneKit script (the maintained ``dronekit2``) flies unchanged against the simulator.

The script is DroneKit's usual flow: connect with wait_ready, read the
autopilot version and capabilities, GUIDED, arm, simple_takeoff,
simple_goto (a MISSION_ITEM with current=2, which ArduCopter flies), a
mission through ``vehicle.commands`` with read-back, AUTO, RTL. It runs in
its own process over a real TCP socket. Against the embedded simulator it
runs in tests/simulator/test_differential.py, which also holds every answer
to what real ArduCopter 4.7 said; here it runs against real SITL when
ARDUPILOT_SITL names an arducopter binary, and must pass the same stages.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flight.conftest import _start_sitl

SCRIPT = Path(__file__).parent / "scripts" / "dronekit_flow.py"
EXPECTED = [
    "version 4 7 0 dev",
    "mission_int True",
    "armed",
    "took off",
    "reached goto",
    "uploaded 4 commands",
    "mode AUTO",
    "mode RTL",
    "landed and disarmed",
]
SPEEDUP = 5.0
"""DroneKit answers mission requests at its own wall-clock pace; keep simulated time modest."""

pytestmark = pytest.mark.timeout(240)


def _run(url: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), url], capture_output=True, text=True, timeout=230
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for stage in EXPECTED:
        assert stage in proc.stdout, proc.stdout + proc.stderr
    return proc.stdout


@pytest.mark.sitl
def test_dronekit_flow_against_real_sitl() -> None:
    backend = _start_sitl(None, SPEEDUP)
    try:
        _run(backend.url)
    finally:
        backend.stop()
