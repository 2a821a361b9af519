"""A DroneKit script of the kind people write for ArduCopter: watch a patrol, then send it home.

Usage: python dronekit_takeover.py udp:127.0.0.1:14550 ALT_M

It attaches to a vehicle another ground station is flying, through a shared
MAVLink endpoint, reads its state (mode, armed, position, battery), waits
until the vehicle flies its mission in AUTO at ALT_M, switches it to RTL and
waits until the vehicle says it is in RTL. Prints one line per stage; exit 0
on success.
"""

import sys
import time

from dronekit import VehicleMode, connect


def wait(what, condition, timeout_s=120.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    sys.exit(f"timed out waiting for {what}")


def main(url, alt_m):
    vehicle = connect(url, wait_ready=["mode", "armed"], heartbeat_timeout=60, timeout=60)
    print("connected: mode", vehicle.mode.name, "armed", vehicle.armed, flush=True)
    wait(
        "the patrol in AUTO",
        lambda: (
            vehicle.mode.name == "AUTO"
            and vehicle.armed
            and (vehicle.location.global_relative_frame.alt or 0) > alt_m - 2
        ),
    )
    here = vehicle.location.global_relative_frame
    print(f"flying AUTO at {here.alt:.0f} m, {here.lat:.6f} {here.lon:.6f}", flush=True)
    print("battery", vehicle.battery.level, flush=True)
    for _ in range(10):  # a mode change is one COMMAND_LONG: ask again until it shows
        vehicle.mode = VehicleMode("RTL")
        deadline = time.monotonic() + 3.0
        while vehicle.mode.name != "RTL" and time.monotonic() < deadline:
            time.sleep(0.05)
        if vehicle.mode.name == "RTL":
            break
    else:
        sys.exit("the vehicle never switched to RTL")
    print("vehicle in RTL", flush=True)
    vehicle.close()


if __name__ == "__main__":
    main(sys.argv[1], float(sys.argv[2]))
