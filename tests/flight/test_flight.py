"""Flight tests: the same plain-pymavlink ground station against each backend.

Every test starts a fresh vehicle (embedded simulator, and real ArduCopter
SITL when ARDUPILOT_SITL is set) at SPEEDUP x real time and waits on
messages with generous deadlines.
"""

from __future__ import annotations

import pytest
from pymavlink.dialects.v20 import ardupilotmega as M

from dronepatrol import geo
from dronepatrol.sitl import faults
from flight.flightlib import (
    MODES,
    FlightError,
    Gcs,
    fence_polygon,
    home_item,
    rtl_item,
    takeoff_item,
    waypoint,
)

pytestmark = pytest.mark.timeout(120)

GCS_FAILSAFE = {"FS_GCS_ENABLE": 1, "FS_GCS_TIMEOUT": 10}
"""RTL on GCS loss; a 10 s timeout keeps a busy test machine's heartbeat gaps from tripping it."""


def ready_vehicle(launch_vehicle, params=None) -> tuple[Gcs, object]:
    backend = launch_vehicle(params=params)
    gcs = backend.gcs()
    gcs.wait_ready()
    return gcs, backend


def fly_up(gcs: Gcs, alt_m: float = 20.0) -> None:
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(alt_m)


def offset(backend, north_m: float, east_m: float) -> tuple[float, float]:
    return geo.offset(backend.home.lat_deg, backend.home.lon_deg, north_m, east_m)


def test_arm_refused_until_the_ekf_has_a_position(launch_vehicle) -> None:
    # GPS off from boot: the EKF never gets an origin, so GUIDED cannot arm
    backend = launch_vehicle(params=faults.gps(enabled=False))
    gcs = backend.gcs()
    gcs.set_mode("GUIDED")
    result = gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1)
    assert result == M.MAV_RESULT_FAILED
    reason = gcs.wait_text(r"^(PreArm|Arm): ", timeout=30)
    assert reason
    gcs.wait(
        "SYS_STATUS",
        lambda m: not m.onboard_control_sensors_health & M.MAV_SYS_STATUS_PREARM_CHECK,
        timeout=10,
        what="SYS_STATUS reporting pre-arm checks failing",
    )
    # GPS back (whichever SIM_* name this SITL has): the vehicle becomes ready and arms
    for name, value in faults.gps(enabled=True).items():
        if gcs.get_param(name, timeout=1.0) is not None:
            gcs.set_param(name, value)
    gcs.wait_ready(timeout=90)
    gcs.arm()


def test_guided_takeoff_then_rtl_lands_and_disarms(launch_vehicle) -> None:
    gcs, backend = ready_vehicle(launch_vehicle)
    fly_up(gcs, 15)
    lat, lon = offset(backend, 40, 30)
    gcs.goto(lat, lon, 15)
    gcs.wait(
        "GLOBAL_POSITION_INT",
        lambda m: geo.distance_m(m.lat / 1e7, m.lon / 1e7, lat, lon) < 3,
        timeout=60,
        what="reach the guided target",
    )
    gcs.set_mode("RTL")
    gcs.wait_disarmed(timeout=120)
    gcs.wait_on_ground()
    pos = gcs.wait("GLOBAL_POSITION_INT", timeout=10)
    assert abs(pos.relative_alt) < 1000
    home = (backend.home.lat_deg, backend.home.lon_deg)
    assert geo.distance_m(pos.lat / 1e7, pos.lon / 1e7, *home) < 5
    states = gcs.seen.landed_states
    assert M.MAV_LANDED_STATE_IN_AIR in states
    assert states.index(M.MAV_LANDED_STATE_LANDING) > states.index(M.MAV_LANDED_STATE_IN_AIR)
    assert states[-1] == M.MAV_LANDED_STATE_ON_GROUND


