"""Fence pre-arm checks and fence avoidance, as ArduCopter 4.7 has them by default.

AC_Fence::pre_arm_check refuses to arm with ArduPilot's words ("Arm: ..."),
and AC_Avoid (AVOID_ENABLE 3, ArduCopter's default) stops a GUIDED velocity
target and a pilot's climb FENCE_MARGIN short of an enabled fence, where
the vehicle would otherwise fly through it.
"""

from __future__ import annotations

import time

import pytest
from flight.flightlib import FlightError, fence_polygon
from pymavlink.dialects.v20 import ardupilotmega as M
from support import wait_until

pytestmark = pytest.mark.timeout(120)

VEL_ONLY = 0b0000_1111_1100_0111  # SET_POSITION_TARGET type_mask: velocity, no yaw


def _ready(make_fleet, connect, prearm_ok: bool = True, **params):
    """A connected vehicle with a position (and, with ``prearm_ok``, passing pre-arm)."""
    fleet = make_fleet(speedup=20, params=params)
    gcs = connect(fleet.urls[0])
    if prearm_ok:
        gcs.wait_ready(timeout=30)
    else:
        gcs.wait("EKF_STATUS_REPORT", lambda m: m.flags & 16, 30, "an absolute position")
    return gcs


def _fly_north(gcs, speed_mps: float, seconds: float) -> list[tuple[float, float]]:
    """Ask GUIDED for ``speed_mps`` north for ``seconds`` (wall); (north [m], vn [m/s]) seen."""
    trace = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        gcs.send(
            gcs.conn.mav.set_position_target_local_ned_send,
            0, 1, 1, M.MAV_FRAME_LOCAL_NED, VEL_ONLY, 0, 0, 0, speed_mps, 0, 0, 0, 0, 0, 0, 0,
        )  # fmt: skip
        pos = gcs.wait("LOCAL_POSITION_NED", timeout=5)
        trace.append((pos.x, pos.vx))
    return trace


def test_guided_velocity_stops_short_of_the_circle_fence(make_fleet, connect) -> None:
    """Real ArduCopter 4.7 SITL, same setup: 8 m/s north, slowing from ~30 m, stopped at 58.1 m.

    (Held there, SITL later crept through the fence and its breach action took
    it home; the simulator holds at the margin.)
    """
    gcs = _ready(make_fleet, connect, FENCE_ENABLE=1, FENCE_TYPE=2, FENCE_RADIUS=60)
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    trace = _fly_north(gcs, 8.0, 2.0)  # 40 s of simulated time: far enough to cross
    fast = next(i for i, (_, vn) in enumerate(trace) if vn > 7.0)
    stop = next(i for i, (_, vn) in enumerate(trace) if i > fast and vn < 0.5)
    # AC_Avoid::adjust_velocity_circle_fence: the stop is FENCE_MARGIN (2 m) inside the radius
    assert 56.5 <= trace[stop][0] <= 58.5, trace[stop]
    slowing = next(north for north, vn in trace[fast:] if vn < 7.0)
    assert 20.0 <= slowing <= 45.0, slowing  # braking starts well before the fence
    assert max(north for north, _ in trace) < 60.0
    assert not any("breached" in t for t in gcs.seen.texts)


def test_without_avoidance_the_velocity_target_breaches(make_fleet, connect) -> None:
    gcs = _ready(make_fleet, connect, FENCE_ENABLE=1, FENCE_TYPE=2, FENCE_RADIUS=60, AVOID_ENABLE=0)
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    _fly_north(gcs, 8.0, 1.0)
    gcs.wait_text("Circle fence breached", timeout=20)


def test_climb_in_loiter_stops_below_the_altitude_fence(make_fleet, connect) -> None:
    gcs = _ready(make_fleet, connect, FENCE_ENABLE=1, FENCE_TYPE=1, FENCE_ALT_MAX=30)
    gcs.set_mode("GUIDED")
    gcs.arm()
    gcs.takeoff(10)
    gcs.set_mode("LOITER")
    highest = 0.0
    end = time.monotonic() + 3.0
    while time.monotonic() < end:  # full throttle: PILOT_SPEED_UP, cut by AC_Avoid
        gcs.send(gcs.conn.mav.rc_channels_override_send, 1, 1, 0, 0, 2000, 0, 0, 0, 0, 0)
        pos = gcs.wait("GLOBAL_POSITION_INT", timeout=5)
        highest = max(highest, pos.relative_alt / 1000)
    assert 25.0 <= highest <= 28.5, highest  # FENCE_ALT_MAX less FENCE_MARGIN
    assert not any("breached" in t for t in gcs.seen.texts)


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        # a polygon fence with no polygon uploaded is not present (AC_Fence::present)
        ({"FENCE_ENABLE": 1, "FENCE_TYPE": 4}, "Fences enabled, but none selected"),
        ({"FENCE_ENABLE": 1, "FENCE_MARGIN": 60}, "FENCE_MARGIN too big"),
        (
            {"FENCE_ENABLE": 1, "FENCE_RADIUS": 1},
            "Circle FENCE_MARGIN is greater than FENCE_RADIUS",
        ),
    ],
)
def test_fence_prearm_refusals_in_arducopter_words(make_fleet, connect, params, reason) -> None:
    gcs = _ready(make_fleet, connect, prearm_ok=False, **params)
    gcs.set_mode("GUIDED")
    with pytest.raises(FlightError, match="result 4"):  # MAV_RESULT_FAILED
        gcs.arm()
    gcs.wait_text(f"Arm: {reason}"[:50], timeout=5)  # one STATUSTEXT holds 50 characters


def test_vehicle_outside_the_inclusion_polygon_may_not_arm(make_fleet, connect) -> None:
    gcs = _ready(make_fleet, connect, prearm_ok=False, FENCE_ENABLE=1, FENCE_TYPE=4)
    lat, lon = -35.363261, 149.165230
    # a square 200 m north of home: home is outside it
    corners = ((0, 0), (0, 0.001), (0.001, 0.001), (0.001, 0))
    fence = fence_polygon([(lat + 0.0018 + dn, lon + de) for dn, de in corners])
    assert gcs.upload(fence, mission_type=M.MAV_MISSION_TYPE_FENCE) == M.MAV_MISSION_ACCEPTED
    gcs.set_mode("GUIDED")

    def arm_refused() -> bool:
        try:
            gcs.arm()
        except FlightError:
            return True
        return False

    # the breach is found by the next fence check (10 Hz)
    wait_until(arm_refused, 10, "arming refused outside the polygon", every_s=0)
    gcs.wait_text("Arm: Vehicle breaching Polygon fence", timeout=5)
    # a fence around home replaces it: the breach clears without a word on the ground
    # (Copter::fence_checks_async says "Fence breach cleared" only in the air)
    around = [
        (lat + dn, lon + de)
        for dn, de in ((-1e-3, -1e-3), (-1e-3, 1e-3), (1e-3, 1e-3), (1e-3, -1e-3))
    ]
    assert gcs.upload(fence_polygon(around), mission_type=M.MAV_MISSION_TYPE_FENCE) == 0
    wait_until(lambda: not arm_refused(), 10, "arming inside the new polygon", every_s=0)
    gcs.drain(0.5)
    assert not [t for t in gcs.seen.texts if "cleared" in t], gcs.seen.texts
