"""End to end: a sortie flown on the simulator through the fleet is recorded whole.

The vehicle is the flight suite's (the embedded simulated ArduCopter always;
real ArduCopter SITL, marked ``sitl``, when ARDUPILOT_SITL is set), driven
through :class:`dronepatrol.mavlink.Fleet`, whose events the recorder takes
from the shared bus exactly as the control app wires it.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from flight.conftest import launch_vehicle  # noqa: F401 - the flight suite's backends

from dronepatrol import geo
from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.mavlink import Fleet, wait_ready
from dronepatrol.mission import Cmd, Mission, MissionItem
from dronepatrol.records.archive import SortieArchive
from dronepatrol.records.media import verify_media
from dronepatrol.records.recorder import Recorder
from dronepatrol.records.report import command_audit
from dronepatrol.state import LandedState

pytestmark = pytest.mark.timeout(300)


def _patrol(home, corners, alt_m: float) -> Mission:
    items = [MissionItem(Cmd.NAV_TAKEOFF, alt_m=alt_m)]
    for north, east in corners:
        lat, lon = geo.offset(home.lat_deg, home.lon_deg, north, east)
        items.append(MissionItem(Cmd.NAV_WAYPOINT, lat_deg=lat, lon_deg=lon, alt_m=alt_m))
    items.append(MissionItem(Cmd.NAV_RETURN_TO_LAUNCH))
    return Mission(tuple(items), home=(home.lat_deg, home.lon_deg, home.alt_m))


def test_a_simulated_sortie_is_recorded_whole(
    launch_vehicle,  # noqa: F811
    engine,
    tmp_path: Path,
) -> None:
    # The track is sampled on the wall clock: at 16x, 8 samples a wall second keep the
    # track as dense along the flight (one per half simulated second) as 4 did at 8x.
    speedup = 16.0
    backend = launch_vehicle(speedup=speedup)
    bus = EventBus()
    recorder = Recorder(engine, bus)
    recorder.start()
    fleet = Fleet(bus, tlog_dir=tmp_path, telemetry_hz=speedup / 2)
    try:
        fleet.add(backend.url, wait_s=60)
        [vehicle] = fleet.wait_vehicles(1, timeout_s=60)
        wait_ready(vehicle, 120)
        mission = _patrol(backend.home, [(60, 0), (60, 60), (0, 60)], alt_m=20.0)
        vehicle.mission.upload(mission)
        vehicle.action.takeoff(20, source="alice")
        vehicle.action.start_mission(source="alice")
        vehicle.telemetry.wait_for(
            lambda s: not s.armed and s.landed_state == LandedState.ON_GROUND,
            200,
            "landed and disarmed after the mission",
        )
    finally:
        fleet.close()
    [tlog] = tmp_path.glob("*.tlog")  # the link announced it at arming and on closing
    assert recorder.flush()
    recorder.wait_hashed()
    recorder.stop()

    archive = SortieArchive(engine)
    [summary] = archive.list()
    assert summary.outcome == "completed", summary.outcome_reason
    record = archive.record(summary.id)
    assert record.track_rate_hz() >= 2.0
    times = [sample["time_s"] for sample in record.track]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert max(gaps) <= 1.0, f"track gap of {max(gaps):.2f} s"
    assert record.stats()["max_alt_rel_m"] == pytest.approx(20.0, abs=2.0)
    assert record.distance_m() >= 200.0  # 60 + 60 + 60 m out and back home
    # every waypoint reached is in the record (the simulator reports RTL's too)
    reached = set(record.stats()["waypoints_reached"])
    assert set(range(1, len(mission.items))) <= reached, reached
    # every command sent has its result and who sent it
    audit = command_audit(record.events)
    assert audit, "no commands recorded"
    for row in audit:  # the link's own requests included, whatever their answer
        assert row["result"] is not None and row["sent_s"] is not None, row
        assert row["actor"], row
    ours = [row for row in audit if row["actor"] == "alice"]
    assert all(row["result"] == "ACCEPTED" for row in ours), ours
    names = {row["command"] for row in ours}
    assert any("ARM" in n for n in names) and any("TAKEOFF" in n for n in names), names
    assert any("MISSION_START" in n for n in names), names
    kinds = {e["kind"] for e in record.events}
    assert {"armed", "disarmed", "mode_changed", "waypoint_reached"} <= kinds
    [check] = verify_media(engine, summary.id)
    assert check.status == "ok" and check.kind == "tlog" and check.path == str(tlog.resolve())


def test_a_planned_patrol_flown_on_the_simulator_covers_its_targets(
    launch_vehicle,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Plan a sortie over the example network, fly it, and measure coverage from the record."""
    import json
    import subprocess
    import sys

    import lxml.html
    from click.testing import CliRunner

    from dronepatrol.cli import main
    from dronepatrol.database import upgrade
    from dronepatrol.missionfiles import load_mission

    network = Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"
    plans = tmp_path / "plans"
    env = {"DRONEPATROL_DATA_DIR": str(tmp_path / "data"), "DRONEPATROL_DATABASE_URL": ""}
    command = ["plan", str(network), "--out", str(plans), "--targets", "P001,G002,L001"]
    planned = subprocess.run(  # the planner as an operator runs it
        [sys.executable, "-m", "dronepatrol", *command],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert planned.returncode == 0, planned.stderr
    [sortie_plan] = json.loads((plans / "summary.json").read_text())["sorties"]
    mission = load_mission(plans / sortie_plan["plan"])

    # 20x, as the other flight tests: the mission protocol times out in simulated seconds,
    # too fast for a busy CI at 30x
    backend = launch_vehicle(speedup=20.0)
    engine = upgrade(f"sqlite:///{tmp_path / 'data' / 'dronepatrol.db'}")
    bus = EventBus()
    recorder = Recorder(engine, bus)
    recorder.start()
    fleet = Fleet(bus, telemetry_hz=10.0)
    try:
        fleet.add(backend.url, wait_s=60)
        [vehicle] = fleet.wait_vehicles(1, timeout_s=60)
        wait_ready(vehicle, 120)
        context = {"plan": sortie_plan["id"], "station": "S01", "operator": "alice"}
        bus.publish(Event(EventKind.MISSION_UPLOAD, vehicle.vehicle_id, context))
        vehicle.mission.upload(mission)
        vehicle.action.takeoff(20, source="alice")
        vehicle.action.start_mission(source="alice")
        vehicle.telemetry.wait_for(
            lambda s: not s.armed and s.landed_state == LandedState.ON_GROUND,
            400,
            "landed and disarmed after the patrol",
        )
    finally:
        fleet.close()
    assert recorder.flush()
    recorder.stop()
    engine.dispose()

    # The report judges by the patrolled rules, on the record's wall-clock times: the
    # planned 30 s loiter over P001 lasts 30 / 20 = 1.5 s there, so the report is given
    # the network with P001's dwell on that clock (1 s).
    geojson = json.loads(network.read_text())
    for feature in geojson["features"]:
        if feature["properties"].get("id") == "P001":
            feature["properties"]["dwell_s"] = 1
    wall_clock_network = tmp_path / "network-wall-clock.geojson"
    wall_clock_network.write_text(json.dumps(geojson))
    out = tmp_path / "report.html"
    args = ["sorties", "report", "1", "--out", str(out), "--network", str(wall_clock_network)]
    args += ["--plan-summary", str(plans / "summary.json")]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    page = lxml.html.document_fromstring(out.read_text())
    rows = page.xpath("//h2[.='Targets covered']/following-sibling::table[1]//tbody/tr")
    verdicts = {
        cells[0]: (cells[4], cells[5])
        for cells in ([td.text_content() for td in row.xpath("td")] for row in rows)
    }
    # (planned, patrolled) per target, by the patrolled rules freshness applies too
    assert verdicts["G002"] == ("yes", "yes"), verdicts
    assert verdicts["L001"] == ("yes", "yes"), verdicts
    assert verdicts["P001"] == ("yes", "yes"), verdicts
