"""``dronepatrol sorties``: the recorded flights: list, show, export, report, verify.

Heavy imports (SQLAlchemy, shapely) happen inside the commands, so
``dronepatrol --help`` stays quick.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dronepatrol.settings import Settings

if TYPE_CHECKING:
    from dronepatrol.freshness.patrolled import Camera

EXPORT_FORMATS = ("geojson", "kml", "gpx", "csv")
_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str, now_s: float | None = None) -> float:
    """``--since`` as seconds since the epoch: ISO date/time (UTC unless it says) or ``2h``, ``3d``.

    >>> parse_since("2h", now_s=10_000.0)
    2800.0
    >>> parse_since("1970-01-02")
    86400.0
    """
    match = _RELATIVE.match(text.strip().lower())
    if match:
        now = time.time() if now_s is None else now_s
        return now - float(match.group(1)) * _UNIT_S[match.group(2)]
    try:
        parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is neither a date/time (2026-05-01, 2026-05-01T08:00Z) "
            "nor an age (30m, 2h, 7d)",
            param_hint="--since",
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


def _engine(ctx: click.Context) -> Any:
    from sqlalchemy.exc import SQLAlchemyError

    from dronepatrol.database import StoreError, make_engine, upgrade

    cached = ctx.meta.get("dronepatrol.sorties.engine")
    if cached is not None:
        return cached
    settings: Settings = ctx.find_root().obj or Settings.load()
    try:
        engine = make_engine(settings)
        upgrade(engine)
    except (StoreError, SQLAlchemyError, OSError) as exc:
        shown = engine.url.render_as_string(hide_password=True) if "engine" in locals() else ""
        raise click.ClickException(
            f"cannot open the sortie database {shown or settings.effective_database_url}: "
            f"{str(exc).splitlines()[0]}; check DRONEPATROL_DATABASE_URL / DRONEPATROL_DATA_DIR"
        ) from exc
    ctx.meta["dronepatrol.sorties.engine"] = engine
    ctx.find_root().call_on_close(engine.dispose)
    return engine


def _record(ctx: click.Context, sortie_id: int) -> Any:
    from dronepatrol.records.archive import SortieArchive, SortieNotFound

    try:
        return SortieArchive(_engine(ctx)).record(sortie_id)
    except SortieNotFound as exc:
        raise click.UsageError(str(exc), ctx=ctx) from exc


def _write_atomically(path: Path, text: str, option: str = "--out") -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename: never half a file.

    A failure is a usage error naming ``option``, the one that named the file.
    """
    path = path.expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError as exc:
        raise click.BadParameter(f"cannot write {path}: {exc.strerror}", param_hint=option) from exc


@click.group()
def sorties() -> None:
    """List, show, export, report and verify recorded sorties.

    Every flight (arming to disarming) is recorded with its track, events,
    commands and media in the database (SQLite in the data directory, or
    DRONEPATROL_DATABASE_URL). Sorties are named by their number: see `list`.
    """


@sorties.command("list")
@click.option("--vehicle", help="Only this vehicle (id or name).")
@click.option("--since", help="Only sorties started since: a date/time (UTC) or an age (2h, 7d).")
@click.option("--limit", type=click.IntRange(min=1), help="At most this many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON, for scripts.")
@click.pass_context
def list_sorties(
    ctx: click.Context, vehicle: str | None, since: str | None, limit: int | None, as_json: bool
) -> None:
    """List recorded sorties, newest first."""
    from dronepatrol.records.archive import SortieArchive, iso_utc

    since_s = parse_since(since) if since else None
    rows = SortieArchive(_engine(ctx)).list(vehicle=vehicle, since_s=since_s, limit=limit)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], indent=1))
        return
    if not rows:
        click.echo("no sorties recorded" + (" matching the filter" if vehicle or since else ""))
        return
    click.echo(
        f"{'ID':>5}  {'STARTED (UTC)':<20} {'DURATION':>8}  {'VEHICLE':<14} "
        f"{'OUTCOME':<11} {'PLAN':<14} SAMPLES"
    )
    for r in rows:
        started = (iso_utc(r.started_s) or "")[:19].replace("T", " ")
        duration = f"{r.duration_s / 60:.1f} min" if r.duration_s is not None else "open"
        click.echo(
            f"{r.id:>5}  {started:<20} {duration:>8}  {r.vehicle_name[:14]:<14} "
            f"{r.status:<11} {r.plan_ref[:14] or '-':<14} {r.samples}"
        )


