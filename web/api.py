"""The JSON API under ``/api/``."""

from __future__ import annotations

from flask import Blueprint, jsonify

from dronepatrol import __version__

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/health")
def health():
    """Liveness for monitors and `make demo`: no authentication, no device I/O."""
    return jsonify(status="ok", version=__version__)
