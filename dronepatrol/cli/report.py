"""``dronepatrol report``: one day's patrol performance as a table, CSV or JSON.

Heavy imports (SQLAlchemy, numpy, shapely) happen inside the command, so
``dronepatrol --help`` stays quick.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from dronepatrol.cli.sorties import _engine, _write_atomically
from dronepatrol.settings import Settings

FORMATS = ("table", "csv", "json")


@click.command()
@click.option(
    "--day",
    metavar="YYYY-MM-DD",
    help="The day to report, midnight to midnight in --tz (default: today).",
)
@click.option(
    "--tz",
    "zone_text",
    metavar="ZONE",
    help="Time zone of the day: an IANA zone (Asia/Shanghai), UTC, or an offset (+08:00). "
    "Default: this machine's local time.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for people; csv (one table, a `level` column) for spreadsheets; json for scripts.",
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (replaced whole, never half-written) instead of standard output.",
)
@click.option(
    "--network",
    "network_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="DRONEPATROL_NETWORK",
    help="Patrol network GeoJSON whose targets and stations are reported "
    "(default: $DRONEPATROL_NETWORK, else the example network).",
)
@click.pass_context
def report(
    ctx: click.Context,
    day: str | None,
    zone_text: str | None,
    output_format: str,
    output: Path | None,
    network_file: Path | None,
) -> None:
    """Report one day's patrol: on-time visits, coverage, incidents, flight hours, batteries.

    Per target, station, priority level and vehicle: revisit deadlines met and
    missed (on-time rate), coverage achieved, targets overdue at the day's end,
    incidents answered with median and 95th-percentile response times, flight
    hours and battery cycles. Figures come from the sortie database
    (DRONEPATROL_DATABASE_URL, or the data directory's SQLite file).
    """
    from dronepatrol.network import NetworkError, load_network
    from dronepatrol.records.days import DayError, parse_day, parse_zone
    from dronepatrol.records.patrol_report import build_day_report, report_as_dict
    from dronepatrol.records.patrol_report_text import report_csv, report_table

    try:
        zone = parse_zone(zone_text)
    except DayError as exc:
        raise click.BadParameter(str(exc), param_hint="--tz") from None
    if day is None:
        day = datetime.now(zone).date().isoformat()
    try:
        the_day = parse_day(day)
    except DayError as exc:
        raise click.BadParameter(f"{exc}, e.g. 2026-11-29", param_hint="--day") from None

    if network_file is None:
        from dronepatrol.cli.runtime import EXAMPLE_NETWORK

        network_file = EXAMPLE_NETWORK
        click.echo(f"no --network given: reporting on the example network {network_file}", err=True)
    try:
        network = load_network(network_file)
    except (NetworkError, OSError) as exc:
        raise click.BadParameter(str(exc), param_hint="--network") from None

    try:
        result = build_day_report(
            _engine(ctx), network, the_day, zone, policy=_settings(ctx).revisit_policy()
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--day") from None

    if output_format == "csv":
        text = report_csv(result)
    elif output_format == "json":
        text = json.dumps(report_as_dict(result), indent=1, allow_nan=False) + "\n"
    else:
        text = report_table(result)
    if output is None:
        click.echo(text, nl=False)
    else:
        _write_atomically(output, text, "--output")
        click.echo(f"wrote {output}", err=True)


def _settings(ctx: click.Context) -> Settings:
    """The installation's settings (revisit intervals included)."""
    return ctx.find_root().obj or Settings.load()
