"""``dronepatrol plan``: plan sorties over a patrol network and write the mission files."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import click


class PlanFailed(click.ClickException):
    """Planning cannot go ahead: bad input or an unsafe plan. Exit status 2, nothing written."""

    exit_code = 2


def _split_ids(value: str | None) -> list[str] | None:
    if value is None:
        return None
    ids = [v.strip() for v in value.split(",") if v.strip()]
    if not ids:
        raise click.BadParameter("give one or more target ids separated by commas")
    return ids


@click.command()
@click.argument("network_file", metavar="NETWORK", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory for the .plan and .waypoints files and summary.json (created; must be "
    "empty or absent).",
)
@click.option(
    "--station",
    "stations",
    multiple=True,
    metavar="ID",
    help="Plan only this station's targets (repeat for several). Default: every station.",
)
@click.option("--targets", metavar="ID,...", help="Plan only these targets (comma-separated).")
@click.option(
    "--profile",
    "profile_file",
    type=click.Path(dir_okay=False),
    help="Drone profile (TOML) overriding the shipped defaults; see `dronepatrol plan "
    "--print-profile`.",
)
@click.option(
    "--limit",
    "limits",
    multiple=True,
    metavar="KEY=VALUE",
    help="Raise or lower a planning limit, e.g. --limit max_grid_area_km2=200 (repeat for "
    "several). Requests past a limit are refused before planning.",
)
@click.option(
    "--print-profile",
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=lambda ctx, _p, value: _print_profile(ctx) if value else None,
    help="Print the default drone profile (documented TOML) and exit.",
)
def plan(
    network_file: str,
    out_dir: str,
    stations: tuple[str, ...],
    targets: str | None,
    profile_file: str | None,
    limits: tuple[str, ...],
) -> None:
    """Plan waypoint missions (QGroundControl .plan and .waypoints) for a patrol NETWORK.

    Every station's grids, lines and points are planned unless --station or
    --targets narrow it. Each sortie takes off at its station, flies around
    no-fly zones, and lands back there within the battery. DIR gets one .plan
    and one .waypoints per sortie and summary.json; nothing is written when
    planning fails (exit status 2 with every reason).
    """
    from dronepatrol.missionfiles import plan_text, waypoints_text
    from dronepatrol.network import NetworkError, load_network
    from dronepatrol.planning import (
        PlanningError,
        PlanningLimits,
        ProfileError,
        load_profile,
        plan_sorties,
    )

    out = Path(out_dir)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise PlanFailed(
            f"--out {out_dir}: exists and is not an empty directory; give a new directory"
        )
    try:
        planning_limits = PlanningLimits().with_text(list(limits))
    except ValueError as exc:
        raise PlanFailed(f"--limit {exc}") from exc
    try:
        profile = load_profile(profile_file)
    except ProfileError as exc:
        raise PlanFailed(f"--profile: {exc}") from exc
    try:
        net = load_network(network_file)
    except NetworkError as exc:
        for issue in exc.issues:
            click.echo(f"{network_file}: {issue}", err=True)
        raise PlanFailed(
            f"{network_file} has errors; fix them (see `dronepatrol network check`)"
        ) from exc
    with click.progressbar(
        length=max(len(stations) or len(net.stations), 1),
        label="planning stations",
        file=sys.stderr,
    ) as bar:

        def progress(_label: str, done: int, total: int) -> None:
            bar.update(done - bar.pos)

        try:
            result = plan_sorties(
                net,
                profile,
                station_ids=stations or None,
                target_ids=_split_ids(targets),
                progress=progress,
                limits=planning_limits,
            )
        except PlanningError as exc:
            raise PlanFailed(f"{network_file}: {exc}") from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for sortie in result.sorties:
            (scratch / f"{sortie.id}.plan").write_text(
                plan_text(sortie.mission, cruise_speed_mps=profile.cruise_speed_mps),
                encoding="utf-8",
            )
            (scratch / f"{sortie.id}.waypoints").write_text(
                waypoints_text(sortie.mission), encoding="utf-8"
            )
        summary = result.summary()
        (scratch / "summary.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
        if out.exists():
            out.rmdir()
        os.replace(scratch, out)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    totals = summary["totals"]
    click.echo(
        f"{totals['sorties']} sorties from {totals['stations']} station(s), "
        f"{totals['items']} mission items, {totals['length_m'] / 1000:.1f} km, "
        f"{totals['duration_s'] / 60:.0f} min of flight; targets: {totals['targets_planned']} "
        f"planned, {totals['targets_partial']} partial, {totals['targets_skipped']} skipped"
    )
    for tid, status in summary["targets"].items():
        if status["status"] != "planned":
            click.echo(f"  {tid}: {status['status']}: {status.get('reason', '')}")
    crossing = [s["id"] for s in summary["sorties"] if not s["rtl_clear"]]
    if crossing:
        click.echo(
            f"  note: a straight failsafe RTL from {', '.join(crossing)} would cross a no-fly "
            "zone; fly them with ArduPilot's fence-aware avoidance (OA_TYPE 2) and the fence"
        )
    click.echo(f"wrote {out}")


def _print_profile(ctx: click.Context) -> None:
    from dronepatrol.planning import default_profile_text

    click.echo(default_profile_text(), nl=False)
    ctx.exit(0)
