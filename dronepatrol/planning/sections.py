"""Sections: battery-sized parts of a target too large for one sortie.

A grid of 20 km2 or a line of 30 km cannot be flown on one battery, so no
single flown track can patrol it whole. Such a target is cut into sections,
each flown on one battery from the target's station. Each section is a
target of its own for the scheduler and for the patrolled rules (a grid
section is patrolled when 95 % of its flyable area was imaged, a line section
90 % of its length); the whole target is as fresh as its stalest section.

Grids: the planner's own plan of the grid alone, from its station, is cut
into sorties already (chunks of lanes packed into batteries, the most
efficient way it knows to fly the grid). Each of those sorties is a section:
its geometry is what the sortie's lanes image of the grid (the lanes at
patrol height, widened to :data:`IMAGED_WIDTH_SHARE` of the camera's
footprint), and the scheduler flies that very sortie when the section is
due. Re-planning a part of a grid as a target of its own would fly a
headland ring round every part and short lanes: about twice the sorties.
What the plan leaves unflown (beyond a battery's reach of the station) is one
more section that cannot be flown, so the whole grid is never called
patrolled while it is not.

Lines: cut into parts of equal length, as many as the planner needed
sorties for the line alone (and a quarter more), and a part that still needs
more than one battery alone is cut again; the scheduler plans line sections
like any target, in company. A part beyond reach is a section that cannot
be flown.

Ids are the target's with ``#`` and the section's number, e.g. ``G014#3``
(a line part cut again: ``L031#2.1``). All is deterministic from the network
and the profile, and computed once per network and profile
(:func:`sections_of` remembers the last few): cutting a city plans each of
its large targets alone.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import shapely
from shapely.geometry import LineString, MultiPolygon, Polygon
from shapely.ops import substring

from dronepatrol.geo import LocalFrame
from dronepatrol.network.model import Kind, Network, Target
from dronepatrol.planning.errors import PlanningError
from dronepatrol.planning.planner import PlanResult, Sortie, batteries_needed, plan_sorties
from dronepatrol.planning.profile import DroneProfile

SECTION_MARK = "#"
"""Separates a target's id from its section's number: ``G014#3``."""

IMAGED_WIDTH_SHARE = 0.9
"""A grid section is its lanes widened to this share of the camera footprint's width:
a little under what the camera sees, so that a flown track a few metres off its lanes
still images 95 % of the section."""

UNFLOWN_SHARE = 0.05
"""A grid whose plan leaves more than this share of its flyable area unflown (beyond a
battery's reach) gets a section that cannot be flown: the patrolled rule needs 95 %."""

MAX_CUTS = 3
"""Rounds of cutting again a line part that still needs more than one battery (or
reaches beyond one); a part left over after them is a section that cannot be flown."""

CUT_MARGIN = 1.25
"""Line parts per sortie the planner needed for the whole line: equal parts fill a
battery unevenly (a far part adds transit), so a quarter more parts than sorties."""

SECTIONINGS_KEPT = 4
"""Networks (with their profile) whose sections are remembered."""


def whole_id(unit_id: str) -> str:
    """The target a section belongs to (a target's own id is its own whole).

    >>> whole_id("G014#3"), whole_id("G014")
    ('G014', 'G014')
    """
    return unit_id.split(SECTION_MARK, 1)[0]


@dataclass(frozen=True)
class Sectioning:
    """The sections of a network's targets too large for one battery.

    Attributes:
        network: the network cut.
        sections: each cut target's section targets (ids ``G014#3``), in order; their
            station, priority and revisit interval are the target's.
        sorties: the sortie that flies each grid section (from the grid's plan alone).
        beyond_reach: sections that cannot be flown from their station, with why.
    """

    network: Network
    sections: Mapping[str, tuple[Target, ...]]
    sorties: Mapping[str, Sortie] = field(default_factory=dict)
    beyond_reach: Mapping[str, str] = field(default_factory=dict)
    _units: dict[tuple, Network] = field(default_factory=dict, compare=False, repr=False)

    def section_ids(self, target_id: str) -> tuple[str, ...]:
        """The section ids of a target; empty when it is flown whole."""
        return tuple(s.id for s in self.sections.get(target_id, ()))

    def sortie_for(self, section_id: str) -> Sortie | None:
        """The planned sortie that flies a grid section (None: plan it like any target)."""
        return self.sorties.get(section_id)

    def units_of(self, network: Network) -> Network:
        """``network`` (the base, or one with large events' targets added) with each cut
        target replaced by its sections: what the scheduler plans and the patrolled
        rules judge. Remembered for the last few target lists (asked every pass).
        """
        if not self.sections:
            return network
        key = (tuple(t.id for t in network.targets), id(network.nofly), id(network.stations))
        held = self._units.get(key)
        if held is not None:
            return held
        targets: list[Target] = []
        for target in network.targets:
            targets.extend(self.sections.get(target.id, (target,)))
        units = Network(
            tuple(targets), network.nofly, network.stations, network.name, network.overwatch
        )
        if len(self._units) >= 4:
            self._units.pop(next(iter(self._units)))
        self._units[key] = units
        return units

    def whole_last_patrolled(self, last: Mapping[str, float]) -> dict[str, float]:
        """Each cut target's last patrolled time [s since the epoch]: its stalest
        section's, once every section was patrolled (or the target's own, when one track
        patrolled it whole later). Cut targets never patrolled so are left out."""
        out: dict[str, float] = {}
        for target_id, sections in self.sections.items():
            times = [last.get(s.id) for s in sections]
            stalest = None if None in times else min(t for t in times if t is not None)
            own = last.get(target_id)
            best = max((t for t in (stalest, own) if t is not None), default=None)
            if best is not None:
                out[target_id] = best
        return out


