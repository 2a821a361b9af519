"""Lockdown through the API: the network's plans, activation by name, live holds, release all."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from support import wait_event

from dronepatrol.events import EventKind
from dronepatrol.network import load_network

EXAMPLE = Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"
CMAC = (-35.363261, 149.165230, 584.0, 0.0)
"""ArduPilot SITL's default home, station S01 of the example network."""


def _load_example(app: Flask) -> None:
    room = app.extensions["dronepatrol"]
    room.network = load_network(EXAMPLE)
    room.network_geojson = json.loads(EXAMPLE.read_text(encoding="utf-8"))


@pytest.fixture
def three_drones(app: Flask) -> Iterator[list[str]]:
    """Three simulated copters (10x speed) at station S01, flown by ``app``; yields their ids."""
    from dronepatrol.mavlink import Fleet, wait_ready
    from dronepatrol.mavlink.preflight import PATROL_SAFETY_PARAMS
    from dronepatrol.sitl import SimFleet

    _load_example(app)
    room = app.extensions["dronepatrol"]
    sim = SimFleet(
        3,
        CMAC,
        spacing_m=10.0,
        speedup=10,
        base_port=0,
        fast_start=True,
        params=PATROL_SAFETY_PARAMS,  # patrol drones: they pass the preflight checks
    ).start()
    fleet = Fleet(room.bus, heartbeat_hz=20.0)  # 2x the speed-up: no GCS failsafe
    try:
        room.attach_fleet(fleet)
        for url in sim.urls:
            fleet.add(url)
        vehicles = fleet.wait_vehicles(3, timeout_s=60)
        for vehicle in vehicles:
            wait_ready(vehicle, 180)
        yield sorted(v.vehicle_id for v in vehicles)
    finally:
        fleet.close()
        sim.stop()


def test_plans_come_from_the_network(app: Flask, token_for) -> None:
    client = app.test_client()
    viewer = token_for("viewer")
    missing = client.get("/api/lockdown/plans", headers=viewer)
    assert missing.status_code == 404 and "no patrol network" in missing.get_json()["message"]
    _load_example(app)
    plans = client.get("/api/lockdown/plans", headers=viewer).get_json()["plans"]
    assert [p["name"] for p in plans] == ["gates", "market"]
    gates = plans[0]["points"]
    assert len(gates) == 8 and all(p["name"] and p["id"].startswith("GATE-") for p in gates)
    # the east exit closes in both plans
    assert "GATE-E" in {p["id"] for p in plans[1]["points"]}
    # no lockdown yet, and nothing to release without a fleet
    assert client.get("/api/lockdown", headers=viewer).get_json() == {"lockdown": None}
    commander = token_for("commander")
    release = client.post("/api/lockdown/release", headers=commander)
    assert release.status_code == 409 and "no fleet" in release.get_json()["message"]


def test_activation_is_checked_before_any_drone_moves(app: Flask, token_for) -> None:
    client = app.test_client()
    commander = token_for("commander")
    no_network = client.post("/api/lockdown", json={"plan": "gates"}, headers=commander)
    assert no_network.status_code == 404
    _load_example(app)
    unknown = client.post("/api/lockdown", json={"plan": "bridges"}, headers=commander)
    assert unknown.status_code == 404
    assert "gates, market" in unknown.get_json()["message"]
    both = {"plan": "gates", "name": "x", "points": [{"id": "A", "lat": 1, "lon": 1}]}
    assert client.post("/api/lockdown", json=both, headers=commander).status_code == 400
    assert client.post("/api/lockdown", json={"plan": ""}, headers=commander).status_code == 400
    viewer = client.post("/api/lockdown", json={"plan": "gates"}, headers=token_for("viewer"))
    assert viewer.status_code == 403
    no_fleet = client.post("/api/lockdown", json={"plan": "gates"}, headers=commander)
    assert no_fleet.status_code == 409 and "no fleet" in no_fleet.get_json()["message"]


