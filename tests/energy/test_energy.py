"""Energy rules and the energy watch without a radio: figures, refusals, the return decision."""

from __future__ import annotations

import re
import threading
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
from shapely.geometry import Polygon
from support import wait_until

from dronepatrol.energy import (
    ConsumptionLearner,
    EnergyRefusal,
    EnergyWatch,
    PackEnergy,
    return_need_mah,
)
from dronepatrol.events import Event, EventBus, EventKind
from dronepatrol.geo import offset
from dronepatrol.network import load_network
from dronepatrol.network.model import NoFlyZone
from dronepatrol.planning import load_profile, plan_sorties
from dronepatrol.planning.airspace import Airspace, route_length_m
from dronepatrol.schedule.choice import SortieProposal
from dronepatrol.schedule.scheduler import PendingSortie, Scheduler
from dronepatrol.state import Battery, LinkState, Position, VehicleSnapshot

EXAMPLE = Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"
HOME = (-35.363261, 149.165230)


class FakeVehicle:
    """What the watch and the scheduler read of a vehicle: snapshot, parameters; calls recorded.

    Shaped as :class:`dronepatrol.mavlink.Vehicle`: ``params``, ``mission`` and
    ``action`` plugins, each recording into the one ``calls`` list.
    """

    def __init__(self, snapshot: VehicleSnapshot, params: dict[str, float]) -> None:
        self.vehicle_id = snapshot.vehicle_id
        self.snapshot = snapshot
        self.calls: list[str] = []
        self.rtl_done = threading.Event()
        self.params = SimpleNamespace(heard=lambda: dict(params))
        self.mission = SimpleNamespace(upload=lambda mission: self.calls.append("upload_mission"))
        self.routes_home: list[list[tuple[float, float]]] = []
        self.action = SimpleNamespace(
            rtl=self._rtl, disarm=self._disarm, return_home=self._return_home
        )

    def _rtl(self, source: str = "") -> None:
        self.calls.append(f"rtl by {source}")
        self.rtl_done.set()

    def _return_home(self, route, source: str = "") -> None:
        self.calls.append(f"return_home by {source}")
        self.routes_home.append(list(route))
        self.rtl_done.set()

    def _disarm(self, source: str = "") -> None:
        self.calls.append("disarm")


class FakeFleet:
    def __init__(self, *vehicles: FakeVehicle) -> None:
        self.by_id = {v.vehicle_id: v for v in vehicles}

    def vehicle(self, vehicle_id: str) -> FakeVehicle:
        return self.by_id[vehicle_id]

    def snapshots(self) -> list[VehicleSnapshot]:
        return [v.snapshot for v in self.by_id.values()]


def _snapshot(consumed_mah: float, capacity_mah: float = 3300.0) -> VehicleSnapshot:
    remaining = 100.0 * (1 - consumed_mah / capacity_mah)
    home = Position(HOME[0], HOME[1], 584.0, 0.0)
    return VehicleSnapshot(
        "S01-1",
        name="S01-1",
        link=LinkState.UP,
        position=home,
        home=home,
        battery=Battery(12.4, 0.3, remaining, consumed_mah),
    )


def _hover_samples(learner: ConsumptionLearner, amps: float, count: int = 40) -> None:
    for _ in range(count):
        learner.observe(amps, 0.0, 0.0)


def test_the_pack_comes_from_the_vehicle_and_consumption_from_its_current() -> None:
    profile = load_profile()
    learner = ConsumptionLearner()
    assumed = learner.pack("S01-1", 3300.0, profile)
    assert not assumed.learned
    assert assumed.hover_mah_per_min == pytest.approx(3300 / (profile.hover_endurance_s / 60))
    _hover_samples(learner, 28.0)
    for _ in range(5):
        learner.observe(60.0, 0.0, 3.0)  # climbing hard: not a hover figure
    own = learner.pack("S01-1", 3300.0, profile)
    assert own.learned
    assert own.hover_mah_per_min == pytest.approx(28.0 * 1000 / 60)
    assert own.cruise_mah_per_min == pytest.approx(
        own.hover_mah_per_min * profile.cruise_power_ratio
    )
    endurance = own.profile(profile).hover_endurance_s
    assert endurance == pytest.approx(3300 / (28.0 * 1000 / 60) * 60)  # ~7 min, not 30


