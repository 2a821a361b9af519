"""Dispatch on the simulator: a patrolling drone is diverted, orbits, is released, resumes."""

from __future__ import annotations

import pytest
from support import wait_until

from dronepatrol.database import upgrade
from dronepatrol.dispatch import Dispatcher, DispatchError
from dronepatrol.geo import distance_m, offset
from dronepatrol.incidents import IncidentBook
from dronepatrol.mavlink import Fleet, wait_ready
from dronepatrol.mavlink.preflight import PATROL_SAFETY_PARAMS
from dronepatrol.mission import Cmd, Mission, MissionItem
from dronepatrol.sitl import SimFleet

HOME = (-35.363261, 149.165230, 584.0, 0.0)


def _patrol_line() -> Mission:
    """Take off, six waypoints 150 m apart going north, land back."""
    items = [MissionItem(Cmd.NAV_TAKEOFF, alt_m=30)]
    for k in range(1, 7):
        lat, lon = offset(HOME[0], HOME[1], 150.0 * k, 0.0)
        items.append(MissionItem(Cmd.NAV_WAYPOINT, lat_deg=lat, lon_deg=lon, alt_m=30))
    items.append(MissionItem(Cmd.NAV_RETURN_TO_LAUNCH))
    return Mission(items=tuple(items), home=HOME[:3])


@pytest.fixture
def world(tmp_path):
    engine = upgrade(f"sqlite:///{tmp_path / 'dp.db'}")
    sim = SimFleet(
        2,
        HOME,
        spacing_m=600.0,
        speedup=10,
        base_port=0,
        fast_start=True,
        params=PATROL_SAFETY_PARAMS,  # patrol drones: an idle one passes the preflight checks
    ).start()
    fleet = Fleet(heartbeat_hz=20.0)  # twice the speed-up: no GCS failsafe
    try:
        for url in sim.urls:
            fleet.add(url)
        vehicles = fleet.wait_vehicles(2, timeout_s=30)
        for vehicle in vehicles:
            wait_ready(vehicle, 120)
        book = IncidentBook(engine)
        yield (
            fleet,
            vehicles,
            book,
            Dispatcher(fleet, book, fleet.bus, orbit_radius_m=30, orbit_alt_m=30),
        )
    finally:
        fleet.close()
        sim.stop()
        engine.dispose()


def test_patrolling_drone_is_diverted_and_resumes_where_it_left(world) -> None:
    _fleet, (patroller, idle), book, dispatcher = world
    patroller.mission.upload(_patrol_line())
    patroller.action.arm(source="test")
    patroller.action.start_mission(source="test")
    patroller.telemetry.wait_for(lambda s: s.mission.current_seq >= 3, 180, "patrol under way")

    position = patroller.snapshot.position
    lat, lon = offset(position.lat_deg, position.lon_deg, 0.0, 250.0)
    incident = book.create(lat, lon, "key", "fight reported", "cmdr")
    proposal = dispatcher.propose(incident)
    assert proposal.chosen.vehicle_id == patroller.vehicle_id
    assert proposal.diverts_patrol
    idle_option = next(o for o in proposal.options if o.vehicle_id == idle.vehicle_id)
    assert idle_option.feasible and idle_option.eta_s > proposal.chosen.eta_s

    sent = dispatcher.dispatch(incident.id, "cmdr")
    assert sent == patroller.vehicle_id
    with pytest.raises(DispatchError, match="dispatched"):
        dispatcher.dispatch(incident.id, "cmdr")
    fastest = [0.0]

    def arrived():
        fastest[0] = max(fastest[0], patroller.snapshot.groundspeed_mps or 0.0)
        now = book.get(incident.id)
        return (now.on_scene_s or now.status == "failed") and now

    on_scene = wait_until(arrived, 240, "on scene", every_s=0.2)
    assert on_scene.status == "on_scene", on_scene
    # it flew there at the response speed its ETA assumed, not the patrol's WPNAV_SPEED
    assert fastest[0] > 12.0, fastest[0]
    assert on_scene.created_s <= on_scene.dispatched_s <= on_scene.on_scene_s
    assert on_scene.paused_seq is not None and on_scene.paused_seq >= 3
    snap = patroller.snapshot
    assert distance_m(snap.position.lat_deg, snap.position.lon_deg, lat, lon) <= 45
    # it holds there, circling, rather than going on with the patrol
    patroller.telemetry.wait_for(lambda s: s.mode == "CIRCLE", 120, "orbiting the incident")

    dispatcher.release(incident.id, "cmdr")
    patroller.telemetry.wait_for(
        lambda s: s.mode == "AUTO" and s.mission.current_seq == on_scene.paused_seq,
        60,
        "patrol resumed at the paused item",
    )
    released = book.get(incident.id)
    assert released.status == "released" and released.released_s >= released.on_scene_s
    patroller.telemetry.wait_for(
        lambda s: s.mission.current_seq > on_scene.paused_seq, 240, "patrol going on"
    )


def test_no_feasible_drone_is_refused_with_reasons(world) -> None:
    _fleet, _vehicles, book, dispatcher = world
    far = offset(HOME[0], HOME[1], 40_000.0, 0.0)  # 40 km away: beyond the battery
    incident = book.create(far[0], far[1], "key", "", "cmdr")
    with pytest.raises(DispatchError, match="battery"):
        dispatcher.dispatch(incident.id, "cmdr")
    assert book.get(incident.id).status == "open"


def test_lockdown_sends_each_drone_to_its_point_and_reports_the_rest(world) -> None:
    from dronepatrol.lockdown.plan import OverwatchPoint

    _fleet, vehicles, book, dispatcher = world
    gates = [
        OverwatchPoint(f"GATE{k}", *offset(HOME[0], HOME[1], 500.0 * k, 300.0)) for k in range(3)
    ]
    plan, incidents = dispatcher.lockdown("close the gates", gates, "cmdr")
    assert len(plan.assignments) == 2  # two drones, three gates
    assert len(plan.uncovered) == 1
    (reason,) = plan.uncovered.values()
    assert "holds another point" in reason
    for assignment in plan.assignments:
        incident = book.get(incidents[assignment.point_id])
        assert incident.status == "dispatched" and incident.vehicle_id == assignment.vehicle_id
    assert {a.vehicle_id for a in plan.assignments} == {v.vehicle_id for v in vehicles}
