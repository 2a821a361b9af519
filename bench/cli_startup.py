"""How long `dronepatrol --help` takes, and `dronepatrol serve` until it answers HTTP.

Subcommands import their heavy libraries (OpenCV, pymavlink, Flask) lazily;
this benchmark catches an eager import that slows every command down. The
control app (``serve``, single mode, no vehicles, its SQLite database
already migrated by a first run) is timed from its launch until
``GET /api/health`` answers.
Prints per-run times, then one JSON line: {"cli_help_median_s": ..., ...}.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

RUNS = 7
SERVE_RUNS = 5


def cpu_s(pid: int) -> float | None:
    """CPU time (user + system) process ``pid`` has used [s]; None where /proc is missing."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve_until_answering(data_dir: str) -> tuple[float, float | None]:
    """Launch `dronepatrol serve` on a free port; seconds until /api/health answers, and
    the CPU seconds the process used until then (which the machine's load hardly moves)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DRONEPATROL_DATA_DIR": data_dir, "DRONEPATROL_MODE": "single"}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "dronepatrol", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            if process.poll() is not None:
                raise SystemExit(f"serve exited with status {process.returncode}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2):
                    return time.perf_counter() - start, cpu_s(process.pid)
            except OSError:
                time.sleep(0.02)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)


def main() -> None:
    times = []
    for _ in range(RUNS + 1):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "dronepatrol", "--help"], check=True, capture_output=True
        )
        times.append(time.perf_counter() - start)
    counted = times[1:]  # the first run warms the file cache
    heavy = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, json, dronepatrol.cli; "
            "print(json.dumps(sorted(m for m in HEAVY if m in sys.modules)))".replace(
                "HEAVY", repr(("cv2", "pymavlink", "av", "sqlalchemy", "flask"))
            ),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    for n, t in enumerate(counted, 1):
        print(f"run {n}: {t * 1000:.0f} ms")
    print(f"heavy modules imported by the CLI at start-up: {heavy}")
    with tempfile.TemporaryDirectory(prefix="serve-startup-") as data_dir:
        serve_until_answering(data_dir)  # creates and migrates the database, warms the cache
        runs = [serve_until_answering(data_dir) for _ in range(SERVE_RUNS)]
    serving = [t for t, _cpu in runs]
    used = [c for _t, c in runs if c is not None]
    for n, (t, c) in enumerate(runs, 1):
        print(f"serve run {n}: answering after {t * 1000:.0f} ms, CPU {c} s")
    print(
        json.dumps(
            {
                "cli_help_median_s": round(statistics.median(counted), 4),
                "cli_help_max_s": round(max(counted), 4),
                "heavy_modules_at_startup": json.loads(heavy),
                "serve_to_http_median_s": round(statistics.median(serving), 3),
                "serve_to_http_max_s": round(max(serving), 3),
                "serve_cpu_to_http_median_s": round(statistics.median(used), 2) if used else None,
            }
        )
    )


if __name__ == "__main__":
    main()
