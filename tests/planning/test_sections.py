"""Sections: a target too large for one battery cut into parts each flown on one."""

from __future__ import annotations

import pytest
import shapely
from sections_support import large_network

from dronepatrol.geo import LocalFrame
from dronepatrol.network.revisit import freshness
from dronepatrol.planning import load_profile, plan_sorties
from dronepatrol.planning.sections import cut_sections, sections_of, whole_id
from dronepatrol.schedule.choice import propose_sortie

NOW = 1_800_000_000.0


@pytest.fixture(scope="module")
def network():
    return large_network()


@pytest.fixture(scope="module")
def profile():
    return load_profile()


@pytest.fixture(scope="module")
def sections(network, profile):
    return sections_of(network, profile)


def test_a_grid_needing_three_sorties_is_three_sections_each_flown_by_its_own_sortie(
    network, profile, sections
) -> None:
    alone = plan_sorties(network, profile, ["S01"], ["BIG"])
    assert len(alone.targets["BIG"].sorties) == 3
    assert sections.section_ids("BIG") == ("BIG#1", "BIG#2", "BIG#3")
    assert sections.section_ids("P1") == ()  # fits one battery: flown whole
    frame = LocalFrame(*network.centre())
    grid = frame.geometry_to_xy(network.target("BIG").geometry)
    parts = []
    for section in sections.sections["BIG"]:
        sortie = sections.sortie_for(section.id)
        assert sortie is not None and sortie.energy_frac <= profile.usable_battery_frac
        assert section.priority == network.target("BIG").priority
        assert section.station == "S01" and whole_id(section.id) == "BIG"
        part = frame.geometry_to_xy(section.geometry)
        assert 0.1 < part.area / grid.area < 0.6  # a share of the grid, as its sortie flies
        parts.append(part)
    # together they are the grid (the patrolled rule needs 95 % of it)
    assert shapely.union_all(parts).intersection(grid).area / grid.area > 0.97
    assert sections.beyond_reach == {}


def test_the_cut_is_the_same_every_time(network, profile, sections) -> None:
    again = cut_sections(network, profile)
    assert {k: [s.id for s in v] for k, v in again.sections.items()} == {
        k: [s.id for s in v] for k, v in sections.sections.items()
    }
    for target_id, parts in again.sections.items():
        for mine, theirs in zip(parts, sections.sections[target_id], strict=True):
            assert shapely.equals_exact(mine.geometry, theirs.geometry, 1e-9)
    assert sections_of(network, profile) is sections  # remembered, not cut per pass


def test_a_long_line_is_cut_into_parts_each_planned_whole_on_one_battery(
    network, profile, sections
) -> None:
    assert len(plan_sorties(network, profile, ["S01"], ["LONG"]).targets["LONG"].sorties) >= 2
    ids = sections.section_ids("LONG")
    assert len(ids) >= 3
    units = sections.units_of(network)
    assert "LONG" not in {t.id for t in units.targets}
    total = 0.0
    for section_id in ids:
        assert sections.sortie_for(section_id) is None  # planned like any target
        status = plan_sorties(units, profile, ["S01"], [section_id]).targets[section_id]
        assert status.status == "planned" and len(status.sorties) == 1
        total += units.target(section_id).geometry.length
    assert total == pytest.approx(network.target("LONG").geometry.length, rel=1e-6)


def test_a_target_is_as_fresh_as_its_stalest_section(sections) -> None:
    last = {"BIG#1": 100.0, "BIG#2": 300.0}
    assert "BIG" not in sections.whole_last_patrolled(last)  # BIG#3 never flown
    last["BIG#3"] = 200.0
    assert sections.whole_last_patrolled(last)["BIG"] == 100.0
    last["BIG#1"] = 400.0
    assert sections.whole_last_patrolled(last)["BIG"] == 200.0


def _states(units, last):
    return freshness([(t.id, str(t.priority), t.revisit_min) for t in units.targets], last, NOW)


def test_the_most_overdue_section_is_flown_by_its_own_sortie(network, profile, sections) -> None:
    units = sections.units_of(network)
    fresh = {t.id: NOW - 60.0 for t in units.targets}
    # BIG#2 (key, 30 min) an hour old is the most overdue
    choice = propose_sortie(
        units,
        profile,
        "S01",
        _states(units, {**fresh, "BIG#2": NOW - 3600.0}),
        sections=sections,
    )
    proposal = choice.proposal
    assert proposal is not None and proposal.targets == ("BIG#2",)
    assert proposal.sortie.mission == sections.sortie_for("BIG#2").mission
    assert proposal.sortie.targets == ("BIG#2",)
    # a point more overdue goes first, planned as ever; the section waits for the next drone
    choice = propose_sortie(
        units,
        profile,
        "S01",
        _states(units, {**fresh, "BIG#2": NOW - 3600.0, "P1": NOW - 10 * 8 * 3600.0}),
        sections=sections,
    )
    assert choice.proposal is not None and choice.proposal.targets == ("P1",)
    assert choice.unschedulable == {}


def test_the_part_of_a_grid_beyond_reach_is_a_section_never_flown(profile) -> None:
    # a strip 5-8 km east of the station: its far end is beyond one battery's reach
    from sections_support import LAT0, LON0

    from dronepatrol.geo import offset
    from dronepatrol.network.loading import parse_network

    corners = [
        offset(LAT0, LON0, n, e) for n, e in ((0, 5000), (0, 8000), (400, 8000), (400, 5000))
    ]
    ring = [[lon, lat] for lat, lon in corners] + [[corners[0][1], corners[0][0]]]
    network, issues = parse_network(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"kind": "station", "id": "S01"},
                    "geometry": {"type": "Point", "coordinates": [LON0, LAT0]},
                },
                {
                    "type": "Feature",
                    "properties": {"kind": "grid", "id": "FAR", "priority": "general"},
                    "geometry": {"type": "Polygon", "coordinates": [ring]},
                },
            ],
        }
    )
    assert network is not None, issues
    assert plan_sorties(network, profile, ["S01"], ["FAR"]).targets["FAR"].status == "partial"
    sections = cut_sections(network, profile)
    ids = sections.section_ids("FAR")
    beyond = [i for i in ids if i in sections.beyond_reach]
    assert len(beyond) == 1 and sections.sortie_for(beyond[0]) is None
    assert "beyond one battery's reach of station S01" in sections.beyond_reach[beyond[0]]
    # every other section flown: the grid is still not patrolled whole
    assert "FAR" not in sections.whole_last_patrolled({i: NOW for i in ids if i not in beyond})
    # the scheduler says why when it comes to it, and flies the rest
    units = sections.units_of(network)
    fresh = {i: NOW - 60.0 for i in ids if i not in beyond}
    choice = propose_sortie(units, profile, "S01", _states(units, fresh), sections=sections)
    assert choice.proposal is None
    assert choice.unschedulable == {beyond[0]: sections.beyond_reach[beyond[0]]}
    choice = propose_sortie(units, profile, "S01", _states(units, {}), sections=sections)
    assert choice.proposal is not None and choice.proposal.targets[0] in ids
    assert choice.proposal.targets[0] not in beyond
