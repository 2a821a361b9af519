"""``GET /api/network``: the map's patrol network, encoded once per network, with an ETag."""

from __future__ import annotations

import json
from pathlib import Path

from flask import Flask

EXAMPLE = Path(__file__).resolve().parents[2] / "missions" / "canberra-sitl.geojson"


def test_the_network_comes_with_an_etag_and_a_repeat_is_not_modified(app: Flask, token_for) -> None:
    room = app.extensions["dronepatrol"]
    client = app.test_client()
    viewer = token_for("viewer")
    assert client.get("/api/network", headers=viewer).status_code == 404  # none loaded yet
    room.network_geojson = json.loads(EXAMPLE.read_text())
    first = client.get("/api/network", headers=viewer)
    assert first.status_code == 200
    assert first.get_json() == room.network_geojson
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.headers["Cache-Control"] == "private, no-cache"
    again = client.get("/api/network", headers={**viewer, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    # another network loaded: a new body and a new tag, the old tag no longer matches
    changed = json.loads(EXAMPLE.read_text())
    changed["features"] = changed["features"][:3]
    room.network_geojson = changed
    fresh = client.get("/api/network", headers={**viewer, "If-None-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    assert len(fresh.get_json()["features"]) == 3
    # signed out, nothing
    assert client.get("/api/network").status_code in (401, 302)
