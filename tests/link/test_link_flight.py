"""The flight suite driven through the link: every step via Link/Vehicle/Fleet.

Same backends as tests/flight (the embedded simulator always, real ArduCopter
SITL marked ``sitl``), same fresh vehicle per test, waits on events and
snapshots with generous deadlines.
"""

from __future__ import annotations

import time

import pytest
from support import wait_event as next_event
from support import wait_until

from dronepatrol import geo
from dronepatrol.events import EventBus, EventKind
from dronepatrol.mavlink import (
    CommandError,
    FlightError,
    Link,
    PreflightError,
    blocking_reasons,
    check_preflight,
    wait_ready,
)
from dronepatrol.mavlink.operations import submit_operation
from dronepatrol.mission import Cmd, Mission, MissionItem, MissionType
from dronepatrol.sitl.proxy import LinkProxy
from dronepatrol.state import LandedState, LinkState

pytestmark = pytest.mark.timeout(180)
DO_FENCE_ENABLE = 207
"""MAV_CMD_DO_FENCE_ENABLE: param1 1 switches the fences on, 0 off, at once."""

SAFE_PARAMS = {
    "FS_GCS_ENABLE": 1,
    "BATT_FS_LOW_ACT": 2,
    "FENCE_ENABLE": 1,
    "FENCE_TYPE": 1,
    "FENCE_ALT_MAX": 100,
    "RTL_ALT": 1500,
}


def launch(launch_vehicle, speedup: float | None = None, **params: float):
    """A fresh vehicle; DISARM_DELAY at its maximum, because 10 simulated seconds
    between arming and takeoff are only half a wall second at the tests' speedup."""
    params = {"DISARM_DELAY": 127, **params}
    if speedup is None:
        return launch_vehicle(params=params)
    return launch_vehicle(params=params, speedup=speedup)


def at(backend, north_m: float, east_m: float) -> tuple[float, float]:
    return geo.offset(backend.home.lat_deg, backend.home.lon_deg, north_m, east_m)


def patrol(backend, corners, alt_m: float = 15.0, end=Cmd.NAV_RETURN_TO_LAUNCH):
    items = [MissionItem(Cmd.NAV_TAKEOFF, alt_m=alt_m)]
    items += [
        MissionItem(Cmd.NAV_WAYPOINT, lat_deg=lat, lon_deg=lon, alt_m=alt_m)
        for lat, lon in (at(backend, n, e) for n, e in corners)
    ]
    if end is not None:
        items.append(MissionItem(end))
    return Mission(
        tuple(items), home=(backend.home.lat_deg, backend.home.lon_deg, backend.home.alt_m)
    )


class Session:
    """A link to one launched backend vehicle, with an event log."""

    def __init__(self, url: str, speedup: float) -> None:
        self.bus = EventBus()
        self.events = self.bus.subscribe()
        # Heartbeats at the simulator's pace: its GCS failsafe counts simulated seconds.
        self.link = Link(url, self.bus, heartbeat_hz=2 * speedup).start()
        self.vehicle = self.link.wait_vehicle(timeout_s=60)
        self.log: list = []

    def wait_event(self, kind, pred=lambda e: True, timeout_s: float = 60.0):
        """The first logged or coming ``kind`` event that ``pred`` accepts."""
        for e in self.log:
            if e.kind == kind and pred(e):
                return e

        def logged(e) -> bool:
            self.log.append(e)
            return e.kind == kind and pred(e)

        return next_event(self.events, timeout_s, f"a {kind.name} event", logged)

    def drain(self):
        self.log.extend(self.events.drain())
        return self.log

    def close(self) -> None:
        self.link.close()


@pytest.fixture
def session_for():
    opened: list[Session] = []

    def open_session(url: str, speedup: float = 20.0) -> Session:
        s = Session(url, speedup)
        opened.append(s)
        return s

    yield open_session
    for s in opened:
        s.close()


def ready(session_for, backend) -> Session:
    s = session_for(backend.url, backend.speedup)
    wait_ready(s.vehicle, 120)
    return s


