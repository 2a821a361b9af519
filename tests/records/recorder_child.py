"""A controller that records one vehicle's sortie until it is killed (for the SIGKILL test).

Usage: python recorder_child.py DATABASE_URL VEHICLE_ID RATE_HZ TLOG

Arms the vehicle, announces TLOG as the sortie's telemetry log (still being
written), then publishes a telemetry snapshot at RATE_HZ, timed by the wall
clock, flying east from SITL's home, and appends a record to TLOG for each;
prints ``recording`` once the sortie is open, and runs until killed.
"""

from __future__ import annotations

import sys
import time

from dronepatrol import geo
from dronepatrol.database import upgrade
from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.records.recorder import Recorder
from dronepatrol.records.telemetry import telemetry_event
from dronepatrol.state import Battery, LandedState, LinkState, Position, VehicleSnapshot

HOME = (-35.363261, 149.165230)


def main() -> None:
    url, vehicle_id, rate_hz, tlog = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    bus = EventBus()
    recorder = Recorder(upgrade(url), bus)
    recorder.start()
    start = time.time()
    bus.publish(Event(EventKind.ARMED, vehicle_id, {"name": "crash-test"}, start))
    bus.publish(Event(EventKind.MODE_CHANGED, vehicle_id, {"mode": "AUTO"}, start))
    media = {"path": tlog, "kind": "tlog", "complete": False}
    bus.publish(Event(EventKind.MEDIA, vehicle_id, media, start))
    recorder.flush()
    print("recording", flush=True)
    period = 1.0 / rate_hz
    next_at = time.monotonic()
    # append-only and unbuffered: the log stays readable up to a kill
    with open(tlog, "ab", buffering=0) as log:
        while True:
            now = time.time()
            lat, lon = geo.offset(*HOME, 0.0, 5.0 * (now - start))
            snapshot = VehicleSnapshot(
                vehicle_id=vehicle_id,
                link=LinkState.UP,
                armed=True,
                mode="AUTO",
                position=Position(lat, lon, 614.0, 30.0),
                groundspeed_mps=5.0,
                heading_deg=90.0,
                battery=Battery(remaining_pct=90.0),
                landed_state=LandedState.IN_AIR,
                time_s=now,
            )
            bus.publish(telemetry_event(snapshot))
            log.write(int(now * 1e6).to_bytes(8, "big") + b"\xfd" * 40)
            next_at += period
            time.sleep(max(0.0, next_at - time.monotonic()))


if __name__ == "__main__":
    main()
