"""Map tiles from a local MBTiles file, for stations that work offline.

MBTiles is one SQLite file of tiles in the TMS scheme (rows count from the
south), as most offline map tools write it. The map asks for
``/tiles/{z}/{x}/{y}`` in the usual XYZ scheme; rows are flipped here.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort

from dronepatrol.accounts import Role
from dronepatrol.web.context import control_room
from dronepatrol.web.security import require

bp = Blueprint("tiles", __name__)

FORMATS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


def tile_url_template() -> str:
    """What the map should load tiles from: the configured URL, the MBTiles route, or nothing."""
    settings = control_room().settings
    if settings.tile_url:
        return settings.tile_url
    return "/tiles/{z}/{x}/{y}" if settings.mbtiles else ""


def _connect(path: str) -> sqlite3.Connection:
    if not Path(path).is_file():
        abort(404, description=f"MBTiles file {path} not found: check DRONEPATROL_MBTILES")
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)


@bp.get("/tiles/<int:z>/<int:x>/<int:y>")
@require(Role.VIEWER)
def tile(z: int, x: int, y: int) -> Any:
    """One map tile from the configured MBTiles file (404 where it has none)."""
    path = control_room().settings.mbtiles
    if not path:
        abort(404, description="no MBTiles file configured (DRONEPATROL_MBTILES)")
    if not 0 <= z <= 24 or not 0 <= x < 2**z or not 0 <= y < 2**z:
        abort(404, description=f"no tile {z}/{x}/{y}")
    connection = _connect(path)
    try:
        row = connection.execute(
            "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
            (z, x, 2**z - 1 - y),
        ).fetchone()
        fmt = connection.execute("SELECT value FROM metadata WHERE name='format'").fetchone()
    except sqlite3.DatabaseError as exc:
        abort(404, description=f"{path} is not a readable MBTiles file: {exc}")
    finally:
        connection.close()
    if row is None:
        abort(404, description=f"no tile {z}/{x}/{y} in the MBTiles file")
    mimetype = FORMATS.get((fmt[0] if fmt else "png").lower(), "application/octet-stream")
    response = Response(row[0], mimetype=mimetype)
    response.headers["Cache-Control"] = "private, max-age=86400"
    return response
