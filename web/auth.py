"""Signing in and out: the login page for browsers, bearer tokens for scripts.

Every attempt, good or bad, goes into the audit log with the address it came
from; too many failures lock the address and the name out for a while (429).
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
from dronepatrol.web.security import require

bp = Blueprint("auth", __name__)


def _throttled(name: str) -> float:
    return control_room().login_throttle.retry_after_s(
        f"addr:{request.remote_addr}", f"user:{name}"
    )


def _check(name: str, password: str) -> Any:
    room = control_room()
    keys = (f"addr:{request.remote_addr}", f"user:{name}")
    user = room.accounts.authenticate(name, password)
    room.accounts.audit(name, "login", user is not None, request.remote_addr or "")
    if user is None:
        room.login_throttle.failed(*keys)
    else:
        room.login_throttle.succeeded(*keys)
    return user


@bp.get("/login")
def login_page() -> Any:
    """The sign-in form."""
    return render_template("login.html", error=None, next=request.args.get("next", "/"))


@bp.post("/login")
def login_form() -> Any:
    """Browser sign-in: sets the session cookie and a fresh CSRF token."""
    name = request.form.get("username", "").strip()
    next_url = request.form.get("next", "/")
    if not next_url.startswith("/") or next_url.startswith("//"):
        next_url = "/"
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
    session["user"] = user.name
    return redirect(next_url)


@bp.post("/logout")
@require(Role.VIEWER)
def logout() -> Any:
    control_room().accounts.audit(g.user.name, "logout", True, request.remote_addr or "")
    session.clear()
    return redirect(url_for("auth.login_page"))


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
    issued = control_room().accounts.issue_token(
        user, current_app.config.get("TOKEN_TTL_S", 12 * 3600.0)
    )
    return jsonify(token=issued.token, expires_s=issued.expires_s, role=user.role.value)


@bp.post("/api/logout")
@require(Role.VIEWER)
def api_logout() -> Any:
    """Revoke the bearer token this request carries (or end the browser session)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        control_room().accounts.revoke_token(header.removeprefix("Bearer ").strip())
    else:
        session.clear()
    control_room().accounts.audit(g.user.name, "logout", True, request.remote_addr or "")
    return jsonify(status="signed out")


@bp.get("/api/me")
@require(Role.VIEWER)
def me() -> Any:
    """Who this request is signed in as."""
    return jsonify(name=g.user.name, role=g.user.role.value)
