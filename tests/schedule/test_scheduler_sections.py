"""The scheduler over sections: a grid needing three batteries, flown by successive sorties.

The fleet is one drone's snapshot at its station; a proposal is "flown" by
recording its planned track as the sortie's track, which the real freshness
keeper judges, as after a flight (flying itself is tested on the simulator).
"""

from __future__ import annotations

import pytest
from sections_support import flown_samples, large_network, record_sortie
from sqlalchemy.orm import Session

from dronepatrol.database import upgrade
from dronepatrol.events import EventBus
from dronepatrol.freshness.keeper import FreshnessKeeper
from dronepatrol.freshness.patrolled import Camera
from dronepatrol.geo import offset
from dronepatrol.network.revisit import RevisitPolicy
from dronepatrol.planning import load_profile
from dronepatrol.schedule.choice import Turnaround
from dronepatrol.schedule.scheduler import Scheduler
from dronepatrol.state import Battery, LinkState, Position, VehicleSnapshot

NOW = 1_800_000_000.0


class Snapshots:
    """The part of a Fleet the scheduler reads before it flies anything."""

    def __init__(self, *snapshots: VehicleSnapshot) -> None:
        self.by_id = {s.vehicle_id: s for s in snapshots}

    def snapshots(self) -> list[VehicleSnapshot]:
        return list(self.by_id.values())


@pytest.fixture
def store(tmp_path):
    engine = upgrade(f"sqlite:///{tmp_path / 'dp.db'}")
    yield engine
    engine.dispose()


def _at_station(network) -> VehicleSnapshot:
    station = network.station("S01")
    lat, lon = offset(station.lat_deg, station.lon_deg, 5.0, 0.0)
    return VehicleSnapshot(
        "d1",
        link=LinkState.UP,
        mode="LOITER",
        ekf_ok=True,
        prearm_ok=True,
        position=Position(lat, lon, 584.0, 0.0),
        battery=Battery(remaining_pct=100.0),
    )


def test_a_grid_needing_three_sorties_is_flown_by_successive_sorties(store) -> None:
    network = large_network()
    profile = load_profile()
    # key every 2 h: three 20-minute sorties of one drone keep BIG's sections in time
    policy = RevisitPolicy({"key": 120.0, "attention": 240.0, "general": 480.0})
    keeper = FreshnessKeeper(
        store, network, Camera.of_profile(profile), policy=policy, profile=profile
    )
    turnaround = Turnaround(mode="swap", swap_s=300.0)
    scheduler = Scheduler(
        Snapshots(_at_station(network)),
        keeper,
        profile,
        EventBus(),
        turnaround=turnaround,
        horizon_s=0.0,
        proposal_ttl_s=60.0,
        clock=lambda: NOW,
    )
    now = NOW
    flown: list[tuple[str, ...]] = []
    for _ in range(3):
        big = {s.target_id: s for s in keeper.states(now)}["BIG"]
        assert big.last_patrolled_s is None  # a section not flown yet: never patrolled
        made = scheduler.tick(now)
        assert len(made) == 1
        proposal = made[0].proposal
        flown.append(proposal.targets)
        # the drone flies it: its track recorded and judged, the drone landed (the proposal
        # itself, never approved here, expires: proposal_ttl_s)
        samples = flown_samples(proposal.sortie.track, now + 30.0)
        with Session(store) as session:
            checks = keeper.assess(record_sortie(session, "d1", samples))
        assert all(checks[t].patrolled for t in proposal.targets)
        now = samples[-1].time_s + 5.0
        scheduler.note_landed("d1", now)
        now += turnaround.swap_s + 1.0
    # the key grid's sections first (never patrolled, key before the rest), one a sortie
    assert sorted(flown) == [("BIG#1",), ("BIG#2",), ("BIG#3",)]
    big = {s.target_id: s for s in keeper.states(now)}["BIG"]
    assert big.last_patrolled_s is not None and not big.overdue
    # nothing is reported unschedulable: the grid is not refused for its size
    assert scheduler.status()["unschedulable"] == {}
    # the next sortie goes to the rest of the station's work
    made = scheduler.tick(now)
    assert made and not any(t.startswith("BIG") for t in made[0].proposal.targets)
