"""MAVProxy (PyPI mavproxy) connects to the simulator, reads parameters, loads and flies a mission.

MAVProxy runs headless with its command line fed through stdin, the way an
operator types; a second link (system 254) watches the vehicle to check
what MAVProxy made it do.
"""

from __future__ import annotations

import queue
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from support import wait_until

from dronepatrol import geo
from dronepatrol.sitl import Home, SimFleet
from flight.flightlib import Gcs

pytestmark = pytest.mark.timeout(180)
HOME = Home(-35.363261, 149.165230, 584.0, 0.0)


def _mavproxy() -> str:
    found = shutil.which("mavproxy.py") or str(Path(sys.executable).parent / "mavproxy.py")
    if not Path(found).exists():
        pytest.fail("mavproxy.py is not installed: `make install` installs the dev extra")
    return found


class MavProxy:
    def __init__(self, url: str, workdir: Path) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                _mavproxy(),
                "--master",
                url,
                "--no-state",
                "--default-modules",
                "param,wp,mode,arm,cmdlong,misc,rally,fence",
            ],
            cwd=workdir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip())

    def type(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def expect(self, text: str, timeout: float = 30.0) -> str:

        def next_line() -> str | None:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                return None
            self.output.append(line)
            return line

        try:
            return wait_until(
                next_line,
                timeout,
                f"MAVProxy to print {text!r}",
                accept=lambda line: line is not None and text in line,
                every_s=0,
            )
        except AssertionError as error:
            raise AssertionError(f"{error}; output:\n" + "\n".join(self.output)) from None

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


def _waypoints_file(path: Path) -> int:
    """A QGC WPL 110 mission: takeoff, three waypoints, RTL (item 0 home)."""
    rows = [(0, 1, 0, 16, HOME.lat_deg, HOME.lon_deg, HOME.alt_m), (0, 3, 22, 0, 0.0, 0.0, 15.0)]
    for north, east in ((40, 0), (40, 40), (0, 40)):
        lat, lon = geo.offset(HOME.lat_deg, HOME.lon_deg, north, east)
        rows.append((0, 3, 16, 0, lat, lon, 15.0))
    rows.append((0, 3, 20, 0, 0.0, 0.0, 0.0))
    lines = ["QGC WPL 110"]
    for seq, (cur, frame, cmd, p1, lat, lon, alt) in enumerate(rows):
        current = 1 if seq == 0 else cur
        lines.append(
            f"{seq}\t{current}\t{frame}\t{cmd}\t{p1}\t0\t0\t0\t{lat:.8f}\t{lon:.8f}\t{alt}\t1"
        )
    path.write_text("\n".join(lines) + "\n")
    return len(rows)


def test_mavproxy_reads_params_loads_and_flies_a_mission(tmp_path: Path) -> None:
    mission = tmp_path / "patrol.waypoints"
    count = _waypoints_file(mission)
    # speedup 4: MAVProxy must answer mission requests within ArduPilot's timeouts, which
    # run in simulated time (1 s re-request, 8 s give-up)
    with SimFleet(1, HOME, speedup=4, base_port=0, fast_start=True) as fleet:
        watcher = Gcs(fleet.urls[0], target_system=1, source_system=254)
        mp = MavProxy(fleet.urls[0], tmp_path)
        try:
            watcher.wait_heartbeat()
            watcher.request_streams(4)
            mp.expect("Received ")  # parameter download at connection: "Received 70 parameters"
            mp.type("param show RTL_ALT")
            assert "1500" in mp.expect("RTL_ALT")
            watcher.wait_ready(timeout=60)
            mp.type(f"wp load {mission}")
            mp.expect(f"Loaded {count} waypoints")
            mp.expect("Sent all")
            back = watcher.download()
            assert [m.command for m in back[1:]] == [22, 16, 16, 16, 20]
            mp.type("mode guided")
            mp.expect("GUIDED")
            mp.type("arm throttle")
            watcher.wait("HEARTBEAT", lambda m: m.base_mode & 128, 30, "armed")
            mp.type("takeoff 15")
            watcher.wait_alt(15, timeout=60)
            mp.type("mode auto")
            watcher.wait_mode("AUTO", timeout=30)
            watcher.wait_disarmed(timeout=120)
            assert set(range(1, count)) <= set(watcher.seen.reached), watcher.seen.reached
        finally:
            mp.close()
            watcher.close()
