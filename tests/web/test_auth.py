"""Signing in and out, tokens, CSRF, throttling and the audit of it all."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient


def test_pages_redirect_to_login_and_api_answers_401(client: FlaskClient) -> None:
    page = client.get("/")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    api = client.get("/api/me")
    assert api.status_code == 401
    assert "sign in" in api.get_json()["message"]


def test_browser_login_sets_a_safe_session_cookie(
    app: Flask, client: FlaskClient, password
) -> None:
    with client.session_transaction() as session:
        session["csrf"] = "t"
    response = client.post(
        "/login", data={"username": "viewer", "password": password, "csrf_token": "t"}
    )
    assert response.status_code == 302
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused_and_audited(app: Flask, client: FlaskClient) -> None:
    response = client.post("/api/login", json={"username": "operator", "password": "nope"})
    assert response.status_code == 401
    assert response.get_json()["message"] == "wrong user name or password"
    entry = app.extensions["dronepatrol"].accounts.recent_audit(1)[0]
    assert (entry.username, entry.action, entry.ok) == ("operator", "login", False)


def test_login_form_without_csrf_token_is_refused(client: FlaskClient, password) -> None:
    response = client.post("/login", data={"username": "viewer", "password": password})
    assert response.status_code == 400
    assert "CSRF" in response.get_json()["message"]


def test_state_change_without_csrf_header_is_refused(browser_as) -> None:
    browser = browser_as("viewer")
    del browser.environ_base["HTTP_X_CSRF_TOKEN"]
    assert browser.post("/api/logout").status_code == 400
    browser.environ_base["HTTP_X_CSRF_TOKEN"] = "forged"
    assert browser.post("/api/logout").status_code == 400


def test_bearer_tokens_work_expire_and_revoke(
    app: Flask, client: FlaskClient, token_for, clock
) -> None:
    headers = token_for("commander")
    me = client.get("/api/me", headers=headers)
    assert me.get_json() == {"name": "commander", "role": "commander"}
    assert client.post("/api/logout", headers=headers).status_code == 200
    after = client.get("/api/me", headers=headers)
    assert after.status_code == 401 and "revoked" in after.get_json()["message"]

    app.config["TOKEN_TTL_S"] = 60.0
    short = token_for("commander")
    clock.advance(59.0)
    assert client.get("/api/me", headers=short).status_code == 200
    clock.advance(1.0)
    expired = client.get("/api/me", headers=short)
    assert expired.status_code == 401


def test_login_needs_json(client: FlaskClient) -> None:
    response = client.post("/api/login", data="username=admin")
    assert response.status_code == 400
    assert "application/json" in response.get_json()["message"]


def test_repeated_failures_are_throttled(client: FlaskClient, password) -> None:
    for _ in range(5):
        assert (
            client.post("/api/login", json={"username": "admin", "password": "x"}).status_code
            == 401
        )
    locked = client.post("/api/login", json={"username": "admin", "password": password})
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) > 0
    # another user from another address is not locked out
    other = client.post(
        "/api/login",
        json={"username": "viewer", "password": password},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert other.status_code == 200


def test_disabled_user_loses_session_and_tokens(
    app: Flask, client: FlaskClient, browser_as, token_for
) -> None:
    browser = browser_as("operator")
    headers = token_for("operator")
    app.extensions["dronepatrol"].accounts.set_disabled("operator", True)
    assert browser.get("/api/me").status_code == 401
    assert client.get("/api/me", headers=headers).status_code == 401


def test_open_redirect_is_refused(client: FlaskClient, password) -> None:
    with client.session_transaction() as session:
        session["csrf"] = "t"
    response = client.post(
        "/login",
        data={
            "username": "viewer",
            "password": password,
            "csrf_token": "t",
            "next": "//evil.example/",
        },
    )
    assert response.headers["Location"] == "/"
