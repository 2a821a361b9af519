"""Why an overwatch point was left uncovered, named per drone.

A commander reading "uncovered" needs the cause he can act on: a drone out of
range needs a closer station, one short of battery a fresh pack, one on patrol
with its charge spent an earlier return, one busy elsewhere a release. Each
drone of the fleet gets one :class:`Cause` for the point; the point's reason
lists the best-placed drones first (earliest arrival), so the headline is the
drone that would otherwise have gone.

>>> from dronepatrol.responders import Reach, Responder, ResponderState
>>> patrol = Responder("S01-2", ResponderState.PATROLLING, 0, 0, 60, 0.31, 0, 0)
>>> lack = Reach("S01-2", 200.0, 0.64, False, "battery: needs 64%, has 31%")
>>> busy = Responder("S01-1", ResponderState.IDLE, 0, 0, 0, 1.0, 0, 0)
>>> ok = Reach("S01-1", 90.0, 0.4, True)
>>> causes = drone_causes([patrol, busy], [lack, ok], {"S01-1": "X2"})
>>> [c.cause.value for c in causes]
['holds_another', 'on_patrol']
>>> describe(causes)
'S01-1 holds another point (X2); S01-2 is away on patrol with too little battery (31 %, needs 64 %)'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

from dronepatrol.responders import Reach, Responder, ResponderState


class Cause(Enum):
    """Why one drone does not hold a given point."""

    OUT_OF_RANGE = "out_of_range"  # no flyable route, or more than a full pack needs
    BATTERY_LOW = "battery_low"  # on the ground with too little charge: a fresh pack would do
    ON_PATROL = "on_patrol"  # away on patrol, its charge too spent to go, hold and return
    IN_THE_AIR = "in_the_air"  # answering an incident, holding elsewhere, or coming home
    HOLDS_ANOTHER = "holds_another"  # it could, but this lockdown gave it another point
    UNAVAILABLE = "unavailable"  # link lost, no position, not ready to arm
    NO_DRONE = "no_drone"  # the fleet has no drone at all


AWAY = {
    ResponderState.ON_INCIDENT: "answering an incident",
    ResponderState.HOLDING: "holding a point",
    ResponderState.RETURNING: "returning home",
}
"""What an airborne drone that may not be diverted is doing, by state."""


@dataclass(frozen=True)
class DroneCause:
    """One drone's reason for not holding a point.

    Attributes:
        vehicle_id: the drone.
        cause: see :class:`Cause`.
        text: the reason in an operator's words, naming the drone.
        eta_s: when it would have arrived [s]; infinite when it could not go at all.
    """

    vehicle_id: str
    cause: Cause
    text: str
    eta_s: float = math.inf


def drone_cause(responder: Responder, option: Reach, holds: str | None) -> DroneCause:
    """Why ``responder`` (whose reach of the point is ``option``) does not hold it.

    ``holds`` is the point the lockdown gave it instead, None when it has none.
    """
    v = responder.vehicle_id
    state = responder.state
    if state in AWAY:
        return DroneCause(v, Cause.IN_THE_AIR, f"{v} is in the air elsewhere ({AWAY[state]})")
    if state not in (ResponderState.IDLE, ResponderState.PATROLLING):
        why = responder.why_not or "no link, no position or not ready"
        return DroneCause(v, Cause.UNAVAILABLE, f"{v} is not available ({why})")
    if option.feasible:
        where = holds or "none left for it"
        return DroneCause(
            v, Cause.HOLDS_ANOTHER, f"{v} holds another point ({where})", option.eta_s
        )
    if not math.isfinite(option.eta_s):
        return DroneCause(v, Cause.OUT_OF_RANGE, f"{v} is out of range (no flyable route)")
    need, has = option.battery_needed_frac, responder.battery_frac
    if need > 1.0:
        return DroneCause(
            v,
            Cause.OUT_OF_RANGE,
            f"{v} is out of range (going, holding and coming back needs {need * 100:.0f} % "
            "of a full pack)",
            option.eta_s,
        )
    figures = f"{has * 100:.0f} %, needs {need * 100:.0f} %"
    if state is ResponderState.PATROLLING:
        text = f"{v} is away on patrol with too little battery ({figures})"
        return DroneCause(v, Cause.ON_PATROL, text, option.eta_s)
    text = f"{v} has too little battery ({figures}): a fresh pack would do"
    return DroneCause(v, Cause.BATTERY_LOW, text, option.eta_s)


def drone_causes(
    responders: Sequence[Responder], options: Sequence[Reach], holds: Mapping[str, str]
) -> tuple[DroneCause, ...]:
    """Every drone's cause for one point, the best placed (earliest arrival) first.

    ``options[i]`` is ``responders[i]``'s reach of the point; ``holds`` maps a
    drone to the point the lockdown gave it.
    """
    causes = [
        drone_cause(r, o, holds.get(r.vehicle_id)) for r, o in zip(responders, options, strict=True)
    ]
    return tuple(sorted(causes, key=lambda c: (c.eta_s, c.vehicle_id)))


MAX_NAMED = 3
"""Drones named one by one in a point's reason; the rest are counted by cause."""


COUNTED = {
    Cause.OUT_OF_RANGE: "out of range",
    Cause.BATTERY_LOW: "short of battery",
    Cause.ON_PATROL: "on patrol, short of battery",
    Cause.IN_THE_AIR: "in the air elsewhere",
    Cause.HOLDS_ANOTHER: "holding other points",
    Cause.UNAVAILABLE: "not available",
}


def describe(causes: Sequence[DroneCause]) -> str:
    """A point's reason: the best-placed drones by name, the others counted by cause."""
    if not causes:
        return "no drone in the fleet"
    named = "; ".join(c.text for c in causes[:MAX_NAMED])
    rest = causes[MAX_NAMED:]
    if not rest:
        return named
    counts: dict[Cause, int] = {}
    for c in rest:
        counts[c.cause] = counts.get(c.cause, 0) + 1
    others = ", ".join(f"{n} {COUNTED[cause]}" for cause, n in counts.items())
    return f"{named}; {len(rest)} more: {others}"


def headline(causes: Sequence[DroneCause]) -> Cause:
    """The point's cause: the best-placed drone's (:data:`Cause.NO_DRONE` with none)."""
    return causes[0].cause if causes else Cause.NO_DRONE


__all__ = ["Cause", "DroneCause", "describe", "drone_cause", "drone_causes", "headline"]
