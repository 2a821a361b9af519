"""AUTO mission commands, pause, EKF/GPS loss, auto-disarm, battery and wind in the simulator."""

from __future__ import annotations

import itertools
import math
import time

import pytest
from flight.flightlib import MODES, home_item, takeoff_item, waypoint
from pymavlink.dialects.v20 import ardupilotmega as M
from support import wait_until

from dronepatrol import geo

pytestmark = pytest.mark.timeout(90)

LAT0, LON0 = -35.363261, 149.165230


def _at(north: float, east: float) -> tuple[float, float]:
    return geo.offset(LAT0, LON0, north, east)


def _ready(make_fleet, connect, speedup: float = 20, **kwargs):  # -> (fleet, gcs)
    fleet = make_fleet(speedup=speedup, **kwargs)
    gcs = connect(fleet.urls[0])
    gcs.wait_ready(timeout=30)
    return fleet, gcs


def _cmd(
    command: int,
    p1: float = 0,
    p2: float = 0,
    p3: float = 0,
    p4: float = 0,
    lat: float = 0,
    lon: float = 0,
    alt: float = 0,
    frame: int = 3,
) -> tuple:
    return (frame, command, p1, p2, p3, p4, round(lat * 1e7), round(lon * 1e7), alt)


def _start_auto(gcs, items) -> None:
    assert gcs.upload([home_item(LAT0, LON0, 584), *items]) == M.MAV_MISSION_ACCEPTED
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.set_mode("AUTO")
    assert gcs.command(M.MAV_CMD_MISSION_START) == M.MAV_RESULT_ACCEPTED


def test_auto_runs_do_commands_jumps_loiters_and_then_hovers(make_fleet, connect) -> None:
    _, gcs = _ready(make_fleet, connect)
    a, b, c = _at(30, 0), _at(30, 30), _at(0, 30)
    items = [
        takeoff_item(10),  # 1
        _cmd(M.MAV_CMD_DO_CHANGE_SPEED, 1, 4, -1),  # 2: 4 m/s
        waypoint(*a, 10),  # 3
        _cmd(M.MAV_CMD_DO_SET_ROI_LOCATION, lat=c[0], lon=c[1], alt=0),  # 4
        _cmd(M.MAV_CMD_NAV_LOITER_TIME, 3, lat=b[0], lon=b[1], alt=10),  # 5: hold 3 s
        _cmd(M.MAV_CMD_DO_SET_ROI_NONE),  # 6
        _cmd(M.MAV_CMD_DO_JUMP, 3, 1),  # 7: back to 3, once
        _cmd(M.MAV_CMD_NAV_LOITER_TURNS, 1, 0, 8, lat=c[0], lon=c[1], alt=12),  # 8
        waypoint(*a, 10),  # 9: last item, no RTL: hover in AUTO
    ]
    _start_auto(gcs, items)
    fastest = 0.0
    while 9 not in gcs.seen.reached:
        msg = gcs.wait(("VFR_HUD", "MISSION_ITEM_REACHED"), timeout=60)
        if msg.get_type() == "VFR_HUD" and 3 in gcs.seen.reached:
            fastest = max(fastest, msg.groundspeed)
    # A DO command runs once the NAV before it is done, and completes in the same loop:
    # ArduCopter keeps one MISSION_ITEM_REACHED index for its next send, so the NAV's
    # report gives way to the DO's (2 for 1, 4 for 3, 6 for 5). DO_JUMP (7) is sequencing.
    assert gcs.seen.reached == [2, 4, 6, 4, 6, 8, 9]
    assert fastest <= 4.3, fastest
    assert "Reached command #9" in gcs.wait_text(r"Reached command #9", timeout=5)
    current = gcs.wait("MISSION_CURRENT", lambda m: m.mission_state == 5, timeout=10)
    assert current.seq == 9 and current.total == 9 and current.mission_mode == 1
    hb = gcs.wait("HEARTBEAT", timeout=5)
    assert hb.custom_mode == MODES["AUTO"] and hb.base_mode & 128
    pos = gcs.wait("GLOBAL_POSITION_INT", timeout=5)
    assert pos.relative_alt > 8000  # still hovering


