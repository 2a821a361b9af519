"""The DronePatrol control app (installed as ``dronepatrol.web``).

:func:`create_app` builds everything: the database (migrated to the newest
schema), the account service, the event bus and the blueprints. Device
threads start only when the app is served (``dronepatrol serve`` runs
:class:`dronepatrol.cli.runtime.ControlRuntime`), never at import or in tests.
"""

from __future__ import annotations

import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_openapi3 import APIBlueprint, OpenAPI
from werkzeug.exceptions import HTTPException

from dronepatrol.accounts import AccountService
from dronepatrol.alerts import AlertBook
from dronepatrol.database import make_engine, upgrade
from dronepatrol.incidents import IncidentBook
from dronepatrol.large_events import LargeEventBook
from dronepatrol.settings import Settings
from dronepatrol.web.context import ControlRoom
from dronepatrol.web.schema.base import ApiBlueprint, refuse_unknown_queries
from dronepatrol.web.serialize import FiniteJSONProvider


def _secret_key(settings: Settings) -> str:
    """The session-signing key: configured, or made once and kept in the data directory."""
    if settings.secret_key:
        return settings.secret_key
    path = Path(settings.data_dir) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


class ControlApp(OpenAPI):
    """The control app's Flask class: its JSON never carries NaN (see ``finite``).

    flask-openapi3's ``OpenAPI`` collects each JSON route's models into the
    document :mod:`dronepatrol.web.openapi` serves; its own documentation
    pages are off (the app's CSP and sign-in cover every page it serves).
    The routes are documented when the document is first asked for, not while
    the app starts (see :class:`~dronepatrol.web.schema.base.ApiBlueprint`).
    """

    json_provider_class = FiniteJSONProvider

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._api_blueprints: list[APIBlueprint] = []
        super().__init__(*args, **kwargs)

    def register_api(self, api: APIBlueprint, **options: Any) -> None:
        super().register_api(api, **options)
        self._api_blueprints.append(api)

    @property
    def api_doc(self) -> dict[str, Any]:
        """The OpenAPI document (made on first use, then kept)."""
        with _DOCUMENTING:
            if not self.spec_json:
                for api in self._api_blueprints:
                    if isinstance(api, ApiBlueprint):
                        api.document_routes()
                    for tag in api.tags:
                        if tag.name not in self.tag_names:
                            self.tags.append(tag)
                            self.tag_names.append(tag.name)
                    self.paths.update(api.paths)
                    self.components_schemas.update(api.components_schemas)
            return super().api_doc


_DOCUMENTING = threading.Lock()
"""Two first requests for the document make it once."""


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """The Flask app for ``config`` (keys: ``SETTINGS``, ``CLOCK``, ``ENGINE``, ``TESTING``, ...).

    Without a ``SETTINGS`` entry, settings come from the environment. ``CLOCK``
    is the wall clock [s since the epoch] tokens expire by (``time.time``).
    ``ENGINE`` is the database engine to use (default: one made from the
    settings); either way the app migrates it and disposes of it when it stops.
    """
    app = ControlApp(__name__, doc_ui=False)
    app.config.from_mapping(config or {})
    settings: Settings = app.config.setdefault("SETTINGS", Settings.load())
    settings.ensure_dirs()
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(settings)

    clock = app.config.setdefault("CLOCK", time.time)
    engine = app.config.get("ENGINE") or make_engine(settings)
    upgrade(engine)
    room = ControlRoom(
        settings=settings,
        engine=engine,
        clock=clock,
        accounts=AccountService(engine, password_log2_n=settings.password_log2_n, clock=clock),
        incidents=IncidentBook(engine),
        large_events=LargeEventBook(engine),
    )
    room.alerts = AlertBook(room.bus, lambda: room.snapshots())
    if settings.admin_password:
        room.accounts.ensure_admin(settings.admin_password)
    app.extensions["dronepatrol"] = room

    from dronepatrol.web import (
        alerts,
        api,
        auth,
        city,
        incidents,
        janus_proxy,
        large_events,
        lockdown,
        mapview,
        meta,
        openapi,
        pages,
        plans,
        reports,
        schedule,
        security,
        sorties,
        stream,
        tiles,
        vehicles,
        video,
    )

    security.init_security(
        app,
        lambda: room.accounts,
        secure_cookie=settings.secure_cookies,
        proxy_hops=settings.proxy_hop_count,
        max_request_bytes=settings.max_request_bytes,
        streams_per_user=settings.stream_limit,
        tile_url=settings.tile_url,
    )
    refuse_unknown_queries(app, video.JSON_ENDPOINTS)
    for blueprint in (
        alerts.bp,
        api.bp,
        auth.bp,
        city.bp,
        incidents.bp,
        large_events.bp,
        lockdown.bp,
        meta.bp,
        openapi.bp,
        pages.bp,
        plans.bp,
        reports.bp,
        schedule.bp,
        sorties.bp,
        stream.bp,
        tiles.bp,
        vehicles.bp,
    ):
        if isinstance(blueprint, APIBlueprint):
            app.register_api(blueprint)
        else:
            app.register_blueprint(blueprint)
    video.init_app(app)

    @app.context_processor
    def page_context() -> dict[str, Any]:
        return {"nav_items": pages.nav_items(), **mapview.map_context()}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        """API clients always get JSON errors with a message a person can act on; browsers
        get the error as a page of the app (its topbar, theme and a way back)."""
        if (
            request.path.startswith(("/api/", janus_proxy.API_PATH))
            or request.endpoint in video.JSON_ENDPOINTS
            or not request.accept_mimetypes.accept_html
        ):
            # the exception's own headers (a 405's Allow) go with it, in the JSON's type
            headers = [(k, v) for k, v in exc.get_headers() if k.lower() != "content-type"]
            return jsonify(error=exc.name, message=exc.description), exc.code, headers
        if exc.code is None or exc.code < 400 or exc.response is not None:
            return exc
        page = render_template(
            "error.html", code=exc.code, name=exc.name, description=exc.description
        )
        return page, exc.code, exc.get_headers()

    @app.after_request
    def no_cache_for_api(response: Any) -> Any:
        if request.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
