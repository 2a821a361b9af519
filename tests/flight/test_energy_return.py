"""The energy watch brings a drone home on its own battery figures, before the vehicle's failsafe.

The pack really drains (SIM_BATT_CAP_AH matches BATT_CAPACITY, so voltage
sags with the charge drawn, on the embedded simulator and on ArduPilot SITL
alike). The drone is sent far out in GUIDED; the watch learns its
consumption from the current it draws, predicts the charge to fly home and
land, and commands RTL when the charge left reaches that plus the reserve.
The vehicle's own battery failsafe (BATT_FS_LOW_ACT=2 at BATT_LOW_VOLT) is
armed too: the watch must act first, and the drone must land with the
reserve still in the pack.
"""

from __future__ import annotations

import pytest
from support import wait_event

from dronepatrol.alerts import AlertBook
from dronepatrol.energy import EnergyWatch
from dronepatrol.events import EventBus, EventKind
from dronepatrol.geo import distance_m, offset
from dronepatrol.mavlink import Fleet, wait_ready
from dronepatrol.planning import load_profile

pytestmark = pytest.mark.timeout(240)

CAPACITY_MAH = 3300.0
RESERVE_FRAC = 0.2
PACK = {
    "SIM_BATT_CAP_AH": CAPACITY_MAH / 1000.0,
    "BATT_CAPACITY": CAPACITY_MAH,
    "BATT_FS_LOW_ACT": 2,  # the vehicle's own failsafe: RTL at BATT_LOW_VOLT
    "BATT_LOW_VOLT": 10.5,
}


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
        watch = EnergyWatch(fleet, bus, load_profile(), reserve_frac=RESERVE_FRAC).start()
        alerts = AlertBook(bus, fleet.snapshots).start()
        home = vehicle.snapshot.home
        assert home is not None

        vehicle.action.takeoff(40.0, source="test")
        far = offset(home.lat_deg, home.lon_deg, 4000.0, 0.0)  # further than the pack can go
        vehicle.action.goto(far[0], far[1], 40.0, source="test")

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

        _next(
            events,
            lambda e: (
                e.kind is EventKind.COMMAND_RESULT
                and e.data.get("source") == "energy watch"
                and e.data.get("name") == "DO_SET_MODE"
            ),
            60,
            "acknowledged RTL",
        )
        vehicle.telemetry.wait_for(lambda s: s.mode == "RTL", 30, "RTL")
        alert = next(a for a in alerts.active() if a.kind == "return_now")
        assert alert.severity == "critical" and "return now" in alert.text

        vehicle.telemetry.wait_for(lambda s: not s.armed, 200, "landed and disarmed")
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
