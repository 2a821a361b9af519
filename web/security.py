"""Who is asking, and may they: sign-in state, roles, CSRF and login throttling.

Browsers sign in with a session cookie (HttpOnly, SameSite=Lax) and send the
session's CSRF token in an ``X-CSRF-Token`` header (or a ``csrf_token`` form
field) with every state-changing request. Scripts send ``Authorization:
Bearer <token>`` instead and need no CSRF token, since no cookie is involved.

Every view declares the least role it needs with :func:`require`; a test
walks the URL map and fails on any view that does not (only the few in
:data:`PUBLIC_ENDPOINTS` are open).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, g, jsonify, redirect, request, session, url_for

from dronepatrol.accounts import Role, UserInfo

PUBLIC_ENDPOINTS = frozenset(
    {
        "api.health",
        "auth.login_page",
        "auth.login_form",
        "auth.api_login",
        "openapi.openapi",
        "static",
    }
)
"""Endpoints anyone may reach without signing in."""

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

F = TypeVar("F", bound=Callable[..., Any])


def require(role: Role) -> Callable[[F], F]:
    """Let a view run only for users with at least ``role``.

    Not signed in: JSON 401 for the API, a redirect to the login page for
    pages. Signed in without the role: 403 naming the role needed.
    """

    def decorate(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            user: UserInfo | None = g.get("user")
            if user is None:
                if _wants_json():
                    abort(401, description="sign in first: POST /api/login or use the login page")
                target = request.full_path if request.query_string else request.path
                return redirect(url_for("auth.login_page", next=target))
            if not user.role.allows(role):
                abort(
                    403, description=f"this needs the {role.value} role; you are {user.role.value}"
                )
            return view(*args, **kwargs)

        guarded.required_role = role  # type: ignore[attr-defined]
        return guarded  # type: ignore[return-value]

    return decorate


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def csrf_token() -> str:
    """This browser session's CSRF token (created on first use)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token


class LoginThrottle:
    """Refuses sign-in after too many failures from one address or for one name.

    ``max_failures`` failures within ``window_s`` seconds lock that address
    (and that user name) out until the oldest failure leaves the window.
    """

    def __init__(self, max_failures: int = 5, window_s: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after_s(self, *keys: str) -> float:
        """Seconds until any of ``keys`` may try again (0 when allowed now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                times = self._failures.get(key)
                if not times:
                    continue
                while times and times[0] <= now - self.window_s:
                    times.popleft()
                if len(times) >= self.max_failures:
                    wait = max(wait, times[0] + self.window_s - now)
        return wait

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)


def init_security(app: Flask, accounts_getter: Callable[[], Any]) -> None:
    """Install the per-request sign-in and CSRF checks on ``app``."""
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def identify() -> Any:
        g.user = None
        g.via_token = False
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            g.via_token = True
            g.user = accounts_getter().user_for_token(header.removeprefix("Bearer ").strip())
            if g.user is None:
                return jsonify(
                    error="Unauthorized",
                    message="token unknown, expired or revoked: POST /api/login for a new one",
                ), 401
            return None
        name = session.get("user")
        if name:
            user = accounts_getter().get_user(name)
            if user is None or user.disabled:
                session.clear()
            else:
                g.user = user
        if request.method in UNSAFE_METHODS and request.endpoint != "auth.api_login":
            sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
            if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
                return jsonify(
                    error="Bad Request",
                    message="CSRF token missing or wrong: reload the page and try again",
                ), 400
        return None
