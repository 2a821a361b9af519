"""``dronepatrol sim`` and ``dronepatrol sitl``: simulated copters for testing and demos."""

from __future__ import annotations

import click

from dronepatrol.cli._pending import not_available


@click.command()
@click.option("--drones", default=1, show_default=True, type=click.IntRange(1, 100))
def sim(drones: int) -> None:
    """Run N embedded simulated ArduCopters that speak MAVLink on TCP ports 5760, 5770, ...

    Connect a ground station or `dronepatrol fly` to tcp:127.0.0.1:5760.
    """
    not_available("the embedded simulator")


@click.command()
@click.option("--drones", default=1, show_default=True, type=click.IntRange(1, 100))
def sitl(drones: int) -> None:
    """Launch N real ArduPilot `arducopter` SITL processes (binary from $ARDUPILOT_SITL)."""
    not_available("the ArduPilot SITL launcher")