def test_auto_land_item_lands_at_its_location_and_disarms(make_fleet, connect) -> None:
    _, gcs = _ready(make_fleet, connect)
    spot = _at(25, -25)
    _start_auto(gcs, [takeoff_item(10), _cmd(M.MAV_CMD_NAV_LAND, lat=spot[0], lon=spot[1])])
    gcs.wait_disarmed(timeout=60)
    gcs.wait_on_ground()
    assert gcs.seen.reached == [1, 2]
    pos = gcs.wait("GLOBAL_POSITION_INT", timeout=5)
    assert geo.distance_m(pos.lat / 1e7, pos.lon / 1e7, *spot) < 2.0
    assert gcs.seen.landed_states[-2:] == [M.MAV_LANDED_STATE_LANDING, M.MAV_LANDED_STATE_ON_GROUND]


def test_set_mission_current_and_pause(make_fleet, connect) -> None:
    _, gcs = _ready(make_fleet, connect)
    items = [takeoff_item(10)] + [waypoint(*_at(40 * k, 0), 10) for k in range(1, 5)]
    _start_auto(gcs, items)
    gcs.wait("MISSION_ITEM_REACHED", lambda m: m.seq == 1, timeout=30)
    assert gcs.command(M.MAV_CMD_DO_SET_MISSION_CURRENT, 4) == M.MAV_RESULT_ACCEPTED
    gcs.wait("MISSION_CURRENT", lambda m: m.seq == 4, timeout=10)
    assert gcs.command(M.MAV_CMD_DO_PAUSE_CONTINUE, 0) == M.MAV_RESULT_ACCEPTED
    gcs.wait("MISSION_CURRENT", lambda m: m.mission_state == M.MISSION_STATE_PAUSED, 10)
    # it brakes to a stop and stays stopped
    gcs.wait("VFR_HUD", lambda m: m.groundspeed < 0.3, timeout=20, what="stopped")
    speeds = [gcs.wait("VFR_HUD", timeout=5).groundspeed for _ in range(5)]
    assert max(speeds) < 0.5, speeds
    assert gcs.command(M.MAV_CMD_DO_PAUSE_CONTINUE, 1) == M.MAV_RESULT_ACCEPTED
    gcs.wait("MISSION_ITEM_REACHED", lambda m: m.seq == 5, timeout=60)
    assert 2 not in gcs.seen.reached and 3 not in gcs.seen.reached


def test_armed_copter_that_does_not_take_off_disarms_after_disarm_delay(make_fleet, connect):
    fleet, gcs = _ready(make_fleet, connect, speedup=10)
    gcs.set_param("DISARM_DELAY", 4)
    gcs.set_mode("GUIDED")

    assert gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_ACCEPTED
    gcs.wait_disarmed(timeout=30)
    armed_at, disarmed_at = fleet.call(0, lambda v: (v.arm_time, v.disarm_time))
    assert 3.9 <= disarmed_at - armed_at <= 4.3  # DISARM_DELAY of simulated time
    gcs.wait_disarmed(timeout=10)
    assert "Disarming motors" in gcs.seen.texts


def test_gps_loss_in_flight_lands_on_ekf_failsafe(make_fleet, connect) -> None:
    fleet, gcs = _ready(make_fleet, connect)
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    fleet.set_gps(0, enabled=False)
    gcs.wait("GPS_RAW_INT", lambda m: m.fix_type < 3, timeout=10)
    gcs.wait_text(r"EKF variance", timeout=30)
    gcs.wait_mode("LAND", timeout=10)
    gcs.wait_disarmed(timeout=60)
    status = gcs.wait("EKF_STATUS_REPORT", timeout=5)
    assert not status.flags & 16  # no absolute horizontal position


