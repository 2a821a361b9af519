"""CPU cost of the embedded simulator: 20 copters at speedup 1 with telemetry streaming.

The fleet runs in this process; a separate client process connects to every
vehicle, sends GCS heartbeats and asks for all stream groups at 4 Hz (what
MAVProxy and QGroundControl ask for), and counts what it receives. The
figure is this process's CPU time over the measuring window divided by the
wall time: the goal is under half a core.
Last line: {"vehicles": 20, "cpu_cores": ..., "messages_per_s": ..., ...}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

CLIENT = r"""
import sys, time
from pymavlink import mavutil
urls = sys.argv[2:]
duration = float(sys.argv[1])
conns = [mavutil.mavlink_connection(u, source_system=255) for u in urls]
for c in conns:
    c.wait_heartbeat(timeout=30)
    c.mav.request_data_stream_send(c.target_system, 1, 0, 4, 1)
count = 0
start = time.monotonic()
next_hb = start
while time.monotonic() - start < duration:
    if time.monotonic() >= next_hb:
        next_hb += 1.0
        for c in conns:
            c.mav.heartbeat_send(6, 8, 0, 0, 0)
    for c in conns:
        while c.recv_msg() is not None:
            count += 1
    time.sleep(0.02)
print(count / duration)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vehicles", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    from dronepatrol.sitl import SimFleet

    fleet = SimFleet(args.vehicles, speedup=1.0, base_port=0, fast_start=True).start()
    try:
        warmup = 3.0
        client = subprocess.Popen(
            [sys.executable, "-c", CLIENT, str(args.seconds + warmup), *fleet.urls],
            stdout=subprocess.PIPE,
            text=True,
        )
        time.sleep(warmup)
        cpu0, wall0 = time.process_time(), time.monotonic()
        time.sleep(args.seconds)
        cpu1, wall1 = time.process_time(), time.monotonic()
        out, _ = client.communicate(timeout=60)
    finally:
        fleet.stop()
    cores = (cpu1 - cpu0) / (wall1 - wall0)
    rate = float(out.strip() or 0)
    print(f"vehicles: {args.vehicles} at speedup 1, streams at 4 Hz")
    print(f"simulator CPU: {cores * 100:.1f} % of one core over {wall1 - wall0:.1f} s")
    print(f"client received: {rate:.0f} messages/s")
    print(
        json.dumps(
            {
                "vehicles": args.vehicles,
                "seconds": round(wall1 - wall0, 1),
                "cpu_cores": round(cores, 3),
                "goal_cpu_cores": 0.5,
                "messages_per_s": round(rate),
            }
        )
    )


if __name__ == "__main__":
    main()
