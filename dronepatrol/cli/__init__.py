"""The ``dronepatrol`` command: one click group, one module per subcommand.

This package is the one place that wires the core, the web app and the
simulator together. Subcommand modules import heavy libraries (OpenCV,
pymavlink, the web app) inside their functions, so ``dronepatrol --help``
stays fast.
"""

from __future__ import annotations

import os
from pathlib import Path

import click

from dronepatrol import __version__
from dronepatrol.cli import city, event, fly, network, plan, report, serve, sim, sorties, users
from dronepatrol.settings import Settings, SettingsError


@click.group(name="dronepatrol", context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="dronepatrol")
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DRONEPATROL_CONFIG",
    help="TOML settings file (default: $DRONEPATROL_CONFIG). Environment variables "
    "DRONEPATROL_* override it.",
)
@click.pass_context
def main(ctx: click.Context, config: Path | None) -> None:
    """DronePatrol: plan, fly and record drone patrols over a city's patrol network.

    Start with `dronepatrol serve --demo 2` for the control app with two
    simulated drones, or `dronepatrol COMMAND --help` for one command.
    """
    # Everything the commands write (database, flight logs, video, keys) is
    # private to this user: group and others get no access.
    os.umask(0o077)
    try:
        ctx.obj = Settings.load(config_file=config)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc


for command in (
    serve.serve,
    city.city_demo,
    sim.sim,
    sim.sitl,
    network.network,
    event.event,
    plan.plan,
    fly.fly,
    sorties.sorties,
    report.report,
    users.users,
):
    main.add_command(command)
