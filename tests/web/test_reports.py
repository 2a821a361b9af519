"""The day's patrol report through the API: JSON, the CSV download, errors and roles."""

from __future__ import annotations

import csv
import io

import pytest
from flask import Flask
from support import REPORT_DAY, REPORT_NETWORK, seed_report_day

from dronepatrol.network import parse_network

QUERY = f"date={REPORT_DAY}&tz=%2B08:00"


@pytest.fixture
def seeded(app: Flask) -> Flask:
    room = app.extensions["dronepatrol"]
    room.network, issues = parse_network(REPORT_NETWORK)
    assert not issues
    seed_report_day(room.engine)
    return app


def test_the_day_as_json(seeded, token_for, client) -> None:
    response = client.get(f"/api/reports/day?{QUERY}", headers=token_for("viewer"))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["day"], body["zone"], body["complete"]) == (REPORT_DAY, "UTC+08:00", True)
    fleet = body["fleet"]
    assert (fleet["deadlines_met"], fleet["deadlines_missed"]) == (7, 4)
    assert (fleet["incidents"], fleet["incidents_answered"]) == (4, 3)
    assert fleet["response"]["to_scene"]["p95_s"] == pytest.approx(408.0)
    assert [p["on_time_rate"] for p in body["priorities"]] == [0.4, pytest.approx(2 / 3), 1.0]
    assert [s["key"] for s in body["stations"]] == ["N", "S"]
    assert {v["vehicle_id"]: v["battery_cycles"] for v in body["vehicles"]} == {
        "V1": pytest.approx(1.2),
        "V2": pytest.approx(0.4),
    }


def test_the_day_as_a_csv_download(seeded, token_for, client) -> None:
    response = client.get(f"/api/reports/day.csv?{QUERY}", headers=token_for("viewer"))
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="patrol-report-{REPORT_DAY}.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["level"] for r in rows].count("target") == 4
    assert rows[0]["level"] == "fleet" and rows[0]["on_time_rate"] == "0.6364"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("date=29-11-2025", "YYYY-MM-DD"),
        ("date=2025-02-30", "calendar date"),
        (f"date={REPORT_DAY}&tz=Atlantis", "IANA zone"),
        ("date=2999-01-01", "not begun"),
    ],
)
@pytest.mark.parametrize("path", ["/api/reports/day", "/api/reports/day.csv"])
def test_a_bad_date_is_a_400_saying_why(seeded, token_for, client, path, query, words) -> None:
    response = client.get(f"{path}?{query}", headers=token_for("viewer"))
    assert response.status_code == 400
    assert words in response.get_json()["message"]


def test_without_a_network_there_is_nothing_to_report(app, token_for, client) -> None:
    response = client.get(f"/api/reports/day?{QUERY}", headers=token_for("viewer"))
    assert response.status_code == 404
    assert "--network" in response.get_json()["message"]


def test_today_by_default(seeded, token_for, client) -> None:
    body = client.get("/api/reports/day", headers=token_for("viewer")).get_json()
    assert body["complete"] is False and body["fleet"]["targets"] == 4


def test_signed_out_is_refused(seeded, client) -> None:
    assert client.get(f"/api/reports/day?{QUERY}").status_code == 401
    assert client.get(f"/api/reports/day.csv?{QUERY}").status_code == 401


def test_the_reports_page_is_in_everyone_s_navigation(seeded, browser_as) -> None:
    page = browser_as("viewer").get("/reports")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/reports"' in html and "reports.js" in html
