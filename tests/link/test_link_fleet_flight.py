"""Three vehicles at once through one fleet, and ``dronepatrol fly`` as a real process.

These run on the embedded simulator (several vehicles in one process and the
CLI under a real signal); the single-vehicle suite in test_link_flight.py also
runs on real SITL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from flight.flightlib import Gcs, fence_polygon
from pymavlink import mavutil
from support import wait_until

from dronepatrol import geo
from dronepatrol.events import EventKind
from dronepatrol.mavlink import Fleet, wait_ready
from dronepatrol.mission import Cmd, Mission, MissionItem
from dronepatrol.sitl import Home, SimFleet
from dronepatrol.state import LandedState

pytestmark = pytest.mark.timeout(240)
HOME = Home(-35.363261, 149.165230, 584.0, 0.0)
SAFE = {
    "DISARM_DELAY": 127,
    "FS_GCS_ENABLE": 1,
    "BATT_FS_LOW_ACT": 2,
    "FENCE_ENABLE": 1,
    "FENCE_TYPE": 1,
    "FENCE_ALT_MAX": 100,
    "RTL_ALT": 1500,
}
THREE_SPEEDUP = 20.0
"""Simulated seconds per wall second for the three simulated vehicles (the flight suite's).
Three real SITLs stay at 10x: at 20x one of them once refused to arm with "Logging not
started"."""


def square(lat: float, lon: float, side_m: float, alt_m: float) -> Mission:
    corners = [(side_m, 0), (side_m, side_m), (0, side_m)]
    items = [MissionItem(Cmd.NAV_TAKEOFF, alt_m=alt_m)]
    items += [
        MissionItem(Cmd.NAV_WAYPOINT, lat_deg=a, lon_deg=b, alt_m=alt_m)
        for a, b in (geo.offset(lat, lon, n, e) for n, e in corners)
    ]
    items.append(MissionItem(Cmd.NAV_RETURN_TO_LAUNCH))
    return Mission(tuple(items))


@pytest.fixture(params=["sim", pytest.param("sitl", marks=pytest.mark.sitl)])
def three_vehicles(request):
    """Link URLs of three fresh vehicles: the embedded simulator, or three real SITLs."""
    if request.param == "sim":
        sim = SimFleet(
            3, HOME, speedup=THREE_SPEEDUP, base_port=0, spacing_m=15, params={"DISARM_DELAY": 127}
        ).start()
        yield sim.urls, THREE_SPEEDUP
        sim.stop()
        return
    import tempfile

    from flight.conftest import _free_sitl_instance

    from dronepatrol.sitl.launcher import SitlFleet, fleet_specs

    home = (HOME.lat_deg, HOME.lon_deg, HOME.alt_m, HOME.heading_deg)
    first = _free_sitl_instance(count=3)
    specs = fleet_specs(
        os.environ["ARDUPILOT_SITL"], 3, home, spacing_m=15, speedup=10, first_instance=first
    )
    fleet = SitlFleet(specs, root=Path(tempfile.mkdtemp(prefix="dronepatrol-sitl-3-"))).start()
    yield fleet.urls, 10.0
    fleet.stop()


def test_three_vehicles_fly_different_missions_at_once_through_one_fleet(three_vehicles):
    urls, speedup = three_vehicles
    # the track is sampled on the wall clock: 0.4 samples a simulated second, as 4 Hz at 10x
    fleet = Fleet(heartbeat_hz=2 * speedup, telemetry_hz=0.4 * speedup)
    events = fleet.subscribe()
    try:
        for url in urls:
            fleet.add(url, wait_s=60)
        vehicles = fleet.wait_vehicles(3)
        assert len({v.sysid for v in vehicles}) == 3
        missions = {}
        for k, v in enumerate(vehicles):
            wait_ready(v, 120)
            home = v.snapshot.home
            missions[v.vehicle_id] = square(home.lat_deg, home.lon_deg, 30 + 20 * k, 20 + 5 * k)
            v.mission.upload(missions[v.vehicle_id])
        # Start all three without waiting on any one of them: the non-blocking path.
        takeoffs = [fleet.submit(v.vehicle_id, "takeoff", 10) for v in vehicles]
        for f in takeoffs:
            f.result(120)
        starts = [fleet.submit(v.vehicle_id, "start_mission") for v in vehicles]
        for f in starts:
            f.result(60)
        assert {s.mode for s in fleet.snapshots()} == {"AUTO"}
        for v in vehicles:
            v.telemetry.wait_for(
                lambda s: not s.armed and s.landed_state == LandedState.ON_GROUND, 180, "landed"
            )
        log = events.drain()
        for v in vehicles:
            reached = {
                e.data["seq"]
                for e in log
                if e.kind == EventKind.WAYPOINT_REACHED and e.vehicle_id == v.vehicle_id
            }
            assert set(range(1, 6)) <= reached, (v.vehicle_id, reached)
            track = [
                e
                for e in log
                if e.kind == EventKind.TELEMETRY
                and e.vehicle_id == v.vehicle_id
                and e.data["armed"]
            ]
            peak = max(e.data["alt_rel_m"] for e in track)
            wanted = missions[v.vehicle_id].items[1].alt_m
            assert abs(peak - wanted) < 2.0, (v.vehicle_id, peak, wanted)
            home = v.snapshot.home
            farthest = max(
                geo.distance_m(home.lat_deg, home.lon_deg, e.data["lat_deg"], e.data["lon_deg"])
                for e in track
            )
            side = 30 + 20 * vehicles.index(v)
            assert abs(farthest - side * 2**0.5) < 6, (v.vehicle_id, farthest, side)
    finally:
        fleet.close()


WAYPOINTS = """QGC WPL 110
0\t1\t0\t16\t0\t0\t0\t0\t{lat}\t{lon}\t584.000000\t1
1\t0\t3\t22\t0\t0\t0\t0\t0\t0\t15\t1
2\t0\t3\t16\t0\t0\t0\t0\t{lat1}\t{lon}\t15\t1
3\t0\t3\t16\t0\t0\t0\t0\t{lat1}\t{lon1}\t15\t1
4\t0\t3\t20\t0\t0\t0\t0\t0\t0\t0\t1
"""


@pytest.fixture
def mission_file(tmp_path: Path) -> Path:
    lat1, lon1 = geo.offset(HOME.lat_deg, HOME.lon_deg, 150, 150)
    path = tmp_path / "patrol.waypoints"
    path.write_text(WAYPOINTS.format(lat=HOME.lat_deg, lon=HOME.lon_deg, lat1=lat1, lon1=lon1))
    return path


@pytest.fixture
def plan_file(tmp_path: Path) -> Path:
    """A QGroundControl .plan with a fence around the patrol and a rally point."""
    from dronepatrol.missionfiles import save_mission

    mission = square(HOME.lat_deg, HOME.lon_deg, 100, 15)
    fence = tuple(
        geo.offset(HOME.lat_deg, HOME.lon_deg, n, e)
        for n, e in ((-100, -100), (250, -100), (250, 250), (-100, 250))
    )
    mission = Mission(
        mission.items,
        home=(HOME.lat_deg, HOME.lon_deg, HOME.alt_m),
        fence_inclusions=(fence,),
        rally_points=((*geo.offset(HOME.lat_deg, HOME.lon_deg, 20, 0), 15.0),),
    )
    return save_mission(mission, tmp_path / "patrol.plan")


def fly(url: str, mission: Path, tmp_path: Path, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "DRONEPATROL_DATA_DIR": str(tmp_path / "data")}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dronepatrol",
            "fly",
            "--connect",
            url,
            "--mission",
            str(mission),
            "--takeoff-alt",
            "15",
            "--record",
            str(tmp_path / "tlogs"),
            *extra,  # heartbeats follow the simulator's SIM_SPEEDUP (10x here)
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )


