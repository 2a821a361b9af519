"""A station's open incidents and lockdown reach the centre: bounded, kept per station,
cleared when they end, stale with their station, and refused when they break the contract."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from support import wait_until

from dronepatrol.city import Centre, StationLink
from dronepatrol.city.broker import make_client
from dronepatrol.city.contract import Kind, topic_of
from dronepatrol.city.local_broker import LocalBroker
from dronepatrol.city.situation import situation_fields, video_feeds
from dronepatrol.database import make_engine, upgrade
from dronepatrol.events import EventBus
from dronepatrol.incidents import IncidentBook
from dronepatrol.lockdown.plan import Assignment, LockdownPlan, OverwatchPoint
from dronepatrol.lockdown.status import Lockdown, lockdown_status


@pytest.fixture
def book(tmp_path: Path) -> Iterator[IncidentBook]:
    engine = upgrade(make_engine(f"sqlite:///{tmp_path / 'book.db'}"))
    yield IncidentBook(engine)
    engine.dispose()


def test_the_station_sends_its_most_recent_open_incidents_and_the_lockdown_in_force(
    book: IncidentBook,
) -> None:
    for n in range(103):
        book.create(-35.36 + n * 1e-4, 149.16, "attention", f"report {n} " + "x" * 300, "desk")
    book.mark(1, status="released")  # answered: not open any more
    book.mark(2, status="on_scene", vehicle_id="north-1")
    hold = book.create(-35.30, 149.10, "key", "", "chief", kind="hold")
    book.mark(hold.id, status="on_scene", vehicle_id="north-2")
    points = (OverwatchPoint("G1", -35.30, 149.10, "east gate"), OverwatchPoint("G2", -35.4, 149.2))
    plan = LockdownPlan((Assignment("north-2", "G1", 40.0),), {"G2": "no drone in range"}, 40.0)
    lockdown = Lockdown("close the gates", points, plan, {"G1": hold.id}, "chief", 7.0)

    incidents, open_count = book.open_incidents(100)
    fields = situation_fields(incidents, open_count, lockdown_status(lockdown, book))

    assert open_count == 102  # 103 reported, one released; the hold is not an incident
    assert len(fields["incidents"]) == 100 and fields["open_incidents"] == 102
    assert [i["id"] for i in fields["incidents"]] == list(range(103, 3, -1))  # newest first
    assert all(len(i["note"]) == 200 and i["note"].endswith("…") for i in fields["incidents"])
    assert fields["lockdown"]["name"] == "close the gates"
    assert fields["lockdown"]["started_by"] == "chief"
    assert [(p["id"], p["vehicle"], p["status"]) for p in fields["lockdown"]["points"]] == [
        ("G1", "north-2", "on_scene"),
        ("G2", None, "uncovered"),
    ]
    # once its last hold is released, the lockdown is no longer in force: none is sent
    book.mark(hold.id, status="released")
    assert situation_fields([], 0, lockdown_status(lockdown, book))["lockdown"] is None


def test_feeds_name_the_media_server_and_leave_out_ids_that_cannot_name_a_topic() -> None:
    assert video_feeds([("b-1", 9), ("a/1", 4), ("a-1", 3)], shared=False) == [
        {"vehicle": "a-1", "mountpoint": 3, "media_server": "station"},
        {"vehicle": "b-1", "mountpoint": 9, "media_server": "station"},
    ]


# ------------------------------------------------------------------ over the broker


def an_incident(n: int, note: str = "smoke") -> dict[str, Any]:
    return {
        "id": n,
        "kind": "incident",
        "status": "open",
        "priority": "key",
        "note": note,
        "lat_deg": -35.36,
        "lon_deg": 149.16,
        "vehicle": None,
        "created_s": 10.0 + n,
    }


@pytest.fixture
def centre_sqlite(tmp_path: Path) -> Iterator[Engine]:
    engine = upgrade(make_engine(f"sqlite:///{tmp_path / 'centre.db'}"))
    yield engine
    engine.dispose()


def picture(centre: Centre, station: str) -> dict[str, Any] | None:
    return next((s for s in centre.situations() if s["station"] == station), None)


def test_the_centre_keeps_each_stations_situation_clears_it_and_marks_it_stale(
    broker: LocalBroker, station_engine: Engine, centre_sqlite: Engine, tmp_path: Path
) -> None:
    state = {"incidents": [an_incident(1)], "open_incidents": 1, "lockdown": None}
    south_state = {"incidents": [an_incident(5, "fight")], "open_incidents": 1, "lockdown": None}
    south_engine = upgrade(make_engine(f"sqlite:///{tmp_path / 'south.db'}"))
    centre = Centre(centre_sqlite, broker.centre_settings(), stale_after_s=2.0).start()
    north = StationLink(
        "north",
        EventBus(),
        station_engine,
        broker.station_settings("north"),
        situation=lambda: state,
        video=lambda: [{"vehicle": "north-1", "mountpoint": 7, "media_server": "city"}],
    ).start()
    south = StationLink(
        "south",
        EventBus(),
        south_engine,
        broker.station_settings("south"),
        situation=lambda: south_state,
    ).start()
    late = None
    try:
        seen = wait_until(
            lambda: (picture(centre, "north") or {}).get("incidents") and picture(centre, "south"),
            10,
            "both stations' incidents at the centre",
        )
        assert seen
        north_now, south_now = picture(centre, "north"), picture(centre, "south")
        assert [i["id"] for i in north_now["incidents"]] == [1] and not north_now["stale"]
        assert [i["note"] for i in south_now["incidents"]] == ["fight"]  # kept apart
        feed = centre.video_feed("north", "north-1")
        assert feed is not None and (feed.mountpoint, feed.media_server) == (7, "city")
        assert centre.video_feed("south", "south-1") is None

        # a lockdown begins: sent at once (on change), not only at the next connection
        state["lockdown"] = {
            "name": "gates",
            "started_by": "chief",
            "started_s": 20.0,
            "points": [
                {
                    "id": "G1",
                    "name": "",
                    "lat_deg": -35.3,
                    "lon_deg": 149.1,
                    "vehicle": "north-1",
                    "status": "dispatched",
                },
            ],
        }
        wait_until(lambda: picture(centre, "north")["lockdown"], 5, "the lockdown at the centre")

        # a station that speaks badly is refused; what it said before stands
        before = centre.invalid
        rogue = make_client(broker.station_settings("north"))
        address = broker.station_settings("north").address
        rogue.connect(address.host, address.port)
        rogue.loop_start()
        bad = {"v": 1, "station": "north", "time_s": 1, "incidents": [an_incident(1, "x" * 201)]}
        rogue.publish(topic_of(Kind.SITUATION, "north"), json.dumps(bad), qos=1).wait_for_publish(5)
        wait_until(lambda: centre.invalid > before, 5, "the bad situation refused")
        rogue.disconnect()
        rogue.loop_stop()
        assert picture(centre, "north")["incidents"][0]["note"] == "smoke"

        # the incident is answered and the lockdown ends: the centre clears them
        state.update(incidents=[], open_incidents=0, lockdown=None)
        wait_until(
            lambda: (
                picture(centre, "north")["incidents"] == []
                and picture(centre, "north")["lockdown"] is None
            ),
            5,
            "north's situation cleared",
        )
        state.update(incidents=[an_incident(2, "stolen car")], open_incidents=1)

        # a centre that starts late gets every situation from the broker at once
        wait_until(lambda: picture(centre, "north")["incidents"], 5, "incident 2")
        late = Centre(centre_sqlite, broker.centre_settings()).start()
        wait_until(lambda: picture(late, "north") and picture(late, "south"), 5, "retained")
        assert picture(late, "north")["incidents"][0]["note"] == "stolen car"
        assert late.video_feed("north", "north-1") is not None
    finally:
        north.stop()
        south.stop()
        if late is not None:
            late.stop()
    # north says goodbye: its incidents stay on the centre's map, stale with it
    stale = wait_until(
        lambda: (picture(centre, "north") or {}).get("stale"), 5, "north's situation stale"
    )
    assert stale and picture(centre, "north")["incidents"][0]["id"] == 2
    centre.stop()
    south_engine.dispose()


def test_the_heartbeat_counts_an_open_incident_older_than_the_last_200_reports(
    book: IncidentBook,
) -> None:
    """The summary reads the book's open incidents, not the newest 200 of any status."""
    from types import SimpleNamespace

    from dronepatrol.cli.runtime import ControlRuntime

    old = book.create(-35.36, 149.16, "key", "still open", "desk")
    for n in range(200):
        answered = book.create(-35.36, 149.16 + n * 1e-5, "general", f"report {n}", "desk")
        book.mark(answered.id, status="released")
    runtime = ControlRuntime.__new__(ControlRuntime)
    runtime.room = SimpleNamespace(incidents=book, dispatcher=None, alerts=None)
    summary = runtime._station_summary()
    assert summary["open_incidents"] == [old.id]
    assert summary["lockdown"] is None and summary["active_alerts"] == 0
