"""Mission upload: 300 items to the simulator, our link against MAVProxy's ``wp load``.

In one run, against one embedded simulated ArduCopter (real TCP, the
mission protocol as ArduPilot speaks it), or against the vehicle at
``--connect URL`` (real ArduCopter SITL: ``--connect tcp:127.0.0.1:5760``):

* ours: :meth:`MissionPlugin.upload_items` of 300 waypoints (+ home), then the
  same with verification (download and compare), [s];
* MAVProxy (PyPI ``mavproxy``), driven headless through its command line:
  ``wp load`` of the same 300 waypoints as a ``.waypoints`` file, timed by
  MAVProxy's own "Loaded N waypoint in T s" line, then ``wp list`` (its
  download) timed from command to "Saved N waypoints" [s].

Each side connects alone (ArduPilot refuses a second uploader mid-transfer)
after its start-up traffic has settled. The goal: our upload + verify within
1.2 times MAVProxy's ``wp load`` + ``wp list``. Last line: one JSON object.
Usage: python bench/mission_upload.py [--items 300] [--runs 3] [--connect URL]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from dronepatrol.events import EventBus
from dronepatrol.mavlink import Link
from dronepatrol.mavlink.bringup import NEEDED_PARAMS
from dronepatrol.mission import Cmd, Frame, MissionItem, MissionType
from dronepatrol.sitl import Home, SimFleet

HOME = Home(-35.363261, 149.165230, 584.0, 0.0)


def mission_items(n: int) -> list[MissionItem]:
    items = [
        MissionItem(
            Cmd.NAV_WAYPOINT,
            Frame.GLOBAL,
            lat_deg=HOME.lat_deg,
            lon_deg=HOME.lon_deg,
            alt_m=HOME.alt_m,
        )
    ]
    for i in range(1, n + 1):
        items.append(
            MissionItem(
                Cmd.NAV_WAYPOINT,
                Frame.GLOBAL_RELATIVE_ALT,
                lat_deg=round(HOME.lat_deg + i * 1e-5, 7),
                lon_deg=round(HOME.lon_deg + (i % 7) * 1e-5, 7),
                alt_m=20 + i % 10,
            )
        )
    return items


def write_waypoints(items: list[MissionItem], path: Path) -> None:
    lines = ["QGC WPL 110"]
    for seq, it in enumerate(items):
        lines.append(
            "\t".join(
                str(v)
                for v in (
                    seq,
                    int(seq == 0),
                    it.frame,
                    it.command,
                    it.param1,
                    it.param2,
                    it.param3,
                    it.param4,
                    f"{it.lat_deg:.7f}",
                    f"{it.lon_deg:.7f}",
                    it.alt_m,
                    1,
                )
            )
        )
    path.write_text("\n".join(lines) + "\n")


def ours(url: str, items: list[MissionItem], runs: int) -> tuple[list[float], list[float]]:
    link = Link(url, EventBus()).start()
    try:
        vehicle = link.wait_vehicle(timeout_s=30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not set(NEEDED_PARAMS) <= set(vehicle.params.heard()):
            time.sleep(0.1)  # start-up requests done, as MAVProxy's parameter download is
        time.sleep(1.0)  # and the vehicle's answers to them (MAVProxy gets the same second)
        upload, verified = [], []
        for _ in range(runs):
            start = time.perf_counter()
            vehicle.mission.upload_items(items, MissionType.MISSION, verify=False)
            upload.append(time.perf_counter() - start)
            start = time.perf_counter()
            vehicle.mission.upload_items(items, MissionType.MISSION, verify=True)
            verified.append(time.perf_counter() - start)
        return upload, verified
    finally:
        link.close()


class _Reader(threading.Thread):
    def __init__(self, stream) -> None:
        super().__init__(daemon=True)
        self.stream = stream
        self.lines: list[tuple[float, str]] = []
        self.cond = threading.Condition()

    def run(self) -> None:
        for line in self.stream:
            with self.cond:
                self.lines.append((time.perf_counter(), line.rstrip()))
                self.cond.notify_all()

    def wait(self, pattern: str, after: int, timeout_s: float) -> tuple[int, float, str]:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout_s
        with self.cond:
            while True:
                for i in range(after, len(self.lines)):
                    if regex.search(self.lines[i][1]):
                        return i, *self.lines[i]
                left = deadline - time.monotonic()
                if left <= 0:
                    tail = "\n".join(line for _, line in self.lines[-15:])
                    raise TimeoutError(f"MAVProxy never printed {pattern!r}; last lines:\n{tail}")
                self.cond.wait(left)


def mavproxy(url: str, waypoints: Path, count: int, runs: int, workdir: Path):
    exe = shutil.which("mavproxy.py") or str(Path(sys.executable).parent / "mavproxy.py")
    if not Path(exe).exists():
        return None, "mavproxy.py not installed (pip install mavproxy)"
    proc = subprocess.Popen(
        [
            sys.executable,
            exe,
            "--master",
            url,
            "--state-basedir",
            str(workdir),
            "--default-modules",
            "wp,param,mode,cmdlong",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=workdir,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    reader = _Reader(proc.stdout)
    reader.start()
    try:
        at, _, _ = reader.wait(r"online system", 0, 60)
        at, _, _ = reader.wait(r"Received \d+ parameters|Saved \d+ parameters", at, 60)
        time.sleep(1.0)
        loads, lists = [], []
        for _ in range(runs):
            proc.stdin.write(f"wp load {waypoints}\n")
            proc.stdin.flush()
            at, _, line = reader.wait(rf"Loaded {count} waypoint\S* in [0-9.]+s", at + 1, 120)
            loads.append(float(re.search(r"in ([0-9.]+)s", line).group(1)))
            time.sleep(0.5)
            sent = time.perf_counter()
            proc.stdin.write("wp list\n")
            proc.stdin.flush()
            at, done, _ = reader.wait(rf"Saved {count} waypoint", at + 1, 120)
            lists.append(done - sent)
            time.sleep(0.5)
        return (loads, lists), ""
    finally:
        try:
            proc.stdin.write("exit\n")
            proc.stdin.flush()
            proc.wait(10)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait(5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--connect",
        metavar="URL",
        help="bench the vehicle at this link URL (default: an embedded simulator)",
    )
    args = parser.parse_args()
    items = mission_items(args.items)
    workdir = Path(tempfile.mkdtemp(prefix="dronepatrol-bench-"))
    sim = None
    if args.connect is None:
        sim = SimFleet(1, HOME, speedup=1, base_port=0, fast_start=True).start()
    try:
        url = args.connect or sim.urls[0]
        upload, verified = ours(url, items, args.runs)
        print(
            f"ours: upload {len(items)} items: median {statistics.median(upload):.3f} s "
            f"(runs {', '.join(f'{t:.3f}' for t in upload)})"
        )
        print(f"ours: upload + verify by download: median {statistics.median(verified):.3f} s")
        waypoints = workdir / "mission.waypoints"
        write_waypoints(items, waypoints)
        result, why = mavproxy(url, waypoints, len(items), args.runs, workdir)
    finally:
        if sim is not None:
            sim.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    figures = {
        "vehicle": args.connect or "embedded simulator",
        "items": len(items),
        "ours_upload_s": round(statistics.median(upload), 3),
        "ours_upload_verify_s": round(statistics.median(verified), 3),
    }
    if result is None:
        print(f"MAVProxy not measured: {why}")
        figures["mavproxy"] = why
    else:
        loads, lists = result
        print(
            f"MAVProxy wp load: median {statistics.median(loads):.3f} s "
            f"(runs {', '.join(f'{t:.3f}' for t in loads)})"
        )
        print(
            f"MAVProxy wp load + wp list: median "
            f"{statistics.median(loads) + statistics.median(lists):.3f} s"
        )
        figures.update(
            mavproxy_wp_load_s=round(statistics.median(loads), 3),
            mavproxy_wp_load_list_s=round(statistics.median(loads) + statistics.median(lists), 3),
        )
        figures["not_slower"] = figures["ours_upload_s"] <= figures["mavproxy_wp_load_s"]
        ratio = figures["ours_upload_verify_s"] / figures["mavproxy_wp_load_list_s"]
        figures["ratio_to_mavproxy"] = round(ratio, 3)
        figures["within_1_2x"] = ratio <= 1.2
        print(f"ours / MAVProxy (upload + verify): {ratio:.2f}")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