def test_battery_draws_hover_current_and_drains(make_fleet, connect) -> None:
    _, gcs = _ready(make_fleet, connect)
    first = gcs.wait("BATTERY_STATUS", timeout=5)
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    gcs.drain(0.5)
    hover = gcs.wait("BATTERY_STATUS", timeout=5)
    assert 2400 <= hover.current_battery <= 3300  # ~28 A [cA]
    # SITL's default quad has no pack capacity: the voltage stays SIM_BATT_VOLTAGE
    # under load, with no sag (SITL::Battery::set_current without capacity_Ah)
    assert first.current_battery == 0  # disarmed: SITL's current is the motors' alone
    assert hover.voltages[0] == first.voltages[0] == 12600
    assert hover.current_consumed > first.current_consumed
    gcs.set_param("SIM_BATT_VOLTAGE", 11.1)  # a new constant, still without sag
    low = gcs.wait("SYS_STATUS", lambda m: m.voltage_battery < 12000, timeout=10)
    assert low.voltage_battery == 11100
    assert low.battery_remaining <= 100


def test_frame_pack_with_capacity_sags_and_runs_down(make_fleet, connect) -> None:
    """A frame model with battCapacityAh: resting voltage of the charge left, less I*R.

    SITL's Frame::init also makes SIM_BATT_CAP_AH and BATT_CAPACITY default to
    the pack, so the monitor's percentage follows it and BATT_LOW_VOLT can act.
    """
    fleet = make_fleet(battery_ah=0.5, speedup=40)
    gcs = connect(fleet.urls[0])
    assert gcs.get_param("SIM_BATT_CAP_AH") == pytest.approx(0.5)
    assert gcs.get_param("BATT_CAPACITY") == 500
    gcs.wait("EKF_STATUS_REPORT", lambda m: m.flags & 16, timeout=30)
    full = gcs.wait("SYS_STATUS", timeout=5)
    assert 12500 <= full.voltage_battery <= 12600
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    hover = gcs.wait("SYS_STATUS", lambda m: m.current_battery > 2400, timeout=20)
    assert hover.voltage_battery < full.voltage_battery  # sag under load
    # 0.5 Ah at ~28 A lasts about a minute: the voltage walks down the LiPo curve
    low = gcs.wait("SYS_STATUS", lambda m: m.voltage_battery < 10500, timeout=60)
    assert low.battery_remaining <= 40  # ~35 % left rests at 3.59 V a cell (SOC table)


def test_wind_pushes_and_is_reported(make_fleet, connect) -> None:
    fleet, gcs = _ready(make_fleet, connect)
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    fleet.set_wind(0, 10.0, from_deg=270.0, turbulence=2.0)  # from the west
    wind = gcs.wait("WIND", lambda m: m.speed > 9, timeout=10)
    assert wind.direction == pytest.approx(270.0)
    gcs.drain(1.0)
    hud = gcs.wait("VFR_HUD", timeout=5)
    assert hud.airspeed > hud.groundspeed + 5  # holding position against the wind
    att = gcs.wait("ATTITUDE", timeout=5)
    assert abs(att.roll) > 0.01 or abs(att.pitch) > 0.01  # leaning into it


