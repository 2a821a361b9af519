"""The energy watch brings a drone home on its own battery figures, before the vehicle's failsafe.

The pack really drains (SIM_BATT_CAP_AH matches BATT_CAPACITY, so voltage
sags with the charge drawn, on the embedded simulator and on ArduPilot SITL
alike). The drone is sent far out in GUIDED, round a no-fly zone just north
of its station; the watch learns its consumption from the current it draws,
predicts the charge to fly home round the zone and land, and brings it home
that way when the charge left reaches that plus the reserve. The vehicle's
own battery failsafe (BATT_FS_LOW_ACT=2 at BATT_LOW_VOLT) is armed too: the
watch must act first, the drone must land with the reserve still in the
pack, and its recorded track never enters the zone (ArduCopter's own RTL
would fly straight through it).
"""

from __future__ import annotations

import pytest
import shapely
from shapely.geometry import Polygon
from support import wait_event

from dronepatrol import geo
from dronepatrol.alerts import AlertBook
from dronepatrol.energy import EnergyWatch
from dronepatrol.events import EventBus, EventKind
from dronepatrol.geo import distance_m, offset
from dronepatrol.mavlink import Fleet, wait_ready
from dronepatrol.network.model import NoFlyZone
from dronepatrol.planning import load_profile
from dronepatrol.planning.airspace import Airspace

pytestmark = pytest.mark.timeout(240)

CAPACITY_MAH = 3300.0
RESERVE_FRAC = 0.2
PACK = {
    "SIM_BATT_CAP_AH": CAPACITY_MAH / 1000.0,
    "BATT_CAPACITY": CAPACITY_MAH,
    "BATT_FS_LOW_ACT": 2,  # the vehicle's own failsafe: RTL at BATT_LOW_VOLT
    "BATT_LOW_VOLT": 10.5,
}


MARGIN_M = 25.0


def _zone(home_lat: float, home_lon: float) -> NoFlyZone:
    """A 200 m square no-fly zone 200..400 m north of the station, across the way out."""
    corners = [(200, -100), (200, 100), (400, 100), (400, -100)]
    points = [offset(home_lat, home_lon, n, e) for n, e in corners]
    return NoFlyZone("SUB", Polygon([(lon, lat) for lat, lon in points]), "Substation")


def _closest_approach_m(track: list[tuple[float, float]], zone: NoFlyZone) -> float:
    """Least distance [m] from the flown track (samples joined by straight lines) to the zone."""
    frame = geo.LocalFrame(zone.geometry.centroid.y, zone.geometry.centroid.x)
    polygon = frame.geometry_to_xy(zone.geometry)
    x, y = frame.to_xy([p[1] for p in track], [p[0] for p in track])
    return float(shapely.distance(polygon, shapely.LineString(list(zip(x, y, strict=True)))))


def _next(subscription, predicate, timeout_s: float, what: str):
    """The next event that satisfies ``predicate`` within ``timeout_s`` [s], and every
    event up to it."""
    seen = []

    def record(event) -> bool:
        seen.append(event)
        return predicate(event)

    return wait_event(subscription, timeout_s, what, record), seen