def test_the_planner_plans_with_the_vehicles_own_endurance() -> None:
    network = load_network(EXAMPLE)
    profile = load_profile()
    learner = ConsumptionLearner()
    _hover_samples(learner, 28.0)
    own = learner.pack("S01-1", 3300.0, profile).profile(profile, reserve_frac=0.2)
    assumed = plan_sorties(network, profile, station_ids=["S01"])
    planned = plan_sorties(network, own, station_ids=["S01"])
    assert len(planned.sorties) > len(assumed.sorties)  # a short-lived pack: more, shorter sorties
    assert all(s.energy_frac <= 0.8 + 1e-9 for s in planned.sorties)  # the reserve is kept
    longest = max(s.duration_s for s in planned.sorties)
    assert longest < own.hover_endurance_s


def test_return_need_counts_distance_wind_and_descent() -> None:
    pack = PackEnergy("S01-1", 3300.0, 480.0, 420.0)
    still = return_need_mah(1200, 60, pack, 10.0)
    assert still == pytest.approx(1200 / 10 / 60 * 420 + return_need_mah(0, 60, pack, 10.0))
    into_wind = return_need_mah(
        1200, 60, pack, 10.0, track_home_deg=180, wind_speed_mps=5, wind_from_deg=180
    )
    with_wind = return_need_mah(
        1200, 60, pack, 10.0, track_home_deg=180, wind_speed_mps=5, wind_from_deg=0
    )
    assert with_wind < still < into_wind
    assert into_wind - return_need_mah(0, 60, pack, 10.0) == pytest.approx(1200 / 5 / 60 * 420)


def test_a_sortie_too_long_for_the_pack_is_refused_with_the_figures() -> None:
    profile = load_profile()
    vehicle = FakeVehicle(_snapshot(consumed_mah=2200.0), {"BATT_CAPACITY": 3300})
    watch = EnergyWatch(FakeFleet(vehicle), EventBus(), profile, reserve_frac=0.2)
    # Assumed consumption (no flight yet): 3300 mAh over the profile's hover endurance.
    per_frac = profile.hover_endurance_s / 60 * (3300 / (profile.hover_endurance_s / 60))
    with pytest.raises(EnergyRefusal) as refused:
        watch.check_sortie("S01-1", 0.2, profile)
    need = 0.2 * per_frac + 0.2 * 3300
    assert str(refused.value) == (
        f"sortie needs {need:,.0f} mAh with 20 % reserve; S01-1 has {3300 - 2200:,.0f} mAh"
    )
    fits = watch.check_sortie("S01-1", 0.1, profile)
    assert fits == {"need_mah": 330, "need_with_reserve_mah": 990, "available_mah": 1100}


def test_without_a_known_capacity_nothing_is_flown_on_hope() -> None:
    vehicle = FakeVehicle(_snapshot(consumed_mah=0.0), {"BATT_CAPACITY": 0})
    watch = EnergyWatch(FakeFleet(vehicle), EventBus(), load_profile())
    with pytest.raises(EnergyRefusal, match="BATT_CAPACITY"):
        watch.check_sortie("S01-1", 0.1, load_profile())


def test_the_scheduler_refuses_before_uploading_anything() -> None:
    network = load_network(EXAMPLE)
    profile = load_profile()
    sortie = plan_sorties(network, profile, station_ids=["S01"]).sorties[0]
    vehicle = FakeVehicle(_snapshot(consumed_mah=0.0), {"BATT_CAPACITY": 3300})
    fleet = FakeFleet(vehicle)
    bus = EventBus()
    watch = EnergyWatch(fleet, bus, profile, reserve_frac=0.2)
    # This vehicle has flown: it draws three times what the profile assumes.
    amps = 3 * 3300 / (profile.hover_endurance_s / 60) * 60 / 1000
    for i in range(40):
        hover = _sample(0.0, 0.0, t=0.25 * i)
        watch.observe(
            Event(
                hover.kind,
                hover.vehicle_id,
                {**hover.data, "current_a": amps, "groundspeed_mps": 0.0},
                time_s=hover.time_s,
            )
        )
    scheduler = Scheduler(fleet, None, profile, bus, energy=watch)
    stages = bus.subscribe(accept=lambda e: e.kind is EventKind.SCHEDULE)
    proposal = SortieProposal("S01", sortie, sortie.targets, ((sortie.targets[0], 2.0),))
    pending = PendingSortie("sched-1", "S01-1", proposal, 0.0, profile)
    scheduler._launch(pending, "alice")
    failed = [e for e in stages.drain() if e.data.get("stage") == "failed"]
    assert vehicle.calls == []  # nothing uploaded, nothing armed
    assert len(failed) == 1 and failed[0].data["at"] == "energy"
    assert re.fullmatch(
        r"sortie needs [\d,]+ mAh with 20 % reserve; S01-1 has 3,300 mAh", failed[0].data["reason"]
    )