def test_reposition_and_guided_velocity(make_fleet, connect) -> None:
    _, gcs = _ready(make_fleet, connect)
    gcs.set_mode("LOITER")
    lat, lon = _at(30, 30)
    # not in GUIDED and no change-mode flag: denied
    result = gcs.command_int(
        M.MAV_CMD_DO_REPOSITION, 6, (-1, 0, 0, float("nan")), round(lat * 1e7), round(lon * 1e7), 10
    )
    assert result == M.MAV_RESULT_DENIED
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    result = gcs.command_int(
        M.MAV_CMD_DO_REPOSITION, 6, (-1, 1, 0, float("nan")), round(lat * 1e7), round(lon * 1e7), 15
    )
    assert result == M.MAV_RESULT_ACCEPTED
    gcs.wait(
        "GLOBAL_POSITION_INT",
        lambda m: (
            geo.distance_m(m.lat / 1e7, m.lon / 1e7, lat, lon) < 2
            and abs(m.relative_alt - 15000) < 1000
        ),
        timeout=30,
    )
    # takeoff by COMMAND_INT must use the relative-altitude frame
    assert gcs.command_int(M.MAV_CMD_NAV_TAKEOFF, 6, (0, 0, 0, 0), 0, 0, 20) == 2  # DENIED
    # velocity target: 3 m/s east
    gcs.send(
        gcs.conn.mav.set_position_target_global_int_send,
        0,
        1,
        1,
        6,
        0b110111000111,
        0,
        0,
        0,
        0.0,
        3.0,
        0.0,
        0,
        0,
        0,
        0,
        0,
    )
    gcs.wait("GLOBAL_POSITION_INT", lambda m: 250 < m.vy < 350, timeout=10)
    end = time.monotonic() + 0.5
    while time.monotonic() < end:  # the target times out after 3 s without updates
        gcs.recv(0.05)
    gcs.wait("GLOBAL_POSITION_INT", lambda m: abs(m.vy) < 20, timeout=10)


def test_pilot_modes_follow_the_throttle_stick(make_fleet, connect) -> None:
    _, gcs = _ready(make_fleet, connect)
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(15)

    # LOITER with the throttle stick centred by RC override (RC_OVERRIDE_TIME is 3 s of
    # simulated time, so the override is repeated): holds altitude
    def centre_throttle() -> None:
        gcs.send(gcs.conn.mav.rc_channels_override_send, 1, 1, 0, 0, 1500, *([65535] * 15))

    centre_throttle()
    gcs.set_mode("LOITER")
    end = time.monotonic() + 1.0
    lowest = 15000
    while time.monotonic() < end:
        centre_throttle()
        msg = gcs.wait("GLOBAL_POSITION_INT", timeout=5)
        lowest = min(lowest, msg.relative_alt)
    assert lowest > 14000
    # release the override: SITL's radio idles at throttle low, so the copter descends,
    # lands and disarms itself
    gcs.send(gcs.conn.mav.rc_channels_override_send, 1, 1, 0, 0, 0, *([65535] * 15))
    gcs.wait("GLOBAL_POSITION_INT", lambda m: m.vz > 100, timeout=10)
    gcs.wait_disarmed(timeout=60)
    gcs.wait_on_ground()
    assert gcs.seen.landed_states[-1] == M.MAV_LANDED_STATE_ON_GROUND


def test_circle_and_altitude_fences(make_fleet, connect) -> None:
    fleet, gcs = _ready(make_fleet, connect)
    gcs.set_param("FENCE_TYPE", 3)  # max altitude and circle
    gcs.set_param("FENCE_RADIUS", 50)
    gcs.set_param("FENCE_ALT_MAX", 30)
    gcs.set_param("FENCE_ACTION", 2)  # always land
    gcs.set_param("FENCE_ENABLE", 1)
    # ArduCopter's default AVOID_ENABLE 3 would stop the velocity climb below the ceiling
    # (AC_Avoid::adjust_velocity_z, see test_fence_avoidance.py); without it, it breaches
    gcs.set_param("AVOID_ENABLE", 0)
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    # a target beyond the circle is refused: the copter stays put
    gcs.goto(*_at(80, 0), 10)
    gcs.drain(1.0)
    pos = gcs.wait("GLOBAL_POSITION_INT", timeout=5)
    assert geo.distance_m(pos.lat / 1e7, pos.lon / 1e7, LAT0, LON0) < 3

    # climbing through the ceiling by velocity (targets time out after 3 s: repeat them)
    def breached() -> bool:
        gcs.send(
            gcs.conn.mav.set_position_target_global_int_send,
            0,
            1,
            1,
            6,
            0b110111000111,
            0,
            0,
            0,
            0.0,
            0.0,
            -2.5,
            0,
            0,
            0,
            0,
            0,
        )
        gcs.drain(0.05)
        return any("Max Alt fence breached" in t for t in gcs.seen.texts)

    wait_until(breached, 30, "the altitude fence breach", every_s=0)
    gcs.wait_text(r"Max Alt fence breached", timeout=30)
    gcs.wait_mode("LAND", timeout=10)
    gcs.wait_disarmed(timeout=60)
    assert fleet.snapshot(0)["landed"]


