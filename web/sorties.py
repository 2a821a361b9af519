"""Recorded sorties in the app: history, one sortie's record, exports and the report."""

from __future__ import annotations

from dataclasses import replace
from pathlib import PurePath
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, send_file

from dronepatrol.accounts import Role
from dronepatrol.freshness.patrolled import Camera
from dronepatrol.planning import load_profile
from dronepatrol.records.archive import SortieArchive, SortieNotFound, SortieRecord
from dronepatrol.records.export import export
from dronepatrol.records.report import build_report
from dronepatrol.web.context import control_room
from dronepatrol.web.security import require

bp = Blueprint("sorties", __name__)

EXPORTS = {
    "geojson": "application/geo+json",
    "kml": "application/vnd.google-earth.kml+xml",
    "gpx": "application/gpx+xml",
    "csv": "text/csv",
}

MEDIA_TYPES = {"video": "video/mp4", "snapshot": "image/jpeg"}


def _archive() -> SortieArchive:
    return SortieArchive(control_room().engine)


MAX_ID = 2**63 - 1
"""Sortie ids are 64-bit database keys; a larger number names no sortie."""


def _record(sortie_id: int) -> Any:
    if sortie_id > MAX_ID:
        abort(404, description=f"no sortie {sortie_id}; see GET /api/sorties")
    try:
        return _archive().record(sortie_id)
    except SortieNotFound:
        abort(404, description=f"no sortie {sortie_id}; see GET /api/sorties")


@bp.get("/api/sorties")
@require(Role.VIEWER)
def list_sorties() -> Any:
    """Sorties newest first; ``vehicle`` and ``limit`` (default 200) filter the list."""
    try:
        limit = int(request.args.get("limit", 200))
    except ValueError:
        abort(400, description="'limit' must be a whole number")
    if not 1 <= limit <= 5000:
        abort(400, description="'limit' must be between 1 and 5000")
    sorties = _archive().list(vehicle=request.args.get("vehicle") or None, limit=limit)
    return jsonify(sorties=[s.as_dict() for s in sorties])


@bp.get("/api/sorties/<int:sortie_id>")
@require(Role.VIEWER)
def get_sortie(sortie_id: int) -> Any:
    """One sortie: summary, statistics, events, detections, media, and its track."""
    record = without_server_paths(_record(sortie_id))
    body = record.as_dict()
    body["track"] = [
        [s["time_s"], s["lat_deg"], s["lon_deg"], s.get("alt_rel_m")] for s in record.track
    ]
    return jsonify(body)


@bp.get("/api/sorties/<int:sortie_id>/export.<fmt>")
@require(Role.VIEWER)
def export_sortie(sortie_id: int, fmt: str) -> Any:
    """The track as GeoJSON, KML, GPX or CSV."""
    if fmt not in EXPORTS:
        abort(404, description=f"no export format {fmt!r}; use one of {', '.join(EXPORTS)}")
    text = export(_record(sortie_id), fmt)
    response = Response(text, mimetype=EXPORTS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="sortie-{sortie_id}.{fmt}"'
    return response


@bp.get("/sorties/<int:sortie_id>/report")
@require(Role.VIEWER)
def report(sortie_id: int) -> Any:
    """The self-contained HTML report of one sortie.

    Its targets are judged as the freshness keeper judged them: the same
    camera, and the network in force while it flew (large events included).
    """
    record = _record(sortie_id)
    room = control_room()
    keeper, network = room.freshness, room.network
    if keeper is None:
        camera = Camera.of_profile(load_profile())
    else:
        camera = keeper.camera
        times = [sample["time_s"] for sample in record.track]
        if times:  # the keeper judges the track's span, with the events on during it
            network = keeper.network_flown(min(times), max(times))
    return Response(
        build_report(without_server_paths(record), network, camera), mimetype="text/html"
    )


def without_server_paths(record: SortieRecord) -> SortieRecord:
    """``record`` with file names where the server's absolute paths were.

    Where the data directory lies says nothing a viewer needs and helps an
    attacker; files are fetched by index from ``/sorties/<id>/media/<index>``.
    """
    media = [{**m, "path": PurePath(m["path"]).name} for m in record.media]
    detections = [
        {**d, "snapshot_path": PurePath(d["snapshot_path"]).name if d["snapshot_path"] else None}
        for d in record.detections
    ]
    return replace(record, media=media, detections=detections)


@bp.get("/sorties/<int:sortie_id>/media/<int:index>")
@require(Role.VIEWER)
def media(sortie_id: int, index: int) -> Any:
    """The sortie's ``index``-th media file (video MP4 seekable for replay, tlog, snapshot)."""
    files = _record(sortie_id).media
    if not 0 <= index < len(files):
        abort(404, description=f"sortie {sortie_id} has {len(files)} media files")
    item = files[index]
    mimetype = {"video": "video/mp4", "snapshot": "image/jpeg"}.get(
        item["kind"], "application/octet-stream"
    )
    try:
        return send_file(item["path"], mimetype=mimetype, conditional=True)
    except FileNotFoundError:
        abort(
            404,
            description=f"the file {PurePath(item['path']).name} is missing: "
            "run dronepatrol sorties verify",
        )