def test_arm_refused_before_the_ekf_is_ready_with_the_reason(launch_vehicle, session_for):
    backend = launch(launch_vehicle, SIM_GPS_DISABLE=1, SIM_GPS1_ENABLE=0)
    s = session_for(backend.url, backend.speedup)
    v = s.vehicle
    v.action.set_mode("GUIDED")
    with pytest.raises(CommandError) as refused:
        v.action.arm()
    assert refused.value.result_name == "FAILED"
    assert refused.value.reason.startswith(("PreArm", "Arm"))
    reasons = blocking_reasons(v.snapshot)
    assert any("GPS" in r for r in reasons) and any("EKF" in r for r in reasons)
    seen: list[list[str]] = []
    # GPS back (SITL names the switch SIM_GPS1_ENABLE, older ones SIM_GPS_DISABLE)
    switches = {"SIM_GPS1_ENABLE": 1, "SIM_GPS_DISABLE": 0}
    present = {n: val for n, val in switches.items() if v.params.submit(n).exception(10) is None}
    assert present, "no GPS switch parameter on this backend"
    for name, value in present.items():
        v.params.set(name, value)
    wait_ready(v, 120, seen.append)
    v.action.arm()
    assert v.snapshot.armed


def test_takeoff_goto_rtl_land_and_disarm(launch_vehicle, session_for):
    backend = launch(launch_vehicle)
    s = ready(session_for, backend)
    v = s.vehicle
    v.action.takeoff(15, source="test")
    lat, lon = at(backend, 40, 30)
    v.action.goto(lat, lon, 15, wait_arrival_s=60)
    v.action.rtl()
    v.action.disarm_after_landing(timeout_s=120)
    snap = v.snapshot
    assert not snap.armed and snap.landed_state == LandedState.ON_GROUND
    assert (
        geo.distance_m(
            snap.position.lat_deg, snap.position.lon_deg, backend.home.lat_deg, backend.home.lon_deg
        )
        < 5
    )
    states = [e.data["state"] for e in s.drain() if e.kind == EventKind.LANDED_STATE]
    assert states.index("LANDING") > states.index("IN_AIR") and states[-1] == "ON_GROUND"


def test_mission_fence_rally_upload_verified_and_read_back(launch_vehicle, session_for):
    backend = launch(launch_vehicle)
    s = ready(session_for, backend)
    v = s.vehicle
    square = tuple(
        at(backend, n, e) for n, e in ((-200, -200), (200, -200), (200, 200), (-200, 200))
    )
    mission = patrol(backend, [(50, 20), (100, 20), (150, 20)])
    mission = Mission(
        mission.items,
        home=mission.home,
        fence_inclusions=(square,),
        rally_points=((*at(backend, 30, 0), 20.0),),
    )
    v.mission.upload(mission)
    back = v.mission.download(MissionType.MISSION)
    assert [i.command for i in back[1:]] == [i.command for i in mission.items]
    assert back[2].frame == 3  # relative-alt int frame reads back as frame 3
    assert len(v.mission.download(MissionType.FENCE)) == 4
    assert len(v.mission.download(MissionType.RALLY)) == 1


def test_auto_mission_to_completion_with_every_waypoint_reached(launch_vehicle, session_for):
    backend = launch(launch_vehicle)
    s = ready(session_for, backend)
    v = s.vehicle
    mission = patrol(backend, [(40, 0), (40, 40), (0, 40)])
    v.mission.upload(mission)
    v.action.takeoff(15)
    v.action.start_mission()
    v.telemetry.wait_for(
        lambda snap: not snap.armed and snap.landed_state == LandedState.ON_GROUND,
        150,
        "landed after the mission",
    )
    reached = [e.data["seq"] for e in s.drain() if e.kind == EventKind.WAYPOINT_REACHED]
    assert set(range(1, len(mission.items) + 1)) <= set(reached), reached