def _sample(away_m: float, consumed_mah: float, mode: str = "GUIDED", t: float = 0.0) -> Event:
    lat, lon = offset(HOME[0], HOME[1], away_m, 0.0)
    return Event(
        EventKind.TELEMETRY,
        "S01-1",
        {
            "lat_deg": lat,
            "lon_deg": lon,
            "alt_rel_m": 40.0,
            "armed": True,
            "mode": mode,
            "landed_state": "IN_AIR",
            "battery_pct": 100 * (1 - consumed_mah / 3300),
            "consumed_mah": consumed_mah,
            "current_a": 30.0,
            "groundspeed_mps": 10.0,
            "climb_mps": 0.0,
            "wind_speed_mps": 0.0,
            "wind_from_deg": 0.0,
        },
        time_s=t,
    )


def test_the_watch_warns_then_returns_the_drone_once(tmp_path: Path) -> None:
    vehicle = FakeVehicle(_snapshot(consumed_mah=0.0), {"BATT_CAPACITY": 3300, "WPNAV_SPEED": 1000})
    bus = EventBus()
    energy = bus.subscribe(accept=lambda e: e.kind is EventKind.ENERGY)
    watch = EnergyWatch(FakeFleet(vehicle), bus, load_profile(), store=tmp_path / "energy.json")
    t = 0.0
    for _ in range(30):  # cruise samples teach 500 mAh/min
        t += 0.25
        watch.observe(_sample(1000, 500.0, t=t))
    pack = watch.pack("S01-1")
    assert pack.cruise_mah_per_min == pytest.approx(500.0)
    # RTL from 1 km out at 40 m: 100 s home at 10 m/s (cruise); stop and turn (2 x 10 m/s at
    # 2.5 m/s/s), 5 s over home, 30 m down at 1.5 m/s and the last 10 m at 0.5 m/s (hover)
    need = 100 / 60 * 500.0 + (8 + 5 + 30 / 1.5 + 10 / 0.5) / 60 * pack.hover_mah_per_min
    threshold = need + 660
    assert [e.data["stage"] for e in energy.drain()] == []
    watch.observe(_sample(1000, 3300 - threshold * 1.1, t=t + 0.25))
    assert [e.data["stage"] for e in energy.drain()] == ["low"]
    watch.observe(_sample(1000, 3300 - threshold + 1, t=t + 0.5))
    assert vehicle.rtl_done.wait(5)
    watch.observe(_sample(1000, 3300 - threshold + 2, mode="RTL", t=t + 0.75))  # coming home
    stages: list[str] = []

    def stages_so_far() -> list[str]:
        stages.extend(e.data["stage"] for e in energy.drain())
        return stages

    wait_until(
        stages_so_far,
        10,
        "the energy watch's rtl_accepted stage",
        accept=lambda seen: "rtl_accepted" in seen,
        every_s=0.02,
    )
    assert stages == ["return_now", "rtl_accepted"]
    assert vehicle.calls == ["rtl by energy watch"]
    # landing keeps the learned figures for the next start
    watch.observe(Event(EventKind.DISARMED, "S01-1", {"mode": "LAND"}))
    again = EnergyWatch(
        FakeFleet(vehicle), EventBus(), load_profile(), store=tmp_path / "energy.json"
    )
    assert again.pack("S01-1").cruise_mah_per_min == pytest.approx(500.0)


def test_dispatch_judges_a_drone_by_its_own_endurance() -> None:
    from dronepatrol.responders import Responder, ResponderState, ResponseModel, reach

    model = ResponseModel()  # 25 min at cruise unless the drone says otherwise
    lat, lon = offset(HOME[0], HOME[1], 2000.0, 0.0)
    idle = Responder("S01-1", ResponderState.IDLE, *HOME, 0.0, 1.0, *HOME)
    assumed = reach(idle, lat, lon, 600.0, model)
    assert assumed.feasible
    # its pack lasts 7 min at cruise: 2 km out, 10 min hold and back does not fit
    own = reach(Responder(**{**idle.__dict__, "endurance_s": 420.0}), lat, lon, 600.0, model)
    assert not own.feasible and own.reason.startswith("battery: needs")
    flight_s = model.travel_s(idle, 2000.0) - model.launch_delay_s + 600 + model.return_s(2000.0)
    assert own.battery_needed_frac == pytest.approx(flight_s / 420.0 + 0.2)


