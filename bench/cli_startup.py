"""How long `dronepatrol --help` takes: the command must stay quick to start.

Subcommands import their heavy libraries (OpenCV, pymavlink, Flask) lazily;
this benchmark catches an eager import that slows every command down.
Prints per-run times, then one JSON line: {"cli_help_median_s": ..., ...}.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

RUNS = 7


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
    print(
        json.dumps(
            {
                "cli_help_median_s": round(statistics.median(counted), 4),
                "cli_help_max_s": round(max(counted), 4),
                "heavy_modules_at_startup": json.loads(heavy),
            }
        )
    )


if __name__ == "__main__":
    main()