def test_critical_battery_lands(make_fleet, connect) -> None:
    params = {
        "BATT_FS_LOW_ACT": 2,
        "BATT_FS_CRT_ACT": 1,
        "BATT_LOW_VOLT": 11.0,
        "BATT_CRT_VOLT": 10.5,
        "BATT_LOW_TIMER": 1,
    }
    fleet, gcs = _ready(make_fleet, connect, params=params)
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(20)
    fleet.set_battery_voltage(0, 10.2)
    gcs.wait_text(r"Battery 1 is critical", timeout=30)
    gcs.wait_mode("LAND", timeout=10)
    gcs.wait_disarmed(timeout=90)
    # the failsafe stays latched: no arming until the battery is dealt with
    assert gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_FAILED
    gcs.wait_text(r"Arm: Battery failsafe", timeout=10)


def test_battery_low_by_capacity(make_fleet, connect) -> None:
    # BATT_LOW_MAH: low when the remaining capacity falls below it
    params = {"BATT_FS_LOW_ACT": 2, "BATT_LOW_MAH": 3250, "BATT_LOW_VOLT": 0}
    _, gcs = _ready(make_fleet, connect, speedup=30, params=params)
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    text = gcs.wait_text(r"Battery 1 is low", timeout=60)
    used = float(text.split("used ")[1].split(" mAh")[0])
    assert used >= 50
    gcs.wait_mode("RTL", timeout=10)


def test_rtl_returns_to_the_nearest_rally_point(make_fleet, connect) -> None:
    _, gcs = _ready(make_fleet, connect)
    rally = _at(150, 0)
    item = (
        M.MAV_FRAME_GLOBAL_RELATIVE_ALT,
        M.MAV_CMD_NAV_RALLY_POINT,
        0,
        0,
        0,
        0,
        round(rally[0] * 1e7),
        round(rally[1] * 1e7),
        20,
    )
    assert gcs.upload([item], mission_type=M.MAV_MISSION_TYPE_RALLY) == M.MAV_MISSION_ACCEPTED
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    gcs.goto(*_at(120, 0), 10)
    gcs.wait(
        "GLOBAL_POSITION_INT",
        lambda m: geo.distance_m(m.lat / 1e7, m.lon / 1e7, *_at(120, 0)) < 3,
        timeout=30,
    )
    gcs.set_mode("RTL")
    gcs.wait_disarmed(timeout=60)
    pos = gcs.wait("GLOBAL_POSITION_INT", timeout=5)
    assert geo.distance_m(pos.lat / 1e7, pos.lon / 1e7, *rally) < 3  # not home, 150 m away


def test_smart_rtl_retraces_the_path_home(make_fleet, connect) -> None:
    _, gcs = _ready(make_fleet, connect)
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    # out along an L: north 60 m, then east 60 m
    for north, east in ((60, 0), (60, 60)):
        point = _at(north, east)
        gcs.goto(*point, 10)
        gcs.wait(
            "GLOBAL_POSITION_INT",
            lambda m, p=point: geo.distance_m(m.lat / 1e7, m.lon / 1e7, *p) < 2,
            timeout=30,
        )
    gcs.set_mode("SMART_RTL")
    # the way back passes the corner (60, 0) instead of cutting the diagonal
    corner = _at(60, 0)
    gcs.wait(
        "GLOBAL_POSITION_INT",
        lambda m: geo.distance_m(m.lat / 1e7, m.lon / 1e7, *corner) < 4,
        timeout=30,
    )
    gcs.wait_disarmed(timeout=60)
    pos = gcs.wait("GLOBAL_POSITION_INT", timeout=5)
    assert geo.distance_m(pos.lat / 1e7, pos.lon / 1e7, LAT0, LON0) < 3
    assert gcs.seen.modes[-1] == MODES["SMART_RTL"]


