"""A plain pymavlink script written for real ArduCopter: GUIDED takeoff, 4 waypoints, AUTO, RTL.

Usage: python guided_takeoff_mission_rtl.py tcp:127.0.0.1:5760

It uses nothing but pymavlink, the way people script ArduCopter SITL: wait
for the EKF, arm in GUIDED, take off, upload four waypoints with the mission
protocol, fly them in AUTO, then RTL and wait for the landing. Prints one
line per stage and exits 0 on success.
"""

import sys
import time

from pymavlink import mavutil

ALT = 20.0


def wait(master, kind, cond=lambda m: True, timeout=60):
    end = time.time() + timeout
    while time.time() < end:
        msg = master.recv_match(type=kind, blocking=True, timeout=1)
        if msg is not None and cond(msg):
            return msg
    sys.exit(f"timed out waiting for {kind}")


def command(master, cmd, *params):
    params = list(params) + [0] * (7 - len(params))
    master.mav.command_long_send(master.target_system, master.target_component, cmd, 0, *params)
    ack = wait(master, "COMMAND_ACK", lambda m: m.command == cmd, 10)
    return ack.result


def set_mode(master, name):
    mode_id = master.mode_mapping()[name]
    master.set_mode(mode_id)
    wait(master, "HEARTBEAT", lambda m: m.custom_mode == mode_id, 30)
    print("mode", name)


def main(url):
    master = mavutil.mavlink_connection(url, source_system=255)
    master.wait_heartbeat(timeout=60)
    print("heartbeat from system", master.target_system)
    master.mav.request_data_stream_send(
        master.target_system, master.target_component, mavutil.mavlink.MAV_DATA_STREAM_ALL, 4, 1
    )

    # wait until the EKF has an absolute position, then arm (retrying while pre-arm fails)
    wait(master, "EKF_STATUS_REPORT", lambda m: m.flags & 16 and m.flags & 512, 120)
    set_mode(master, "GUIDED")
    for _ in range(30):
        if command(master, mavutil.mavlink.MAV_CMD_COMPONENT_ARM_DISARM, 1) == 0:
            break
        time.sleep(1)
    else:
        sys.exit("could not arm")
    master.motors_armed_wait()
    print("armed")

    result = command(master, mavutil.mavlink.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, ALT)
    assert result == 0, f"takeoff refused: {result}"
    wait(master, "GLOBAL_POSITION_INT", lambda m: m.relative_alt > (ALT - 1) * 1000, 120)
    here = wait(master, "GLOBAL_POSITION_INT")
    print("took off to", here.relative_alt / 1000)

    # four waypoints around a 60 m square, item 0 is home
    lat0, lon0 = here.lat / 1e7, here.lon / 1e7
    d = 60 / 111_320
    points = [(lat0, lon0), (lat0 + d, lon0), (lat0 + d, lon0 + d), (lat0, lon0 + d), (lat0, lon0)]
    master.mav.mission_count_send(master.target_system, master.target_component, len(points))
    while True:
        msg = wait(master, ["MISSION_REQUEST", "MISSION_REQUEST_INT", "MISSION_ACK"], timeout=10)
        if msg.get_type() == "MISSION_ACK":
            assert msg.type == 0, f"mission refused: {msg.type}"
            break
        lat, lon = points[msg.seq]
        master.mav.mission_item_int_send(
            master.target_system,
            master.target_component,
            msg.seq,
            mavutil.mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
            mavutil.mavlink.MAV_CMD_NAV_WAYPOINT,
            0,
            1,
            0,
            0,
            0,
            0,
            int(lat * 1e7),
            int(lon * 1e7),
            ALT,
        )
    print("uploaded", len(points) - 1, "waypoints")

    set_mode(master, "AUTO")
    reached = set()
    while len(points) - 1 not in reached:
        reached.add(wait(master, "MISSION_ITEM_REACHED", timeout=180).seq)
    print("reached", sorted(reached))

    set_mode(master, "RTL")
    master.motors_disarmed_wait()
    print("landed and disarmed")


if __name__ == "__main__":
    main(sys.argv[1])
