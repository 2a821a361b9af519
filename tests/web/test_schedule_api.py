"""The schedule API: proposals seen by viewers, consent given by operators, refusals explained."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import wait_event

from dronepatrol.events import EventKind
from dronepatrol.freshness.keeper import FreshnessKeeper
from dronepatrol.freshness.patrolled import Camera
from dronepatrol.network import load_network
from dronepatrol.planning import load_profile
from dronepatrol.schedule.scheduler import Scheduler

EXAMPLE = Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"


@pytest.fixture
def scheduler(app: Flask, drone: str):
    """The app's scheduler over the example network, with the test drone at station S01."""
    room = app.extensions["dronepatrol"]
    profile = load_profile()
    keeper = FreshnessKeeper(
        room.engine, load_network(EXAMPLE), Camera(profile.camera_hfov_deg, profile.camera_vfov_deg)
    )
    room.freshness = keeper
    room.scheduler = Scheduler(room.fleet, keeper, profile, room.bus, mode="approve")
    return room.scheduler


def test_no_scheduler_without_network_and_fleet(client: FlaskClient, token_for) -> None:
    response = client.get("/api/schedule", headers=token_for("viewer"))
    assert response.status_code == 404
    assert "--network" in response.get_json()["message"]


def test_viewers_see_proposals_and_operators_decide(
    client: FlaskClient, token_for, scheduler: Scheduler, drone: str
) -> None:
    [pending] = scheduler.tick()
    viewer, operator = token_for("viewer"), token_for("operator")
    status = client.get("/api/schedule", headers=viewer).get_json()
    assert status["mode"] == "approve"
    [shown] = status["pending"]
    assert shown["id"] == pending.id and shown["vehicle"] == drone and shown["station"] == "S01"
    assert shown["targets"] == list(pending.proposal.targets)
    assert shown["reason"].startswith(f"{pending.proposal.urgency[0][0]} never patrolled")
    assert len(shown["track"]) > 2 and 0 < shown["energy_frac"] <= 0.75

    denied = client.post(f"/api/schedule/proposals/{pending.id}/reject", headers=viewer)
    assert denied.status_code == 403
    rejected = client.post(f"/api/schedule/proposals/{pending.id}/reject", headers=operator)
    assert rejected.status_code == 200 and rejected.get_json()["decision"] == "rejected"
    again = client.post(f"/api/schedule/proposals/{pending.id}/approve", headers=operator)
    assert again.status_code == 409 and "rejected or expired" in again.get_json()["message"]
    assert client.get("/api/schedule", headers=viewer).get_json()["pending"] == []
    assert scheduler.tick() == []  # the rejected drone is left alone
    status = client.get("/api/schedule", headers=viewer).get_json()
    assert status["waiting"][drone].startswith("left alone for 10 min")


def test_mode_switch_is_validated_and_audited(
    app: Flask, client: FlaskClient, token_for, scheduler: Scheduler
) -> None:
    operator = token_for("operator")
    bad = client.put("/api/schedule/mode", headers=operator, json={"mode": "yolo"})
    assert bad.status_code == 400 and "off, approve, auto" in bad.get_json()["message"]
    assert (
        client.put(
            "/api/schedule/mode", headers=token_for("commander"), json={"mode": "off"}
        ).status_code
        == 403
    )
    ok = client.put("/api/schedule/mode", headers=operator, json={"mode": "off"})
    assert ok.status_code == 200 and ok.get_json() == {"mode": "off"}
    assert scheduler.mode == "off" and scheduler.tick() == []
    audit = app.extensions["dronepatrol"].accounts.recent_audit(5)
    assert any(e.action == "schedule mode" and e.username == "operator" for e in audit)


def test_an_unsafe_drone_is_not_launched_and_the_reason_is_published(
    app: Flask, client: FlaskClient, token_for, scheduler: Scheduler, drone: str
) -> None:
    """The test drone's GCS failsafe is switched off: preflight refuses."""
    room = app.extensions["dronepatrol"]
    room.fleet.vehicle(drone).params.set("FS_GCS_ENABLE", 0)
    events = room.bus.subscribe(accept=lambda e: e.kind is EventKind.SCHEDULE)
    [pending] = scheduler.tick()
    response = client.post(
        f"/api/schedule/proposals/{pending.id}/approve", headers=token_for("operator")
    )
    assert response.status_code == 202
    failed = wait_event(
        events, 60, "the launch outcome", lambda e: e.data["stage"] in ("failed", "launched")
    )
    assert failed.data["stage"] == "failed" and failed.data["at"] == "preflight"
    assert "FS_GCS_ENABLE=0" in failed.data["reason"]
    snapshot = room.fleet.vehicle(drone).snapshot
    assert not snapshot.armed
    assert client.get("/api/schedule", headers=token_for("viewer")).get_json()["flying"] == {}
    assert scheduler.tick() == []  # left alone after a failure
    assert scheduler.status()["waiting"][drone].startswith("left alone")
