"""``dronepatrol users``: accounts of the control app."""

from __future__ import annotations

import click

from dronepatrol.cli._pending import not_available


@click.group()
def users() -> None:
    """Manage control-app accounts (viewer, commander, operator, admin)."""


@users.command()
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["viewer", "commander", "operator", "admin"]),
)
def add(name: str, role: str) -> None:
    """Add an account NAME with ROLE; prompts for the password."""
    not_available("user accounts")