_sectionings: OrderedDict[tuple[int, DroneProfile], Sectioning] = OrderedDict()
_lock = threading.Lock()


def sections_of(network: Network, profile: DroneProfile) -> Sectioning:
    """The network's sections for drones of ``profile`` (computed once, then remembered)."""
    key = (id(network), profile)
    with _lock:
        held = _sectionings.get(key)
        if held is not None and held.network is network:
            _sectionings.move_to_end(key)
            return held
    made = cut_sections(network, profile)
    with _lock:
        _sectionings[key] = made
        while len(_sectionings) > SECTIONINGS_KEPT:
            _sectionings.popitem(last=False)
    return made


def cut_sections(network: Network, profile: DroneProfile) -> Sectioning:
    """Cut every grid and line of ``network`` that one battery cannot patrol whole.

    Points are never cut (a point is one hover or orbit). A target the planner cannot
    fly at all (inside a no-fly zone, past a planning limit, its station beyond reach)
    is left whole: the scheduler reports it as it does today.
    """
    frame = LocalFrame(*network.centre())
    nofly = shapely.union_all([z.geometry for z in network.nofly]) if network.nofly else None
    sections: dict[str, tuple[Target, ...]] = {}
    sorties: dict[str, Sortie] = {}
    beyond: dict[str, str] = {}
    lines: dict[str, list[tuple[str, LineString]]] = {}
    for target in network.targets:
        if target.kind is Kind.POINT:
            continue
        plan = _plan_alone(network, profile, target)
        if plan is None:
            continue
        status = plan.targets[target.id]
        if len(status.sorties) < 2 and status.status == "planned":
            continue  # flown whole on one battery
        if target.kind is Kind.GRID and isinstance(target.geometry, Polygon):
            cut = _grid_sections(target, plan, profile, frame, nofly)
            sections[target.id] = tuple(t for t, _ in cut)
            sorties.update((t.id, s) for t, s in cut if s is not None)
            beyond.update((t.id, _beyond_reason(target)) for t, s in cut if s is None)
        elif target.kind is Kind.LINE and isinstance(target.geometry, LineString):
            parts = split_line(target.geometry, _parts(len(status.sorties)))
            lines[target.id] = [
                (f"{target.id}{SECTION_MARK}{n + 1}", g) for n, g in enumerate(parts)
            ]
    cut_lines, line_beyond = _cut_lines(network, profile, lines)
    for target_id, pieces in cut_lines.items():
        sections[target_id] = tuple(_section(network.target(target_id), p, g) for p, g in pieces)
    beyond.update(line_beyond)
    ordered = {t.id: sections[t.id] for t in network.targets if t.id in sections}
    return Sectioning(network, ordered, sorties, beyond)


def _grid_sections(
    target: Target, plan: PlanResult, profile: DroneProfile, frame: LocalFrame, nofly
) -> list[tuple[Target, Sortie | None]]:
    """A grid's sections: what each sortie of its plan alone images of it, then what no
    sortie reaches (when more than :data:`UNFLOWN_SHARE` of its flyable area)."""
    grid_xy = frame.geometry_to_xy(target.geometry)
    flyable = grid_xy if nofly is None else grid_xy.difference(frame.geometry_to_xy(nofly))
    patrol_alt = target.altitude_m if target.altitude_m is not None else profile.patrol_altitude_m
    width = 2 * patrol_alt * math.tan(math.radians(profile.camera_hfov_deg) / 2)
    flown = {s.id: s for s in plan.sorties}
    out: list[tuple[Target, Sortie | None]] = []
    seen = []
    for n, sortie_id in enumerate(plan.targets[target.id].sorties):
        sortie = flown[sortie_id]
        imaged = _lanes_imaged(sortie, patrol_alt, width * IMAGED_WIDTH_SHARE / 2, frame)
        part = shapely.intersection(flyable, imaged)
        if part.is_empty or part.area <= 0:
            continue
        seen.append(imaged)
        section_id = f"{target.id}{SECTION_MARK}{n + 1}"
        geometry = frame.geometry_to_lonlat(_areal(part))
        out.append((_section(target, section_id, geometry), sortie))
    rest = flyable.difference(shapely.union_all(seen)) if seen else flyable
    if flyable.area > 0 and rest.area > UNFLOWN_SHARE * flyable.area:
        section_id = f"{target.id}{SECTION_MARK}{len(out) + 1}"
        geometry = frame.geometry_to_lonlat(_areal(rest))
        out.append((_section(target, section_id, geometry), None))
    return out