def test_low_charge_turns_home_before_the_vehicles_failsafe_and_lands_with_the_reserve(
    launch_vehicle, backend_name
) -> None:
    backend = launch_vehicle(params=PACK)
    bus = EventBus()
    events = bus.subscribe()
    fleet = Fleet(bus, heartbeat_hz=2 * backend.speedup, telemetry_hz=8)
    watch = alerts = None
    try:
        fleet.add(backend.url)
        (vehicle,) = fleet.wait_vehicles(1, timeout_s=60)
        wait_ready(vehicle, 180)
        assert vehicle.params.read("BATT_CAPACITY") == CAPACITY_MAH
        home = vehicle.snapshot.home
        assert home is not None
        zone = _zone(home.lat_deg, home.lon_deg)
        airspace = Airspace([zone], margin_m=MARGIN_M)
        watch = EnergyWatch(
            fleet, bus, load_profile(), reserve_frac=RESERVE_FRAC, airspace=airspace
        ).start()
        alerts = AlertBook(bus, fleet.snapshots).start()

        vehicle.action.takeoff(40.0, source="test")
        far = offset(home.lat_deg, home.lon_deg, 4000.0, 0.0)  # further than the pack can go
        out = airspace.route((home.lat_deg, home.lon_deg), far)
        assert out is not None and len(out) > 2  # the straight way out crosses the zone
        vehicle.action.fly_route(out[:-1], 40.0, source="test")  # round the zone
        vehicle.action.goto(far[0], far[1], 40.0, source="test")  # and on, as far as it goes

        turn, before = _next(
            events,
            lambda e: e.kind is EventKind.ENERGY and e.data["stage"] == "return_now",
            180,
            "return-now decision",
        )
        vehicle_failsafes = [e for e in before if e.kind is EventKind.FAILSAFE]
        assert not vehicle_failsafes, [e.data for e in vehicle_failsafes]
        figures = turn.data
        reserve = RESERVE_FRAC * CAPACITY_MAH
        assert figures["reserve_mah"] == round(reserve)
        assert figures["available_mah"] <= figures["return_mah"] + figures["reserve_mah"]
        assert figures["distance_home_m"] > 500, figures  # turned well out, not on arrival
        assert figures["routed"] is True, figures  # the way home counted round the zone
        # the figure is the vehicle's own: the current it reported while cruising level
        pack = watch.pack(vehicle.vehicle_id)
        assert pack.learned, pack
        cruising = [
            e.data["current_a"]
            for e in before
            if e.kind is EventKind.TELEMETRY
            and e.data.get("landed_state") == "IN_AIR"
            and e.data["groundspeed_mps"] >= 3.0
            and abs(e.data["climb_mps"]) <= 0.5
        ]
        reported = sum(cruising) / len(cruising) * 1000 / 60  # A -> mAh/min
        assert pack.cruise_mah_per_min == pytest.approx(reported, rel=0.15)
        assumed = CAPACITY_MAH / (load_profile().hover_endurance_s / 60) * 0.9
        assert pack.cruise_mah_per_min > 1.5 * assumed  # what the planner used to believe

        _, rounding = _next(
            events,
            lambda e: (
                e.kind is EventKind.COMMAND_RESULT
                and e.data.get("source") == "energy watch"
                and e.data.get("name") == "DO_SET_MODE"
            ),
            120,
            "acknowledged RTL once round the zone",
        )
        vehicle.telemetry.wait_for(lambda s: s.mode == "RTL", 30, "RTL")
        alert = next(a for a in alerts.active() if a.kind == "return_now")
        assert alert.severity == "critical" and "return now" in alert.text

        _, flown_home = _next(events, lambda e: e.kind is EventKind.DISARMED, 200, "landing")
        track = [
            (e.data["lat_deg"], e.data["lon_deg"])
            for e in [*before, *rounding, *flown_home]
            if e.kind is EventKind.TELEMETRY and e.data.get("armed")
        ]
        assert len(track) > 50
        assert _closest_approach_m(track, zone) > MARGIN_M - 10  # out and home, round it
        vehicle.telemetry.wait_for(lambda s: not s.armed, 30, "disarmed")
        landed = vehicle.snapshot
        assert landed.position is not None
        assert (
            distance_m(landed.position.lat_deg, landed.position.lon_deg, home.lat_deg, home.lon_deg)
            < 10.0
        )
        if backend.fleet is not None:  # the simulator's own monitor: an independent count
            consumed = backend.fleet.call(0, lambda v: v.battery.consumed_mah)
        else:
            consumed = landed.battery.consumed_mah
        left = CAPACITY_MAH - consumed
        assert left >= 0.9 * reserve, f"landed with {left:.0f} mAh, reserve {reserve:.0f} mAh"
        print(f"{backend_name}: turned at {figures}, landed with {left:.0f} mAh")
    finally:
        if alerts is not None:
            alerts.stop()
        if watch is not None:
            watch.stop()
        events.close()
        fleet.close()
