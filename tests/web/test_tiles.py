"""Offline map tiles from an MBTiles file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import cv2
import numpy as np
from support import TEST_PASSWORD_COST

from dronepatrol.accounts import Role
from dronepatrol.settings import Settings
from dronepatrol.web import create_app


def _mbtiles(path: Path) -> bytes:
    ok, png = cv2.imencode(".png", np.full((256, 256, 3), 90, np.uint8))
    assert ok
    db = sqlite3.connect(path)
    with db:  # commits; the connection is closed below
        db.execute("CREATE TABLE metadata (name text, value text)")
        db.execute(
            "CREATE TABLE tiles (zoom_level int, tile_column int, tile_row int, tile_data blob)"
        )
        db.execute("INSERT INTO metadata VALUES ('format', 'png')")
        # XYZ tile 1/1/0 is TMS row 1 at zoom 1
        db.execute("INSERT INTO tiles VALUES (1, 1, 1, ?)", (png.tobytes(),))
    db.close()
    return png.tobytes()


def test_tiles_are_served_from_the_mbtiles_file(tmp_path: Path) -> None:
    expected = _mbtiles(tmp_path / "city.mbtiles")
    settings = Settings(
        data_dir=tmp_path, mbtiles=str(tmp_path / "city.mbtiles"), password_cost=TEST_PASSWORD_COST
    )
    app = create_app({"TESTING": True, "SETTINGS": settings})
    room = app.extensions["dronepatrol"]
    room.accounts.add_user("v", Role.VIEWER, "viewer-pass")
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf"] = "t"
    client.post("/login", data={"username": "v", "password": "viewer-pass", "csrf_token": "t"})
    tile = client.get("/tiles/1/1/0")
    assert tile.status_code == 200 and tile.mimetype == "image/png"
    assert tile.data == expected
    assert client.get("/tiles/1/0/0").status_code == 404
    assert client.get("/tiles/1/5/0").status_code == 404
    page = client.get("/").get_data(as_text=True)
    assert 'data-tile-url="/tiles/{z}/{x}/{y}"' in page
    room.stop()


def test_without_tiles_the_map_is_vector_only(tmp_path: Path) -> None:
    app = create_app(
        {"TESTING": True, "SETTINGS": Settings(data_dir=tmp_path, password_cost=TEST_PASSWORD_COST)}
    )
    room = app.extensions["dronepatrol"]
    room.accounts.add_user("v", Role.VIEWER, "viewer-pass")
    client = app.test_client()
    with client.session_transaction() as session:
        session["csrf"] = "t"
    client.post("/login", data={"username": "v", "password": "viewer-pass", "csrf_token": "t"})
    assert 'data-tile-url=""' in client.get("/").get_data(as_text=True)
    assert client.get("/tiles/1/1/0").status_code == 404
    room.stop()