def test_mission_upload_and_read_back(launch_vehicle) -> None:
    gcs, backend = ready_vehicle(launch_vehicle)
    wps = [offset(backend, 50 * k, 20) for k in range(1, 4)]
    items = [
        home_item(backend.home.lat_deg, backend.home.lon_deg, backend.home.alt_m),
        takeoff_item(20),
    ] + [waypoint(lat, lon, 20 + k) for k, (lat, lon) in enumerate(wps)]
    items.append(rtl_item())
    assert gcs.upload(items) == M.MAV_MISSION_ACCEPTED
    back = gcs.download()
    assert len(back) == len(items)
    home = (backend.home.lat_deg, backend.home.lon_deg)
    assert geo.distance_m(back[0].x / 1e7, back[0].y / 1e7, *home) < 2.0
    for sent, got in zip(items[1:], back[1:], strict=True):
        assert got.command == sent[1]
        if sent[1] == M.MAV_CMD_NAV_WAYPOINT:
            assert got.frame == M.MAV_FRAME_GLOBAL_RELATIVE_ALT  # 6 reads back as 3
            assert abs(got.x - sent[6]) <= 1 and abs(got.y - sent[7]) <= 1
            assert got.z == pytest.approx(sent[8], abs=0.01)


def test_auto_mission_runs_to_completion(launch_vehicle) -> None:
    # a generous DISARM_DELAY: arming, AUTO and MISSION_START take a few simulated seconds
    gcs, backend = ready_vehicle(launch_vehicle, params={"DISARM_DELAY": 30})
    wps = [offset(backend, 40, 0), offset(backend, 40, 40), offset(backend, 0, 40)]
    items = (
        [
            home_item(backend.home.lat_deg, backend.home.lon_deg, backend.home.alt_m),
            takeoff_item(15),
        ]
        + [waypoint(lat, lon, 15) for lat, lon in wps]
        + [rtl_item()]
    )
    assert gcs.upload(items) == M.MAV_MISSION_ACCEPTED
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.set_mode("AUTO")
    assert gcs.command(M.MAV_CMD_MISSION_START) == M.MAV_RESULT_ACCEPTED
    gcs.wait_disarmed(timeout=120)
    assert set(range(1, len(items))) <= set(gcs.seen.reached), gcs.seen.reached
    assert gcs.seen.reached == sorted(gcs.seen.reached)
    gcs.wait_on_ground()
    assert gcs.seen.landed_states[-1] == M.MAV_LANDED_STATE_ON_GROUND


def test_gcs_heartbeat_loss_triggers_rtl(launch_vehicle) -> None:
    gcs, _ = ready_vehicle(launch_vehicle, params=GCS_FAILSAFE)
    fly_up(gcs, 15)
    gcs.pause_heartbeats()
    gcs.wait_text(r"GCS Failsafe", timeout=30)
    gcs.wait_mode("RTL", timeout=30)
    gcs.resume_heartbeats()
    gcs.wait_text(r"GCS Failsafe Cleared", timeout=30)
    gcs.wait_disarmed(timeout=120)


def test_radio_link_cut_triggers_gcs_failsafe_and_recovers(launch_vehicle) -> None:
    backend = launch_vehicle(params=GCS_FAILSAFE)
    proxy = backend.proxy()
    gcs = backend.gcs_via(proxy.url)
    gcs.wait_ready()
    fly_up(gcs, 15)
    proxy.cut()
    gcs.drain(0.3)
    # nothing gets through while the link is down
    with pytest.raises(FlightError):
        gcs.wait("HEARTBEAT", timeout=1.0)
    # FS_GCS_TIMEOUT (10 s) of simulated time passes, then the link comes back
    time_to_failsafe_s = 14.0 / backend.speedup
    with pytest.raises(FlightError):
        gcs.wait("HEARTBEAT", timeout=time_to_failsafe_s)
    assert proxy.dropped_bytes > 0
    proxy.restore()
    gcs.wait_mode("RTL", timeout=30)
    gcs.wait_text(r"GCS Failsafe Cleared", timeout=30)
    gcs.wait_disarmed(timeout=120)


