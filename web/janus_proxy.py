"""Browsers' way to the Janus media server: its HTTP API, signed in and narrowed.

With ``video_server = janus`` a browser joins a feed with a handful of
Janus API requests (create a session, attach the streaming plugin, watch a
mountpoint, take the offer, answer, start) and sends a keepalive every
25 s; the video itself then flows from Janus to the browser over WebRTC,
never through the app. Janus listens on 127.0.0.1 only: these routes are
the browser's only way in, so only signed-in viewers get a session, a
session is usable only by the user who made it, and only watching is let
through (the streaming plugin alone; ``watch``, ``start``, ``pause``,
``stop``, ``switch``; no ``create``, ``destroy`` or admin request).

Routes (Janus' own paths under ``/video/janus``):

* ``POST /video/janus``: ``{"janus": "create"}``.
* ``POST /video/janus/<session>``: ``attach`` (streaming), ``keepalive``, ``destroy``.
* ``GET /video/janus/<session>?maxev=1``: the session's next event (long poll, <= 30 s).
* ``POST /video/janus/<session>/<handle>``: ``message``, ``trickle``,
  ``hangup``, ``detach``, ``keepalive``.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from flask import Flask, abort, current_app, g

from dronepatrol.accounts import Role
from dronepatrol.web.schema.base import ApiBlueprint, Error, validated
from dronepatrol.web.schema.janus import JANUS_ANSWER, JanusPoll, JanusRequest
from dronepatrol.web.security import StreamQuota, require

API_PATH = "/video/janus"
"""Where browsers find the signed-in copy of Janus' API."""
bp = ApiBlueprint("janus", __name__, url_prefix=API_PATH)

ENDPOINTS = frozenset(
    {
        "janus.create_session",
        "janus.session_request",
        "janus.session_events",
        "janus.handle_request",
    }
)
"""Every route here (each answers JSON, errors included)."""

EXTENSION_KEY = "media_server"
"""``app.extensions`` key of the running :class:`~dronepatrol.video.media_server.MediaFanout`."""
SESSION_IDLE_S = 120.0
"""A session not used this long is forgotten here (Janus ends it after 60 s)."""
LONG_POLL_S = 30.0
WATCH_REQUESTS = frozenset({"watch", "start", "pause", "stop", "switch"})
SESSION_REQUESTS = frozenset({"attach", "keepalive", "destroy"})
HANDLE_REQUESTS = frozenset({"message", "trickle", "hangup", "detach", "keepalive"})


class SessionOwners:
    """Which user made each Janus session (sessions expire when idle)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._owner: dict[int, tuple[int, float]] = {}

    def add(self, session_id: int, user_id: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._owner = {
                sid: (uid, seen)
                for sid, (uid, seen) in self._owner.items()
                if now - seen < SESSION_IDLE_S
            }
            self._owner[session_id] = (user_id, now)

    def check(self, session_id: int, user_id: int) -> None:
        """Abort 404 unless ``user_id`` made ``session_id`` (others' sessions stay unseen)."""
        with self._lock:
            owner = self._owner.get(session_id)
            if owner is None or owner[0] != user_id:
                abort(404, description=f"no video session {session_id} of yours; create one")
            self._owner[session_id] = (user_id, time.monotonic())

    def forget(self, session_id: int) -> None:
        with self._lock:
            self._owner.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._owner)


def init_app(app: Flask) -> None:
    app.extensions["janus_sessions"] = SessionOwners()
    app.register_api(bp)  # type: ignore[attr-defined]


def _api_url() -> str:
    fanout = current_app.extensions.get(EXTENSION_KEY)
    if fanout is None or fanout.server.api is None or not fanout.server.running():
        abort(503, description="the media server is not running; watch the MJPEG stream instead")
    return fanout.server.api.url


def _owners() -> SessionOwners:
    return current_app.extensions["janus_sessions"]


