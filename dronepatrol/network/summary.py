"""What a patrol network holds: counts per kind and priority, areas and lengths."""

from __future__ import annotations

from typing import Any

import shapely

from dronepatrol.geo import LocalFrame
from dronepatrol.network.model import Kind, Network, Priority


def summarize(network: Network) -> dict[str, Any]:
    """A JSON-ready summary of ``network``.

    Keys: ``counts`` (per kind), ``priorities`` (per target kind, per level),
    ``grid_area_km2`` (total grid area), ``flyable_grid_area_km2`` (grid area
    outside no-fly zones), ``nofly_area_km2``, ``line_length_km``, ``stations``
    (targets per station), ``lockdown_plans`` (overwatch points per plan).
    """
    counts = {kind.value: 0 for kind in Kind}
    priorities = {
        kind.value: {p.value: 0 for p in Priority} for kind in (Kind.GRID, Kind.LINE, Kind.POINT)
    }
    for target in network.targets:
        counts[target.kind.value] += 1
        priorities[target.kind.value][target.priority.value] += 1
    counts[Kind.NOFLY.value] = len(network.nofly)
    counts[Kind.STATION.value] = len(network.stations)
    counts[Kind.OVERWATCH.value] = len(network.overwatch)
    summary: dict[str, Any] = {
        "counts": counts,
        "priorities": priorities,
        "grid_area_km2": 0.0,
        "flyable_grid_area_km2": 0.0,
        "nofly_area_km2": 0.0,
        "line_length_km": 0.0,
        "stations": {s.id: len(network.targets_of(s.id)) for s in network.stations},
        "lockdown_plans": {name: len(p) for name, p in network.lockdown_plans().items()},
    }
    if not network.targets and not network.nofly:
        return summary
    lat0, lon0 = network.centre()
    frame = LocalFrame(lat0, lon0)
    grids = [frame.geometry_to_xy(t.geometry) for t in network.targets if t.kind is Kind.GRID]
    lines = [frame.geometry_to_xy(t.geometry) for t in network.targets if t.kind is Kind.LINE]
    zones = shapely.union_all([frame.geometry_to_xy(z.geometry) for z in network.nofly])
    grid_area = float(sum(g.area for g in grids))
    flyable = float(sum(g.difference(zones).area for g in grids)) if grids else 0.0
    summary["grid_area_km2"] = round(grid_area / 1e6, 4)
    summary["flyable_grid_area_km2"] = round(flyable / 1e6, 4)
    summary["nofly_area_km2"] = round(float(zones.area) / 1e6, 4)
    summary["line_length_km"] = round(float(sum(line.length for line in lines)) / 1e3, 3)
    return summary


def format_summary(summary: dict[str, Any]) -> str:
    """The summary as a few human lines (for ``dronepatrol network check``)."""
    counts = summary["counts"]
    lines = [
        "{grid} grids, {line} lines, {point} points, {nofly} no-fly zones, "
        "{station} stations".format(**counts)
    ]
    for kind, levels in summary["priorities"].items():
        if counts[kind]:
            parts = ", ".join(f"{n} {level}" for level, n in levels.items() if n)
            lines.append(f"  {kind}s by priority: {parts}")
    if summary["lockdown_plans"]:
        plans = ", ".join(f"{name} ({n})" for name, n in summary["lockdown_plans"].items())
        lines.append(f"{counts['overwatch']} overwatch points in lockdown plans: {plans}")
    lines.append(
        f"grid area {summary['grid_area_km2']:.3f} km2 "
        f"({summary['flyable_grid_area_km2']:.3f} km2 outside no-fly zones); "
        f"no-fly area {summary['nofly_area_km2']:.3f} km2; "
        f"line length {summary['line_length_km']:.2f} km"
    )
    return "\n".join(lines)