@sorties.command("show")
@click.argument("sortie_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON, for scripts.")
@click.pass_context
def show(ctx: click.Context, sortie_id: int, as_json: bool) -> None:
    """Show one sortie: summary, figures, events and media."""
    from dronepatrol.records.archive import iso_utc

    record = _record(ctx, sortie_id)
    if as_json:
        click.echo(json.dumps(record.as_dict(), indent=1, default=str))
        return
    s, stats = record.summary, record.stats()
    lines = [
        f"sortie {s.id}: {s.status}" + (f" ({s.outcome_reason})" if s.outcome_reason else ""),
        f"  vehicle    {s.vehicle_name} (id {s.vehicle_id})",
        f"  plan       {s.plan_ref or '-'}   targets: {', '.join(map(str, s.targets)) or '-'}",
        f"  station    {s.station or '-'}   operator: {s.operator or '-'}",
        f"  started    {iso_utc(s.started_s)}   ended: {iso_utc(s.ended_s) or 'still open'}",
        f"  track      {s.samples} samples at {stats['track_rate_hz']} Hz, "
        f"{stats['distance_m'] / 1000:.2f} km",
        f"  waypoints  {', '.join(map(str, stats['waypoints_reached'])) or '-'}",
        f"  events     {s.events} ({stats['commands']} commands)   detections: {s.detections}",
    ]
    click.echo("\n".join(lines))
    for event in record.events:
        click.echo(f"    {event['time']}  {event['kind']:<16} {event['text']}")
    for media in record.media:
        click.echo(f"  media {media['kind']:<8} {media['path']}  sha256 {media['sha256'] or '-'}")


@sorties.command("export")
@click.argument("sortie_id", metavar="ID", type=int)
@click.option(
    "--format", "fmt", type=click.Choice(EXPORT_FORMATS), required=True, help="File format."
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (default: standard output).",
)
@click.pass_context
def export(ctx: click.Context, sortie_id: int, fmt: str, out: Path | None) -> None:
    """Export a sortie's track as GeoJSON, KML, GPX or CSV."""
    from dronepatrol.records.export import export as export_track

    text = export_track(_record(ctx, sortie_id), fmt)
    if out is None:
        sys.stdout.write(text)
        return
    _write_atomically(out, text)
    click.echo(f"wrote {out}", err=True)


@sorties.command("report")
@click.argument("sortie_id", metavar="ID", type=int)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The HTML file to write.",
)
@click.option(
    "--network",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Patrol network GeoJSON: judge its grids, lines and points by the patrolled rules.",
)
@click.option(
    "--plan-summary",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The planner's summary.json: camera from its profile, planned targets from its "
    "sortie when the record has none.",
)
@click.option(
    "--profile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The drone profile (.toml): take the camera's fields of view from it.",
)
@click.option(
    "--hfov-deg",
    type=click.FloatRange(0, 180, min_open=True, max_open=True),
    help="Camera field of view across the track [deg] (default: the drone profile's).",
)
@click.option(
    "--vfov-deg",
    type=click.FloatRange(0, 180, min_open=True, max_open=True),
    help="Camera field of view along the track [deg] (default: the drone profile's).",
)
@click.pass_context
def report(
    ctx: click.Context,
    sortie_id: int,
    out: Path,
    network: Path | None,
    plan_summary: Path | None,
    profile: Path | None,
    hfov_deg: float | None,
    vfov_deg: float | None,
) -> None:
    """Write a self-contained HTML report of a sortie (opens with no network).

    Targets are judged from the flown track by the patrolled rules, as
    freshness judges them: a point held in view for its dwell time, 90 % of a
    line, 95 % of a grid's flyable area. The camera is the drone profile's
    (--profile, or the one in --plan-summary, else the default profile);
    --hfov-deg and --vfov-deg override its fields of view.
    """
    from dronepatrol.network import NetworkError, load_network
    from dronepatrol.records.report import build_report

    record = _record(ctx, sortie_id)
    camera = _camera(profile, plan_summary)
    camera = replace(
        camera,
        hfov_deg=hfov_deg if hfov_deg else camera.hfov_deg,
        vfov_deg=vfov_deg if vfov_deg else camera.vfov_deg,
    )
    try:
        patrol_network = load_network(network) if network else None
    except NetworkError as exc:
        raise click.BadParameter(
            f"{network}: {exc}; give a patrol network GeoJSON file", param_hint="--network"
        ) from exc
    if plan_summary and not record.summary.targets and record.summary.plan_ref:
        try:
            targets = planned_targets(plan_summary, record.summary.plan_ref)
        except (ValueError, OSError) as exc:
            raise click.BadParameter(f"{plan_summary}: {exc}", param_hint="--plan-summary") from exc
        record = replace(record, summary=replace(record.summary, targets=targets))
    _write_atomically(out, build_report(record, patrol_network, camera))
    click.echo(f"wrote {out}")


