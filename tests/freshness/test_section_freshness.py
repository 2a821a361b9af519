"""Patrolled over sections: a large grid flown over several sorties, judged section by section."""

from __future__ import annotations

import pytest
from sections_support import flown_samples, large_network, record_sortie
from sqlalchemy import select
from sqlalchemy.orm import Session

from dronepatrol.database import TargetVisit, upgrade
from dronepatrol.freshness.keeper import FreshnessKeeper
from dronepatrol.freshness.patrolled import Camera, judge
from dronepatrol.network.revisit import RevisitPolicy
from dronepatrol.planning import load_profile
from dronepatrol.planning.sections import sections_of

T0 = 1_800_000_000.0


@pytest.fixture
def store(tmp_path):
    engine = upgrade(f"sqlite:///{tmp_path / 'dp.db'}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def network():
    return large_network()


@pytest.fixture(scope="module")
def profile():
    return load_profile()


POLICY = RevisitPolicy({"key": 120.0, "attention": 240.0, "general": 480.0})
"""Key targets every 2 h: one drone flies BIG's three sections (20 min each) in time."""


def _keeper(store, network, profile) -> FreshnessKeeper:
    return FreshnessKeeper(
        store, network, Camera.of_profile(profile), policy=POLICY, profile=profile
    )


def _fly(store, keeper, sortie, start_s: float):
    samples = flown_samples(sortie.track, start_s)
    with Session(store) as session:
        sortie_id = record_sortie(session, "1", samples)
    return keeper.assess(sortie_id), samples[-1].time_s


def test_a_sections_sortie_patrols_that_section_and_no_other(network, profile) -> None:
    sections = sections_of(network, profile)
    units = sections.units_of(network)
    samples = flown_samples(sections.sortie_for("BIG#2").track, T0)
    checks = judge(units, samples, Camera.of_profile(profile))
    assert checks["BIG#2"].patrolled and checks["BIG#2"].imaged > 0.95
    assert not checks["BIG#1"].patrolled and not checks["BIG#3"].patrolled
    assert "BIG" not in checks  # the whole is judged by its sections


def test_a_large_grid_is_patrolled_when_its_last_section_is_flown(store, network, profile) -> None:
    keeper = _keeper(store, network, profile)
    sections = keeper.sections()
    assert sections is not None and sections.section_ids("BIG") == ("BIG#1", "BIG#2", "BIG#3")
    t = T0
    flown_at = {}
    for section_id in ("BIG#1", "BIG#2"):
        checks, t = _fly(store, keeper, sections.sortie_for(section_id), t + 300.0)
        assert checks[section_id].patrolled
        flown_at[section_id] = checks[section_id].at_s
        big = {s.target_id: s for s in keeper.states(t)}["BIG"]
        assert big.last_patrolled_s is None and big.overdue  # a section never flown
    checks, t = _fly(store, keeper, sections.sortie_for("BIG#3"), t + 300.0)
    assert checks["BIG#3"].patrolled
    big = {s.target_id: s for s in keeper.states(t)}["BIG"]
    # as fresh as its stalest section: BIG#1, flown first
    assert big.last_patrolled_s == pytest.approx(flown_at["BIG#1"])
    units = {s.target_id: s for s in keeper.unit_states(t)}
    assert units["BIG#3"].last_patrolled_s == pytest.approx(checks["BIG#3"].at_s)
    assert "BIG" not in units and units["BIG#1"].interval_s == big.interval_s
    # stored as a visit of its own: reports read it, and it survives a restart
    with Session(store) as session:
        rows = session.scalars(select(TargetVisit).where(TargetVisit.target_id == "BIG")).all()
    assert [r.patrolled_s for r in rows] == [pytest.approx(flown_at["BIG#1"])]
    restarted = _keeper(store, network, profile)
    again = {s.target_id: s for s in restarted.states(t)}["BIG"]
    assert again.last_patrolled_s == pytest.approx(flown_at["BIG#1"])


def test_a_stale_section_makes_the_whole_target_overdue(store, network, profile) -> None:
    keeper = _keeper(store, network, profile)
    sections = keeper.sections()
    t = T0
    for section_id in ("BIG#1", "BIG#2", "BIG#3"):
        _, t = _fly(store, keeper, sections.sortie_for(section_id), t + 60.0)
    big = {s.target_id: s for s in keeper.states(t)}["BIG"]
    assert not big.overdue
    interval = big.interval_s
    first = {s.target_id: s for s in keeper.unit_states(t)}["BIG#1"].last_patrolled_s
    # BIG#2 and BIG#3 flown again, BIG#1 not: when BIG#1 passes its interval, BIG is overdue
    for section_id in ("BIG#2", "BIG#3"):
        _, t = _fly(store, keeper, sections.sortie_for(section_id), t + 60.0)
    late = first + interval + 60.0
    assert late > t
    states = {s.target_id: s for s in keeper.states(late)}
    units = {s.target_id: s for s in keeper.unit_states(late)}
    assert units["BIG#1"].overdue and not units["BIG#3"].overdue
    assert states["BIG"].overdue and states["BIG"].last_patrolled_s == pytest.approx(first)
    # BIG#1 flown again: the whole is on time, as fresh as BIG#2 (now its stalest)
    _, t = _fly(store, keeper, sections.sortie_for("BIG#1"), late)
    states = {s.target_id: s for s in keeper.states(t)}
    units = {s.target_id: s for s in keeper.unit_states(t)}
    assert not states["BIG"].overdue
    assert states["BIG"].last_patrolled_s == pytest.approx(units["BIG#2"].last_patrolled_s)


def test_without_a_profile_targets_are_judged_whole(store, network, profile) -> None:
    keeper = FreshnessKeeper(store, network, Camera.of_profile(profile))
    assert keeper.sections() is None
    assert keeper.units_at(T0) is keeper.network_at(T0) or {
        t.id for t in keeper.units_at(T0).targets
    } == {t.id for t in network.targets}