def test_the_way_home_round_a_no_fly_zone_is_counted_and_flown(tmp_path: Path) -> None:
    """A drone 1 km north of home with a substation's zone between: the charge to get
    home is counted along the way round it, and the drone is brought home that way
    (the autopilot's own RTL would fly straight through the zone)."""
    corners = [offset(HOME[0], HOME[1], n, e) for n, e in ((450, -200), (450, 200), (550, 200))]
    corners.append(offset(HOME[0], HOME[1], 550, -200))
    zone = NoFlyZone("SUB", Polygon([(lon, lat) for lat, lon in corners]), "Substation")
    airspace = Airspace([zone], margin_m=25.0)
    here = offset(HOME[0], HOME[1], 1000.0, 0.0)
    way = airspace.route_home(here, HOME)
    assert way is not None and len(way) > 2 and airspace.crosses([here, HOME]) == ["SUB"]
    routed_m = route_length_m(way)
    assert routed_m > 1100  # well over the 1,000 m straight line

    at = Position(here[0], here[1], 624.0, 40.0)
    vehicle = FakeVehicle(_snapshot(consumed_mah=0.0), {"BATT_CAPACITY": 3300, "WPNAV_SPEED": 1000})
    vehicle.snapshot = replace(vehicle.snapshot, position=at, mode="GUIDED", armed=True)
    bus = EventBus()
    energy = bus.subscribe(accept=lambda e: e.kind is EventKind.ENERGY)
    watch = EnergyWatch(FakeFleet(vehicle), bus, load_profile(), airspace=lambda: airspace)
    t = 0.0
    for _ in range(30):  # cruise samples teach 500 mAh/min
        t += 0.25
        watch.observe(_sample(1000, 500.0, t=t))
    pack = watch.pack("S01-1")
    # as the test above, with a stop and turn for home at each corner of the way round
    legs = len(way) - 1
    straight = 1000 / 10 / 60 * 500.0 + (8 + 5 + 40) / 60 * pack.hover_mah_per_min + 660
    routed = routed_m / 10 / 60 * 500.0 + (8 * legs + 5 + 40) / 60 * pack.hover_mah_per_min + 660
    # enough charge for the straight line home, not for the way round the zone
    watch.observe(_sample(1000, 3300 - (straight + routed) / 2, t=t + 0.25))
    assert vehicle.rtl_done.wait(5)
    turn = next(e for e in energy.drain() if e.data["stage"] == "return_now")
    assert turn.data["routed"] is True
    assert turn.data["distance_home_m"] == pytest.approx(routed_m, abs=1)
    assert turn.data["return_mah"] + turn.data["reserve_mah"] == pytest.approx(routed, abs=2)
    assert "round the no-fly zones" in turn.data["text"]
    wait_until(lambda: vehicle.calls, 5, "the way home commanded")
    assert vehicle.calls == ["return_home by energy watch"]
    (flown,) = vehicle.routes_home
    assert len(flown) > 2 and airspace.crosses(flown) == []
    assert flown[-1] == pytest.approx(HOME)


def test_a_drone_whose_autopilot_sends_no_landed_state_is_guarded_too() -> None:
    """Flying is defined once (armed and above home, when EXTENDED_SYS_STATE is missing):
    the watch learns from and returns such a drone as it does any other."""
    vehicle = FakeVehicle(_snapshot(consumed_mah=0.0), {"BATT_CAPACITY": 3300, "WPNAV_SPEED": 1000})
    bus = EventBus()
    watch = EnergyWatch(FakeFleet(vehicle), bus, load_profile())

    def undefined(event: Event) -> Event:
        return Event(
            event.kind,
            event.vehicle_id,
            {**event.data, "landed_state": "UNDEFINED"},
            time_s=event.time_s,
        )

    t = 0.0
    for _ in range(30):
        t += 0.25
        watch.observe(undefined(_sample(1000, 500.0, t=t)))
    assert watch.pack("S01-1").learned
    watch.observe(undefined(_sample(1000, 3000.0, t=t + 0.25)))  # far below the return mark
    assert vehicle.rtl_done.wait(5)
    assert vehicle.calls == ["rtl by energy watch"]
