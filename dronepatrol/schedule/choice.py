"""The patrol scheduler's decisions: which sortie an idle drone flies next, and when it can.

A drone at a station that is idle and charged takes the most overdue
targets of its station that fit one battery. The choice is made in two
steps so that it stays fast and deterministic:

1. the station's targets are ranked by staleness (age over revisit interval,
   :func:`dronepatrol.network.revisit.most_overdue`), taking those already
   overdue or falling due within a horizon (they fall due while the drone
   is on its way), leaving out targets another drone already flies;
2. the planner (:func:`dronepatrol.planning.plan_sorties`) plans the top few
   into sorties that each fit the battery; the sortie that carries the most
   urgent target is the proposal.

A target whose plan needs more than one battery (a grid too large for one
sortie) cannot count as patrolled from one flown track: it is patrolled in
sections (:mod:`dronepatrol.planning.sections`), each a target of its own
with its own freshness. A grid's section is flown by the sortie planned for
it with the whole grid (``sections``); it flies alone, when it is the most
urgent of the station's due targets. A target that still needs more than
one battery alone is reported as unschedulable rather than flown piecemeal.

The battery turnaround (swap or charge at the station) decides when a
drone that landed can fly again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from dronepatrol.network.model import Network
from dronepatrol.network.revisit import TargetFreshness, most_overdue
from dronepatrol.planning import (
    DroneProfile,
    PlanningError,
    PlanResult,
    Sortie,
    batteries_needed,
    plan_sorties,
)
from dronepatrol.planning.sections import Sectioning
from dronepatrol.schedule.turnaround import ScheduleSettingError, Turnaround

__all__ = [
    "Planner",
    "ScheduleSettingError",
    "SortieChoice",
    "SortieProposal",
    "Turnaround",
    "due_candidates",
    "propose_sortie",
]

Planner = Callable[..., PlanResult]
"""``plan_sorties`` or a stand-in with its signature (network, profile, station_ids, target_ids)."""

BatteryNeed = Callable[[Network, DroneProfile, str], int]
"""``batteries_needed`` or a stand-in: sorties a target certainly needs (>= 2: never whole)."""


@dataclass(frozen=True)
class SortieProposal:
    """The sortie the scheduler would fly next from a station.

    Attributes:
        station: the station id.
        sortie: the planned sortie (mission, targets, duration, energy).
        targets: targets this sortie patrols whole, in flight order.
        urgency: ``(target id, staleness)`` of each, most urgent first
            (staleness: age over interval; > 1 is overdue).
        unschedulable: targets left out with the reason (skipped by the
            planner, or too large for one battery).
    """

    station: str
    sortie: Sortie
    targets: tuple[str, ...]
    urgency: tuple[tuple[str, float], ...]

    def reason(self) -> str:
        """One line for the operator: why this sortie, now."""
        parts = []
        for target_id, staleness in self.urgency[:4]:
            if staleness == float("inf"):
                parts.append(f"{target_id} never patrolled")
            elif staleness > 1.0:
                parts.append(f"{target_id} overdue ({staleness:.1f}x its interval)")
            else:
                parts.append(f"{target_id} due soon")
        more = len(self.urgency) - 4
        if more > 0:
            parts.append(f"{more} more")
        return ", ".join(parts)


@dataclass(frozen=True)
class SortieChoice:
    """What :func:`propose_sortie` found: the proposal (None when nothing is due or
    nothing due can be flown) and the targets it had to leave out, with reasons
    (skipped by the planner, or too large for one battery)."""

    proposal: SortieProposal | None
    unschedulable: dict[str, str] = field(default_factory=dict)


def due_candidates(
    network: Network,
    station_id: str,
    states: Iterable[TargetFreshness],
    horizon_s: float = 0.0,
    exclude: Iterable[str] = (),
) -> list[TargetFreshness]:
    """The station's targets due within ``horizon_s`` [s], most urgent first, minus ``exclude``."""
    own = {t.id for t in network.targets_of(station_id)}
    skip = set(exclude)
    return [
        s for s in most_overdue(states, horizon_s) if s.target_id in own and s.target_id not in skip
    ]


