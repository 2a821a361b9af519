"""Centre restart: from launching the command centre's process to its full city picture.

Runs the city as processes (what ``dronepatrol city-demo`` starts): Mosquitto
with TLS, a centre (``serve``, ``mode = centre``) on PostgreSQL and
``--stations`` stations (``serve --demo 1``, ``mode = station``), each flying
nothing, just reporting. Once the centre shows everything, it is killed
(SIGKILL, as in a power cut) and launched again, ``--runs`` times; each run
measures from the launch of the process:

* until its web app answers ``GET /api/health`` [s];
* until ``GET /api/city`` shows every station fresh and every station's
  vehicle fresh (the full picture) [s]; goal <= 10 s on every run;
* the CPU time the centre's process had used by then [s] (Linux): on a
  shared machine the wall-clock figures follow the load, this one hardly.

The bearer token is the one issued before the first restart: tokens live in
the centre's database, so the restarted centre honours it and no sign-in
(a deliberately slow password hash) is counted.

The centre's database is ``--database`` (a PostgreSQL URL); without it a
throwaway PostgreSQL server is started from the Debian packages (as the tests
do) and removed at the end.

Last line: one JSON object.
Usage: python bench/city_restart.py [--stations 3] [--runs 5] [--database URL]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dronepatrol.cli.city import STATION_NAMES, CityDemo

PASSWORD = "restart-bench"
GOAL_S = 10.0
POLL_S = 0.05
"""How often the centre is asked during a restart [s]: the figures' resolution."""


def call(base: str, path: str, token: str = "", body: dict | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        headers=headers,
        method="GET" if body is None else "POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def sign_in(base: str) -> str:
    status, body = call(base, "/api/login", body={"username": "admin", "password": PASSWORD})
    assert status == 200, body
    return body["token"]


def full_picture(city: dict[str, Any], expected: dict[str, set[str]]) -> bool:
    """Every expected station fresh, and every one of its vehicles shown fresh."""
    fresh = {s["station"] for s in city["stations"] if not s["stale"]}
    shown = {(v["station"], v["vehicle"]) for v in city["vehicles"] if not v["stale"]}
    return all(
        station in fresh and all((station, v) in shown for v in vehicles)
        for station, vehicles in expected.items()
    )


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL server of Debian's packages on a free loopback port; its URL."""
    bindirs = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    bindir = next((b for b in bindirs if (b / "initdb").exists()), None)
    if bindir is None and shutil.which("initdb"):
        bindir = Path(shutil.which("initdb") or "").parent
    if bindir is None:
        raise SystemExit("PostgreSQL is not installed: run `make system-deps`, or give --database")
    directory = Path(tempfile.mkdtemp(prefix="city-restart-pg-"))
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        run_as = ["runuser", "-u", "postgres", "--"]
        shutil.chown(directory, user="postgres")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    data = directory / "data"
    subprocess.run(
        [*run_as, str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust"],
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {directory} -c listen_addresses=127.0.0.1"
    log = str(directory / "log")
    subprocess.run(
        [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-l", log, "-w", "-o", options, "start"],
        check=True,
        capture_output=True,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run_as, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            check=False,
            capture_output=True,
        )
        shutil.rmtree(directory, ignore_errors=True)


def cpu_s(pid: int) -> float | None:
    """CPU time (user + system) process ``pid`` has used [s]; None where /proc is missing."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def restart_once(
    demo: CityDemo, token: str, expected: dict[str, set[str]], timeout_s: float
) -> tuple[float, float, float | None]:
    """Kill the centre, launch it again; seconds from launch to HTTP and to the full picture,
    and the CPU seconds the centre used until then."""
    centre = demo.centre
    centre.kill()
    launched = time.monotonic()
    centre.start()
    answering = None
    while True:
        elapsed = time.monotonic() - launched
        if elapsed > timeout_s:
            raise SystemExit(
                f"no full picture {timeout_s:g} s after launch; centre log:\n{centre.log()[-3000:]}"
            )
        try:
            status, city = call(centre.url, "/api/city", token)
        except OSError:
            status, city = 0, None
        if status and answering is None:
            answering = elapsed
        if status == 200 and full_picture(city, expected):
            assert centre.process is not None
            return answering or elapsed, elapsed, cpu_s(centre.process.pid)
        time.sleep(POLL_S)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=3, help="stations, one drone each")
    parser.add_argument("--runs", type=int, default=5, help="restarts measured")
    parser.add_argument("--database", default="", help="the centre's PostgreSQL URL")
    parser.add_argument("--timeout", type=float, default=60.0, help="per restart [s]")
    args = parser.parse_args()
    names = list(STATION_NAMES[: args.stations])
    scratch = Path(tempfile.mkdtemp(prefix="city-restart-"))
    with contextlib.ExitStack() as stack:
        database = args.database or stack.enter_context(throwaway_postgres())
        demo = CityDemo(scratch, names, centre_database_url=database, admin_password=PASSWORD)
        stack.enter_context(demo)
        expected: dict[str, set[str]] = {}
        for name, node in demo.stations.items():
            _status, body = call(node.url, "/api/vehicles", sign_in(node.url))
            expected[name] = {v["id"] for v in body["vehicles"]}
        token = sign_in(demo.centre.url)
        deadline = time.monotonic() + 120.0
        while not full_picture(call(demo.centre.url, "/api/city", token)[1], expected):
            if time.monotonic() > deadline:
                raise SystemExit("the first centre never showed the full picture")
            time.sleep(0.5)
        vehicles = sum(len(v) for v in expected.values())
        print(f"city up: {len(names)} stations, {vehicles} vehicles; restarting the centre")
        to_http, to_full, cpu = [], [], []
        for run in range(1, args.runs + 1):
            http_s, full_s, used_s = restart_once(demo, token, expected, args.timeout)
            to_http.append(http_s)
            to_full.append(full_s)
            if used_s is not None:
                cpu.append(used_s)
            print(
                f"run {run}: answering after {http_s:.2f} s, full picture after {full_s:.2f} s "
                f"(launch to HTTP {http_s:.2f} s + HTTP to picture {full_s - http_s:.2f} s); "
                f"centre CPU {used_s if used_s is None else round(used_s, 2)} s"
            )
        traceback_seen = "Traceback" in demo.centre.log()
    shutil.rmtree(scratch, ignore_errors=True)
    print(
        json.dumps(
            {
                "stations": len(names),
                "vehicles": vehicles,
                "runs": args.runs,
                "launch_to_http_median_s": round(statistics.median(to_http), 2),
                "launch_to_http_max_s": round(max(to_http), 2),
                "restart_to_full_picture_median_s": round(statistics.median(to_full), 2),
                "restart_to_full_picture_max_s": round(max(to_full), 2),
                "centre_cpu_to_full_picture_median_s": (
                    round(statistics.median(cpu), 2) if cpu else None
                ),
                "centre_traceback": traceback_seen,
                "goal_s": GOAL_S,
                "goal_met": max(to_full) <= GOAL_S and not traceback_seen,
            }
        )
    )


if __name__ == "__main__":
    main()