def test_pause_holds_and_resume_continues_from_the_paused_item(launch_vehicle, session_for):
    backend = launch(launch_vehicle)
    s = ready(session_for, backend)
    v = s.vehicle
    v.mission.upload(patrol(backend, [(150, 0), (150, 150), (0, 150)]))
    v.action.takeoff(15)
    v.action.start_mission()
    s.wait_event(EventKind.MISSION_CURRENT, lambda e: e.data["seq"] >= 3, 60)
    paused_at = v.action.pause()
    assert paused_at >= 3 and v.snapshot.mode in ("BRAKE", "LOITER")
    v.telemetry.wait_for(lambda snap: snap.groundspeed_mps < 0.5, 30, "holding still")
    held = v.snapshot.position
    time.sleep(1.0)
    still = v.snapshot.position
    assert geo.distance_m(held.lat_deg, held.lon_deg, still.lat_deg, still.lon_deg) < 2
    with pytest.raises(CommandError):  # ArduCopter has no speed to change in BRAKE
        v.action.change_speed(8)
    v.action.resume()
    assert v.snapshot.mode == "AUTO"
    v.action.change_speed(8)
    v.telemetry.wait_for(
        lambda snap: not snap.armed and snap.landed_state == LandedState.ON_GROUND,
        150,
        "landed after the mission",
    )
    reached = [e.data["seq"] for e in s.drain() if e.kind == EventKind.WAYPOINT_REACHED]
    assert paused_at in reached and max(reached) == 5


def test_preflight_refuses_unsafe_parameters_and_passes_safe_ones(launch_vehicle, session_for):
    backend = launch(launch_vehicle)
    s = ready(session_for, backend)
    v = s.vehicle
    mission = patrol(backend, [(30, 0)])
    for name in ("FS_GCS_ENABLE", "BATT_FS_LOW_ACT", "BATT_FS_CRT_ACT", "FENCE_ENABLE"):
        v.params.set(name, 0)
    with pytest.raises(PreflightError) as refused:
        check_preflight(v, mission)
    assert {"gcs_failsafe", "battery_failsafe", "fence"} <= set(refused.value.failures)
    overridden = check_preflight(
        v, mission, overrides=("gcs_failsafe", "battery_failsafe", "fence")
    )
    assert set(overridden) == {"gcs_failsafe", "battery_failsafe", "fence"}
    for name, value in SAFE_PARAMS.items():
        v.params.set(name, value)
    assert check_preflight(v, mission) == {}


def test_link_loss_mid_mission_failsafe_acts_and_the_link_comes_back(launch_vehicle, session_for):
    backend = launch(launch_vehicle, speedup=5, FS_GCS_ENABLE=1)
    _scheme, host, port = backend.url.split(":")
    relay = LinkProxy(host, int(port)).start()
    try:
        s = session_for(relay.url, backend.speedup)
        v = s.vehicle
        wait_ready(v, 120)
        v.mission.upload(patrol(backend, [(300, 0), (300, 300)], alt_m=20))
        v.action.takeoff(20)
        v.action.start_mission()
        s.wait_event(EventKind.MISSION_CURRENT, lambda e: e.data["seq"] >= 2, 60)
        last_heard = v.snapshot
        assert not [e for e in s.drain() if e.kind == EventKind.FAILSAFE]
        relay.cut()
        cut_at = time.monotonic()
        lost = s.wait_event(EventKind.LINK_LOST, timeout_s=10)
        assert time.monotonic() - cut_at <= 3.2
        assert lost.data["silent_s"] <= 3.0
        assert v.snapshot.link is LinkState.LOST and last_heard.mode == "AUTO"
        time.sleep(1.0)  # the vehicle's own GCS failsafe acts while we are deaf
        relay.restore()
        s.wait_event(EventKind.LINK_RESTORED, timeout_s=10)
        snap = v.telemetry.wait_for(
            lambda x: x.link is LinkState.UP and x.mode in ("RTL", "LAND"),
            10,
            "the true (failsafe) mode after the link returned",
        )
        assert snap.mode in ("RTL", "LAND")
        v.action.disarm_after_landing(timeout_s=150)
        assert v.snapshot.landed_state == LandedState.ON_GROUND
    finally:
        relay.stop()


def test_battery_failsafe_is_reported(launch_vehicle, session_for):
    params = {"BATT_FS_LOW_ACT": 2, "BATT_LOW_VOLT": 11.0, "BATT_LOW_TIMER": 2}
    backend = launch(launch_vehicle, **params)
    s = ready(session_for, backend)
    v = s.vehicle
    v.action.takeoff(15)
    v.params.set("SIM_BATT_VOLTAGE", 10.8)
    failsafe = s.wait_event(EventKind.FAILSAFE, lambda e: e.data["failsafe"] == "battery", 60)
    assert failsafe.data["text"]
    v.telemetry.wait_for(lambda x: x.mode == "RTL", 30, "RTL")
    v.action.disarm_after_landing(timeout_s=150)


