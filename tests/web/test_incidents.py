"""Incidents through the API: who may create and dispatch, what is refused and why."""

from __future__ import annotations

from flask import Flask


def test_commander_creates_and_everyone_sees(app: Flask, token_for) -> None:
    client = app.test_client()
    created = client.post(
        "/api/incidents",
        json={"lat": -35.36, "lon": 149.17, "priority": "key", "note": "fight"},
        headers=token_for("commander"),
    )
    assert created.status_code == 201
    incident = created.get_json()
    assert incident["status"] == "open" and incident["creator"] == "commander"
    listed = client.get("/api/incidents", headers=token_for("viewer")).get_json()["incidents"]
    assert [i["id"] for i in listed] == [incident["id"]]
    audit = app.extensions["dronepatrol"].accounts.recent_audit(5)
    assert any(e.action == "incident create" and e.username == "commander" for e in audit)


def test_viewer_cannot_create_or_dispatch(app: Flask, token_for) -> None:
    client = app.test_client()
    viewer = token_for("viewer")
    assert (
        client.post("/api/incidents", json={"lat": 0, "lon": 0}, headers=viewer).status_code == 403
    )
    commander = token_for("commander")
    made = client.post("/api/incidents", json={"lat": 0, "lon": 0}, headers=commander).get_json()
    assert client.post(f"/api/incidents/{made['id']}/dispatch", headers=viewer).status_code == 403


def test_bad_input_and_no_fleet(app: Flask, token_for) -> None:
    client = app.test_client()
    commander = token_for("commander")
    bad = client.post("/api/incidents", json={"lat": 95, "lon": 0}, headers=commander)
    assert bad.status_code == 400 and "latitude" in bad.get_json()["message"]
    bad = client.post(
        "/api/incidents", json={"lat": 1, "lon": 2, "priority": "x"}, headers=commander
    )
    assert bad.status_code == 400 and "key, attention, general" in bad.get_json()["message"]
    made = client.post("/api/incidents", json={"lat": 1, "lon": 2}, headers=commander).get_json()
    no_fleet = client.post(f"/api/incidents/{made['id']}/dispatch", headers=commander)
    assert no_fleet.status_code == 409 and "no fleet" in no_fleet.get_json()["message"]
    assert client.get("/api/incidents/999", headers=commander).status_code == 404


def test_lockdown_input_is_checked(app: Flask, token_for) -> None:
    client = app.test_client()
    commander = token_for("commander")
    empty = client.post("/api/lockdown", json={"name": "gates", "points": []}, headers=commander)
    assert empty.status_code == 400 and "at least 1 item" in empty.get_json()["message"]
    twice = {
        "name": "g",
        "points": [{"id": "A", "lat": 1, "lon": 1}, {"id": "A", "lat": 2, "lon": 2}],
    }
    assert client.post("/api/lockdown", json=twice, headers=commander).status_code == 400
    fine = {"name": "g", "points": [{"id": "A", "lat": 1, "lon": 1}]}
    assert client.post("/api/lockdown", json=fine, headers=token_for("viewer")).status_code == 403
    no_fleet = client.post("/api/lockdown", json=fine, headers=commander)
    assert no_fleet.status_code == 409
