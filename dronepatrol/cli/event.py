"""``dronepatrol event``: large events (a temporary zone with its own targets and intervals)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dronepatrol.settings import Settings

if TYPE_CHECKING:
    from dronepatrol.large_events import LargeEventBook


@contextmanager
def _book(settings: Settings) -> Iterator[LargeEventBook]:
    """The event book on the configured database, closed afterwards."""
    from dronepatrol.database import upgrade
    from dronepatrol.large_events import LargeEventBook, LargeEventConflict, LargeEventNotFound

    settings.ensure_dirs()
    engine = upgrade(settings)
    try:
        yield LargeEventBook(engine)
    except LargeEventNotFound as exc:
        raise click.UsageError(f"{exc}; `dronepatrol event list` shows them") from exc
    except LargeEventConflict as exc:
        raise click.UsageError(str(exc)) from exc
    finally:
        engine.dispose()


def _local(time_s: float) -> str:
    return datetime.fromtimestamp(time_s).astimezone().strftime("%Y-%m-%d %H:%M %Z")


@click.group()
def event() -> None:
    """Large events: a temporary zone with its own points, lines and grids.

    An event file is a GeoJSON FeatureCollection: one Polygon feature with
    kind "zone" and properties id, name, start and end (ISO-8601 with a time
    zone, e.g. 2030-03-16T17:00:00+11:00) and optionally intervals_min
    ({"key": 10, "attention": 30, "general": 60} by default); the other
    features are grids, lines and points as in a network file, inside the
    zone. While the event is on, its targets join the patrol network with
    those intervals, and the network's targets inside the zone are revisited
    as often as the event's.
    """


@event.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--network",
    "network_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The patrol network the event joins: check named stations, id clashes, no-fly zones.",
)
@click.option("--creator", default="cli", show_default=True, help="Who adds it (audit).")
@click.pass_obj
def add(settings: Settings, file: Path, network_file: Path | None, creator: str) -> None:
    """Check the event FILE and store it; exit 2 listing every problem."""
    from dronepatrol.large_events import LargeEventError
    from dronepatrol.network import ERROR, NetworkError, load_network

    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise click.UsageError(f"{file}: no such file; give the event's GeoJSON file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.UsageError(f"{file}: not a readable GeoJSON file ({exc})") from None
    base = None
    if network_file is not None:
        try:
            base = load_network(network_file)
        except NetworkError as exc:
            raise click.UsageError(f"--network: {exc}") from exc
    with _book(settings) as book:
        try:
            record, warnings = book.add(data, creator, base=base, source=file.name)
        except LargeEventError as exc:
            for issue in exc.issues:
                click.echo(f"{file}: {issue}", err=True)
            errors = sum(1 for i in exc.issues if i.severity == ERROR)
            click.echo(f"{file}: {errors} error(s); nothing stored", err=True)
            raise SystemExit(2) from None
    for issue in warnings:
        click.echo(f"{file}: {issue}", err=True)
    e = record.event
    click.echo(
        f"added {e.id} ({e.name}): {len(e.targets)} targets, "
        f"{_local(e.start_s)} to {_local(e.end_s)}"
    )


@event.command("list")
@click.pass_obj
def list_events(settings: Settings) -> None:
    """List large events, latest start first, with their status."""
    now_s = time.time()
    with _book(settings) as book:
        records = book.list()
    if not records:
        click.echo("no large events")
    for record in records:
        e = record.event
        click.echo(
            f"{e.id:<24} {e.status(now_s):<10} {_local(e.start_s)} to {_local(e.finish_s)}  "
            f"{len(e.targets)} targets  {e.name}"
        )


@event.command()
@click.argument("event_id", metavar="ID")
@click.option("--by", default="cli", show_default=True, help="Who ends it (kept with it).")
@click.pass_obj
def end(settings: Settings, event_id: str, by: str) -> None:
    """End the event ID now (cancel it when it has not started yet)."""
    with _book(settings) as book:
        record = book.end(event_id, by)
    click.echo(f"{record.event.id} {record.event.status(time.time())}")
