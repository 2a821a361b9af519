"""Dispatch never enters a no-fly zone: round it, camera on a place inside it, round it home.

Flights on each backend (the embedded simulator, and real ArduCopter SITL
when ARDUPILOT_SITL is set): an idle drone at the station is sent to an
incident reported inside a substation's no-fly zone, on the far side of it.
It gets the no-fly fence and passes the preflight checks, flies round the
zone to the nearest safe point beyond it, holds there with its nose (camera)
on the place, and on release comes home round the zone again and lands.
A patrol paused for a goto beyond the zone comes back to its mission round
it when resumed. The recorded tracks never enter the zone.
"""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import Point, Polygon
from support import wait_event

from dronepatrol import geo
from dronepatrol.database import upgrade
from dronepatrol.dispatch import Dispatcher, responder_of
from dronepatrol.events import EventKind
from dronepatrol.incidents import IncidentBook
from dronepatrol.mavlink import Fleet, wait_ready
from dronepatrol.mavlink.preflight import PATROL_SAFETY_PARAMS
from dronepatrol.mission import Cmd, Mission, MissionItem, MissionType
from dronepatrol.network.model import NoFlyZone
from dronepatrol.planning.airspace import Airspace
from dronepatrol.planning.orders import CAMERA_RANGE_M, route_order
from dronepatrol.state import CopterMode

pytestmark = pytest.mark.timeout(300)

ZONE_CENTRE_N_M = 200.0
ZONE_HALF_M = 60.0
MARGIN_M = 25.0


def _zone(home) -> NoFlyZone:
    corners = [(-1, -1), (-1, 1), (1, 1), (1, -1)]
    pts = [
        geo.offset(home.lat_deg, home.lon_deg, ZONE_CENTRE_N_M + dn * ZONE_HALF_M, de * ZONE_HALF_M)
        for dn, de in corners
    ]
    return NoFlyZone("SUB", Polygon([(lon, lat) for lat, lon in pts]), "Substation")


def _closest_approach_m(track: list[tuple[float, float]], zone: NoFlyZone) -> float:
    """Least distance [m] from the flown track (samples joined by straight lines) to the zone."""
    frame = geo.LocalFrame(zone.geometry.centroid.y, zone.geometry.centroid.x)
    polygon = frame.geometry_to_xy(zone.geometry)
    lat = [p[0] for p in track]
    lon = [p[1] for p in track]
    x, y = frame.to_xy(lon, lat)
    return float(shapely.distance(polygon, shapely.LineString(list(zip(x, y, strict=True)))))


def _follow(subscription, track, until, timeout_s: float):
    """Record TELEMETRY positions until ``until(event)`` holds for a DISPATCH event."""

    def record(event) -> bool:
        if event.kind == EventKind.TELEMETRY and event.data.get("armed"):
            track.append((event.data["lat_deg"], event.data["lon_deg"]))
            return False
        return event.kind in (EventKind.DISPATCH, EventKind.DISARMED) and until(event)

    return wait_event(subscription, timeout_s, "the dispatch stage awaited", record)


