"""``dronepatrol sorties``: the recorded flights."""

from __future__ import annotations

import click

from dronepatrol.cli._pending import not_available


@click.group()
def sorties() -> None:
    """List, show, export, report and verify recorded sorties."""


@sorties.command("list")
def list_sorties() -> None:
    """List recorded sorties, newest first."""
    not_available("sortie records")
