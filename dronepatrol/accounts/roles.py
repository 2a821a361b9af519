"""Roles and what each may do: they nest, viewer < commander < operator < admin."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A user's role. Each includes every right of the roles before it."""

    VIEWER = "viewer"
    COMMANDER = "commander"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """0 for viewer up to 3 for admin."""
        return list(Role).index(self)

    def allows(self, required: Role) -> bool:
        """True when this role has at least the rights of ``required``."""
        return self.rank >= required.rank
