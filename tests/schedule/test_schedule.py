"""The scheduler's choice: the most overdue targets of the station, in one battery."""

from __future__ import annotations

from pathlib import Path

import pytest

from dronepatrol.geo import offset
from dronepatrol.network import load_network
from dronepatrol.network.loading import parse_network
from dronepatrol.network.revisit import freshness
from dronepatrol.planning import batteries_needed, load_profile, plan_sorties
from dronepatrol.schedule.choice import (
    ScheduleSettingError,
    Turnaround,
    due_candidates,
    propose_sortie,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"
NOW = 1_800_000_000.0


@pytest.fixture(scope="module")
def network():
    return load_network(EXAMPLE)


@pytest.fixture(scope="module")
def profile():
    return load_profile()


def _states(network, last: dict[str, float]):
    targets = [(t.id, str(t.priority), t.revisit_min) for t in network.targets]
    return freshness(targets, last, NOW)


def _all_fresh(network, except_: dict[str, float]) -> dict[str, float]:
    """Every target patrolled a minute ago, except the given ones (patrolled at those times)."""
    last = {t.id: NOW - 60.0 for t in network.targets}
    last.update(except_)
    return last


def test_the_most_overdue_target_is_flown_and_the_sortie_fits_the_battery(network, profile) -> None:
    # P001 (key, 30 min) 2 h old (4 intervals) outranks G002 (attention, 2 h) 3 h old (1.5)
    last = _all_fresh(network, {"P001": NOW - 7200.0, "G002": NOW - 3 * 3600.0})
    choice = propose_sortie(network, profile, "S01", _states(network, last))
    proposal = choice.proposal
    assert proposal is not None
    assert proposal.urgency[0][0] == "P001"
    assert proposal.station == "S01"
    assert proposal.sortie.energy_frac <= profile.usable_battery_frac
    assert set(proposal.targets) == {"P001", "G002"}
    # its mission flies from S01 and ends home
    station = network.station("S01")
    assert proposal.sortie.mission.home[:2] == pytest.approx((station.lat_deg, station.lon_deg))
    assert proposal.reason().startswith("P001 overdue (4.0x its interval)")


def test_nothing_due_gives_no_proposal(network, profile) -> None:
    choice = propose_sortie(network, profile, "S01", _states(network, _all_fresh(network, {})))
    assert choice.proposal is None


def test_the_horizon_takes_targets_falling_due_soon(network, profile) -> None:
    # P001 is key (30 min): 25 min old it is due in 5 min
    last = _all_fresh(network, {"P001": NOW - 25 * 60.0})
    states = _states(network, last)
    assert propose_sortie(network, profile, "S01", states).proposal is None
    soon = propose_sortie(network, profile, "S01", states, horizon_s=600.0).proposal
    assert soon is not None and soon.targets == ("P001",)


def test_targets_of_other_stations_and_claimed_ones_are_left(network, profile) -> None:
    s02 = [t.id for t in network.targets_of("S02")]
    s01 = [t.id for t in network.targets_of("S01")]
    last = _all_fresh(network, {s02[0]: NOW - 86400.0, s01[0]: NOW - 86400.0})
    states = _states(network, last)
    proposal = propose_sortie(network, profile, "S01", states).proposal
    assert proposal is not None and proposal.targets == (s01[0],)
    claimed = propose_sortie(network, profile, "S01", states, exclude=[s01[0]])
    assert claimed.proposal is None


def test_never_patrolled_key_targets_come_first_and_every_sortie_fits(network, profile) -> None:
    states = _states(network, {})
    flown: list[str] = []
    unschedulable: dict[str, str] = {}
    first = None
    for _ in range(6):
        choice = propose_sortie(network, profile, "S02", states, exclude=[*flown, *unschedulable])
        unschedulable.update(choice.unschedulable)
        if choice.proposal is None:
            break
        first = first or choice.proposal
        assert choice.proposal.sortie.energy_frac <= profile.usable_battery_frac
        flown += choice.proposal.targets
    assert first is not None
    assert network.target(first.urgency[0][0]).priority == "key"
    # P014 lies inside a no-fly zone: left out with the planner's reason, never flown
    assert "P014" not in flown and "no-fly" in unschedulable["P014"]
    assert sorted(flown) == sorted(t.id for t in network.targets_of("S02") if t.id != "P014")


def test_a_grid_too_big_for_one_battery_is_unschedulable_not_flown_piecemeal(profile) -> None:
    lat0, lon0 = -35.363261, 149.165230
    corners = [
        offset(lat0, lon0, n, e) for n, e in ((100, 100), (100, 1600), (1600, 1600), (1600, 100))
    ]
    ring = [[lon, lat] for lat, lon in corners] + [[corners[0][1], corners[0][0]]]
    point = offset(lat0, lon0, 150.0, 0.0)
    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"kind": "station", "id": "S01"},
                "geometry": {"type": "Point", "coordinates": [lon0, lat0]},
            },
            {
                "type": "Feature",
                "properties": {"kind": "grid", "id": "BIG", "priority": "key"},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            },
            {
                "type": "Feature",
                "properties": {"kind": "point", "id": "P1", "priority": "general"},
                "geometry": {"type": "Point", "coordinates": [point[1], point[0]]},
            },
        ],
    }
    network, issues = parse_network(data)
    assert network is not None, issues
    # the planner itself, asked for BIG alone, needs several sorties for it
    alone = plan_sorties(network, profile, ["S01"], ["BIG"])
    assert len(alone.targets["BIG"].sorties) >= 2
    assert batteries_needed(network, profile, "BIG") >= 2
    assert batteries_needed(network, profile, "P1") == 1
    # so it is left out before it is planned in company, with the same verdict
    asked: list[list[str]] = []

    def planner(net, prof, station_ids, target_ids):
        asked.append(list(target_ids))
        return plan_sorties(net, prof, station_ids, target_ids)

    choice = propose_sortie(network, profile, "S01", _states(network, {}), planner=planner)
    assert "BIG" in choice.unschedulable and "sorties" in choice.unschedulable["BIG"]
    assert "cannot be patrolled on one battery" in choice.unschedulable["BIG"]
    assert choice.proposal is not None and choice.proposal.targets == ("P1",)
    assert asked == [["P1"]]


