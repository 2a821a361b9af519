"""Mission files: what we write, our reader and pymavlink's mavwp read back identically."""

from __future__ import annotations

import json

import pytest
from planning_helpers import EXAMPLE
from pymavlink import mavwp

from dronepatrol.mission import Cmd, Frame, Mission, MissionItem
from dronepatrol.missionfiles import (
    MissionFileError,
    load_mission,
    plan_document,
    save_mission,
)
from dronepatrol.network import load_network
from dronepatrol.planning import plan_sorties


@pytest.fixture(scope="module")
def missions() -> list[Mission]:
    return [s.mission for s in plan_sorties(load_network(EXAMPLE)).sorties]


def same_items(a: tuple[MissionItem, ...], b: tuple[MissionItem, ...], tol: float = 1e-7) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert (x.command, x.frame, x.autocontinue) == (y.command, y.frame, y.autocontinue)
        for field in ("param1", "param2", "param3", "param4", "lat_deg", "lon_deg", "alt_m"):
            assert getattr(x, field) == pytest.approx(getattr(y, field), abs=tol), field


def test_plan_round_trip(tmp_path, missions) -> None:
    for k, mission in enumerate(missions):
        path = save_mission(mission, tmp_path / f"m{k}.plan")
        back = load_mission(path)
        same_items(back.items, mission.items)
        assert back.home == pytest.approx(mission.home)
        assert back.fence_inclusions == mission.fence_inclusions
        assert back.fence_exclusions == mission.fence_exclusions
        assert back.rally_points == mission.rally_points


def test_plan_file_has_qgroundcontrol_layout(tmp_path, missions) -> None:
    doc = json.loads(save_mission(missions[0], tmp_path / "a.plan").read_text())
    assert doc["fileType"] == "Plan" and doc["version"] == 1
    assert doc["mission"]["version"] == 2 and doc["mission"]["firmwareType"] == 3
    assert doc["mission"]["plannedHomePosition"] == list(missions[0].home)
    first = doc["mission"]["items"][0]
    assert first["type"] == "SimpleItem" and first["command"] == Cmd.NAV_TAKEOFF
    assert len(first["params"]) == 7
    polygons = doc["geoFence"]["polygons"]
    assert [p["inclusion"] for p in polygons] == [True] + [False] * (len(polygons) - 1)
    assert len(polygons) >= 2  # the station's inclusion fence and a nearby no-fly zone
    assert doc["rallyPoints"]["points"][0][:2] == list(missions[0].home[:2])


def test_waypoints_round_trip_through_our_reader_and_mavwp(tmp_path, missions) -> None:
    for k, mission in enumerate(missions):
        path = save_mission(mission, tmp_path / f"m{k}.waypoints")
        assert path.read_text().startswith("QGC WPL 110\n")
        back = load_mission(path)
        same_items(back.items, mission.items)
        assert back.home == pytest.approx(mission.home)

        loader = mavwp.MAVWPLoader()
        assert loader.load(str(path)) == len(mission.items) + 1
        home = loader.wp(0)
        assert (home.x, home.y, home.z) == pytest.approx(mission.home, abs=1e-7)
        theirs = tuple(
            MissionItem(
                command=w.command,
                frame=w.frame,
                param1=w.param1,
                param2=w.param2,
                param3=w.param3,
                param4=w.param4,
                lat_deg=w.x,
                lon_deg=w.y,
                alt_m=w.z,
                autocontinue=bool(w.autocontinue),
            )
            for w in (loader.wp(i) for i in range(1, loader.count()))
        )
        same_items(theirs, mission.items)


def test_mavwp_written_file_reads_back_with_our_reader(tmp_path, missions) -> None:
    ours = save_mission(missions[0], tmp_path / "ours.waypoints")
    loader = mavwp.MAVWPLoader()
    loader.load(str(ours))
    theirs = tmp_path / "theirs.waypoints"
    loader.save(str(theirs))
    back = load_mission(theirs)
    same_items(back.items, missions[0].items, tol=1e-6)  # mavwp writes 6 decimals
    assert back.home[0] == pytest.approx(missions[0].home[0], abs=1e-6)


def test_qgroundcontrol_nulls_read_as_zero(tmp_path) -> None:
    mission = Mission(items=(MissionItem(Cmd.NAV_TAKEOFF, alt_m=30.0),), home=(1.0, 2.0, 3.0))
    doc = plan_document(mission)
    doc["mission"]["items"][0]["params"][3] = None  # QGroundControl writes NaN yaw as null
    path = tmp_path / "qgc.plan"
    path.write_text(json.dumps(doc))
    back = load_mission(path)
    assert back.items[0].param4 == 0.0 and back.items[0].alt_m == 30.0
    assert back.items[0].frame == Frame.GLOBAL_RELATIVE_ALT


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("a.plan", "{oops", "not JSON"),
        ("b.plan", '{"fileType": "Fence"}', "not a QGroundControl plan"),
        (
            "c.plan",
            json.dumps(
                {
                    "fileType": "Plan",
                    "mission": {"items": [{"type": "ComplexItem", "complexItemType": "survey"}]},
                }
            ),
            "'survey' items are not supported",
        ),
        ("d.waypoints", "QGC WPL 110\n0\t1\t0\t16\t0\t0\n", "line 2: expected 12 values"),
        (
            "e.waypoints",
            "QGC WPL 110\n0\t1\t0\t16\t0\t0\t0\t0\t1\t2\t3\t1\n"
            "5\t0\t3\t16\t0\t0\t0\t0\t1\t2\t3\t1\n",
            "sequence number 5, expected 1",
        ),
        ("f.txt", "hello", "neither a QGroundControl .plan"),
    ],
)
def test_bad_files_say_what_is_wrong(tmp_path, name, content, words) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(MissionFileError) as caught:
        load_mission(path)
    assert words in str(caught.value)
    assert name in str(caught.value)


def test_missing_file_and_bad_suffix(tmp_path) -> None:
    with pytest.raises(MissionFileError, match="file not found"):
        load_mission(tmp_path / "none.plan")
    with pytest.raises(MissionFileError, match=r"use a \.plan or \.waypoints"):
        save_mission(Mission(items=()), tmp_path / "x.json")