def propose_sortie(
    network: Network,
    profile: DroneProfile,
    station_id: str,
    states: Sequence[TargetFreshness],
    *,
    horizon_s: float = 0.0,
    exclude: Iterable[str] = (),
    max_targets: int = 12,
    planner: Planner = plan_sorties,
    battery_need: BatteryNeed = batteries_needed,
    sections: Sectioning | None = None,
) -> SortieChoice:
    """The next sortie from ``station_id``: the most overdue targets that fit one battery.

    Args:
        network: the patrol network in force.
        profile: the drone profile the planner assumes.
        station_id: where the idle drone stands.
        states: every target's freshness now.
        horizon_s: also take targets falling due within this time [s].
        exclude: targets not to take (flown by another drone right now, or
            known to be unschedulable).
        max_targets: how many of the most urgent targets are planned together;
            more gives fuller sorties and costs planning time.
        planner: the planner (tests pass a stand-in).
        battery_need: sorties a target certainly needs; a target needing two or more
            is left out (unschedulable) before it is planned in company, where it
            would only be found so at the cost of planning it.
        sections: the network's sections (``network`` then holds them in place of their
            targets): a grid section that is the most urgent candidate is flown by its
            own planned sortie; one less urgent waits (its sortie fills a battery).

    Returns:
        The proposal (None when nothing of this station is due) and the
        targets found unschedulable on the way; callers keep the latter out
        of later calls (``exclude``) and show them to the operator.
    """
    if max_targets < 1:
        raise ScheduleSettingError(f"max_targets must be >= 1, got {max_targets!r}")
    skipped: dict[str, str] = {}
    excluded = set(exclude)
    alone: str | None = None  # plan this one by itself: it did not fit in company
    while True:
        candidates = []
        for due in due_candidates(network, station_id, states, horizon_s, excluded):
            if sections is not None and due.target_id in sections.beyond_reach:
                skipped[due.target_id] = sections.beyond_reach[due.target_id]
                excluded.add(due.target_id)
                continue
            ready = sections.sortie_for(due.target_id) if sections is not None else None
            if ready is not None:
                if not candidates:
                    return SortieChoice(_section_proposal(station_id, due, ready), skipped)
                continue
            if alone is not None and due.target_id != alone:
                continue
            try:
                need = battery_need(network, profile, due.target_id)
            except PlanningError as exc:  # e.g. no-fly zones past a planning limit
                skipped[due.target_id] = "; ".join(exc.problems)
                excluded.add(due.target_id)
                continue
            if need > 1:
                skipped[due.target_id] = _too_large(need)
                excluded.add(due.target_id)
                continue
            candidates.append(due)
            if len(candidates) == max_targets:
                break
        if not candidates:
            return SortieChoice(None, skipped)
        ids = [c.target_id for c in candidates]
        try:
            result = planner(network, profile, [station_id], ids)
        except PlanningError as exc:
            # Nothing plannable among these (e.g. every one inside a no-fly zone).
            for target_id in ids:
                skipped[target_id] = "; ".join(exc.problems)
            excluded.update(ids)
            continue
        whole: dict[str, str] = {}
        split: list[str] = []  # flown in parts in this company: whole alone, maybe
        for target_id in ids:
            status = result.targets.get(target_id)
            if status is None or status.status == "skipped" or not status.sorties:
                skipped[target_id] = status.reason if status else "not planned"
            elif len(status.sorties) > 1 and len(ids) == 1:
                skipped[target_id] = _too_large(len(status.sorties))
            elif len(status.sorties) > 1:
                split.append(target_id)
            else:
                whole[target_id] = status.sorties[0]
        top = next((c for c in candidates if c.target_id in whole), None)
        if split and ids[0] in split:  # the most urgent was cut up by its company
            alone = ids[0]
            continue
        alone = None
        if top is None:
            excluded.update(ids)
            continue
        chosen_id = whole[top.target_id]
        sortie = next(s for s in result.sorties if s.id == chosen_id)
        flown = [t for t in sortie.targets if whole.get(t) == chosen_id]
        rank = {c.target_id: n for n, c in enumerate(candidates)}
        staleness = {c.target_id: c.staleness for c in candidates}
        urgency = tuple(
            (t, staleness[t]) for t in sorted(flown, key=lambda t: rank.get(t, len(rank)))
        )
        proposal = SortieProposal(
            station=station_id, sortie=sortie, targets=tuple(flown), urgency=urgency
        )
        return SortieChoice(proposal, skipped)


def _section_proposal(station_id: str, due: TargetFreshness, sortie: Sortie) -> SortieProposal:
    """A grid section's own sortie, flying that section (the sortie was planned for the
    whole grid: its targets become the section)."""
    flown = replace(sortie, targets=(due.target_id,))
    return SortieProposal(
        station=station_id,
        sortie=flown,
        targets=(due.target_id,),
        urgency=((due.target_id, due.staleness),),
    )


def _too_large(sorties: int) -> str:
    return f"needs {sorties} sorties to patrol whole; it cannot be patrolled on one battery"
