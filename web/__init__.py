"""The DronePatrol control app (installed as ``dronepatrol.web``).

:func:`create_app` builds everything; device threads start only when the
app is served (``dronepatrol serve``), never at import or in tests.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from dronepatrol.settings import Settings


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The Flask app for ``config`` (keys: ``SETTINGS``, ``TESTING``, ...).

    Without a ``SETTINGS`` entry, settings come from the environment.
    """
    app = Flask(__name__)
    app.config.from_mapping(config or {})
    app.config.setdefault("SETTINGS", Settings.load())
    app.json.sort_keys = False  # type: ignore[attr-defined]

    from dronepatrol.web import api, video

    app.register_blueprint(api.bp)
    video.init_app(app)

    @app.errorhandler(HTTPException)
    def json_error(exc: HTTPException):
        """API clients always get JSON errors with a message a person can act on."""
        return jsonify(error=exc.name, message=exc.description), exc.code

    return app