def test_low_battery_triggers_rtl(launch_vehicle) -> None:
    params = {"BATT_FS_LOW_ACT": 2, "BATT_LOW_VOLT": 11.0, "BATT_LOW_TIMER": 2}
    gcs, _ = ready_vehicle(launch_vehicle, params=params)
    fly_up(gcs, 15)
    for name, value in faults.battery_voltage(10.8).items():
        gcs.set_param(name, value)
    assert "is low" in gcs.wait_text(r"Battery 1 is low", timeout=30)
    gcs.wait_text(r"Battery Failsafe", timeout=30)
    gcs.wait_mode("RTL", timeout=30)
    gcs.wait_disarmed(timeout=120)


@pytest.mark.parametrize("inclusion", [True, False], ids=["inclusion", "exclusion"])
def test_fence_breach_triggers_rtl(launch_vehicle, inclusion: bool) -> None:
    gcs, backend = ready_vehicle(launch_vehicle)
    if inclusion:  # a 60 m square around home
        corners = [(-30, -30), (30, -30), (30, 30), (-30, 30)]
    else:  # a keep-out square 40..80 m north of home
        corners = [(40, -20), (80, -20), (80, 20), (40, 20)]
    fence = fence_polygon([offset(backend, n, e) for n, e in corners], inclusion=inclusion)
    assert gcs.upload(fence, mission_type=M.MAV_MISSION_TYPE_FENCE) == M.MAV_MISSION_ACCEPTED
    gcs.set_param("FENCE_TYPE", 4)
    gcs.set_param("FENCE_ACTION", 1)
    gcs.set_param("FENCE_ENABLE", 1)
    gcs.fence_enable(True)  # in force now, not at the next fence update
    fly_up(gcs, 10)
    # ArduCopter refuses GUIDED destinations beyond an enabled fence ...
    lat, lon = offset(backend, 60, 0)
    assert (
        gcs.command_int(
            M.MAV_CMD_DO_REPOSITION,
            M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
            (-1, 0, 0, float("nan")),
            round(lat * 1e7),
            round(lon * 1e7),
            10,
        )
        == M.MAV_RESULT_FAILED
    )
    # ... so fly there with the fence off, then switch it on: a breach
    gcs.fence_enable(False)
    gcs.goto(lat, lon, 10)
    gcs.wait(
        "GLOBAL_POSITION_INT",
        lambda m: geo.distance_m(m.lat / 1e7, m.lon / 1e7, lat, lon) < 3,
        timeout=60,
        what="reach the point beyond the fence",
    )
    gcs.fence_enable(True)
    gcs.wait_text(r"Polygon fence breached", timeout=60)
    gcs.wait_mode("RTL", timeout=30)
    gcs.wait_disarmed(timeout=120)


def test_modes_and_commands_are_acknowledged(launch_vehicle) -> None:
    gcs, _ = ready_vehicle(launch_vehicle)
    gcs.set_mode("GUIDED")
    # takeoff while disarmed is refused, unknown commands are unsupported
    assert gcs.command(M.MAV_CMD_NAV_TAKEOFF, 0, 0, 0, 0, 0, 0, 10) == M.MAV_RESULT_FAILED
    assert gcs.command(M.MAV_CMD_DO_SET_MODE, 1, 99) == M.MAV_RESULT_FAILED
    assert gcs.command(31999) == M.MAV_RESULT_UNSUPPORTED
    gcs.arm()
    # armed on the ground, not taking off: the copter disarms itself (DISARM_DELAY)
    gcs.wait_disarmed(timeout=60)
    assert MODES["GUIDED"] in gcs.seen.modes
    with pytest.raises(FlightError):
        gcs.wait_text(r"^NoSuchText$", timeout=0.5)
