"""Record the parameter table of real ArduCopter SITL, as `dronepatrol sitl` starts it.

Usage (from the repository root)::

    python tests/simulator/record_param_table.py /path/to/arducopter

Starts one SITL vehicle with DronePatrol's launcher (its copter.parm),
downloads every parameter with PARAM_REQUEST_LIST and writes
``sitl/params/arducopter-4.7-sitl.json``: ``[name, MAV_PARAM_TYPE, value]``
in ArduPilot's index order. The simulator reports this table (names, order,
types, defaults), with its own defaults for the parameters it models.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from pymavlink import mavutil

from dronepatrol.sitl.launcher import SitlFleet, fleet_specs

OUT = Path(__file__).resolve().parents[2] / "sitl" / "params" / "arducopter-4.7-sitl.json"


def main(binary: str) -> int:
    root = Path(tempfile.mkdtemp(prefix="dronepatrol-params-"))
    home = (-35.363261, 149.165230, 584.0, 0.0)
    fleet = SitlFleet(fleet_specs(binary, 1, home, first_instance=45), root=root).start()
    try:
        conn = mavutil.mavlink_connection(fleet.urls[0], source_system=255)
        conn.wait_heartbeat(timeout=60)
        time.sleep(2)
        conn.mav.param_request_list_send(conn.target_system, 0)
        table: dict[int, tuple[str, int, float]] = {}
        count = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (count is None or len(table) < count):
            msg = conn.recv_match(type="PARAM_VALUE", blocking=True, timeout=2)
            if msg is None:
                continue
            count = msg.param_count
            if msg.param_index < count:
                table[msg.param_index] = (msg.param_id, msg.param_type, msg.param_value)
        conn.close()
    finally:
        fleet.stop()
        shutil.rmtree(root, ignore_errors=True)
    if count is None or len(table) != count:
        print(f"got {len(table)} of {count} parameters: nothing written", file=sys.stderr)
        return 1
    rows = [list(table[i]) for i in range(count)]
    OUT.write_text(json.dumps(rows, separators=(",", ":")) + "\n")
    print(f"wrote {OUT}: {count} parameters")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
