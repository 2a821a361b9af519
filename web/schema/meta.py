"""What the browser asks once per page: the roles and what each may call, and the
vehicle commands with their labels, confirmations and preconditions."""

from __future__ import annotations

from pydantic import Field

from dronepatrol.web.schema.base import Reply


class RoleRights(Reply):
    """One role: the roles whose rights it includes, and the API operations it may call."""

    name: str = Field(description="viewer, commander, operator or admin")
    rank: int = Field(description="0 for viewer up to 3 for admin: roles nest by rank")
    includes: list[str] = Field(description="this role and every role below it")
    may: list[str] = Field(
        description='operations it may call, as "METHOD /api/path/{parameter}", '
        "the OpenAPI document's paths"
    )


class CommandInfo(Reply):
    """One flight command of ``POST /api/vehicles/{vehicle_id}/commands``."""

    name: str = Field(description='the request\'s "command"')
    label: str = Field(description="its name on a button")
    risky: bool = Field(description='asked to confirm first, and sent with "confirm": true')
    question: str | None = Field(description="what the operator confirms (risky only)")
    needs: str = Field(
        description="what the vehicle must be for it, in words, beyond a live link "
        "(the can-do table's rule): a command sent otherwise is refused with 409"
    )
    arguments: list[str] = Field(description="its other fields (alt_m, lat...)")


class Meta(Reply):
    """The server's own tables as the browser reads them: nothing here is copied in scripts."""

    role: str = Field(description="the caller's role")
    roles: list[RoleRights]
    link_needed: str = Field(description="what every command needs first")
    commands: list[CommandInfo]
