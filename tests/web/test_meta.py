"""``GET /api/meta`` states the server's own tables: the roles as ``@require`` enforces
them, and the flight commands as their models and the can-do table define them."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dronepatrol.accounts import Role
from dronepatrol.actions import CAN_DO, LINK_NEEDED, Action
from dronepatrol.planning.orders import ORDERS, parse_order
from dronepatrol.web.schema.vehicles import COMMANDS

UNCALLABLE = {"POST /api/logout", "GET /api/events"}  # ends the session / streams forever


def test_each_command_is_served_as_its_model_and_the_can_do_table_say(
    client: FlaskClient, token_for
) -> None:
    meta = client.get("/api/meta", headers=token_for("viewer")).get_json()
    served = {c["name"]: c for c in meta["commands"]}
    assert list(served) == list(COMMANDS)
    assert meta["link_needed"] == LINK_NEEDED
    for name, model in COMMANDS.items():
        c = served[name]
        assert (c["label"], c["risky"], c["question"]) == (model.label, model.risky, model.question)
        # a risky command is one whose request must carry "confirm": true
        assert c["risky"] == ("confirm" in model.model_fields)
        assert (c["question"] is not None) == c["risky"]
        assert c["arguments"] == [f for f in model.model_fields if f not in ("command", "confirm")]
    # preconditions in words, one per rule of the table
    assert served["battery_swapped"]["needs"] == CAN_DO[Action.BATTERY_SWAPPED].needs
    assert served["pause"]["needs"] == CAN_DO[Action.PAUSE].needs == "flying a mission (AUTO)"
    assert served["start"]["needs"] == CAN_DO[Action.START_MISSION].needs


def _call(client: FlaskClient, operation: str, headers: dict[str, str]):
    method, path = operation.split(" ", 1)
    path = re.sub(r"\{fmt\}", "csv", path)
    path = re.sub(r"\{\w+\}", "1", path)  # any id: the role is checked before the id
    return client.open(path, method=method, headers=headers, json={})


@pytest.mark.parametrize("role", list(Role))
def test_a_role_may_call_exactly_the_operations_served_for_it(
    app: Flask, client: FlaskClient, token_for, role: Role
) -> None:
    headers = token_for(role.value)
    meta = client.get("/api/meta", headers=headers).get_json()
    assert meta["role"] == role.value
    assert [r["name"] for r in meta["roles"]] == [r.value for r in Role]
    mine = next(r for r in meta["roles"] if r["name"] == role.value)
    assert mine["includes"] == [r.value for r in Role][: role.rank + 1]
    everything = set(next(r for r in meta["roles"] if r["name"] == "admin")["may"])
    assert "POST /api/vehicles/{vehicle_id}/commands" in everything
    for operation in sorted(everything - UNCALLABLE):
        status = _call(client, operation, headers).status_code
        if operation in mine["may"]:
            assert status not in (401, 403), (operation, role)
        else:
            assert status == 403, (operation, role)
    # the buttons the pages decide by: dispatch is a commander's, flying an operator's
    assert ("POST /api/incidents/{incident_id}/dispatch" in mine["may"]) == role.allows(
        Role.COMMANDER
    )
    assert ("POST /api/vehicles/{vehicle_id}/commands" in mine["may"]) == role.allows(Role.OPERATOR)


def test_meta_is_in_the_openapi_document(client: FlaskClient) -> None:
    doc = client.get("/api/openapi.json").get_json()
    answer = doc["paths"]["/api/meta"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/Meta")
    assert "CommandInfo" in doc["components"]["schemas"]


def test_orders_by_name_are_the_control_apps_flight_commands() -> None:
    """The city bus takes the same names, operations and argument order as the web API."""
    for name, shape in ORDERS.items():
        model = COMMANDS[name]
        assert model.operation == shape.operation, name
        arguments = [f for f in model.model_fields if f not in ("command", "confirm")]
        assert arguments == [a.name for a in shape.arguments], name
    assert parse_order("orbit", [-35.36, 149.16, 30, 50]) == (
        "orbit_via",
        [-35.36, 149.16, 30.0, 50.0],
    )
