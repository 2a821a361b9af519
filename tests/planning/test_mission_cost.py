"""What a mission file costs to fly, as the autopilot flies it: the basis of fly's battery check."""

from __future__ import annotations

import pytest

from dronepatrol.geo import distance_m, offset
from dronepatrol.mission import Cmd, Mission, MissionItem
from dronepatrol.planning import DroneProfile
from dronepatrol.planning.flight import EndlessMission, mission_cost

HOME = (-35.363261, 149.165230)
PROFILE = DroneProfile()  # 10 m/s cruise, 2.5 m/s climb, 1.5 m/s descent, 30 min hover


def wp(north_m: float, alt_m: float = 40.0, hold_s: float = 0.0) -> MissionItem:
    lat, lon = offset(*HOME, north_m, 0.0)
    return MissionItem(Cmd.NAV_WAYPOINT, param1=hold_s, lat_deg=lat, lon_deg=lon, alt_m=alt_m)


def leg_m(a: float, b: float) -> float:
    return distance_m(*offset(*HOME, a, 0.0), *offset(*HOME, b, 0.0))


def test_out_and_back_with_a_hold_and_the_landing() -> None:
    cost = mission_cost(Mission(items=(wp(1000, hold_s=30), wp(2000))), PROFILE, HOME)
    out, on, back = leg_m(0, 1000), leg_m(1000, 2000), leg_m(2000, 0)
    assert cost.length_m == pytest.approx(out + on + back)
    # each leg at cruise (the 16 s climb is within the first leg), 30 s held, 40 m down
    flight_s = (out + on + back) / 10 + 30 + 40 / 1.5
    assert cost.duration_s == pytest.approx(flight_s)
    energy_s = (out + on + back) / 10 * 0.9 + 16 * (1.6 - 0.9) + 30 + 40 / 1.5 * 0.7
    assert cost.energy_frac == pytest.approx(energy_s / 1800)


def test_do_jump_repeats_are_flown_and_counted() -> None:
    once = mission_cost(Mission(items=(wp(500), wp(1000))), PROFILE, HOME)
    loop = Mission(items=(wp(500), wp(1000), MissionItem(Cmd.DO_JUMP, param1=1, param2=2)))
    thrice = mission_cost(loop, PROFILE, HOME)
    # two more times from the second waypoint back to the first and out again
    assert thrice.length_m == pytest.approx(once.length_m + 2 * (leg_m(1000, 500) + 500))


def test_a_mission_that_never_ends_fits_no_battery() -> None:
    forever = Mission(items=(wp(500), MissionItem(Cmd.DO_JUMP, param1=1, param2=-1)))
    with pytest.raises(EndlessMission, match="for ever"):
        mission_cost(forever, PROFILE, HOME)
    lat, lon = offset(*HOME, 300, 0)
    loiter = MissionItem(Cmd.NAV_LOITER_UNLIM, lat_deg=lat, lon_deg=lon, alt_m=40)
    with pytest.raises(EndlessMission, match="without end"):
        mission_cost(Mission(items=(loiter,)), PROFILE, HOME)


def test_a_mission_that_lands_away_has_no_way_home_added() -> None:
    lat, lon = offset(*HOME, 800, 0)
    land = MissionItem(Cmd.NAV_LAND, lat_deg=lat, lon_deg=lon)
    cost = mission_cost(Mission(items=(wp(800), land)), PROFILE, HOME)
    assert cost.length_m == pytest.approx(leg_m(0, 800))
    assert cost.duration_s == pytest.approx(leg_m(0, 800) / 10 + 40 / 1.5)


def test_speed_changes_and_the_takeoff_count() -> None:
    slow = Mission(items=(MissionItem(Cmd.DO_CHANGE_SPEED, param1=1, param2=5), wp(1000)))
    cost = mission_cost(slow, PROFILE, HOME, takeoff_alt_m=20.0)
    # 8 s up to 20 m, 1 km at 5 m/s (climbing the last 20 m within it), home at cruise
    assert cost.duration_s == pytest.approx(
        20 / 2.5 + leg_m(0, 1000) / 5 + leg_m(0, 1000) / 10 + 40 / 1.5
    )
