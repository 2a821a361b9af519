"""``dronepatrol network``: check and summarise patrol networks (GeoJSON)."""

from __future__ import annotations

import json

import click


@click.group()
def network() -> None:
    """Work with patrol networks: grids, lines, points, no-fly zones and stations.

    A network is a GeoJSON FeatureCollection; each feature's properties give
    its kind (grid, line, point, nofly, station, overwatch), a unique id and,
    for targets, a priority (key, attention, general) and optionally the owning
    station and overrides (altitude_m, revisit_min, dwell_s, orbit_radius_m).
    Overwatch points name their lockdown plan(s) in 'lockdown'.
    """


@network.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print issues and summary as JSON.")
def check(file: str, as_json: bool) -> None:
    """Validate a patrol network FILE: print every problem at once, then a summary.

    Exit status 2 when the file has errors (each line names the feature and
    the fix), 0 otherwise (warnings included).
    """
    from dronepatrol.network import ERROR, format_summary, read_network, summarize

    net, issues = read_network(file)
    errors = [i for i in issues if i.severity == ERROR]
    summary = summarize(net) if net is not None else None
    if as_json:
        click.echo(
            json.dumps(
                {
                    "file": file,
                    "ok": not errors,
                    "issues": [
                        {"severity": i.severity, "feature": i.feature, "message": i.message}
                        for i in issues
                    ],
                    "summary": summary,
                },
                indent=2,
            )
        )
    else:
        for issue in issues:
            click.echo(f"{file}: {issue}", err=issue.severity == ERROR)
        if summary is not None:
            click.echo(format_summary(summary))
        warnings = len(issues) - len(errors)
        verdict = "errors" if errors else "ok"
        click.echo(f"{file}: {verdict}: {len(errors)} error(s), {warnings} warning(s)")
    if errors:
        raise SystemExit(2)