def test_fly_flies_the_whole_sortie_and_records_a_tlog(launch_vehicle, plan_file, tmp_path):
    """On the embedded simulator, and on real ArduCopter SITL when configured."""
    backend = launch_vehicle(params={**SAFE, "FENCE_TYPE": 5}, speedup=10)
    proc = fly(backend.url, plan_file, tmp_path)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out
    assert "uploaded and verified 5 mission items, 4 fence vertices, 1 rally points" in out
    progress = [line for line in out.splitlines() if line.startswith("item ")]
    # one line per waypoint; the RTL item's own "reached" may follow the disarm
    assert [p.split()[1] for p in progress[:4]] == ["1/5", "2/5", "3/5", "4/5"]
    assert "| next " in progress[0] and "| battery " in progress[0]
    assert "landed and disarmed" in out
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("sortie complete:") and "km" in summary
    if backend.fleet is not None:  # the simulator can tell its own truth
        state = backend.fleet.snapshot(0)
        assert not state["armed"] and state["landed"]
    tlog = next((tmp_path / "tlogs").glob("*.tlog"))
    assert str(tlog) in summary
    log = mavutil.mavlink_connection(str(tlog))
    kinds = set()
    while (msg := log.recv_match()) is not None:
        kinds.add((msg.get_srcSystem(), msg.get_type()))
    log.close()
    assert {
        (255, "MISSION_ITEM_INT"),
        (backend.sysid, "MISSION_ITEM_REACHED"),
        (backend.sysid, "HEARTBEAT"),
        (255, "COMMAND_LONG"),
    } <= kinds
    # A headless flight is evidence like any other: recorded in the database too.
    listed = sorties_cli(tmp_path, "list", "--json")
    assert len(listed) == 1, listed
    (row,) = listed
    assert row["plan_ref"] == str(plan_file) and row["operator"].startswith("fly")
    assert row["outcome"] == "completed" and row["samples"] > 20
    shown = sorties_cli(tmp_path, "show", str(row["id"]), "--json")
    assert [m["path"] for m in shown["media"] if m["kind"] == "tlog"] == [str(tlog)]
    assert shown["stats"]["waypoints_reached"][:4] == [1, 2, 3, 4]