def test_battery_swapped_resets_the_remaining_percentage(launch_vehicle, session_for):
    # a small BATT_CAPACITY so that a short hover uses a visible share of it [mAh]
    backend = launch(launch_vehicle, BATT_CAPACITY=1000)
    s = ready(session_for, backend)
    v = s.vehicle
    v.action.takeoff(10)
    v.telemetry.wait_for(lambda x: (x.battery.remaining_pct or 100) <= 90, 120, "battery at 90 %")
    with pytest.raises(FlightError, match="armed"):
        v.action.battery_swapped()
    v.action.land()
    v.action.disarm_after_landing(timeout_s=120)
    assert v.snapshot.battery.remaining_pct <= 90
    handle = submit_operation(v, "battery_swapped", source="crew")
    handle.result(60)
    assert v.snapshot.battery.remaining_pct == 100
    sent = s.wait_event(
        EventKind.COMMAND_RESULT, lambda e: e.data.get("command") == Cmd.BATTERY_RESET, 10
    )
    assert sent.data["result"] == "ACCEPTED"
    v.action.battery_swapped(percentage=50)
    assert abs(v.snapshot.battery.remaining_pct - 50) <= 1


def test_fence_breach_is_reported_and_the_vehicle_returns(launch_vehicle, session_for):
    backend = launch(launch_vehicle)
    s = ready(session_for, backend)
    v = s.vehicle
    box = tuple(at(backend, n, e) for n, e in ((-30, -30), (30, -30), (30, 30), (-30, 30)))
    mission = Mission(patrol(backend, [(10, 0)]).items, fence_inclusions=(box,))
    v.mission.upload(mission)
    for name, value in (("FENCE_TYPE", 4), ("FENCE_ACTION", 1), ("FENCE_ENABLE", 1)):
        v.params.set(name, value)
    # A FENCE_ENABLE write takes effect at ArduCopter's next fence update (AC_Fence::update,
    # 10 Hz); MAV_CMD_DO_FENCE_ENABLE switches the fence before its ACK.
    v.commands.submit(DO_FENCE_ENABLE, 1).result(30)
    v.action.takeoff(10)
    outside = at(backend, 45, 0)
    with pytest.raises(CommandError) as refused:  # ArduCopter keeps GUIDED inside the fence
        v.action.goto(*outside, 10)
    assert refused.value.result_name == "FAILED"
    v.commands.submit(DO_FENCE_ENABLE, 0).result(30)
    v.action.goto(*outside, 10, wait_arrival_s=60)
    v.commands.submit(DO_FENCE_ENABLE, 1).result(30)  # now outside an enabled fence: a breach
    breach = s.wait_event(EventKind.FAILSAFE, lambda e: e.data["failsafe"] == "fence", 60)
    assert "fence" in breach.data["text"].lower()
    v.telemetry.wait_for(lambda x: x.mode == "RTL", 30, "RTL")
    v.action.disarm_after_landing(timeout_s=150)


def test_orbit_circles_the_place_at_the_radius(launch_vehicle, session_for):
    backend = launch(launch_vehicle)
    s = ready(session_for, backend)
    v = s.vehicle
    v.action.takeoff(20)
    # ArduCopter's CIRCLE (the orbit without DO_ORBIT) climbs or sinks as the pilot's
    # throttle stick says: a standby pilot holds it at mid (see Backend.centre_throttle)
    backend.centre_throttle()
    centre = at(backend, 60, 0)
    v.action.orbit(*centre, radius_m=25, alt_rel_m=20, speed_mps=4)
    bearings = set()

    def quadrants_flown() -> set[int]:
        snap = v.telemetry.wait_for(lambda x: x.position is not None, 10)
        p = snap.position
        distance = geo.distance_m(*centre, p.lat_deg, p.lon_deg)
        assert 15 < distance < 35, distance
        assert abs(snap.position.alt_rel_m - 20) < 5, snap.position
        bearings.add(int(geo.bearing_deg(*centre, p.lat_deg, p.lon_deg) // 90))
        return bearings

    wait_until(
        quadrants_flown, 120, "the orbit through all four quadrants", accept=lambda q: len(q) == 4
    )
    assert bearings == {0, 1, 2, 3}
    v.action.rtl()
    v.action.disarm_after_landing(timeout_s=150)
