"""Planning and mission upload through the app, flown on the embedded simulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask
from support import command_outcome

from dronepatrol.events import EventKind
from dronepatrol.network import load_network, parse_network

EXAMPLE = Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"


@pytest.fixture
def planning_app(app: Flask) -> Flask:
    room = app.extensions["dronepatrol"]
    room.network = load_network(EXAMPLE)
    room.network_geojson = json.loads(EXAMPLE.read_text())
    return app


def test_plan_a_station_and_read_it_back(planning_app: Flask, token_for) -> None:
    client = planning_app.test_client()
    operator = token_for("operator")
    response = client.post("/api/plans", json={"stations": ["S01"]}, headers=operator)
    assert response.status_code == 201, response.get_json()
    plan = response.get_json()
    sorties = plan["summary"]["sorties"]
    assert sorties and all(s["station"] == "S01" for s in sorties)
    assert all(0 < s["energy_frac"] <= 1 for s in sorties)
    for s in sorties:
        assert len(plan["tracks"][s["id"]]) >= 2
    # called by number and station: "S01-1" is also the name of the demo's first drone at S01
    assert [s["label"] for s in sorties] == [
        f"sortie {k} from S01" for k in range(1, len(sorties) + 1)
    ]
    assert [s["id"] for s in sorties] == [f"S01-{k}" for k in range(1, len(sorties) + 1)]
    again = client.get(f"/api/plans/{plan['id']}", headers=token_for("viewer"))
    assert again.get_json()["summary"] == plan["summary"]


def test_planning_refusals(planning_app: Flask, token_for) -> None:
    client = planning_app.test_client()
    assert client.post("/api/plans", json={}, headers=token_for("commander")).status_code == 403
    bad = client.post("/api/plans", json={"stations": ["S99"]}, headers=token_for("operator"))
    assert bad.status_code == 400 and "S99" in bad.get_json()["message"]
    assert client.get("/api/plans/P999", headers=token_for("viewer")).status_code == 404


def test_upload_then_fly_the_sortie(planning_app: Flask, drone: str, token_for) -> None:
    room = planning_app.extensions["dronepatrol"]
    client = planning_app.test_client()
    operator = token_for("operator")
    outcomes = room.bus.subscribe(accept=lambda e: e.kind is EventKind.COMMAND_RESULT)
    plan = client.post("/api/plans", json={"stations": ["S01"]}, headers=operator).get_json()
    first = plan["summary"]["sorties"][0]

    other = client.post("/api/plans", json={"stations": ["S02"]}, headers=operator).get_json()
    far = client.post(
        f"/api/vehicles/{drone}/mission",
        json={"plan": other["id"], "sortie": other["summary"]["sorties"][0]["id"]},
        headers=operator,
    )
    assert far.status_code == 409 and "from station S02" in far.get_json()["message"]

    queued = client.post(
        f"/api/vehicles/{drone}/mission",
        json={"plan": plan["id"], "sortie": first["id"]},
        headers=operator,
    )
    assert queued.status_code == 202
    done = command_outcome(outcomes, queued.get_json()["request_id"])
    assert done.data["result"] == "DONE", done.data
    vehicle = room.fleet.vehicle(drone)
    # the snapshot hears the new count with the next MISSION_CURRENT
    vehicle.telemetry.wait_for(lambda s: s.mission.total >= first["items"], 30, "mission count")

    url = f"/api/vehicles/{drone}/commands"
    arm = client.post(url, json={"command": "arm", "confirm": True}, headers=operator)
    assert command_outcome(outcomes, arm.get_json()["request_id"]).data["result"] == "DONE"
    start = client.post(url, json={"command": "start", "confirm": True}, headers=operator)
    assert start.status_code == 202, start.get_json()
    assert command_outcome(outcomes, start.get_json()["request_id"]).data["result"] == "DONE"
    vehicle.telemetry.wait_for(
        lambda s: s.mode == "AUTO" and s.mission.current_seq >= 2, 120, "mission"
    )
    assert vehicle.snapshot.armed


def test_a_request_past_a_planning_limit_answers_413_naming_it(app: Flask, token_for) -> None:
    room = app.extensions["dronepatrol"]
    data = json.loads(EXAMPLE.read_text())
    west, south = data["features"][0]["geometry"]["coordinates"][:2]
    huge = [[west + dx, south + dy] for dx, dy in ((0, 0), (0.14, 0), (0.14, 0.11), (0, 0.11))]
    data["features"].append(
        {
            "type": "Feature",
            "properties": {"kind": "grid", "id": "G-huge", "station": "S01"},
            "geometry": {"type": "Polygon", "coordinates": [[*huge, huge[0]]]},
        }
    )
    room.network, _ = parse_network(data)
    client = app.test_client()
    answer = client.post("/api/plans", json={"stations": ["S01"]}, headers=token_for("operator"))
    assert answer.status_code == 413
    assert "max_grid_area_km2" in answer.get_json()["message"]
    assert "G-huge" in answer.get_json()["message"]
