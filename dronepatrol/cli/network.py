"""``dronepatrol network``: check and summarise patrol networks (GeoJSON)."""

from __future__ import annotations

import click

from dronepatrol.cli._pending import not_available


@click.group()
def network() -> None:
    """Work with patrol networks: grids, lines, points, no-fly zones and stations."""


@network.command()
@click.argument("file", type=click.Path(dir_okay=False))
def check(file: str) -> None:
    """Validate a patrol network FILE and print every problem and a summary."""
    not_available("network validation")
