"""``dronepatrol fly``: fly one sortie headless over MAVLink."""

from __future__ import annotations

import click

from dronepatrol.cli._pending import not_available


@click.command()
@click.option("--connect", "url", required=True, help="Vehicle link, e.g. tcp:127.0.0.1:5760.")
@click.option("--mission", "mission_file", required=True, type=click.Path(dir_okay=False))
def fly(url: str, mission_file: str) -> None:
    """Fly a mission file on one vehicle: upload, arm, take off, fly, land."""
    not_available("headless flight")