def _camera(profile: Path | None, plan_summary: Path | None) -> Camera:
    """The patrol camera of ``--profile``, else of ``--plan-summary``, else the default profile."""
    from dronepatrol.freshness.patrolled import Camera
    from dronepatrol.planning import ProfileError, load_profile

    if profile or not plan_summary:
        try:
            return Camera.of_profile(load_profile(profile))
        except ProfileError as exc:
            raise click.BadParameter(str(exc), param_hint="--profile") from exc
    try:
        data = json.loads(plan_summary.read_text(encoding="utf-8"))
        given = data.get("profile") if isinstance(data, dict) else None
        if not isinstance(given, dict) or not given.get("camera_hfov_deg"):
            raise ValueError("its 'profile' has no camera_hfov_deg; give the planner's summary")
        default = load_profile()
        return Camera(
            hfov_deg=float(given["camera_hfov_deg"]),
            vfov_deg=float(given.get("camera_vfov_deg") or default.camera_vfov_deg),
        )
    except (ValueError, OSError, TypeError) as exc:
        raise click.BadParameter(f"{plan_summary}: {exc}", param_hint="--plan-summary") from exc


def planned_targets(summary_path: Path | str, plan_ref: str) -> list[str]:
    """The targets a planner ``summary.json`` lists for the sortie whose plan is ``plan_ref``.

    ``plan_ref`` matches a sortie's ``id`` or its ``plan``/``waypoints`` file
    name (with or without directories); no match gives an empty list.
    """
    data = json.loads(Path(summary_path).read_text(encoding="utf-8"))
    wanted = {plan_ref, Path(plan_ref).name, Path(plan_ref).stem}
    for sortie in data.get("sorties", []) if isinstance(data, dict) else []:
        names = {str(sortie.get(k, "")) for k in ("id", "plan", "waypoints")}
        names |= {Path(n).stem for n in names if n}
        if wanted & (names - {""}):
            return [str(t) for t in sortie.get("targets", [])]
    return []


@sorties.command("verify")
@click.argument("sortie_id", metavar="ID", type=int)
@click.pass_context
def verify(ctx: click.Context, sortie_id: int) -> None:
    """Check every media file of a sortie against its recorded SHA-256.

    Exits 1 naming each file that changed, is missing or was never hashed.
    """
    from dronepatrol.records.media import verify_media

    record = _record(ctx, sortie_id)
    checks = verify_media(_engine(ctx), record.summary.id)
    if not checks:
        click.echo(f"sortie {sortie_id} has no media files to verify")
        return
    for check in checks:
        click.echo(check.describe())
    bad = [c for c in checks if not c.ok]
    if bad:
        raise click.ClickException(
            f"{len(bad)} of {len(checks)} media file(s) of sortie {sortie_id} failed "
            f"verification: {', '.join(c.path for c in bad)}"
        )
    click.echo(f"all {len(checks)} media file(s) of sortie {sortie_id} match their SHA-256")


@sorties.command("attach")
@click.argument("sortie_id", metavar="ID", type=int)
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--kind",
    type=click.Choice(["tlog", "video", "snapshot", "other"]),
    help="What the files are (default: from the file suffix).",
)
@click.pass_context
def attach(ctx: click.Context, sortie_id: int, files: tuple[Path, ...], kind: str | None) -> None:
    """Register media files (e.g. a camera's own recording) with a sortie, hashing them."""
    from dronepatrol.records.media import register_media

    record = _record(ctx, sortie_id)
    engine = _engine(ctx)
    for path in files:
        register_media(engine, record.summary.id, path, kind)
        click.echo(f"attached {path}")