def _allow(body: JanusRequest, allowed: frozenset[str]) -> None:
    if body.janus not in allowed:
        abort(
            403, description=f"janus {body.janus!r} is not allowed here; allowed: {sorted(allowed)}"
        )


def _forward(path: str, body: dict[str, Any] | None, timeout_s: float = 10.0) -> Any:
    url = _api_url() + path
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"} if data else {}
    forwarded = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(forwarded, timeout=timeout_s) as response:
            return json.loads(response.read())
    except (urllib.error.URLError, OSError, ValueError) as exc:
        abort(502, description=f"the media server did not answer: {exc}")


def _answer(result: Any):
    return current_app.response_class(
        json.dumps(result), mimetype="application/json", headers={"Cache-Control": "no-store"}
    )


@bp.post("", responses={200: JANUS_ANSWER, 403: Error, 502: Error, 503: Error})
@require(Role.VIEWER)
@validated
def create_session(body: JanusRequest) -> Any:
    """A Janus session for this user."""
    _allow(body, frozenset({"create"}))
    result = _forward("", {"janus": "create", "transaction": body.transaction})
    if isinstance(result, dict) and result.get("janus") == "success":
        _owners().add(int(result["data"]["id"]), g.user.id)
    return _answer(result)


@bp.post(
    "/<int:session_id>",
    responses={200: JANUS_ANSWER, 403: Error, 404: Error, 502: Error, 503: Error},
)
@require(Role.VIEWER)
@validated
def session_request(session_id: int, body: JanusRequest) -> Any:
    """Attach the streaming plugin, keep the session alive, or end it."""
    _owners().check(session_id, g.user.id)
    _allow(body, SESSION_REQUESTS)
    if body.janus == "attach" and body.plugin != "janus.plugin.streaming":
        abort(403, description="only the streaming plugin (janus.plugin.streaming) is offered")
    forwarded = body.model_dump(include={"janus", "transaction", "plugin", "opaque_id"})
    result = _forward(f"/{session_id}", {k: v for k, v in forwarded.items() if v is not None})
    if body.janus == "destroy":
        _owners().forget(session_id)
    return _answer(result)


@bp.get(
    "/<int:session_id>",
    responses={200: JANUS_ANSWER, 404: Error, 429: Error, 502: Error, 503: Error},
)
@require(Role.VIEWER)
@validated
def session_events(session_id: int, query: JanusPoll) -> Any:
    """The session's next events (Janus long poll: answers within about 30 s)."""
    _owners().check(session_id, g.user.id)
    # a long poll holds a server thread as a stream does: it takes one of the user's slots
    quota: StreamQuota = current_app.extensions["dronepatrol_streams"]
    refused = quota.take(g.user.name)
    if refused is not None:
        abort(refused[0], description=refused[1])
    try:
        return _answer(_forward(f"/{session_id}?maxev={query.maxev}", None, LONG_POLL_S + 5))
    finally:
        quota.release(g.user.name)


@bp.post(
    "/<int:session_id>/<int:handle_id>",
    responses={200: JANUS_ANSWER, 403: Error, 404: Error, 502: Error, 503: Error},
)
@require(Role.VIEWER)
@validated
def handle_request(session_id: int, handle_id: int, body: JanusRequest) -> Any:
    """Watch a feed: the streaming plugin's viewer requests, ICE candidates, hang-up."""
    _owners().check(session_id, g.user.id)
    _allow(body, HANDLE_REQUESTS)
    forwarded: dict[str, Any] = {"janus": body.janus, "transaction": body.transaction}
    if body.janus == "message":
        message = body.body
        if message is None or message.get("request") not in WATCH_REQUESTS:
            abort(403, description=f"only viewer requests are allowed: {sorted(WATCH_REQUESTS)}")
        forwarded["body"] = {k: v for k, v in message.items() if k != "admin_key"}
    for key in ("jsep", "candidate", "candidates"):
        value = getattr(body, key)
        if value is not None:
            forwarded[key] = value
    return _answer(_forward(f"/{session_id}/{handle_id}", forwarded))