def test_climb_descent_and_yaw_rates_follow_the_parameters(make_fleet, connect) -> None:
    _, gcs = _ready(make_fleet, connect)
    gcs.set_message_interval(M.MAVLINK_MSG_ID_ATTITUDE, 10)
    gcs.set_mode("GUIDED")
    gcs.arm()
    assert gcs.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 20) == M.MAV_RESULT_ACCEPTED
    climbs = []
    while True:
        msg = gcs.wait("GLOBAL_POSITION_INT", timeout=10)
        climbs.append(-msg.vz / 100)
        if msg.relative_alt > 19000:
            break
    assert 2.2 <= max(climbs) <= 2.55  # WPNAV_SPEED_UP 250 cm/s
    # yaw to east: no faster than ATC_SLEW_YAW (60 deg/s)
    assert gcs.command(M.MAV_CMD_CONDITION_YAW, 90, 0, 1, 0) == M.MAV_RESULT_ACCEPTED
    samples = []
    while not samples or abs(samples[-1][1] - 90) > 1:
        att = gcs.wait("ATTITUDE", timeout=10)
        samples.append((att.time_boot_ms, math.degrees(att.yaw) % 360))
    rates = [
        (y2 - y1) / ((t2 - t1) / 1000)
        for (t1, y1), (t2, y2) in itertools.pairwise(samples)
        if t2 > t1
    ]
    assert max(rates) <= 61.0, rates
    # landing: WPNAV_SPEED_DN (1.5 m/s) high up, LAND_SPEED (0.5 m/s) below LAND_ALT_LOW (10 m)
    gcs.set_mode("LAND")
    high, low = [], []
    while True:
        msg = gcs.wait("GLOBAL_POSITION_INT", timeout=30)
        alt, sink = msg.relative_alt / 1000, msg.vz / 100
        (high if alt > 12 else low if 1 < alt < 8 else []).append(sink)
        if alt < 0.5:
            break
    assert 1.3 <= max(high) <= 1.55 and 0.4 <= max(low) <= 0.55, (high, low)


def test_commands_are_taken_in_the_form_arducopter_takes_them(make_fleet, connect) -> None:
    """What real ArduCopter 4.7 SITL answered the same calls (GCS_MAVLINK, ModeGuided)."""
    _, gcs = _ready(make_fleet, connect)
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    lat, lon = _at(40, 0)
    # a location command with no frame ArduPilot assumes for COMMAND_LONG: UNSUPPORTED
    reposition = (M.MAV_CMD_DO_REPOSITION, -1, 1, 0, float("nan"), lat, lon, 10)
    assert gcs.command(*reposition) == M.MAV_RESULT_UNSUPPORTED
    assert gcs.command(M.MAV_CMD_DO_SET_ROI_NONE) == M.MAV_RESULT_ACCEPTED
    # a CONDITION_YAW heading lasts until the next destination, which faces its way
    assert gcs.command(M.MAV_CMD_CONDITION_YAW, 270, 90, 0, 0) == M.MAV_RESULT_ACCEPTED
    gcs.wait("ATTITUDE", lambda m: abs(math.degrees(m.yaw) + 90) < 5, timeout=20)
    gcs.goto(lat, lon, 10)
    gcs.wait("ATTITUDE", lambda m: abs(math.degrees(m.yaw)) < 10, timeout=20)
