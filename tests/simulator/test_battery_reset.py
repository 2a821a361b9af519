"""MAV_CMD_BATTERY_RESET answered as ArduCopter does (GCS_MAVLINK::handle_command_battery_reset).

param1 is the battery mask (cast to uint16), param2 the remaining percentage;
the monitor's consumed mAh becomes the used share of BATT_CAPACITY, the
battery failsafe is recomputed, and the result is ACCEPTED armed or not.
The simulated pack itself is not touched: its voltage stays where it was.
"""

from __future__ import annotations

import pytest
from pymavlink.dialects.v20 import ardupilotmega as M

pytestmark = pytest.mark.timeout(90)

ALL = 65535


def _ready(make_fleet, connect, speedup: float = 20, **kwargs):  # -> (fleet, gcs)
    fleet = make_fleet(speedup=speedup, **kwargs)
    gcs = connect(fleet.urls[0])
    gcs.wait_ready(timeout=30)
    return fleet, gcs


def _fly_down_to(gcs, pct: int) -> None:
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    gcs.wait("SYS_STATUS", lambda m: 0 <= m.battery_remaining <= pct, timeout=60)


def test_reset_sets_remaining_and_consumed_from_capacity(make_fleet, connect) -> None:
    # a small pack: hover current (~28 A) takes 20 % of it in about 26 simulated seconds
    _, gcs = _ready(make_fleet, connect, params={"BATT_CAPACITY": 1000})
    _fly_down_to(gcs, 80)
    assert gcs.command(M.MAV_CMD_BATTERY_RESET, ALL, 100) == M.MAV_RESULT_ACCEPTED  # armed too
    status = gcs.wait("BATTERY_STATUS", lambda m: m.battery_remaining >= 99, timeout=5)
    assert status.current_consumed <= 10  # [mAh], a moment of hover current since the reset
    assert gcs.wait("SYS_STATUS", timeout=5).battery_remaining >= 99
    gcs.set_mode("LAND")
    gcs.wait_disarmed(timeout=60)
    assert gcs.command(M.MAV_CMD_BATTERY_RESET, ALL, 40) == M.MAV_RESULT_ACCEPTED
    status = gcs.wait("BATTERY_STATUS", lambda m: m.battery_remaining == 40, timeout=5)
    assert 600 <= status.current_consumed <= 605  # 60 % of 1000 mAh


def test_percentage_is_constrained_and_the_mask_picks_batteries(make_fleet, connect) -> None:
    _, gcs = _ready(make_fleet, connect)
    assert gcs.command(M.MAV_CMD_BATTERY_RESET, 1, 250) == M.MAV_RESULT_ACCEPTED
    assert gcs.wait("BATTERY_STATUS", timeout=5).battery_remaining == 100
    assert gcs.command(M.MAV_CMD_BATTERY_RESET, ALL, -20) == M.MAV_RESULT_ACCEPTED
    empty = gcs.wait("BATTERY_STATUS", lambda m: m.battery_remaining == 0, timeout=5)
    assert empty.current_consumed >= 3300  # all of BATT_CAPACITY
    # a mask without battery 1 (bit 0) names no battery here: accepted, nothing changes
    assert gcs.command(M.MAV_CMD_BATTERY_RESET, 2, 100) == M.MAV_RESULT_ACCEPTED
    gcs.drain(0.5)
    assert gcs.wait("SYS_STATUS", timeout=5).battery_remaining == 0
    # on SITL (x86) -1 converts to the all-ones mask
    assert gcs.command(M.MAV_CMD_BATTERY_RESET, -1, 100) == M.MAV_RESULT_ACCEPTED
    assert gcs.wait("SYS_STATUS", lambda m: m.battery_remaining == 100, 5)


def test_reset_clears_a_capacity_failsafe_so_the_copter_arms_again(make_fleet, connect) -> None:
    params = {"BATT_FS_LOW_ACT": 2, "BATT_LOW_MAH": 3250, "BATT_LOW_VOLT": 0}
    _, gcs = _ready(make_fleet, connect, speedup=30, params=params)
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    gcs.wait_text(r"Battery 1 is low", timeout=60)
    gcs.wait_disarmed(timeout=90)  # RTL from just above home
    assert gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_FAILED
    gcs.wait_text(r"Arm: Battery failsafe", timeout=10)
    status = gcs.wait("BATTERY_STATUS", timeout=5)
    assert status.charge_state == M.MAV_BATTERY_CHARGE_STATE_LOW
    assert gcs.command(M.MAV_CMD_BATTERY_RESET, ALL, 100) == M.MAV_RESULT_ACCEPTED
    status = gcs.wait("BATTERY_STATUS", lambda m: m.battery_remaining == 100, timeout=5)
    assert status.charge_state == M.MAV_BATTERY_CHARGE_STATE_OK
    gcs.set_mode("GUIDED")
    gcs.arm()


def test_reset_keeps_a_low_voltage_failsafe_and_the_pack_voltage(make_fleet, connect) -> None:
    # the monitor is reset, not the pack: a sagging pack stays in failsafe
    params = {"BATT_FS_LOW_ACT": 2, "BATT_LOW_VOLT": 11.0, "BATT_LOW_TIMER": 1}
    fleet, gcs = _ready(make_fleet, connect, params=params)
    fleet.set_battery_voltage(0, 10.8)
    gcs.wait_text(r"Battery 1 is low", timeout=30)
    assert gcs.command(M.MAV_CMD_BATTERY_RESET, ALL, 100) == M.MAV_RESULT_ACCEPTED
    status = gcs.wait("BATTERY_STATUS", lambda m: m.battery_remaining == 100, timeout=5)
    assert status.voltages[0] < 11000
    assert status.charge_state == M.MAV_BATTERY_CHARGE_STATE_LOW
    gcs.set_mode("GUIDED")
    assert gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == M.MAV_RESULT_FAILED