def test_incident_inside_a_no_fly_zone_is_watched_from_outside_never_entered(
    launch_vehicle, tmp_path
) -> None:
    backend = launch_vehicle(params=PATROL_SAFETY_PARAMS)
    home = backend.home
    zone = _zone(home)
    airspace = Airspace([zone], margin_m=MARGIN_M)
    engine = upgrade(f"sqlite:///{tmp_path / 'dp.db'}")
    # heartbeats at twice the speed-up: no GCS failsafe; telemetry dense enough for a track
    fleet = Fleet(heartbeat_hz=2 * backend.speedup, telemetry_hz=10.0)
    try:
        fleet.add(backend.url)
        (vehicle,) = fleet.wait_vehicles(1, timeout_s=60)
        wait_ready(vehicle, 180)
        book = IncidentBook(engine)
        dispatcher = Dispatcher(
            fleet, book, fleet.bus, orbit_radius_m=30, orbit_alt_m=30, airspace=airspace
        )
        # reported 40 m inside the zone's far edge: straight north of home, through the zone
        place = geo.offset(home.lat_deg, home.lon_deg, ZONE_CENTRE_N_M + ZONE_HALF_M - 40, 0)
        assert airspace.crosses([(home.lat_deg, home.lon_deg), place]) == ["SUB"]
        incident = book.create(*place, "key", "fire at the substation", "cmdr")

        proposal = dispatcher.propose(incident)
        straight_s = dispatcher.model.travel_s(
            responder_of(vehicle.snapshot),
            geo.distance_m(home.lat_deg, home.lon_deg, *place) + 40 + MARGIN_M,
        )
        assert proposal.chosen is not None
        assert proposal.chosen.eta_s > straight_s + 3  # the ETA flies the way round

        events = fleet.bus.subscribe(
            accept=lambda e: e.kind in (EventKind.TELEMETRY, EventKind.DISPATCH, EventKind.DISARMED)
        )
        track: list[tuple[float, float]] = []
        dispatcher.dispatch(incident.id, "cmdr")
        on_scene = _follow(
            events, track, lambda e: e.data.get("stage") in ("on_scene", "failed"), 240
        )
        assert on_scene.data["stage"] == "on_scene", book.get(incident.id).failure

        # the no-fly fence went up before take-off
        fence = vehicle.mission.download(MissionType.FENCE)
        assert len(fence) == 4
        assert {item.command for item in fence} == {Cmd.NAV_FENCE_POLYGON_VERTEX_EXCLUSION}

        # it holds beyond the zone, nose on the place (DO_SET_ROI_LOCATION)
        snap = vehicle.telemetry.wait_for(
            lambda s: (
                s.position is not None
                and abs(
                    (
                        s.heading_deg
                        - geo.bearing_deg(s.position.lat_deg, s.position.lon_deg, *place)
                        + 180
                    )
                    % 360
                    - 180
                )
                < 15
            ),
            60,
            "facing the place",
        )
        assert snap.flight_mode is CopterMode.GUIDED
        assert not zone.geometry.contains(Point(snap.position.lon_deg, snap.position.lat_deg))
        watched_from = geo.distance_m(snap.position.lat_deg, snap.position.lon_deg, *place)
        assert 40 + MARGIN_M - 5 <= watched_from <= 40 + MARGIN_M + 15

        dispatcher.release(incident.id, "cmdr")
        _follow(events, track, lambda e: e.kind == EventKind.DISARMED, 240)
        landed = vehicle.snapshot
        assert (
            geo.distance_m(
                landed.position.lat_deg, landed.position.lon_deg, home.lat_deg, home.lon_deg
            )
            < 10
        )
        # there and back, never in the zone: round it with most of the margin kept
        assert len(track) > 20
        assert _closest_approach_m(track, zone) > MARGIN_M - 10
        events.close()
    finally:
        fleet.close()
        engine.dispose()


def test_a_mission_resumed_after_a_goto_beyond_a_zone_comes_back_round_it(
    launch_vehicle,
) -> None:
    """An operator pauses a patrol south of the station, sends the drone to look at a place
    beyond a no-fly zone to the north, and resumes: AUTO alone would fly straight back to
    the next waypoint through the zone; the resumed mission goes round it first."""
    backend = launch_vehicle(params=PATROL_SAFETY_PARAMS)
    home = backend.home
    zone = _zone(home)
    airspace = Airspace([zone], margin_m=MARGIN_M)
    fleet = Fleet(heartbeat_hz=2 * backend.speedup, telemetry_hz=10.0)
    try:
        fleet.add(backend.url)
        (vehicle,) = fleet.wait_vehicles(1, timeout_s=60)
        wait_ready(vehicle, 180)
        south = [geo.offset(home.lat_deg, home.lon_deg, n, 0.0) for n in (-60.0, -400.0)]
        vehicle.mission.upload(
            Mission(
                items=tuple(
                    MissionItem(Cmd.NAV_WAYPOINT, lat_deg=a, lon_deg=o, alt_m=30.0)
                    for a, o in south
                )
            )
        )
        vehicle.action.takeoff(30.0, source="test")
        vehicle.action.start_mission(source="test")
        vehicle.telemetry.wait_for(lambda s: s.mission.current_seq == 2, 120, "on the leg south")

        def order(operation: str, *arguments) -> None:
            routed = route_order(airspace, vehicle.snapshot, operation, arguments, CAMERA_RANGE_M)
            fleet.run(vehicle.vehicle_id, operation, *routed.arguments, source="test")

        order("pause")
        beyond = geo.offset(home.lat_deg, home.lon_deg, ZONE_CENTRE_N_M + ZONE_HALF_M + 80, 0)
        order("fly_route", beyond[0], beyond[1], 30.0)
        here = vehicle.snapshot.position
        assert geo.distance_m(here.lat_deg, here.lon_deg, *beyond) < 10  # north of the zone
        assert airspace.crosses([beyond, south[1]]) == ["SUB"]  # AUTO's straight way back

        events = fleet.bus.subscribe(accept=lambda e: e.kind == EventKind.TELEMETRY)
        order("resume")
        track: list[tuple[float, float]] = []

        def back_south(event) -> bool:
            track.append((event.data["lat_deg"], event.data["lon_deg"]))
            return geo.distance_m(*track[-1], *south[1]) < 20

        wait_event(events, 180, "back on the patrol's last waypoint", back_south)
        events.close()
        assert vehicle.snapshot.flight_mode is CopterMode.AUTO
        assert len(track) > 20
        assert _closest_approach_m(track, zone) > MARGIN_M - 10
    finally:
        fleet.close()
