"""A clear refusal for commands this version does not have yet."""

from __future__ import annotations

import click


def not_available(what: str) -> None:
    """Exit with status 1 and say that ``what`` is not in this version."""
    raise click.ClickException(f"{what} is not available in this version of DronePatrol yet")