def sorties_cli(tmp_path: Path, *args: str):
    """What ``dronepatrol sorties`` says, as a user would ask it, with the data dir fly used."""
    done = subprocess.run(
        [sys.executable, "-m", "dronepatrol", "sorties", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "DRONEPATROL_DATA_DIR": str(tmp_path / "data")},
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_fly_replaces_an_earlier_sorties_fence_that_holds_the_vehicle_on_the_ground(
    plan_file, tmp_path
):
    """ArduPilot's pre-arm checks judge the fence on board: a vehicle still holding another
    station's fence refuses to arm ("Vehicle breaching Polygon fence") until the new
    sortie's fence replaces it, so fly uploads before it waits for the pre-arm checks."""
    sim = SimFleet(
        1, HOME, speedup=10, base_port=0, fast_start=True, params={**SAFE, "FENCE_TYPE": 5}
    ).start()
    try:
        elsewhere = [
            geo.offset(HOME.lat_deg, HOME.lon_deg, 2000 + n, e)
            for n, e in ((0, 0), (0, 300), (300, 300), (300, 0))
        ]
        gcs = Gcs(sim.urls[0])
        gcs.wait_heartbeat()
        assert (
            gcs.upload(
                fence_polygon(elsewhere), mission_type=mavutil.mavlink.MAV_MISSION_TYPE_FENCE
            )
            == 0
        )
        gcs.close()
        proc = fly(sim.urls[0], plan_file, tmp_path, "--ready-timeout", "60")
        out, _ = proc.communicate(timeout=200)
        assert proc.returncode == 0, out
        assert out.index("uploaded and verified") < out.index("vehicle ready to arm"), out
        assert "landed and disarmed" in out
    finally:
        sim.stop()


def test_three_fly_processes_at_once_each_land_with_their_own_tlog_and_record(
    mission_file, tmp_path
):
    """One ``fly`` per vehicle of a fleet, started together, writing to one directory."""
    sim = SimFleet(
        3, HOME, speedup=10, base_port=0, spacing_m=15, fast_start=True, params=SAFE
    ).start()
    try:
        procs = [fly(url, mission_file, tmp_path) for url in sim.urls]
        outs = [proc.communicate(timeout=200)[0] for proc in procs]
        for proc, out in zip(procs, outs, strict=True):
            assert proc.returncode == 0, out
            assert "landed and disarmed" in out
        for i in range(3):
            state = sim.snapshot(i)
            assert not state["armed"] and state["landed"]
        tlogs = sorted((tmp_path / "tlogs").glob("*.tlog"))
        assert len(tlogs) == 3, tlogs
        for tlog in tlogs:  # each holds one vehicle's conversation
            log = mavutil.mavlink_connection(str(tlog))
            systems = set()
            while (msg := log.recv_match(type="HEARTBEAT")) is not None:
                systems.add(msg.get_srcSystem())
            log.close()
            assert len(systems - {255}) == 1, (tlog, systems)
        listed = sorties_cli(tmp_path, "list", "--json")
        assert sorted(row["outcome"] for row in listed) == ["completed"] * 3, listed
    finally:
        sim.stop()


def test_fly_refuses_unsafe_vehicle_and_leaves_it_disarmed(mission_file, tmp_path):
    sim = SimFleet(
        1, HOME, speedup=10, base_port=0, params={"DISARM_DELAY": 127, "FS_GCS_ENABLE": 0}
    ).start()
    try:
        proc = fly(sim.urls[0], mission_file, tmp_path)
        out, _ = proc.communicate(timeout=200)
        assert proc.returncode == 1
        assert "preflight check gcs_failsafe failed" in out and "--override" in out
        assert "dronepatrol sim --patrol" in out  # how to start a simulated drone that flies
        assert not sim.snapshot(0)["armed"]
    finally:
        sim.stop()


def test_ctrl_c_returns_to_launch_and_waits_for_the_landing(mission_file, tmp_path):
    # 10x, as the other ``fly`` runs here: fly's 20 Hz heartbeat is 2x the speed-up
    sim = SimFleet(1, HOME, speedup=10, base_port=0, params=SAFE).start()
    try:
        proc = fly(sim.urls[0], mission_file, tmp_path)
        lines = []

        def next_line() -> str:
            lines.append(proc.stdout.readline())
            assert lines[-1], "fly ended before item 2/4:\n" + "".join(lines)
            return lines[-1]

        wait_until(
            next_line,
            150,
            "fly to report item 2/4",
            accept=lambda line: line.startswith("item 2/4"),
            every_s=0,
        )
        assert sim.snapshot(0)["alt_rel_m"] > 5
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=200)
        assert proc.returncode == 130, "".join(lines) + rest
        assert "commanding RTL" in rest and "landed and disarmed" in rest
        state = sim.snapshot(0)
        assert not state["armed"] and state["landed"] and state["mode"] == "RTL"
        assert geo.distance_m(state["lat"], state["lon"], HOME.lat_deg, HOME.lon_deg) < 5
    finally:
        sim.stop()