def _lanes_imaged(sortie: Sortie, alt_m: float, half_width_m: float, frame: LocalFrame):
    """The strip the sortie's lanes at ``alt_m`` image [local metres]."""
    lat = [p[0] for p in sortie.track]
    lon = [p[1] for p in sortie.track]
    xs, ys = frame.to_xy(lon, lat)
    legs = [
        LineString([(xs[k], ys[k]), (xs[k + 1], ys[k + 1])])
        for k in range(len(sortie.track) - 1)
        if abs(sortie.track[k][2] - alt_m) < 1.0 and abs(sortie.track[k + 1][2] - alt_m) < 1.0
    ]
    if not legs:
        return Polygon()
    return shapely.union_all(shapely.buffer(legs, half_width_m, cap_style="flat"))


def _areal(geometry) -> Polygon | MultiPolygon:
    """The polygons of a geometry (an intersection may bring lines and points along)."""
    parts = [g for g in shapely.get_parts(geometry) if isinstance(g, Polygon) and g.area > 0]
    if len(parts) == 1:
        return parts[0]
    return MultiPolygon(parts)


def _cut_lines(
    network: Network, profile: DroneProfile, parts: dict[str, list[tuple[str, LineString]]]
) -> tuple[dict[str, list[tuple[str, LineString]]], dict[str, str]]:
    """Judge each line part alone and cut again those needing more than one battery."""
    final: dict[str, list[tuple[str, LineString]]] = {t: [] for t in parts}
    beyond: dict[str, str] = {}
    pending = parts
    for cut in range(MAX_CUTS + 1):
        if not pending:
            break
        # every part, judged or not, is in the trial: the planner's frame stays the network's
        trial = _with_parts(network, {t: final[t] + pending.get(t, []) for t in final})
        again: dict[str, list[tuple[str, LineString]]] = {}
        for target_id, pieces in pending.items():
            for part_id, geometry in pieces:
                need = _need_alone(trial, profile, part_id)
                if need == 1:
                    final[target_id].append((part_id, geometry))
                elif need is None or need == 0 or cut == MAX_CUTS:
                    final[target_id].append((part_id, geometry))
                    beyond[part_id] = _beyond_reason(trial.target(part_id))
                else:
                    again.setdefault(target_id, []).extend(
                        (f"{part_id}.{n + 1}", g)
                        for n, g in enumerate(split_line(geometry, _parts(need)))
                    )
        pending = again
    for pieces in final.values():
        pieces.sort(key=lambda p: _order(p[0]))
    return final, beyond


def split_line(line: LineString, parts: int) -> list[LineString]:
    """A line cut into ``parts`` of equal length, in its own order.

    >>> [round(p.length, 3) for p in split_line(LineString([(0, 0), (3, 0)]), 3)]
    [1.0, 1.0, 1.0]
    """
    out = []
    for k in range(parts):
        piece = substring(line, k / parts, (k + 1) / parts, normalized=True)
        if isinstance(piece, LineString) and piece.length > 0:
            out.append(piece)
    return out


def _plan_alone(network: Network, profile: DroneProfile, target: Target) -> PlanResult | None:
    """The target's plan alone from its station; None when it cannot be flown at all."""
    try:
        if batteries_needed(network, profile, target.id) == 0:
            return None
        plan = plan_sorties(network, profile, [target.station], [target.id])
    except PlanningError:
        return None
    status = plan.targets.get(target.id)
    if status is None or status.status == "skipped" or not status.sorties:
        return None
    return plan


def _need_alone(network: Network, profile: DroneProfile, target_id: str) -> int | None:
    """Sorties a line part needs alone: 1 fits, 0 beyond reach, None cannot be planned;
    one planned only in part (its far end beyond reach) needs 2 (its halves are judged)."""
    try:
        if batteries_needed(network, profile, target_id) == 0:
            return 0
        target = network.target(target_id)
        result = plan_sorties(network, profile, [target.station], [target_id])
    except PlanningError:
        return None
    status = result.targets.get(target_id)
    if status is None or status.status == "skipped" or not status.sorties:
        return 0
    if len(status.sorties) == 1:
        return 1 if status.status == "planned" else 2
    return len(status.sorties)


def _parts(sorties: int) -> int:
    return max(2, math.ceil(sorties * CUT_MARGIN))


def _beyond_reason(target: Target) -> str:
    return f"beyond one battery's reach of station {target.station}"


def _with_parts(network: Network, parts: Mapping[str, list]) -> Network:
    targets: list[Target] = []
    for target in network.targets:
        pieces = parts.get(target.id)
        if pieces is None:
            targets.append(target)
        else:
            targets.extend(_section(target, pid, g) for pid, g in pieces)
    return Network(tuple(targets), network.nofly, network.stations, network.name)


def _section(target: Target, part_id: str, geometry) -> Target:
    name = f"{target.name or target.id} section {part_id.split(SECTION_MARK, 1)[1]}"
    return replace(target, id=part_id, geometry=geometry, name=name)


def _order(part_id: str) -> tuple[int, ...]:
    return tuple(int(n) for n in part_id.split(SECTION_MARK, 1)[1].split("."))
