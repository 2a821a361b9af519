"""``GET /api/meta``: the roles and the vehicle commands as the server knows them.

The browser's pages read this instead of keeping their own copies: which buttons a
role sees follows from which operations the role may call (the routes'
``@require``), and each flight command's label, confirmation and precondition
from its model (:mod:`dronepatrol.web.schema.vehicles`) and the can-do table
(:mod:`dronepatrol.actions`).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g

from dronepatrol.accounts import Role
from dronepatrol.actions import CAN_DO, LINK_NEEDED
from dronepatrol.web.openapi import operation_label
from dronepatrol.web.schema.base import ApiBlueprint, reply
from dronepatrol.web.schema.meta import CommandInfo, Meta, RoleRights
from dronepatrol.web.schema.vehicles import ACTIONS, COMMANDS
from dronepatrol.web.security import require

bp = ApiBlueprint("meta", __name__)


def guarded_operations(app: Flask) -> dict[str, Role]:
    """Every API operation behind ``@require``, as "METHOD /api/path/{parameter}",
    with the least role that may call it."""
    operations: dict[str, Role] = {}
    for rule in app.url_map.iter_rules():
        role: Role | None = getattr(app.view_functions[rule.endpoint], "required_role", None)
        if role is None or not rule.rule.startswith("/api/"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            operations[operation_label(method, rule)] = role
    return operations


def role_rights(app: Flask) -> list[RoleRights]:
    """Each role, lowest first, with what it includes and the operations it may call."""
    operations = guarded_operations(app)
    return [
        RoleRights(
            name=role.value,
            rank=role.rank,
            includes=[r.value for r in Role if role.allows(r)],
            may=sorted(op for op, least in operations.items() if role.allows(least)),
        )
        for role in Role
    ]


def command_infos() -> list[CommandInfo]:
    """Each flight command, in the order of the request model's variants."""
    return [
        CommandInfo(
            name=name,
            label=model.label,
            risky=model.risky,
            question=model.question,
            needs=CAN_DO[ACTIONS[name]].needs,
            arguments=[f for f in model.model_fields if f not in ("command", "confirm")],
        )
        for name, model in COMMANDS.items()
    ]


@bp.get("/api/meta", responses={200: Meta})
@require(Role.VIEWER)
def meta() -> Any:
    """The roles and what each may call; the flight commands, their labels and preconditions."""
    return reply(
        Meta(
            role=g.user.role.value,
            roles=role_rights(current_app),
            link_needed=LINK_NEEDED,
            commands=command_infos(),
        )
    )