def test_due_candidates_are_ordered_by_staleness(network) -> None:
    last = _all_fresh(network, {"P001": NOW - 3600.0, "G001": NOW - 86400.0})
    ids = [c.target_id for c in due_candidates(network, "S01", _states(network, last))]
    # G001 (key, 30 min) a day old is far staler than P001 (key) an hour old
    assert ids == ["G001", "P001"]


def test_turnaround_swap_and_charge() -> None:
    swap = Turnaround(mode="swap", swap_s=300.0)
    assert swap.ground_time_s(0.3) == 300.0 and swap.charge_after_s(0.3) == 1.0
    charge = Turnaround(mode="charge", charge_full_s=3600.0, launch_min_frac=0.9)
    assert charge.ground_time_s(0.4) == pytest.approx(0.5 * 3600.0)
    assert charge.ground_time_s(0.95) == 0.0
    assert charge.charge_after_s(0.4) == 0.9
    with pytest.raises(ScheduleSettingError, match="mode"):
        Turnaround(mode="teleport")
    with pytest.raises(ScheduleSettingError, match="launch_min_frac"):
        Turnaround(launch_min_frac=0.0)


def test_a_network_past_a_planning_limit_leaves_its_targets_unschedulable_with_the_limit(
    network, profile
) -> None:
    """The scheduler's battery question refused (no-fly zones past a limit): the pass goes
    on, and each due target is reported with the limit, not a crash."""
    from dronepatrol.planning import PlanningLimitError

    def refused(net, prof, target_id):
        raise PlanningLimitError(["the number of no-fly zones is 151, over max_nofly_zones"])

    last = _all_fresh(network, {"P001": NOW - 7200.0})
    choice = propose_sortie(network, profile, "S01", _states(network, last), battery_need=refused)
    assert choice.proposal is None
    assert "max_nofly_zones" in choice.unschedulable["P001"]
