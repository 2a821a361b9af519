"""Flight commands through the app: 202 and an event when queued, 409 when the vehicle can't."""

from __future__ import annotations

import time

from flask import Flask
from support import command_outcome

from dronepatrol.events import EventKind


def test_roles_below_operator_cannot_fly(app: Flask, drone: str, token_for) -> None:
    client = app.test_client()
    vid = drone
    for role in ("viewer", "commander"):
        response = client.post(
            f"/api/vehicles/{vid}/commands",
            json={"command": "takeoff", "alt_m": 10, "confirm": True},
            headers=token_for(role),
        )
        assert response.status_code == 403
        assert "operator" in response.get_json()["message"]
    assert not app.extensions["dronepatrol"].snapshots()[0].armed


def test_refusals_say_why(app: Flask, drone: str, token_for) -> None:
    client = app.test_client()
    headers = token_for("operator")
    vid = drone
    url = f"/api/vehicles/{vid}/commands"
    on_ground = client.post(url, json={"command": "rtl"}, headers=headers)
    assert on_ground.status_code == 409
    assert "not armed" in on_ground.get_json()["message"]
    no_mission = client.post(url, json={"command": "start", "confirm": True}, headers=headers)
    assert no_mission.status_code == 409
    unconfirmed = client.post(url, json={"command": "takeoff", "alt_m": 10}, headers=headers)
    assert unconfirmed.status_code == 400 and "confirm" in unconfirmed.get_json()["message"]
    too_high = client.post(
        url, json={"command": "takeoff", "alt_m": 500, "confirm": True}, headers=headers
    )
    assert (
        too_high.status_code == 400
        and "less than or equal to 120" in too_high.get_json()["message"]
    )
    unknown = client.post(url, json={"command": "flip"}, headers=headers)
    assert unknown.status_code == 400 and "takeoff" in unknown.get_json()["message"]
    ghost = client.post("/api/vehicles/nope/commands", json={"command": "rtl"}, headers=headers)
    assert ghost.status_code == 404
    audit = app.extensions["dronepatrol"].accounts.recent_audit(10)
    assert any(e.action == "command rtl" and not e.ok for e in audit)


def test_takeoff_is_queued_then_flown_and_reported(app: Flask, drone: str, token_for) -> None:
    room = app.extensions["dronepatrol"]
    client = app.test_client()
    vid = drone
    results = room.bus.subscribe(accept=lambda e: e.kind is EventKind.COMMAND_RESULT)
    started = time.monotonic()
    response = client.post(
        f"/api/vehicles/{vid}/commands",
        json={"command": "takeoff", "alt_m": 15, "confirm": True},
        headers=token_for("operator"),
    )
    assert response.status_code == 202
    assert time.monotonic() - started < 1.0  # the handler never waits for the radio
    request_id = response.get_json()["request_id"]
    outcome = command_outcome(results, request_id)
    assert outcome.data["result"] == "DONE", outcome.data
    assert outcome.data["source"] == "operator"
    snap = room.snapshots()[0]
    assert snap.armed and snap.position.alt_rel_m >= 14
    audit = room.accounts.recent_audit(5)
    assert any(e.action == "command takeoff" and e.ok and e.username == "operator" for e in audit)


def test_battery_swapped_on_the_ground_and_refused_in_the_air(
    app: Flask, drone: str, token_for
) -> None:
    room = app.extensions["dronepatrol"]
    client = app.test_client()
    headers = token_for("operator")
    url = f"/api/vehicles/{drone}/commands"
    results = room.bus.subscribe(accept=lambda e: e.kind is EventKind.COMMAND_RESULT)
    unconfirmed = client.post(url, json={"command": "battery_swapped"}, headers=headers)
    assert unconfirmed.status_code == 400 and "confirm" in unconfirmed.get_json()["message"]
    for percentage, body in (
        (40, {"command": "battery_swapped", "percentage": 40, "confirm": True}),
        (100, {"command": "battery_swapped", "confirm": True}),  # a full pack by default
    ):
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == 202, response.get_json()
        outcome = command_outcome(results, response.get_json()["request_id"], 60)
        assert outcome.data["result"] == "DONE", outcome
        assert room.snapshots()[0].battery.remaining_pct == percentage
    audit = room.accounts.recent_audit(5)
    assert any(e.action == "command battery_swapped" and e.ok for e in audit)

    room.fleet.run(drone, "takeoff", 10.0, timeout_s=120)
    flying = client.post(url, json={"command": "battery_swapped", "confirm": True}, headers=headers)
    assert flying.status_code == 409
    assert "armed" in flying.get_json()["message"]
