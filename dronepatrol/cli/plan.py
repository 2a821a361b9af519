"""``dronepatrol plan``: plan sorties over a patrol network."""

from __future__ import annotations

import click

from dronepatrol.cli._pending import not_available


@click.command()
@click.argument("network_file", metavar="NETWORK", type=click.Path(dir_okay=False))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False))
def plan(network_file: str, out_dir: str) -> None:
    """Plan waypoint missions (QGroundControl .plan and .waypoints) for a patrol NETWORK."""
    not_available("mission planning")
