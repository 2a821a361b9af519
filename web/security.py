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
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, jsonify, redirect, request, session, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix

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
T = TypeVar("T")

SIGN_IN_MAX_BYTES = 8 * 1024
"""A sign-in request is a name and a password: nothing bigger is read (or hashed)."""
SIGN_IN_ENDPOINTS = frozenset({"auth.login_form", "auth.api_login"})


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
    """Slows password guessing without letting anyone lock an account out.

    Failures count per (address, user name) pair: after ``free_failures`` of
    them that pair waits ``base_wait_s``, doubling with each further failure up
    to ``max_wait_s``. Someone guessing admin's password from one address
    therefore slows only themselves; admin signs in from any other address,
    and from the same one with a browser they signed in from before (its
    trusted-device cookie makes its own "address", see :func:`trusted_device`).
    An address that fails for many names (spraying) waits too, once it passes
    ``address_failures`` failures in ``window_s``. A success clears its pair.
    ``clock`` is injectable so tests need not sleep.
    """

    def __init__(
        self,
        free_failures: int = 5,
        base_wait_s: float = 1.0,
        max_wait_s: float = 300.0,
        address_failures: int = 50,
        window_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free_failures = free_failures
        self.base_wait_s = base_wait_s
        self.max_wait_s = max_wait_s
        self.address_failures = address_failures
        self.window_s = window_s
        self._clock = clock
        self._pairs: dict[tuple[str, str], tuple[int, float]] = {}
        self._addresses: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after_s(self, address: str, name: str) -> float:
        """Seconds until ``name`` may be tried again from ``address`` (0: now)."""
        now = self._clock()
        with self._lock:
            wait = 0.0
            count, last = self._pairs.get((address, name), (0, now))
            if count >= self.free_failures:
                backoff = self.base_wait_s * 2 ** (count - self.free_failures)
                wait = max(0.0, last + min(backoff, self.max_wait_s) - now)
            times = self._addresses.get(address)
            if times:
                while times and times[0] <= now - self.window_s:
                    times.popleft()
                if len(times) >= self.address_failures:
                    wait = max(wait, times[0] + self.window_s - now)
            return wait

    def failed(self, address: str, name: str) -> None:
        now = self._clock()
        with self._lock:
            count, _ = self._pairs.get((address, name), (0, now))
            self._pairs[(address, name)] = (count + 1, now)
            self._addresses.setdefault(address, deque()).append(now)
            if len(self._pairs) > 100_000:  # bounded memory under a flood of names
                self._pairs.pop(next(iter(self._pairs)))

    def succeeded(self, address: str, name: str) -> None:
        with self._lock:
            self._pairs.pop((address, name), None)


DEVICE_COOKIE = "dp_device"
"""The cookie that marks a browser (or script) as one a user has signed in from before."""
DEVICE_MAX_AGE_S = 30 * 24 * 3600
"""How long a trusted device stays trusted after its last sign-in [s]."""


def _device_signer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt="dronepatrol-trusted-device")


def device_cookie_value(secret_key: str, name: str) -> str:
    """A fresh trusted-device marker for ``name``: signed, so nobody can make one."""
    return _device_signer(secret_key).dumps({"user": name, "device": secrets.token_urlsafe(12)})


def trusted_device(secret_key: str, cookie: str | None, name: str) -> str | None:
    """The device id in ``cookie`` when it is a valid marker for ``name``, else None.

    OWASP's answer to lock-outs ("device cookies"): someone who has signed in
    as ``name`` from this browser before is throttled on their own, by device,
    not with everyone else who shares their address. An attacker without the
    user's cookie (forging one needs the app's secret key) cannot slow them down.
    """
    if not cookie:
        return None
    try:
        data = _device_signer(secret_key).loads(cookie, max_age=DEVICE_MAX_AGE_S)
    except BadSignature:
        return None
    if not isinstance(data, dict) or data.get("user") != name:
        return None
    device = data.get("device")
    return device if isinstance(device, str) and device else None


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else ``/``.

    Browsers drop tabs and newlines from URLs and read a backslash as a
    slash, so ``/\t/evil.example`` or ``/\\evil.example`` would leave the site:
    anything with control characters, backslashes, a scheme, a host or dot
    segments is refused.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return "/"
    if any(segment.lower().replace("%2e", ".") in (".", "..") for segment in parts.path.split("/")):
        return "/"  # "/.//evil.example" is "//evil.example" once a browser resolves it
    return target


class StreamQuota:
    """Counts each account's open live streams (events, video) and refuses past a cap.

    One viewer opening streams without end would otherwise hold every
    server thread; the cap leaves room for everyone else. ``total`` caps the
    streams of all accounts together (None: no cap), so that however many
    accounts watch, some server threads stay free for ordinary requests
    (see :func:`reserve_threads`).
    """

    def __init__(self, per_user: int = 8, total: int | None = None) -> None:
        self.per_user = per_user
        self.total = total
        self._open: dict[str, int] = {}
        self._lock = threading.Lock()

    def take(self, user: str) -> tuple[int, str] | None:
        """Take a stream slot for ``user``: None when taken, else (HTTP status, why not)."""
        with self._lock:
            if self._open.get(user, 0) >= self.per_user:
                return 429, (
                    f"{user} already has {self.per_user} live streams open: "
                    "close a page or a video first"
                )
            if self.total is not None and sum(self._open.values()) >= self.total:
                return 503, (
                    f"the server has {self.total} live streams open, all it serves while "
                    "keeping threads free for other requests: try again in a minute"
                )
            self._open[user] = self._open.get(user, 0) + 1
            return None

    def acquire(self, user: str) -> bool:
        """True when a slot was taken for ``user`` (see :meth:`take` for why not)."""
        return self.take(user) is None

    def release(self, user: str) -> None:
        with self._lock:
            left = self._open.get(user, 0) - 1
            if left > 0:
                self._open[user] = left
            else:
                self._open.pop(user, None)

    def open_count(self, user: str) -> int:
        with self._lock:
            return self._open.get(user, 0)


