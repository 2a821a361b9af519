"""Revisit intervals and freshness: how overdue each patrol target is.

A target's priority level sets how often it must be patrolled (its revisit
interval); a per-target ``revisit_min`` overrides it. "Last patrolled" comes
from the flown track (see the patrolled rules), never from the plan, so a
sortie that was planned but not flown leaves its targets due.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

PRIORITY_ORDER: tuple[str, ...] = ("key", "attention", "general")
"""Priority levels, most demanding first."""

DEFAULT_REVISIT_MIN: Mapping[str, float] = MappingProxyType(
    {"key": 30.0, "attention": 120.0, "general": 480.0}
)
"""Default revisit interval per priority level [min]: key 30 min, attention 2 h, general 8 h."""


class RevisitError(ValueError):
    """A revisit policy or target that cannot be used; the message says what to fix."""


@dataclass(frozen=True)
class RevisitPolicy:
    """Revisit interval per priority level [min], e.g. tightened for a large event."""

    intervals_min: Mapping[str, float] = field(default_factory=lambda: dict(DEFAULT_REVISIT_MIN))

    def __post_init__(self) -> None:
        missing = [p for p in PRIORITY_ORDER if p not in self.intervals_min]
        if missing:
            raise RevisitError(f"revisit policy lacks an interval for: {', '.join(missing)}")
        for level, minutes in self.intervals_min.items():
            if level not in PRIORITY_ORDER:
                raise RevisitError(
                    f"unknown priority level {level!r}; use one of {', '.join(PRIORITY_ORDER)}"
                )
            if not (isinstance(minutes, int | float) and math.isfinite(minutes) and minutes > 0):
                raise RevisitError(
                    f"revisit interval for {level} must be > 0 minutes, got {minutes!r}"
                )
        object.__setattr__(self, "intervals_min", MappingProxyType(dict(self.intervals_min)))

    def interval_s(self, priority: str, override_min: float | None = None) -> float:
        """The revisit interval [s] of a target of ``priority`` (or its own override)."""
        if override_min is not None:
            if not override_min > 0:
                raise RevisitError(f"revisit_min must be > 0, got {override_min!r}")
            return float(override_min) * 60.0
        try:
            return float(self.intervals_min[priority]) * 60.0
        except KeyError:
            raise RevisitError(
                f"unknown priority level {priority!r}; use one of {', '.join(PRIORITY_ORDER)}"
            ) from None


@dataclass(frozen=True)
class TargetFreshness:
    """How fresh one target's patrol is at ``now_s``.

    Attributes:
        target_id, priority: the target.
        interval_s: its revisit interval [s].
        last_patrolled_s: when it last counted as patrolled [s since epoch],
            None when never.
        now_s: the time this was computed for [s since epoch].
    """

    target_id: str
    priority: str
    interval_s: float
    last_patrolled_s: float | None
    now_s: float

    @property
    def age_s(self) -> float:
        """Seconds since last patrolled; infinite when never patrolled."""
        if self.last_patrolled_s is None:
            return math.inf
        return max(0.0, self.now_s - self.last_patrolled_s)

    @property
    def due_in_s(self) -> float:
        """Seconds until the next visit is due (negative: overdue by that much)."""
        return self.interval_s - self.age_s

    @property
    def overdue(self) -> bool:
        """True when the target has gone longer than its interval unpatrolled."""
        return self.age_s > self.interval_s

    @property
    def staleness(self) -> float:
        """Age over interval: 0 just patrolled, 1 due now, 2 one interval overdue.

        Comparable across priority levels, so it colours the freshness map and
        orders the scheduler's work (a key target 45 min old, 1.5, outranks a
        general one 9 h old, 1.125).
        """
        return self.age_s / self.interval_s


def freshness(
    targets: Iterable[tuple[str, str, float | None]],
    last_patrolled_s: Mapping[str, float],
    now_s: float,
    policy: RevisitPolicy | None = None,
) -> list[TargetFreshness]:
    """Freshness of each ``(target_id, priority, revisit_min override or None)``."""
    policy = policy or RevisitPolicy()
    return [
        TargetFreshness(
            target_id=target_id,
            priority=priority,
            interval_s=policy.interval_s(priority, override),
            last_patrolled_s=last_patrolled_s.get(target_id),
            now_s=now_s,
        )
        for target_id, priority, override in targets
    ]


def most_overdue(
    states: Iterable[TargetFreshness], horizon_s: float = 0.0, limit: int | None = None
) -> list[TargetFreshness]:
    """Targets due within ``horizon_s`` [s], most urgent first.

    Urgency is staleness, ties broken by priority level (key first) then id,
    so the order is deterministic. ``horizon_s`` lets the scheduler take
    targets that fall due while the drone is on its way.
    """
    due = [s for s in states if s.due_in_s <= horizon_s]
    due.sort(key=lambda s: (-s.staleness, PRIORITY_ORDER.index(s.priority), s.target_id))
    return due if limit is None else due[:limit]
