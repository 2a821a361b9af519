"""A DroneKit script as people write it for ArduCopter: GUIDED takeoff, goto, mission, AUTO, RTL.

Usage: python dronekit_flow.py tcp:127.0.0.1:5760

Nothing here knows about DronePatrol: it is the flow of DroneKit's own
examples (connect with wait_ready, read the autopilot version and
capabilities, arm in GUIDED, simple_takeoff, simple_goto, upload a mission
through ``vehicle.commands`` and read it back, fly it in AUTO, RTL to
landing). Prints one line per stage and exits 0 on success, non-zero with
the stage that failed.
"""

import math
import sys
import time

from dronekit import Command, LocationGlobal, LocationGlobalRelative, VehicleMode, connect
from pymavlink import mavutil

ALT = 20.0
STEP_DEG = 0.0009
"""Offsets of the goto and the mission's corners [deg]: about 100 m north / 80 m east."""


def wait_for(cond, what, timeout=90):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return
        time.sleep(0.2)
    sys.exit(f"timed out: {what}")


def distance_m(a, b):
    dlat = (b.lat - a.lat) * 111_320.0
    dlon = (b.lon - a.lon) * 111_320.0 * math.cos(math.radians(a.lat))
    return math.hypot(dlat, dlon)


def main(url):
    vehicle = connect(url, wait_ready=True, heartbeat_timeout=60, timeout=120)
    # AUTOPILOT_VERSION is asked for on each heartbeat until it comes (DroneKit's own
    # examples wait for it like this)
    vehicle.wait_ready("autopilot_version", timeout=30)
    version = vehicle.version
    if version.major is None:
        sys.exit("no AUTOPILOT_VERSION")
    print("version", version.major, version.minor, version.patch, version.release_type())
    print("mission_int", vehicle.capabilities.mission_int)
    print("ftp", vehicle.capabilities.ftp)

    wait_for(lambda: vehicle.is_armable, "armable", 120)
    home = vehicle.location.global_frame
    vehicle.mode = VehicleMode("GUIDED")
    wait_for(lambda: vehicle.mode.name == "GUIDED", "GUIDED")
    vehicle.armed = True
    wait_for(lambda: vehicle.armed, "armed")
    print("armed")
    vehicle.simple_takeoff(ALT)
    wait_for(lambda: vehicle.location.global_relative_frame.alt >= ALT * 0.95, "takeoff")
    print("took off")

    goal = LocationGlobalRelative(home.lat + STEP_DEG, home.lon, ALT)
    vehicle.simple_goto(goal, groundspeed=8)  # a DO_CHANGE_SPEED, then the guided goto
    wait_for(lambda: distance_m(vehicle.location.global_frame, goal) < 5, "goto", 120)
    print("reached goto")

    cmds = vehicle.commands
    cmds.download()
    cmds.wait_ready()
    cmds.clear()
    frame = mavutil.mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT
    nav_wp = mavutil.mavlink.MAV_CMD_NAV_WAYPOINT
    takeoff = mavutil.mavlink.MAV_CMD_NAV_TAKEOFF
    corners = [
        (home.lat + STEP_DEG, home.lon + STEP_DEG),
        (home.lat, home.lon + STEP_DEG),
        (home.lat, home.lon),
    ]
    cmds.add(Command(0, 0, 0, frame, takeoff, 0, 0, 0, 0, 0, 0, 0, 0, ALT))
    for lat, lon in corners:
        cmds.add(Command(0, 0, 0, frame, nav_wp, 0, 0, 0, 0, 0, 0, lat, lon, ALT))
    cmds.upload()
    cmds.download()
    cmds.wait_ready()
    if cmds.count != 4:
        sys.exit(f"read back {cmds.count} commands")
    back = [(c.command, round(c.x, 5), round(c.y, 5)) for c in cmds]
    print("uploaded", cmds.count, "commands", back[1:])

    vehicle.commands.next = 0
    vehicle.mode = VehicleMode("AUTO")
    wait_for(lambda: vehicle.mode.name == "AUTO", "AUTO")
    print("mode AUTO")
    wait_for(lambda: vehicle.commands.next >= 4, "mission progress", 180)
    last = LocationGlobal(corners[-1][0], corners[-1][1], 0)
    wait_for(lambda: distance_m(vehicle.location.global_frame, last) < 5, "last corner", 120)
    vehicle.mode = VehicleMode("RTL")
    wait_for(lambda: vehicle.mode.name == "RTL", "RTL")
    print("mode RTL")
    wait_for(lambda: not vehicle.armed, "landed and disarmed", 180)
    print("landed and disarmed")
    vehicle.close()


if __name__ == "__main__":
    main(sys.argv[1])
