"""Large events: reading the file, what is in force before, during and after, and intervals."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from pathlib import Path

import pytest

from dronepatrol.large_events import (
    DEFAULT_EVENT_REVISIT_MIN,
    LargeEventError,
    in_force,
    in_force_between,
    load_large_event,
    network_at,
    read_large_event,
)
from dronepatrol.network import ERROR, WARNING, load_network

MISSIONS = Path(__file__).resolve().parents[2] / "missions"
BASE = load_network(MISSIONS / "canberra-sitl.geojson")
EVENT_FILE = json.loads((MISSIONS / "canberra-showground-event.geojson").read_text())
START = datetime.fromisoformat("2030-03-16T17:00:00+11:00").timestamp()
END = datetime.fromisoformat("2030-03-16T23:30:00+11:00").timestamp()


def _file() -> dict:
    return copy.deepcopy(EVENT_FILE)


def _zone(data: dict) -> dict:
    return next(f for f in data["features"] if f["properties"]["kind"] == "zone")


def _feature(data: dict, fid: str) -> dict:
    return next(f for f in data["features"] if f["properties"].get("id") == fid)


def test_the_example_event_reads_cleanly_against_its_network() -> None:
    event, issues = read_large_event(_file(), base=BASE, now_s=START - 3600)
    assert issues == []
    assert event is not None
    assert event.id == "showground-final"
    assert event.name == "Showground final"
    assert (event.start_s, event.end_s) == (START, END)
    kinds = sorted(str(t.kind) for t in event.targets)
    assert kinds.count("point") == 5 and "grid" in kinds and "line" in kinds
    assert {t.id for t in event.targets} >= {"showground-final:GATE-N", "showground-final:BOWL"}
    assert dict(event.policy.intervals_min) == dict(DEFAULT_EVENT_REVISIT_MIN)


def test_active_between_start_and_end_and_until_ended_early() -> None:
    event = load_large_event(_file())
    assert not event.active(START - 1)
    assert event.active(START)
    assert event.active(END - 1)
    assert not event.active(END)
    assert [event.status(t) for t in (START - 1, START, END)] == ["scheduled", "active", "ended"]
    ended = event.ended_at(START + 600)
    assert ended.active(START + 599) and not ended.active(START + 600)
    assert ended.time_left_s(START + 300) == 300
    cancelled = event.ended_at(START - 60)
    assert cancelled.status(START + 10) == "cancelled"
    assert not cancelled.active(START + 10)


def test_network_in_force_before_during_and_after() -> None:
    event = load_large_event(_file())
    before = network_at(BASE, [event], START - 1)
    during = network_at(BASE, [event], START + 60)
    after = network_at(BASE, [event], END)
    assert before.targets == BASE.targets == after.targets
    added = {t.id for t in during.targets} - {t.id for t in BASE.targets}
    assert added == {t.id for t in event.targets}
    # stations: the named one kept, the others the nearest of the network's
    assert during.target("showground-final:BUS").station == "S02"
    assert during.target("showground-final:GATE-W").station == "S01"
    assert during.target("showground-final:FAN-WALK").station == "S02"


def test_intervals_in_force_use_the_event_policy_and_tighten_the_zone() -> None:
    event = load_large_event(_file())
    force = in_force(BASE, [event], START + 60)
    minutes = {k: v / 60 for k, v in force.interval_s.items()}
    assert minutes["showground-final:GATE-N"] == 10  # key
    assert minutes["showground-final:BOWL"] == 30  # attention
    assert minutes["showground-final:CAR-PARK"] == 45  # its own revisit_min wins
    # P005 (key, 30 min in the city) lies in the zone: the event's 10 min
    assert minutes["P005"] == 10 and force.tightened_by["P005"] == "showground-final"
    # a general point outside the zone keeps the city's 8 h
    assert minutes["P012"] == 480 and "P012" not in force.tightened_by
    assert force.event_of["showground-final:GATE-N"] == "showground-final"
    outside = in_force(BASE, [event], END + 1)
    assert outside.interval_s["P005"] == 30 * 60
    assert not outside.event_of


def test_an_event_never_loosens_the_city_interval() -> None:
    data = _file()
    _zone(data)["properties"]["intervals_min"] = {"key": 90}
    event = load_large_event(data)
    force = in_force(BASE, [event], START + 60)
    assert force.interval_s["P005"] == 30 * 60  # the city's 30 min, not the event's 90
    assert "P005" not in force.tightened_by
    assert force.interval_s["showground-final:GATE-N"] == 90 * 60


def test_a_sortie_is_judged_against_events_on_at_any_moment_of_it() -> None:
    event = load_large_event(_file())
    # a sweep that starts before the gates open and lands after the start
    flown = in_force_between(BASE, [event], START - 1200, START + 60)
    assert "showground-final:GATE-N" in {t.id for t in flown.network.targets}
    earlier = in_force_between(BASE, [event], START - 7200, START - 3600)
    assert earlier.network.targets == BASE.targets


def test_every_problem_is_reported_at_once() -> None:
    data = _file()
    zone = _zone(data)["properties"]
    zone["start"], zone["end"] = "2030-03-16T23:00:00+11:00", "2030-03-16T17:00:00+11:00"
    zone["intervals_min"] = {"key": 0, "urgent": 5}
    _feature(data, "GATE-N")["geometry"]["coordinates"] = [149.20, -35.3630]  # far outside
    _feature(data, "GATE-S")["properties"]["priority"] = "critical"
    _feature(data, "BUS")["properties"]["station"] = "S09"
    data["features"].append(
        {
            "type": "Feature",
            "properties": {"kind": "nofly", "id": "NF9"},
            "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
        }
    )
    event, issues = read_large_event(data, base=BASE, now_s=START - 3600, source="final.geojson")
    assert event is None
    text = "\n".join(str(i) for i in issues if i.severity == ERROR)
    assert "end 2030-03-16T06:00:00+00:00 is not after start" in text
    assert "intervals_min: key is 0" in text
    assert "priority 'urgent' is unknown" in text
    assert "GATE-N: point lies outside the zone showground-final" in text
    assert "GATE-S: priority 'critical' is unknown" in text
    assert "BUS: unknown station 'S09'; use one of: S01, S02" in text
    assert "NF9: a no-fly zone belongs to the patrol network" in text
    with pytest.raises(LargeEventError, match="7 error"):
        load_large_event(data, base=BASE, now_s=START - 3600, source="final.geojson")


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        (lambda d: _zone(d)["properties"].pop("start"), "'start' is None"),
        (
            lambda d: _zone(d)["properties"].update(end="2030-03-16T23:30:00"),
            "has no time zone",
        ),
        (lambda d: _zone(d)["properties"].update(end="tonight"), "not an ISO-8601 time"),
        (lambda d: _zone(d)["properties"].update(id="cup final!"), "is not an event id"),
        (lambda d: d["features"].remove(_zone(d)), "no zone"),
        (lambda d: d["features"].append(copy.deepcopy(_zone(d))), "2 zones"),
        (lambda d: d.update(features=[_zone(d)]), "no targets"),
        (
            lambda d: _feature(d, "FAN-WALK")["geometry"]["coordinates"].append([149.19, -35.36]),
            "FAN-WALK: line reaches outside the zone",
        ),
        (
            lambda d: _zone(d)["geometry"].update(
                coordinates=[
                    [
                        [149.168, -35.3668],
                        [149.177, -35.3622],
                        [149.177, -35.3668],
                        [149.168, -35.3622],
                        [149.168, -35.3668],
                    ]
                ]
            ),
            "self-intersecting polygon",
        ),
        (
            lambda d: _zone(d).update(geometry={"type": "Point", "coordinates": [0, 0]}),
            "a zone needs a Polygon",
        ),
    ],
)
def test_bad_event_files_are_refused_with_the_fix(change, needle) -> None:
    data = _file()
    change(data)
    event, issues = read_large_event(data)
    assert event is None
    assert any(needle in str(i) for i in issues if i.severity == ERROR), issues


def test_an_event_already_over_is_refused() -> None:
    event, issues = read_large_event(_file(), now_s=END + 10)
    assert event is None
    assert any("give an end in the future" in i.message for i in issues)


def test_duplicate_target_ids_keep_the_loaders_file_index() -> None:
    data = _file()
    _feature(data, "GATE-S")["properties"]["id"] = "GATE-N"
    _, issues = read_large_event(data)
    (dup,) = [i for i in issues if "duplicate id" in i.message]
    # the file's own indexes (the zone is feature[0]), not those of the targets alone
    assert "also feature[3], this is feature[4]" in dup.message


def test_a_zone_over_a_no_fly_zone_is_a_warning() -> None:
    data = _file()
    # stretch the zone south over NF02 (the correctional centre)
    _zone(data)["geometry"]["coordinates"] = [
        [
            [149.168, -35.3700],
            [149.177, -35.3700],
            [149.177, -35.3622],
            [149.168, -35.3622],
            [149.168, -35.3700],
        ]
    ]
    event, issues = read_large_event(data, base=BASE)
    assert event is not None
    assert [str(i) for i in issues if i.severity == WARNING] == [
        "warning: showground-final: the zone overlaps no-fly zone NF02; drones keep out of it"
    ]


def test_docstring_examples() -> None:
    import doctest

    from dronepatrol.large_events import model as large_events

    result = doctest.testmod(large_events)
    assert result.attempted > 0 and result.failed == 0