def test_gates_held_by_three_drones_then_released(app: Flask, token_for, three_drones) -> None:
    client = app.test_client()
    commander, viewer = token_for("commander"), token_for("viewer")
    bus = app.extensions["dronepatrol"].bus
    with bus.subscribe(accept=lambda e: e.kind is EventKind.DISPATCH) as events:
        answer = client.post("/api/lockdown", json={"plan": "gates"}, headers=commander)
        assert answer.status_code == 202, answer.get_json()
        body = answer.get_json()
        assert sorted(a["vehicle"] for a in body["assignments"]) == three_drones
        assert len(body["uncovered"]) == 5
        assert all("holds another point" in why for why in body["uncovered"].values())
        assert body["lockdown"]["active"] is True
        open_points = [p for p in body["lockdown"]["points"] if p["status"] == "uncovered"]
        assert {p["cause"] for p in open_points} == {"holds_another"}
        assert all(p["reason"] == body["uncovered"][p["id"]] for p in open_points)
        incidents = {a["incident"] for a in body["assignments"]}

        # one lockdown at a time: the market cordon waits until the gates are released
        second = client.post("/api/lockdown", json={"plan": "market"}, headers=commander)
        assert second.status_code == 409
        assert "'gates' is in force" in second.get_json()["message"]

        on_scene: set[int] = set()

        def every_drone_on_scene(event) -> bool:
            if event.data.get("stage") == "on_scene":
                on_scene.add(event.data["incident"])
            return on_scene == incidents

        wait_event(
            events, 300, f"drones on scene at incidents {sorted(incidents)}", every_drone_on_scene
        )

    lockdown = client.get("/api/lockdown", headers=viewer).get_json()["lockdown"]
    assert lockdown["name"] == "gates" and lockdown["active"] is True
    assert [p["id"] for p in lockdown["points"]] == [
        p.id for p in load_network(EXAMPLE).lockdown_plan("gates")
    ]
    held = [p for p in lockdown["points"] if p["vehicle"]]
    assert {p["status"] for p in held} == {"on_scene"}
    assert {p["incident"] for p in held} == incidents
    assert max(p["eta_s"] for p in held) == pytest.approx(lockdown["worst_eta_s"])
    open_points = [p for p in lockdown["points"] if not p["vehicle"]]
    assert {p["status"] for p in open_points} == {"uncovered"}
    assert all(p["reason"] for p in open_points)
    # the gates nearest the drones' station are the ones held
    assert {p["id"] for p in held} <= {"GATE-W", "GATE-NW", "GATE-N", "GATE-SW", "GATE-S"}

    assert client.post("/api/lockdown/release", headers=viewer).status_code == 403
    released = client.post("/api/lockdown/release", headers=commander)
    assert released.status_code == 202
    assert sorted(released.get_json()["released"]) == sorted(incidents)
    after = client.get("/api/lockdown", headers=viewer).get_json()["lockdown"]
    assert after["active"] is False
    assert {p["status"] for p in after["points"] if p["vehicle"]} == {"released"}
    again = client.post("/api/lockdown/release", headers=commander)
    assert again.status_code == 409 and "no lockdown is in force" in again.get_json()["message"]
    audit = app.extensions["dronepatrol"].accounts.recent_audit(10)
    assert any(e.action == "lockdown release" and e.username == "commander" for e in audit)


def test_page_is_read_only_for_viewers(browser_as) -> None:
    viewer = browser_as("viewer").get("/lockdown")
    assert viewer.status_code == 200
    page = viewer.get_data(as_text=True)
    assert 'id="plan"' in page and "Read-only" in page
    assert 'id="activate"' not in page and 'id="release-all"' not in page
    commander = browser_as("commander").get("/lockdown").get_data(as_text=True)
    assert 'id="activate"' in commander and 'id="release-all"' in commander
    assert ">Lockdown</a>" in commander  # in the top navigation
