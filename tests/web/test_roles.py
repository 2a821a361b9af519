"""Every route declares its role, and roles are enforced route by route."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dronepatrol.accounts import Role
from dronepatrol.web.security import PUBLIC_ENDPOINTS


def test_every_route_declares_a_role_or_is_public(app: Flask) -> None:
    undeclared = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint not in PUBLIC_ENDPOINTS and not hasattr(view, "required_role"):
            undeclared.append(f"{rule.rule} ({rule.endpoint})")
    assert not undeclared, f"routes without @require(role): {undeclared}"


def _protected_routes(app: Flask):
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        role = getattr(view, "required_role", None)
        if role is None or "<" in rule.rule:
            continue
        method = next(m for m in ("POST", "PUT", "DELETE", "GET") if m in rule.methods)
        yield rule.rule, method, role


@pytest.mark.parametrize("user_role", list(Role))
def test_each_role_reaches_exactly_the_routes_it_should(
    app: Flask, client: FlaskClient, token_for, user_role: Role
) -> None:
    headers = token_for(user_role.value)
    checked = 0
    for path, method, needed in _protected_routes(app):
        if path in ("/api/logout", "/logout", "/api/events"):
            continue  # ends the session / streams forever: covered by their own tests
        response = client.open(path, method=method, headers=headers, json={})
        if user_role.allows(needed):
            assert response.status_code not in (401, 403), (path, user_role, response.get_json())
        else:
            assert response.status_code == 403, (path, user_role)
            assert needed.value in response.get_json()["message"]
        checked += 1
    assert checked > 0