def reserve_threads(app: Flask, threads: int) -> int:
    """Cap ``app``'s live streams so a server with ``threads`` workers keeps some free.

    Each live stream holds a worker thread for as long as it flows; one
    stream too many and health checks, sign-ins and commands queue behind
    them. An eighth of the threads (at least 4) stay free. Returns the cap.
    """
    quota: StreamQuota = app.extensions["dronepatrol_streams"]
    quota.total = max(1, threads - max(4, threads // 8))
    return quota.total


class GuardedStream(Iterable[T]):
    """A live stream that flows only while the sign-in behind it stays valid.

    Streams outlive the request that opened them: a token revoked, a
    password changed or an account disabled ends them within
    ``check_every_s`` seconds. The account's stream slot (see
    :class:`StreamQuota`) is taken when the stream is made (over the cap:
    429 before anything is sent) and given back by :meth:`close`, which the
    WSGI server calls however the stream ends, even before its first byte.
    """

    def __init__(self, chunks: Iterator[T], check_every_s: float = 2.0) -> None:
        self._accounts = current_app.extensions["dronepatrol"].accounts
        self._quota: StreamQuota = current_app.extensions["dronepatrol_streams"]
        self._credential: str | None = g.get("credential")
        self._user: str = g.user.name
        self._chunks = chunks
        self._check_every_s = check_every_s
        self._closed = False
        refused = self._quota.take(self._user)
        if refused is not None:
            abort(refused[0], description=refused[1])

    def __iter__(self) -> Iterator[T]:
        last_check = time.monotonic()
        for chunk in self._chunks:
            now = time.monotonic()
            if now - last_check >= self._check_every_s:
                last_check = now
                if not self._still_signed_in():
                    return
            yield chunk

    def _still_signed_in(self) -> bool:
        return (
            self._credential is not None
            and self._accounts.user_for_token(self._credential) is not None
        )

    def close(self) -> None:
        """Give the slot back and stop the source (once)."""
        if self._closed:
            return
        self._closed = True
        self._quota.release(self._user)
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


def guarded_stream(chunks: Iterator[T], check_every_s: float = 2.0) -> GuardedStream[T]:
    """``chunks`` as a :class:`GuardedStream` of this request's user."""
    return GuardedStream(chunks, check_every_s)


def content_security_policy(tile_url: str = "") -> str:
    """The CSP every page is sent with: scripts from this site only, never inline.

    Styles may be inline (Leaflet positions the map with style attributes);
    images may also come from the configured tile server.
    """
    images = "'self' data: blob:"
    tile_origin = urlsplit(tile_url.replace("{s}", "a")) if tile_url else None
    if tile_origin is not None and tile_origin.scheme in ("http", "https") and tile_origin.netloc:
        host = (
            tile_origin.netloc.replace("a.", "*.", 1) if "{s}" in tile_url else tile_origin.netloc
        )
        images += f" {tile_origin.scheme}://{host}"
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            f"img-src {images}",
            "media-src 'self' blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def init_security(
    app: Flask,
    accounts_getter: Callable[[], Any],
    *,
    secure_cookie: bool = False,
    proxy_hops: int = 0,
    max_request_bytes: int = 8 * 1024 * 1024,
    streams_per_user: int = 8,
    tile_url: str = "",
) -> None:
    """Install the per-request sign-in, CSRF, size and header rules on ``app``.

    A browser session is a server-side token (the same table as API tokens)
    whose value the signed cookie carries: signing out, a password change or
    disabling the account revokes it, and with it every stream it opened.
    """
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = secure_cookie
    app.config["MAX_CONTENT_LENGTH"] = max_request_bytes
    app.config.setdefault("MAX_FORM_MEMORY_SIZE", 64 * 1024)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.extensions["dronepatrol_streams"] = StreamQuota(streams_per_user)
    if proxy_hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxy_hops, x_proto=proxy_hops, x_host=proxy_hops
        )
    policy = content_security_policy(tile_url)

    @app.before_request
    def identify() -> Any:
        if request.endpoint in SIGN_IN_ENDPOINTS:
            request.max_content_length = SIGN_IN_MAX_BYTES
        g.user = None
        g.via_token = False
        g.credential = None
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            g.via_token = True
            g.credential = header.removeprefix("Bearer ").strip()
            g.user = accounts_getter().user_for_token(g.credential)
            if g.user is None:
                return jsonify(
                    error="Unauthorized",
                    message="token unknown, expired or revoked: POST /api/login for a new one",
                ), 401
            return None
        sid = session.get("sid")
        if sid:
            user = accounts_getter().user_for_token(sid)
            if user is None:
                session.clear()
            else:
                g.user = user
                g.credential = sid
        if request.method in UNSAFE_METHODS and request.endpoint != "auth.api_login":
            sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
            if not sent or not secrets.compare_digest(sent, session.get("csrf", "")):
                return jsonify(
                    error="Bad Request",
                    message="CSRF token missing or wrong: reload the page and try again",
                ), 400
        return None

    @app.after_request
    def security_headers(response: Any) -> Any:
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()"
        )
        if secure_cookie:
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
