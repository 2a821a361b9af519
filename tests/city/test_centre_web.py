"""The command centre in the control app: the City page and API over a real broker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from shapely.geometry import Polygon
from sqlalchemy import Engine
from support import TEST_PASSWORD_COST, wait_until

from dronepatrol.accounts import Role
from dronepatrol.city import Centre, StationLink
from dronepatrol.city.local_broker import LocalBroker
from dronepatrol.events import EventBus, EventKind
from dronepatrol.geo import offset
from dronepatrol.network.model import NoFlyZone
from dronepatrol.planning.airspace import Airspace
from dronepatrol.settings import Settings
from dronepatrol.video.media_server import ExternalJanus, MediaFanout
from dronepatrol.web import create_app

PASSWORD = "city-pass-1"


def make_app(tmp_path: Path) -> Flask:
    settings = Settings(data_dir=tmp_path / "app", password_cost=TEST_PASSWORD_COST)
    app = create_app({"TESTING": True, "SETTINGS": settings})
    app.extensions["dronepatrol"].accounts.add_user("viewer", Role.VIEWER, PASSWORD)
    return app


def bearer(app: Flask) -> dict[str, str]:
    response = app.test_client().post(
        "/api/login", json={"username": "viewer", "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


@pytest.fixture
def centre_app(tmp_path: Path, broker: LocalBroker) -> Iterator[Flask]:
    app = make_app(tmp_path)
    room = app.extensions["dronepatrol"]
    centre = Centre(room.engine, broker.centre_settings()).start()
    room.city = centre
    assert centre.wait_connected(10)
    yield app
    centre.stop()
    room.stop()


def test_the_centre_shows_each_station_and_drone_and_marks_a_silent_station_stale(
    centre_app: Flask, broker: LocalBroker, station_engine: Engine
) -> None:
    bus = EventBus()
    network = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [149.16, -35.36]},
                "properties": {"kind": "point", "id": "P1", "name": "school gate"},
            }
        ],
    }
    link = StationLink(
        "north", bus, station_engine, broker.station_settings("north"), network=lambda: network
    ).start()
    client, headers = centre_app.test_client(), bearer(centre_app)
    try:
        assert link.wait_connected(10)
        bus.emit(
            EventKind.TELEMETRY,
            "north-1",
            lat_deg=-35.36,
            lon_deg=149.16,
            alt_rel_m=31.5,
            armed=True,
            mode="AUTO",
            battery_pct=76.0,
        )

        def shown() -> dict:
            city = client.get("/api/city", headers=headers).get_json()
            return city if city["stations"] and city["vehicles"] else {}

        city = wait_until(shown, 10, "north and its drone at the centre")
        (north,) = city["stations"]
        (drone,) = city["vehicles"]
        assert (north["station"], north["stale"], north["online"]) == ("north", False, True)
        assert (drone["station"], drone["vehicle"], drone["stale"]) == ("north", "north-1", False)
        assert drone["telemetry"]["alt_rel_m"] == 31.5
        assert north["has_network"]
        assert client.get("/api/city/stations/north/network", headers=headers).get_json() == network
        unknown = client.get("/api/city/stations/south/network", headers=headers)
        assert unknown.status_code == 404 and "no patrol network" in unknown.get_json()["message"]
        page = client.get("/city", headers=headers)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert "/static/city.js" in html  # the live page (tests/browser/test_city_page.py)
        assert 'http-equiv="refresh"' not in html
        assert ">City</a>" in html  # in the navigation of a centre
        first = client.get("/", headers=headers)  # where sign-in lands: no network of its own
        assert first.status_code == 302 and first.headers["Location"].endswith("/city")

        # a command's outcome, from the station's record: pending until it arrives
        outcome = "/api/city/stations/north/vehicles/north-1/commands/cmd-7"
        assert client.get(outcome, headers=headers).get_json()["status"] == "pending"
        bus.emit(
            EventKind.COMMAND_RESULT,
            "north-1",
            command_id="cmd-7",
            name="rtl",
            ok=False,
            result="DENIED",
            reason="not armed",
        )

        def ended() -> dict:
            answer = client.get(outcome, headers=headers).get_json()
            return answer if answer["status"] != "pending" else {}

        failed = wait_until(ended, 10, "the command's result at the centre")
        assert (failed["status"], failed["result"], failed["reason"]) == (
            "failed",
            "DENIED",
            "not armed",
        )
    finally:
        link.stop()
    wait_until(
        lambda: client.get("/api/city", headers=headers).get_json()["stations"][0]["stale"],
        5,
        "north stale after its goodbye",
    )


def test_the_centre_sends_a_goto_and_an_orbit_that_the_station_routes_round_its_zones(
    centre_app: Flask, broker: LocalBroker, station_engine: Engine
) -> None:
    """Goto into a no-fly zone: 202 with where the drone watches from; orbit into it: 409
    with the station's reason; an argument out of range: 400 before anything is sent."""
    from test_commands import CMAC, FakeFleet

    corners = [offset(*CMAC[:2], n, e) for n, e in ((240, -60), (240, 60), (360, 60), (360, -60))]
    zone = NoFlyZone("SUB", Polygon([(lon, lat) for lat, lon in corners]), "Substation")
    airspace = Airspace([zone], margin_m=25)
    fleet = FakeFleet()
    link = StationLink(
        "north",
        EventBus(),
        station_engine,
        broker.station_settings("north"),
        fleet=fleet,
        airspace=lambda: airspace,
    ).start()
    room = centre_app.extensions["dronepatrol"]
    room.accounts.add_user("op", Role.OPERATOR, PASSWORD)
    client = centre_app.test_client()
    token = client.post("/api/login", json={"username": "op", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {token.get_json()['token']}"}
    url = "/api/city/stations/north/vehicles/north-1/commands"
    lat, lon = offset(*CMAC[:2], 330, 10)  # inside the zone, 30 m from its north edge
    try:
        wait_until(
            lambda: room.city.station("north") and not room.city.station("north")["stale"],
            10,
            "the station in the centre's picture",
        )
        goto = {"command": "goto", "lat": lat, "lon": lon, "alt_m": 25}
        sent = client.post(url, json=goto, headers=headers)
        assert sent.status_code == 202, sent.get_json()
        body = sent.get_json()
        assert body["command"] == "goto" and body["watch"]["from_outside"]
        assert "outside the no-fly zone 'Substation'" in body["watch"]["message"]
        assert body["route"][-1] == [body["watch"]["lat"], body["watch"]["lon"]]
        assert airspace.crosses([tuple(p) for p in body["route"]]) == []

        orbit = {"command": "orbit", "lat": lat, "lon": lon, "alt_m": 25, "radius_m": 40}
        refused = client.post(url, json=orbit, headers=headers)
        assert refused.status_code == 409
        assert "orbit of 40 m" in refused.get_json()["message"]
        assert "'Substation'" in refused.get_json()["message"]

        high = client.post(url, json={**goto, "alt_m": 500}, headers=headers)
        assert high.status_code == 400 and "alt_m" in high.get_json()["message"]
        assert fleet.submitted == ["fly_route"]
        audit = [(e.action, e.ok) for e in room.accounts.recent_audit(3)]
        assert audit[:2] == [("city command orbit", False), ("city command goto", True)]
    finally:
        link.stop()


def test_a_single_machine_app_has_no_city(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    try:
        client, headers = app.test_client(), bearer(app)
        answer = client.get("/api/city", headers=headers)
        assert answer.status_code == 404
        assert "mode = centre" in answer.get_json()["message"]
        assert ">City</a>" not in client.get("/", headers=headers).get_data(as_text=True)
    finally:
        app.extensions["dronepatrol"].stop()


def test_the_centre_serves_each_stations_situation_and_says_why_a_feed_cannot_play(
    centre_app: Flask, broker: LocalBroker, station_engine: Engine
) -> None:
    situation = {
        "incidents": [
            {
                "id": 4,
                "kind": "incident",
                "status": "dispatched",
                "priority": "attention",
                "note": "<b>crowd</b> at the gate",
                "lat_deg": -35.36,
                "lon_deg": 149.16,
                "vehicle": "north-1",
                "created_s": 50.0,
            }
        ],
        "open_incidents": 1,
        "lockdown": None,
    }
    feeds = [
        {"vehicle": "north-1", "mountpoint": 11, "media_server": "station"},
        {"vehicle": "north-2", "mountpoint": 12, "media_server": "city"},
    ]
    link = StationLink(
        "north",
        EventBus(),
        station_engine,
        broker.station_settings("north"),
        situation=lambda: situation,
        video=lambda: feeds,
    ).start()
    client, headers = centre_app.test_client(), bearer(centre_app)

    def video(vehicle: str, station: str = "north") -> dict:
        path = f"/api/city/stations/{station}/vehicles/{vehicle}/video"
        answer = client.get(path, headers=headers)
        assert answer.status_code == 200, answer.get_json()
        return answer.get_json()

    try:
        city = wait_until(
            lambda: client.get("/api/city/situation", headers=headers).get_json()["stations"],
            10,
            "north's situation at the centre",
        )
        (north,) = city
        assert (north["station"], north["stale"], north["open_incidents"]) == ("north", False, 1)
        assert north["incidents"][0]["note"] == "<b>crowd</b> at the gate"  # escaped by the page
        assert north["incidents"][0]["vehicle"] == "north-1" and north["lockdown"] is None

        wait_until(
            lambda: video("north-1")["reason"] != "station north has no video feed of north-1",
            10,
            "north's feeds at the centre",
        )
        assert video("north-3")["reason"] == "station north has no video feed of north-3"
        own = video("north-1")
        assert own["webrtc"] is None and "its own media server" in own["reason"]
        assert "the centre has no media server" in video("north-2")["reason"]
        # a media server that does not answer is said in words, not as a failed request
        room = centre_app.extensions["dronepatrol"]
        centre_app.extensions["media_server"] = MediaFanout(
            ExternalJanus("http://127.0.0.1:9/janus", "key")
        )
        try:
            assert "media server is not reachable" in video("north-2")["reason"]
        finally:
            del centre_app.extensions["media_server"]
        unknown = client.get("/api/city/stations/south/vehicles/s-1/video", headers=headers)
        assert unknown.status_code == 404
        assert room.city.video_feed("north", "north-2").mountpoint == 12
    finally:
        link.stop()
    wait_until(
        lambda: client.get("/api/city/situation", headers=headers).get_json()["stations"][0][
            "stale"
        ],
        5,
        "north's situation stale after its goodbye",
    )
