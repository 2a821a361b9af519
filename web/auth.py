"""Signing in and out: the login page for browsers, bearer tokens for scripts.

Every attempt, good or bad, goes into the audit log with the address it came
from; repeated failures for one name from one address wait longer each time
(429), without locking that name out for anyone else (see ``LoginThrottle``):
a browser or script that signed in as a name before carries a trusted-device
cookie and is throttled on its own, so nobody sharing its address can lock it out.
A browser session is a server-side token, revoked on sign-out.
"""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from dronepatrol.accounts import Role, SignInBusy
from dronepatrol.web.context import control_room
from dronepatrol.web.schema.auth import Credentials, Me, SignedOut, Token
from dronepatrol.web.schema.base import ApiBlueprint, Error, refuse, reply, validated
from dronepatrol.web.security import (
    DEVICE_COOKIE,
    DEVICE_MAX_AGE_S,
    device_cookie_value,
    require,
    safe_next,
    trusted_device,
)

bp = ApiBlueprint("auth", __name__)


def _client(name: str) -> str:
    """Who is trying ``name``, for the throttle: this browser when ``name`` signed in
    from it before (its trusted-device cookie), else the address the request came from.
    """
    device = trusted_device(current_app.secret_key or "", request.cookies.get(DEVICE_COOKIE), name)
    return f"device {device}" if device else request.remote_addr or ""


def _throttled(name: str) -> float:
    return control_room().login_throttle.retry_after_s(_client(name), name)


def _check(name: str, password: str) -> Any:
    room = control_room()
    address = request.remote_addr or ""
    user = room.accounts.authenticate(name, password)
    room.accounts.audit(name[:100], "login", user is not None, address)
    if user is None:
        room.login_throttle.failed(_client(name), name)
    else:
        room.login_throttle.succeeded(_client(name), name)
    return user


def _trust_device(response: Any, name: str) -> Any:
    """Mark this browser as one ``name`` signed in from (see :func:`_client`)."""
    response.set_cookie(
        DEVICE_COOKIE,
        device_cookie_value(current_app.secret_key or "", name),
        max_age=DEVICE_MAX_AGE_S,
        httponly=True,
        samesite="Strict",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response


def _session_ttl_s() -> float:
    return float(current_app.config.get("TOKEN_TTL_S", 12 * 3600.0))


BUSY_RETRY_S = 2
"""What a sign-in told the server is busy is asked to wait before trying again [s]."""


@bp.errorhandler(SignInBusy)
def busy(exc: SignInBusy) -> Any:
    """Too many sign-ins being checked at once: 503 with when to retry, nothing hashed."""
    if request.endpoint == "auth.login_form":
        page = render_template(
            "login.html", error=str(exc), next=safe_next(request.form.get("next"))
        )
        return page, 503, {"Retry-After": str(BUSY_RETRY_S)}
    response, status = refuse(503, "Service Unavailable", str(exc))
    response.headers["Retry-After"] = str(BUSY_RETRY_S)
    return response, status


@bp.get("/login", doc_ui=False)
def login_page() -> Any:
    """The sign-in form."""
    return render_template("login.html", error=None, next=safe_next(request.args.get("next")))


@bp.post("/login", doc_ui=False)
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
    return _trust_device(redirect(next_url), user.name)


@bp.post("/logout", doc_ui=False)
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


@bp.post("/api/login", responses={200: Token, 401: Error, 429: Error, 503: Error})
@validated
def api_login(body: Credentials) -> Any:
    """Script sign-in: returns a bearer token, its expiry and the user's role."""
    name = body.username
    wait = _throttled(name)
    if wait > 0:
        response, status = refuse(
            429,
            "Too Many Requests",
            f"too many failed sign-ins: try again in {int(wait) + 1} s",
        )
        response.headers["Retry-After"] = str(int(wait) + 1)
        return response, status
    user = _check(name, body.password)
    if user is None:
        abort(401, description="wrong user name or password")
    issued = control_room().accounts.issue_token(user, _session_ttl_s())
    response, status = reply(
        Token(token=issued.token, expires_s=issued.expires_s, role=user.role.value)
    )
    return _trust_device(response, user.name), status


@bp.post("/api/logout", responses={200: SignedOut})
@require(Role.VIEWER)
def api_logout() -> Any:
    """Revoke the bearer token this request carries (or end the browser session)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        control_room().accounts.revoke_token(header.removeprefix("Bearer ").strip())
    else:
        _end_browser_session()
    control_room().accounts.audit(g.user.name, "logout", True, request.remote_addr or "")
    return reply(SignedOut(status="signed out"))


@bp.get("/api/me", responses={200: Me})
@require(Role.VIEWER)
def me() -> Any:
    """Who this request is signed in as."""
    return reply(Me(name=g.user.name, role=g.user.role.value))
