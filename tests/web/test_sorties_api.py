"""Recorded sorties through the app: list, record with track, exports, report."""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
from flask import Flask
from lxml import etree

from dronepatrol.events import EventKind
from dronepatrol.freshness.keeper import FreshnessKeeper
from dronepatrol.freshness.patrolled import Camera
from dronepatrol.geo import offset
from dronepatrol.network import load_network
from dronepatrol.records import Recorder, telemetry_event
from dronepatrol.state import LinkState, Position, VehicleSnapshot

T0 = 1_800_000_000.0
EXAMPLE = Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"


def _fly_one_sortie(app: Flask) -> None:
    room = app.extensions["dronepatrol"]
    recorder = Recorder(room.engine, room.bus)
    recorder.start()
    room.bus.emit(EventKind.ARMED, "1", name="S01-1")
    for k in range(40):
        lat, lon = offset(-35.363261, 149.165230, 5.0 * k, 0.0)
        snap = VehicleSnapshot(
            "1",
            link=LinkState.UP,
            armed=True,
            mode="AUTO",
            time_s=T0 + 0.5 * k,
            position=Position(lat, lon, 614.0, 30.0),
            groundspeed_mps=10.0,
        )
        room.bus.publish(telemetry_event(snap))
    room.bus.emit(EventKind.WAYPOINT_REACHED, "1", seq=1)
    room.bus.emit(EventKind.DISARMED, "1")
    recorder.stop()


def test_sortie_history_record_exports_and_report(app: Flask, token_for) -> None:
    _fly_one_sortie(app)
    client = app.test_client()
    viewer = token_for("viewer")
    (sortie,) = client.get("/api/sorties", headers=viewer).get_json()["sorties"]
    assert sortie["vehicle_id"] == "1" and sortie["status"] == "completed"
    record = client.get(f"/api/sorties/{sortie['id']}", headers=viewer).get_json()
    assert len(record["track"]) == 40
    assert record["stats"]["distance_m"] > 150
    assert any(e["kind"] == "waypoint_reached" for e in record["events"])
    geojson = client.get(f"/api/sorties/{sortie['id']}/export.geojson", headers=viewer)
    assert geojson.status_code == 200 and json.loads(geojson.data)["type"] == "FeatureCollection"
    gpx = client.get(f"/api/sorties/{sortie['id']}/export.gpx", headers=viewer)
    assert etree.fromstring(gpx.data).tag.endswith("gpx")
    assert client.get(f"/api/sorties/{sortie['id']}/export.shp", headers=viewer).status_code == 404
    report = client.get(f"/sorties/{sortie['id']}/report", headers=viewer)
    assert report.status_code == 200 and b"<svg" in report.data
    assert client.get("/api/sorties/999", headers=viewer).status_code == 404
    assert client.get("/api/sorties?limit=0", headers=viewer).status_code == 400


def test_values_json_cannot_carry_are_sent_as_null(app: Flask, token_for) -> None:
    """A browser's JSON.parse rejects NaN: an unknown reading must arrive as null."""
    room = app.extensions["dronepatrol"]
    nan = float("nan")
    snap = VehicleSnapshot(
        "7", link=LinkState.UP, position=Position(-35.0, 149.0, nan, 0.0), heading_deg=nan
    )
    room.snapshots = lambda: [snap]
    response = app.test_client().get("/api/vehicles", headers=token_for("viewer"))
    assert b"NaN" not in response.data
    (vehicle,) = json.loads(response.data)["vehicles"]
    assert vehicle["heading_deg"] is None and vehicle["position"]["alt_amsl_m"] is None


def test_the_report_judges_targets_as_freshness_does(app: Flask, token_for) -> None:
    """A 40 s hover over a point with a 30 s dwell: patrolled in the report and in freshness."""
    room = app.extensions["dronepatrol"]
    network = load_network(EXAMPLE)
    room.network = network
    room.freshness = keeper = FreshnessKeeper(room.engine, network, Camera(70.0, 55.0))
    point = network.target("P001")
    lat, lon = point.geometry.y, point.geometry.x
    recorder = Recorder(room.engine, room.bus)
    recorder.start()
    room.bus.emit(EventKind.ARMED, "1", name="S01-1")
    for k in range(90):  # 5 s beside the point, then 40 s over it, at 40 m
        north = -300.0 if k < 10 else 0.0
        snap = VehicleSnapshot(
            "1",
            link=LinkState.UP,
            armed=True,
            mode="AUTO",
            time_s=T0 + 0.5 * k,
            heading_deg=0.0,
            position=Position(*offset(lat, lon, north, 0.0), 624.0, 40.0),
        )
        room.bus.publish(telemetry_event(snap))
    room.bus.emit(EventKind.DISARMED, "1")
    recorder.stop()
    client = app.test_client()
    viewer = token_for("viewer")
    (sortie,) = client.get("/api/sorties", headers=viewer).get_json()["sorties"]
    checks = keeper.assess(sortie["id"])
    assert sorted(t for t, c in checks.items() if c.patrolled) == ["P001"]
    report = client.get(f"/sorties/{sortie['id']}/report", headers=viewer)
    page = lxml.html.document_fromstring(report.data)
    rows = {
        cells[0]: cells
        for cells in (
            [td.text_content() for td in tr.xpath("td")]
            for tr in page.xpath("//h2[.='Targets covered']/following-sibling::table[1]//tbody/tr")
        )
    }
    assert "70° × 55° field of view" in page.text_content()
    assert [t for t, cells in rows.items() if cells[5] == "yes"] == ["P001"]
    assert rows["P001"][6] == f"{checks['P001'].imaged:.0f} s in view (dwell 30 s)"
