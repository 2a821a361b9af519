"""Large events over the API: add, list, end, the map's zones, freshness, and who may."""

from __future__ import annotations

import copy
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dronepatrol.freshness.keeper import FreshnessKeeper
from dronepatrol.freshness.patrolled import Camera
from dronepatrol.network import load_network

MISSIONS = Path(__file__).resolve().parents[2] / "missions"
EVENT_FILE = json.loads((MISSIONS / "canberra-showground-event.geojson").read_text())


def event_file(start_in_s: float = -600.0, hours: float = 3.0, event_id: str = "") -> dict:
    """The example event moved to start ``start_in_s`` from now and last ``hours``."""
    data = copy.deepcopy(EVENT_FILE)
    zone = data["features"][0]["properties"]
    start = time.time() + start_in_s
    zone["start"] = datetime.fromtimestamp(start, UTC).isoformat()
    zone["end"] = datetime.fromtimestamp(start + hours * 3600, UTC).isoformat()
    if event_id:
        zone["id"] = event_id
    return data


@pytest.fixture
def network_app(app):
    """The app with the example network and its freshness keeper, as ``serve`` sets it up."""
    room = app.extensions["dronepatrol"]
    room.network = load_network(MISSIONS / "canberra-sitl.geojson")
    room.network_geojson = json.loads((MISSIONS / "canberra-sitl.geojson").read_text())
    room.freshness = FreshnessKeeper(room.engine, room.network, Camera(), events=room.large_events)
    return app


def test_a_commander_adds_an_event_and_everyone_sees_it(network_app, client, token_for) -> None:
    commander = token_for("commander")
    response = client.post("/api/large-events", json=event_file(), headers=commander)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["id"] == "showground-final"
    assert body["status"] == "active" and body["active"]
    assert body["targets"] == 7 and body["warnings"] == []
    assert 2.8 * 3600 < body["time_left_s"] <= 3 * 3600
    assert body["creator"] == "commander"

    listed = client.get("/api/large-events", headers=token_for("viewer")).get_json()["events"]
    assert [e["id"] for e in listed] == ["showground-final"]

    zones = client.get("/api/large-events/active", headers=token_for("viewer")).get_json()
    assert zones["type"] == "FeatureCollection"
    kinds = [f["properties"]["kind"] for f in zones["features"]]
    assert kinds.count("zone") == 1 and kinds.count("point") == 5
    zone = zones["features"][0]
    assert zone["geometry"]["type"] == "Polygon"
    assert zone["properties"]["name"] == "Showground final"

    fresh = client.get("/api/freshness", headers=token_for("viewer")).get_json()["targets"]
    by_id = {t["id"]: t for t in fresh}
    gate = by_id["showground-final:GATE-N"]
    assert gate["interval_s"] == 600 and gate["event"] == "showground-final"
    assert gate["last_patrolled_s"] is None
    assert by_id["P005"]["interval_s"] == 600
    assert by_id["P005"]["tightened_by"] == "showground-final"
    assert by_id["P012"]["interval_s"] == 8 * 3600 and by_id["P012"]["event"] is None


def test_ending_early_takes_the_zone_off_the_map(network_app, client, token_for) -> None:
    commander = token_for("commander")
    client.post("/api/large-events", json=event_file(), headers=commander)
    response = client.post("/api/large-events/showground-final/end", headers=commander)
    assert response.status_code == 200
    assert response.get_json()["status"] == "ended"
    assert response.get_json()["ended_by"] == "commander"
    zones = client.get("/api/large-events/active", headers=commander).get_json()
    assert zones["features"] == []
    fresh = client.get("/api/freshness", headers=commander).get_json()["targets"]
    assert not any(t["event"] for t in fresh)
    again = client.post("/api/large-events/showground-final/end", headers=commander)
    assert again.status_code == 409 and "ended already" in again.get_json()["message"]
    missing = client.post("/api/large-events/nothing-here/end", headers=commander)
    assert missing.status_code == 404


def test_ending_a_scheduled_event_cancels_it(network_app, client, token_for) -> None:
    commander = token_for("commander")
    created = client.post("/api/large-events", json=event_file(3600), headers=commander)
    assert created.get_json()["status"] == "scheduled"
    ended = client.post("/api/large-events/showground-final/end", headers=commander)
    assert ended.get_json()["status"] == "cancelled"


def test_a_bad_file_gets_every_problem(network_app, client, token_for) -> None:
    data = event_file()
    data["features"][0]["properties"]["end"] = "2020-01-01T00:00:00"  # no zone, and past
    data["features"][3]["geometry"]["coordinates"] = [149.30, -35.36]  # GATE-N, far away
    data["features"][6]["properties"]["station"] = "S77"  # BUS
    response = client.post("/api/large-events", json=data, headers=token_for("commander"))
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "Bad Request"
    problems = {(i["feature"], i["message"].split(";")[0]) for i in body["issues"]}
    assert ("showground-final", "'end' '2020-01-01T00:00:00' has no time zone") in problems
    assert ("GATE-N", "point lies outside the zone showground-final") in problems
    assert ("BUS", "unknown station 'S77'") in problems
    assert "GATE-N" in body["message"]
    assert client.get("/api/large-events", headers=token_for("viewer")).get_json()["events"] == []


@pytest.mark.parametrize(
    "body", [None, [], {"type": "Feature"}, {"type": "FeatureCollection", "features": 3}]
)
def test_what_is_not_an_event_file_is_400(network_app, client, token_for, body) -> None:
    headers = token_for("operator")
    response = client.post("/api/large-events", json=body, headers=headers)
    assert response.status_code == 400
    assert response.get_json()["message"]


def test_the_same_id_twice_is_a_conflict(network_app, client, token_for) -> None:
    commander = token_for("commander")
    assert client.post("/api/large-events", json=event_file(), headers=commander).status_code == 201
    again = client.post("/api/large-events", json=event_file(), headers=commander)
    assert again.status_code == 409 and "exists already" in again.get_json()["message"]


def test_viewers_watch_commanders_decide(network_app, client, token_for) -> None:
    viewer = token_for("viewer")
    refused = client.post("/api/large-events", json=event_file(), headers=viewer)
    assert refused.status_code == 403 and "commander" in refused.get_json()["message"]
    client.post("/api/large-events", json=event_file(), headers=token_for("operator"))
    end = client.post("/api/large-events/showground-final/end", headers=viewer)
    assert end.status_code == 403
    assert client.get("/api/large-events", headers=viewer).status_code == 200


def test_events_work_without_a_network(client, token_for) -> None:
    """The app with no network still keeps events (checked without station names)."""
    commander = token_for("commander")
    response = client.post("/api/large-events", json=event_file(), headers=commander)
    assert response.status_code == 201
    zones = client.get("/api/large-events/active", headers=commander).get_json()
    assert len(zones["features"]) == 8
