"""Incident dispatch: which drone gets there first and can stay long enough.

Candidates are idle drones at their stations and drones on patrol (which
would be diverted: their patrol pauses and keeps its remaining items). The
earliest feasible arrival wins; everyone else is listed with their ETA or
the reason they cannot go, so the commander sees why.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from dronepatrol.geo import distance_m
from dronepatrol.responders import (
    DistanceFn,
    Reach,
    Responder,
    ResponderState,
    ResponseModel,
    reach,
)


@dataclass(frozen=True)
class DispatchProposal:
    """The dispatcher's answer for one incident.

    Attributes:
        chosen: the drone to send, or None when nobody can go.
        diverts_patrol: True when the chosen drone is on patrol and will be diverted.
        options: every candidate, feasible ones first by ETA, then the rest.
    """

    chosen: Reach | None
    diverts_patrol: bool
    options: tuple[Reach, ...]


def propose_dispatch(
    responders: Iterable[Responder],
    lat_deg: float,
    lon_deg: float,
    hold_s: float,
    model: ResponseModel | None = None,
    distance_fn: DistanceFn = distance_m,
) -> DispatchProposal:
    """The drone with the earliest feasible arrival at (lat, lon) [deg].

    Ties (equal ETA) prefer an idle drone over diverting a patrol, then the
    lower vehicle id, so the answer is deterministic.
    """
    model = model or ResponseModel()
    by_id = {r.vehicle_id: r for r in responders}
    options = [reach(r, lat_deg, lon_deg, hold_s, model, distance_fn) for r in by_id.values()]

    def order(option: Reach) -> tuple[bool, float, bool, str]:
        patrolling = by_id[option.vehicle_id].state is ResponderState.PATROLLING
        eta = option.eta_s if math.isfinite(option.eta_s) else math.inf
        return (not option.feasible, eta, patrolling, option.vehicle_id)

    options.sort(key=order)
    chosen = options[0] if options and options[0].feasible else None
    diverts = chosen is not None and by_id[chosen.vehicle_id].state is ResponderState.PATROLLING
    return DispatchProposal(chosen=chosen, diverts_patrol=diverts, options=tuple(options))
