"""Limits on what one planning request may ask for, checked before any work starts.

The planner's memory and time grow about linearly with the work (lanes over
grid area, line length, points), except in a few places that grow faster with
one input's detail: growing and simplifying the no-fly zones (their corners;
the shortest paths between them are cubic in the corners of a simplified
outline, at most :data:`~dronepatrol.planning.routing.MAX_CORNER_NODES`) and
the paths inside one grid's flyable area (pairs of its corners). A request
past any limit is refused at once with a :class:`PlanningLimitError` naming
the limit, its value and the request's figure, so that an oversized network
fails loudly (CLI exit status 2, HTTP 413) instead of running the machine out
of memory.

The defaults leave a real city (129 grids over 420 km2, 105 lines over 518
km, 677 points, 12 no-fly zones) far inside them; a deployment can set others
(``dronepatrol plan --limit KEY=VALUE``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace

from dronepatrol.geo import LocalFrame
from dronepatrol.network.model import Kind, Network, NoFlyZone, Target
from dronepatrol.planning.errors import PlanningError


class PlanningLimitError(PlanningError):
    """The request is larger than a configured :class:`PlanningLimits` allows."""


@dataclass(frozen=True)
class PlanningLimits:
    """Upper bounds on one planning request.

    Attributes:
        max_targets: grids, lines and points planned in one request.
        max_grid_area_km2: area of any one grid [km2].
        max_total_grid_area_km2: area of every grid planned, together [km2].
        max_total_line_km: length of every line planned, together [km].
        max_grid_vertices: corners of any one grid, holes included.
        max_nofly_vertices: corners of every no-fly zone of the network, together.
        max_nofly_zones: no-fly zones of the network. Each apart from the others adds
            corners to the transit graph, whose all-pairs step is cubic in them
            (150 zones apart: about 3 s; 300: about 40 s).
    """

    max_targets: int = 20_000
    max_grid_area_km2: float = 100.0
    max_total_grid_area_km2: float = 2_500.0
    max_total_line_km: float = 5_000.0
    max_grid_vertices: int = 2_000
    max_nofly_vertices: int = 20_000
    max_nofly_zones: int = 150

    def with_text(self, items: list[str]) -> PlanningLimits:
        """These limits with ``KEY=VALUE`` items applied; ValueError names a bad item."""
        known = {f.name: f.type for f in fields(self)}
        changes: dict[str, float | int] = {}
        for item in items:
            key, sep, value = item.partition("=")
            key = key.strip()
            if not sep or key not in known:
                raise ValueError(
                    f"{item!r}: give KEY=VALUE with KEY one of {', '.join(sorted(known))}"
                )
            try:
                number = float(value)
            except ValueError:
                raise ValueError(f"{item!r}: {value.strip()!r} is not a number") from None
            if not math.isfinite(number) or number <= 0:
                raise ValueError(f"{item!r}: the limit must be a positive number")
            changes[key] = int(number) if known[key] in (int, "int") else number
        return replace(self, **changes)


def nofly_problems(zones: Sequence[NoFlyZone], limits: PlanningLimits) -> list[str]:
    """What the no-fly zones go past (corners together, zones), one line each."""
    problems = []
    corners = sum(len(z.geometry.exterior.coords) - 1 for z in zones)
    for name, figure, what in (
        ("max_nofly_vertices", corners, "the no-fly zones' corners together"),
        ("max_nofly_zones", len(zones), "the number of no-fly zones"),
    ):
        limit = getattr(limits, name)
        if figure > limit:
            problems.append(
                f"{what} is {figure:,}, over the planning limit {name} = {limit:,g}; "
                "merge neighbouring zones or simplify their outlines, or raise the limit"
            )
    return problems


def check_nofly(zones: Sequence[NoFlyZone], limits: PlanningLimits | None = None) -> None:
    """Raise :class:`PlanningLimitError` when routing round ``zones`` is past a limit:
    before a transit graph is built (planner, scheduler, errands)."""
    problems = nofly_problems(zones, limits or PlanningLimits())
    if problems:
        raise PlanningLimitError(problems)


def _vertices(target: Target) -> int:
    geometry = target.geometry
    rings = [geometry.exterior, *geometry.interiors]
    return sum(len(r.coords) - 1 for r in rings)


def check_limits(
    network: Network, target_ids: list[str], limits: PlanningLimits, frame: LocalFrame
) -> None:
    """Raise :class:`PlanningLimitError` listing every limit the request goes past."""
    problems: list[str] = []

    def over(name: str, figure: float, what: str, unit: str = "") -> None:
        limit = getattr(limits, name)
        if figure > limit:
            problems.append(
                f"{what} is {figure:,.1f}{unit}, over the planning limit {name} = {limit:,g}; "
                "plan fewer stations or targets at once, or raise the limit"
            )

    over("max_targets", len(target_ids), "the number of targets asked for")
    problems += nofly_problems(network.nofly, limits)
    grid_area = line_km = 0.0
    for tid in target_ids:
        target = network.target(tid)
        if target.kind is Kind.GRID:
            corners = _vertices(target)
            if corners > limits.max_grid_vertices:
                over("max_grid_vertices", corners, f"grid {tid}'s corners")
            area = frame.geometry_to_xy(target.geometry).area / 1e6
            if area > limits.max_grid_area_km2:
                over("max_grid_area_km2", area, f"grid {tid}'s area", " km2")
            grid_area += area
        elif target.kind is Kind.LINE:
            line_km += frame.geometry_to_xy(target.geometry).length / 1000
    over("max_total_grid_area_km2", grid_area, "the grids' area together", " km2")
    over("max_total_line_km", line_km, "the lines' length together", " km")
    if problems:
        raise PlanningLimitError(problems)
