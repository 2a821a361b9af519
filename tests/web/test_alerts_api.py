"""Alerts through the app: listed for everyone, acknowledged by a person, audited and pushed."""

from __future__ import annotations

from flask import Flask

from dronepatrol.events import Event, EventKind


def _raise_low_battery(app: Flask) -> str:
    book = app.extensions["dronepatrol"].alerts
    book.observe(Event(EventKind.TELEMETRY, "S01-1", {"battery_pct": 12.0, "armed": False}))
    (alert,) = book.active()
    return alert.id


def test_an_alert_is_listed_acknowledged_once_and_audited(app: Flask, token_for) -> None:
    client = app.test_client()
    room = app.extensions["dronepatrol"]
    pushed = room.bus.subscribe(accept=lambda e: e.kind is EventKind.ALERT)
    alert_id = _raise_low_battery(app)
    listed = client.get("/api/alerts", headers=token_for("viewer")).get_json()["alerts"]
    assert [(a["id"], a["kind"], a["severity"], a["text"]) for a in listed] == [
        (alert_id, "low_battery", "warning", "S01-1: battery 12 %")
    ]
    # the same condition in the next sample is the same alert, not a second one
    room.alerts.observe(Event(EventKind.TELEMETRY, "S01-1", {"battery_pct": 11.0}))
    assert len(room.alerts.active()) == 1

    url = f"/api/alerts/{alert_id}/acknowledge"
    assert client.post(url, headers=token_for("viewer")).status_code == 403
    done = client.post(url, headers=token_for("commander"))
    assert done.status_code == 200
    assert done.get_json()["alert"]["acknowledged_by"] == "commander"
    again = client.post(url, headers=token_for("operator"))
    assert (
        again.status_code == 409
        and "already acknowledged by commander" in again.get_json()["message"]
    )
    assert (
        client.post("/api/alerts/A999/acknowledge", headers=token_for("operator")).status_code
        == 404
    )
    assert client.get("/api/alerts", headers=token_for("viewer")).get_json()["alerts"] == []
    recent = client.get("/api/alerts?recent=1", headers=token_for("viewer")).get_json()["alerts"]
    assert [a["id"] for a in recent] == [alert_id]

    # still low after the acknowledgement: no new alert for every sample
    room.alerts.observe(Event(EventKind.TELEMETRY, "S01-1", {"battery_pct": 10.0}))
    assert room.alerts.active() == []
    # a fresh pack, then low again: that is a new occurrence, a new alert
    room.alerts.observe(Event(EventKind.TELEMETRY, "S01-1", {"battery_pct": 100.0}))
    room.alerts.observe(Event(EventKind.TELEMETRY, "S01-1", {"battery_pct": 20.0}))
    (second,) = room.alerts.active()
    assert second.id != alert_id and second.text == "S01-1: battery 20 %"

    audit = room.accounts.recent_audit(10)
    acks = [e for e in audit if e.action == "acknowledge alert"]
    assert any(e.ok and e.username == "commander" for e in acks)
    assert any(not e.ok and e.username == "operator" for e in acks)
    actions = [(e.data["action"], e.data.get("by")) for e in pushed.drain()]
    assert actions == [("raised", None), ("acknowledged", "commander"), ("raised", None)]


def test_failsafes_and_link_loss_raise_critical_alerts_and_clear(app: Flask) -> None:
    book = app.extensions["dronepatrol"].alerts
    book.observe(Event(EventKind.LINK_LOST, "S02-1", {"silent_s": 3.1}))
    book.observe(
        Event(
            EventKind.FAILSAFE,
            "S02-1",
            {"failsafe": "fence", "text": "Polygon fence breached", "mode": "RTL"},
        )
    )
    kinds = {a.kind: a for a in book.active()}
    assert set(kinds) == {"link_lost", "fence"}
    assert all(a.severity == "critical" for a in kinds.values())
    assert kinds["fence"].text == "S02-1: fence breach: Polygon fence breached; vehicle in RTL"
    book.observe(Event(EventKind.LINK_RESTORED, "S02-1", {"outage_s": 4.0}))
    link = next(a for a in book.active() if a.kind == "link_lost")
    assert link.active_condition is False  # it happened: still there until acknowledged
