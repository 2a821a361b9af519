"""What a page's map starts from: the base map's datum and the network's bounds."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import TEST_PASSWORD_COST

from dronepatrol.network import load_network
from dronepatrol.settings import Settings, SettingsError

EXAMPLE = Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"


def _coordinates(geometry: dict) -> list[tuple[float, float]]:
    """Every (lon, lat) of a GeoJSON geometry."""
    flat: list[tuple[float, float]] = []

    def walk(c: object) -> None:
        if isinstance(c, list) and c and isinstance(c[0], int | float):
            flat.append((float(c[0]), float(c[1])))
        elif isinstance(c, list):
            for part in c:
                walk(part)

    walk(geometry["coordinates"])
    return flat


def _start_bounds(page: str) -> list[float]:
    found = re.search(r'data-start-bounds="([^"]*)"', page)
    assert found, "the map element carries no start bounds"
    return [float(v) for v in found.group(1).split(",")] if found.group(1) else []


def test_the_map_starts_on_the_whole_network(
    app: Flask, browser_as: Callable[[str], FlaskClient]
) -> None:
    room = app.extensions["dronepatrol"]
    room.network = load_network(EXAMPLE)
    room.network_geojson = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    points = [p for f in room.network_geojson["features"] for p in _coordinates(f["geometry"])]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    for path in ("/", "/planner", "/incidents", "/lockdown", "/sorties", "/video"):
        page = browser_as("admin").get(path).get_data(as_text=True)
        south, west, north, east = _start_bounds(page)
        # every vertex the map draws (overwatch points included) lies in the first view
        assert south == pytest.approx(min(lats), abs=1e-6)
        assert north == pytest.approx(max(lats), abs=1e-6)
        assert west == pytest.approx(min(lons), abs=1e-6)
        assert east == pytest.approx(max(lons), abs=1e-6)
        assert 'data-map-datum="wgs84"' in page


def test_without_a_network_the_page_gives_no_start_bounds(
    browser_as: Callable[[str], FlaskClient],
) -> None:
    assert _start_bounds(browser_as("viewer").get("/").get_data(as_text=True)) == []


@pytest.mark.parametrize(
    ("raw", "datum"), [("", "wgs84"), ("GCJ-02", "gcj02"), ("bd09", "bd09"), ("WGS84", "wgs84")]
)
def test_the_map_datum_setting_takes_the_usual_spellings(raw: str, datum: str) -> None:
    assert Settings(map_datum=raw, password_cost=TEST_PASSWORD_COST).base_map_datum == datum


def test_an_unknown_map_datum_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="map_datum must be wgs84, gcj02 or bd09"):
        Settings.load(environ={"DRONEPATROL_MAP_DATUM": "cgcs2000"})


def test_the_datum_reaches_the_map_element(tmp_path: Path) -> None:
    from dronepatrol.accounts import Role
    from dronepatrol.web import create_app

    settings = Settings(data_dir=tmp_path, map_datum="gcj02", password_cost=TEST_PASSWORD_COST)
    app = create_app({"TESTING": True, "SETTINGS": settings})
    room = app.extensions["dronepatrol"]
    room.accounts.add_user("v", Role.VIEWER, "viewer-pass")
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf"] = "t"
    client.post("/login", data={"username": "v", "password": "viewer-pass", "csrf_token": "t"})
    assert 'data-map-datum="gcj02"' in client.get("/").get_data(as_text=True)
    room.stop()
