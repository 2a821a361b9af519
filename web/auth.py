"""Signing in and out: the login page for browsers, bearer tokens for scripts.

Every attempt, good or bad, goes into the audit log with the address it came
from; repeated failures for one name from one address wait longer each time
(429), without locking that name out for anyone else (see ``LoginThrottle``).
A browser session is a server-side token, revoked on sign-out.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from dronepatrol.accounts import Role
from dronepatrol.web.context import control_room
from dronepatrol.web.security import require, safe_next

bp = Blueprint("auth", __name__)


def _throttled(name: str) -> float:
    return control_room().login_throttle.retry_after_s(request.remote_addr or "", name)


def _check(name: str, password: str) -> Any:
    room = control_room()
    address = request.remote_addr or ""
    user = room.accounts.authenticate(name, password)
    room.accounts.audit(name[:100], "login", user is not None, address)
    if user is None:
        room.login_throttle.failed(address, name)
    else:
        room.login_throttle.succeeded(address, name)
    return user


def _session_ttl_s() -> float:
    return float(current_app.config.get("TOKEN_TTL_S", 12 * 3600.0))


@bp.get("/login")
def login_page() -> Any:
    """The sign-in form."""
    return render_template("login.html", error=None, next=safe_next(request.args.get("next")))


@bp.post("/login")
def login_form() -> Any:
    """Browser sign-in: sets the session cookie and a fresh CSRF token."""
    name = request.form.get("username", "").strip()
    next_url = safe_next(request.form.get("next"))
    wait = _throttled(name)
    if wait > 0:
        message = f"too many failed sign-ins: try again in {int(wait) + 1} s"
        return render_template("login.html", error=message, next=next_url), 429
    user = _check(name, request.form.get("password", ""))
    if user is None:
        return render_template(
            "login.html", error="wrong user name or password", next=next_url
        ), 401
    session.clear()
    session["sid"] = control_room().accounts.issue_token(user, _session_ttl_s()).token
    return redirect(next_url)


@bp.post("/logout")
@require(Role.VIEWER)
def logout() -> Any:
    _end_browser_session()
    control_room().accounts.audit(g.user.name, "logout", True, request.remote_addr or "")
    return redirect(url_for("auth.login_page"))


def _end_browser_session() -> None:
    """Revoke this browser's session token (its open streams close with it)."""
    sid = session.get("sid")
    if sid:
        control_room().accounts.revoke_token(sid)
    session.clear()


@bp.post("/api/login")
def api_login() -> Any:
    """Script sign-in: JSON ``{"username", "password"}`` -> ``{"token", "expires_s", "role"}``."""
    body = request.get_json(silent=True)
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("username"), str)
        or not isinstance(body.get("password"), str)
    ):
        abort(
            400,
            description='send {"username": ..., "password": ...} as Content-Type application/json',
        )
    name = body["username"]
    wait = _throttled(name)
    if wait > 0:
        response = jsonify(
            error="Too Many Requests",
            message=f"too many failed sign-ins: try again in {int(wait) + 1} s",
        )
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response, 429
    user = _check(name, body["password"])
    if user is None:
        abort(401, description="wrong user name or password")
    issued = control_room().accounts.issue_token(user, _session_ttl_s())
    return jsonify(token=issued.token, expires_s=issued.expires_s, role=user.role.value)


@bp.post("/api/logout")
@require(Role.VIEWER)
def api_logout() -> Any:
    """Revoke the bearer token this request carries (or end the browser session)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        control_room().accounts.revoke_token(header.removeprefix("Bearer ").strip())
    else:
        _end_browser_session()
    control_room().accounts.audit(g.user.name, "logout", True, request.remote_addr or "")
    return jsonify(status="signed out")


@bp.get("/api/me")
@require(Role.VIEWER)
def me() -> Any:
    """Who this request is signed in as."""
    return jsonify(name=g.user.name, role=g.user.role.value)
