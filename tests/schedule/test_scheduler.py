"""The scheduler's bookkeeping: who may be sent, modes, consent, turnaround, claims.

The fleet here is a list of vehicle snapshots (what the scheduler reads of
it); flying a proposal is tested on the simulator in test_scheduler_flight.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dronepatrol.events import EventBus, EventKind
from dronepatrol.geo import offset
from dronepatrol.network import load_network
from dronepatrol.network.revisit import freshness
from dronepatrol.planning import load_profile
from dronepatrol.schedule.choice import Turnaround
from dronepatrol.schedule.scheduler import Scheduler, SchedulerError, station_at
from dronepatrol.state import Battery, LinkState, Position, VehicleSnapshot

EXAMPLE = Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"
NOW = 1_800_000_000.0


class Snapshots:
    """The part of a Fleet the scheduler reads before it flies anything."""

    def __init__(self, *snapshots: VehicleSnapshot) -> None:
        self.by_id = {s.vehicle_id: s for s in snapshots}

    def snapshots(self) -> list[VehicleSnapshot]:
        return list(self.by_id.values())


class Keeper:
    """Freshness with every target never patrolled, unless told otherwise."""

    def __init__(self, network, last: dict[str, float] | None = None) -> None:
        self.network = network
        self.last = last or {}

    def network_at(self, now_s: float):
        return self.network

    def states(self, now_s: float):
        targets = [(t.id, str(t.priority), t.revisit_min) for t in self.network.targets]
        return freshness(targets, self.last, now_s)


def _at(network, station_id: str, vid: str, battery: float = 100.0, north_m: float = 5.0):
    station = network.station(station_id)
    lat, lon = offset(station.lat_deg, station.lon_deg, north_m, 0.0)
    return VehicleSnapshot(
        vid,
        link=LinkState.UP,
        mode="LOITER",
        ekf_ok=True,
        prearm_ok=True,
        position=Position(lat, lon, 584.0, 0.0),
        battery=Battery(remaining_pct=battery),
    )


@pytest.fixture(scope="module")
def network():
    return load_network(EXAMPLE)


def _scheduler(network, fleet, keeper=None, **options):
    bus = EventBus()
    scheduler = Scheduler(
        fleet, keeper or Keeper(network), load_profile(), bus, clock=lambda: NOW, **options
    )
    return scheduler, bus


def test_station_at_finds_the_nearest_within_reach(network) -> None:
    assert station_at(_at(network, "S02", "a"), network).id == "S02"
    assert station_at(_at(network, "S01", "a", north_m=400.0), network) is None


def test_each_idle_charged_drone_gets_its_own_stations_work(network) -> None:
    fleet = Snapshots(_at(network, "S01", "a"), _at(network, "S01", "b"), _at(network, "S02", "c"))
    scheduler, bus = _scheduler(network, fleet)
    seen = bus.subscribe(accept=lambda e: e.kind is EventKind.SCHEDULE)
    made = {p.vehicle_id: p for p in scheduler.tick(NOW)}
    assert set(made) == {"a", "b", "c"}
    assert made["c"].proposal.station == "S02"
    # two drones at S01 never get the same target
    assert not set(made["a"].proposal.targets) & set(made["b"].proposal.targets)
    assert [e.data["stage"] for e in seen.drain()] == ["proposed"] * 3
    # nothing new while they wait for approval
    assert scheduler.tick(NOW + 10) == []


def test_drones_that_cannot_go_are_told_why(network) -> None:
    flying = _at(network, "S01", "air")
    flying = VehicleSnapshot(**{**flying.__dict__, "armed": True})
    lost = VehicleSnapshot(**{**_at(network, "S01", "lost").__dict__, "link": LinkState.LOST})
    fleet = Snapshots(
        _at(network, "S01", "low", battery=40.0),
        _at(network, "S01", "away", north_m=500.0),
        flying,
        lost,
        _at(network, "S02", "busy"),
    )
    scheduler, _ = _scheduler(network, fleet, busy=lambda vid: vid == "busy")
    assert scheduler.tick(NOW) == []
    waiting = scheduler.status()["waiting"]
    assert waiting["low"] == "battery 40% is below 90%: swap or charge it"
    assert waiting["away"] == "not at a station"
    assert waiting["air"] == "flying"
    assert waiting["lost"] == "link is lost"
    assert waiting["busy"] == "on an incident"


def test_a_landed_drone_waits_for_its_battery_turnaround(network) -> None:
    fleet = Snapshots(_at(network, "S01", "a"))
    scheduler, _ = _scheduler(network, fleet, turnaround=Turnaround(swap_s=300.0))
    scheduler.note_landed("a", NOW)  # as a DISARMED event does
    assert scheduler.tick(NOW + 120) == []
    assert scheduler.status()["waiting"]["a"] == "battery turnaround: ready in 3 min"
    assert [p.vehicle_id for p in scheduler.tick(NOW + 301)] == ["a"]


def test_a_swapped_battery_still_waits_out_the_swap_turnaround(network) -> None:
    fleet = Snapshots(_at(network, "S01", "a", battery=40.0))
    scheduler, _ = _scheduler(network, fleet, turnaround=Turnaround(swap_s=300.0))
    scheduler.note_landed("a", NOW)
    fleet.by_id["a"] = _at(network, "S01", "a", battery=100.0)  # the crew's BATTERY_RESET
    assert scheduler.tick(NOW + 60) == []
    assert scheduler.status()["waiting"]["a"] == "battery turnaround: ready in 4 min"
    assert [p.vehicle_id for p in scheduler.tick(NOW + 301)] == ["a"]


def test_a_pack_reported_full_ends_a_charging_turnaround(network) -> None:
    fleet = Snapshots(_at(network, "S01", "a", battery=40.0))
    charging = Turnaround(mode="charge", charge_full_s=3600.0)
    scheduler, _ = _scheduler(network, fleet, turnaround=charging)
    scheduler.note_landed("a", NOW)
    assert scheduler.tick(NOW + 60) == []
    assert scheduler.status()["waiting"]["a"].startswith("battery turnaround")
    fleet.by_id["a"] = _at(network, "S01", "a", battery=100.0)
    assert [p.vehicle_id for p in scheduler.tick(NOW + 61)] == ["a"]


def test_rejected_drone_is_left_alone_and_approval_needs_a_live_proposal(network) -> None:
    fleet = Snapshots(_at(network, "S01", "a"))
    scheduler, _ = _scheduler(network, fleet, snooze_s=600.0)
    [pending] = scheduler.tick(NOW)
    scheduler.reject(pending.id, "alice")
    with pytest.raises(SchedulerError, match="no pending proposal"):
        scheduler.approve(pending.id, "alice")
    assert scheduler.tick(NOW + 60) == []
    assert scheduler.status()["waiting"]["a"].startswith("left alone for")
    assert len(scheduler.tick(NOW + 601)) == 1


def test_stale_proposals_expire_and_off_clears_them(network) -> None:
    fleet = Snapshots(_at(network, "S01", "a"))
    scheduler, _ = _scheduler(network, fleet, proposal_ttl_s=300.0)
    [first] = scheduler.tick(NOW)
    [second] = scheduler.tick(NOW + 301)  # made afresh, with the freshness of now
    assert second.id != first.id
    scheduler.set_mode("off", "alice")
    assert scheduler.pending() == [] and scheduler.tick(NOW + 302) == []
    with pytest.raises(SchedulerError, match="unknown scheduler mode"):
        scheduler.set_mode("yolo", "alice")


def test_nothing_due_is_said_and_unschedulable_targets_are_listed(network) -> None:
    fresh = {t.id: NOW - 60.0 for t in network.targets}
    del fresh["P014"]  # inside a no-fly zone: never flyable
    fleet = Snapshots(_at(network, "S02", "c"))
    scheduler, _ = _scheduler(network, fleet, keeper=Keeper(network, fresh), horizon_s=600.0)
    assert scheduler.tick(NOW) == []
    status = scheduler.status()
    assert status["waiting"]["c"] == "nothing of S02 is due"
    assert "no-fly" in status["unschedulable"]["P014"]


def test_a_large_event_in_force_brings_its_targets_into_the_schedule(network, tmp_path) -> None:
    """During the event its own targets (10 min for key ones) are scheduled from the
    stations that own them; before it starts they are not part of the network."""
    import copy
    import json
    from datetime import UTC, datetime

    from dronepatrol.database import upgrade
    from dronepatrol.freshness.keeper import FreshnessKeeper
    from dronepatrol.freshness.patrolled import Camera
    from dronepatrol.large_events import LargeEventBook

    data = json.loads((EXAMPLE.parent / "canberra-showground-event.geojson").read_text())
    data = copy.deepcopy(data)
    zone = data["features"][0]["properties"]
    zone["start"] = datetime.fromtimestamp(NOW + 3600.0, UTC).isoformat()
    zone["end"] = datetime.fromtimestamp(NOW + 5 * 3600.0, UTC).isoformat()
    engine = upgrade(f"sqlite:///{tmp_path / 'dp.db'}")
    try:
        book = LargeEventBook(engine, lambda: NOW)
        book.add(data, "cmdr", base=network)
        keeper = FreshnessKeeper(engine, network, Camera(70.0, 55.0), events=book)
        everything_fresh = {t.id: NOW + 3600.0 for t in network.targets}
        fleet = Snapshots(_at(network, "S02", "c"))
        scheduler, _ = _scheduler(network, fleet, keeper=keeper, horizon_s=600.0)
        keeper.last_patrolled = lambda: everything_fresh  # the base network is all fresh
        assert scheduler.tick(NOW) == []  # before the event: nothing due
        [pending] = scheduler.tick(NOW + 3600.0 + 60.0)
        flown = pending.proposal.targets
        assert flown and all(t.startswith("showground-final:") for t in flown)
        event_network = keeper.network_at(NOW + 3600.0 + 60.0)
        assert {event_network.target(t).station for t in flown} == {"S02"}
    finally:
        engine.dispose()
