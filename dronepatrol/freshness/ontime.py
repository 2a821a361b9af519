"""On-time patrol accounting: did a target get its revisits in time over a window?

The rule. A target's revisit deadline is its last patrol plus its revisit
interval; every patrol starts a new deadline. A deadline that falls inside
the window ``[start_s, end_s)`` is

* **met** when a patrol happened after the patrol that set it and at or
  before the deadline itself (a patrol exactly at the deadline is in time);
* **missed** otherwise. The target is then overdue from the deadline until
  its next patrol, and that next patrol starts the next deadline: a target
  left unpatrolled all day misses one deadline, not one per interval.

A deadline that fell before the window (the target was already overdue at
``start_s``) belongs to an earlier window and is not counted here; the
overdue time it causes inside the window is.

The start. A target never patrolled before the window (``last_before_s``
None and no patrol before ``start_s`` among ``patrols_s``) gets its first
deadline one interval after the window's start, or after the moment patrol
service began (``in_service_s``, e.g. the first sortie ever flown) when that
is later: a target cannot have been late before anyone patrolled at all, so
on an installation's first day a target patrolled once is on time, not
"missed" at a deadline that fell before the first drone flew. A caller that
knows the last patrol before the window passes it as ``last_before_s``.

A window measured before it is over (``as_of_s`` before ``end_s``, today's
report) counts a deadline still ahead only once it is met; one not yet met is
pending, neither met nor missed.

"Overdue" is strict, as in :class:`dronepatrol.network.revisit.TargetFreshness`:
at time t the target is overdue when t - last patrol > interval.

Example: a 30-minute interval, a window of two hours from 0, never patrolled
before, patrols at 20 and 50 minutes and none after. Deadlines fall at 30 (the
start stands in for a patrol; met by the patrol at 20), at 50 (set by the
patrol at 20; met by the one at 50, exactly at it) and at 80 (missed: no patrol
after 50). The target is overdue from 80 to 120 minutes, a third of the window.

>>> r = on_time([1200.0, 3000.0], 1800.0, 0.0, 7200.0, None)
>>> (r.met, r.missed, r.patrols, r.overdue_at_end)
(2, 1, 2, True)
>>> round(r.fresh_frac, 3)
0.667
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class OnTime:
    """One target's on-time record over a window.

    Attributes:
        met: deadlines inside the window met by a patrol in time.
        missed: deadlines inside the window that passed with no patrol.
        patrols: patrols inside the window (``start_s <= t < end_s``).
        fresh_s: time inside the window the target was not overdue [s].
        window_s: the window's length [s].
        overdue_at_end: the target is overdue at ``end_s``.
        last_patrol_s: its latest patrol before ``end_s`` [s since epoch],
            None when none is known.
    """

    met: int
    missed: int
    patrols: int
    fresh_s: float
    window_s: float
    overdue_at_end: bool
    last_patrol_s: float | None

    @property
    def deadlines(self) -> int:
        """Deadlines that fell inside the window."""
        return self.met + self.missed

    @property
    def rate(self) -> float | None:
        """met / (met + missed); None when no deadline fell inside the window."""
        return self.met / self.deadlines if self.deadlines else None

    @property
    def fresh_frac(self) -> float:
        """Fraction of the window the target was not overdue, in [0, 1]."""
        return min(1.0, max(0.0, self.fresh_s / self.window_s))


def on_time(
    patrols_s: Sequence[float],
    interval_s: float,
    start_s: float,
    end_s: float,
    last_before_s: float | None = None,
    *,
    as_of_s: float | None = None,
    in_service_s: float | None = None,
) -> OnTime:
    """The on-time record of one target over ``[start_s, end_s)``.

    Args:
        patrols_s: when the target counted as patrolled [s since epoch], any
            order; patrols before ``start_s`` only serve as the last patrol
            before the window, patrols at or after ``end_s`` are ignored.
        interval_s: its revisit interval [s], > 0.
        start_s, end_s: the window [s since epoch], ``start_s < end_s``.
        last_before_s: its last patrol before the window when known [s]; the
            later of this and the patrols before ``start_s`` is used. None
            with no earlier patrol: the window's start (or ``in_service_s``
            when later) stands in for one.
        as_of_s: the moment the window is measured at [s], ``start_s <
            as_of_s <= end_s`` (default ``end_s``): patrols from then on are
            not known yet, deadlines after it count only when already met,
            and freshness is measured over ``[start_s, as_of_s)``.
        in_service_s: when patrol service began [s], None when unknown.

    Raises:
        ValueError: a non-positive interval, an empty window, or a
            ``last_before_s`` not before ``start_s``.
    """
    _check_window(interval_s, start_s, end_s)
    if last_before_s is not None and not last_before_s < start_s:
        raise ValueError(f"last_before_s {last_before_s!r} is not before the window's start")
    as_of = end_s if as_of_s is None else as_of_s
    if not start_s < as_of <= end_s:
        raise ValueError(f"as_of_s {as_of_s!r} is not inside the window ({start_s!r}, {end_s!r}]")

    times = sorted(t for t in patrols_s if t < as_of)
    split = bisect.bisect_left(times, start_s)
    before, inside = times[:split], times[split:]
    known_before = [t for t in (*before[-1:], last_before_s) if t is not None]
    last_before = max(known_before) if known_before else None

    # Anchors start deadlines: the last patrol before the window (or the
    # window's start standing in for one), then each distinct patrol inside.
    stand_in = start_s if in_service_s is None else max(start_s, min(in_service_s, as_of))
    anchors = [stand_in if last_before is None else last_before]
    for t in inside:
        if t > anchors[-1]:
            anchors.append(t)

    met = missed = 0
    overdue_s = 0.0
    for i, anchor in enumerate(anchors):
        deadline = anchor + interval_s
        following = anchors[i + 1] if i + 1 < len(anchors) else None
        if start_s <= deadline < end_s:
            if following is not None and following <= deadline:
                met += 1
            elif deadline < as_of:
                missed += 1
            # else: still ahead and not yet met: pending
        # Overdue from the deadline until the next patrol (or the moment measured).
        stop = as_of if following is None else following
        overdue_s += max(0.0, min(stop, as_of) - max(deadline, start_s))

    window_s = as_of - start_s
    last_patrol = anchors[-1] if (inside or last_before is not None) else None
    return OnTime(
        met=met,
        missed=missed,
        patrols=len(inside),
        fresh_s=max(0.0, window_s - overdue_s),
        window_s=window_s,
        overdue_at_end=as_of - anchors[-1] > interval_s,
        last_patrol_s=last_patrol,
    )


def _check_window(interval_s: float, start_s: float, end_s: float) -> None:
    """ValueError unless the revisit interval [s] is positive and the window [s] is one."""
    if not (math.isfinite(interval_s) and interval_s > 0):
        raise ValueError(f"revisit interval must be > 0 s, got {interval_s!r}")
    if not (math.isfinite(start_s) and math.isfinite(end_s) and start_s < end_s):
        raise ValueError(f"window must have start < end, got [{start_s!r}, {end_s!r})")


def pooled_rate(records: Sequence[OnTime]) -> float | None:
    """On-time rate over all deadlines of several targets; None when none fell due."""
    met = sum(r.met for r in records)
    deadlines = sum(r.deadlines for r in records)
    return met / deadlines if deadlines else None


def on_time_in_sections(
    sections_patrols_s: Sequence[Sequence[float]],
    interval_s: float,
    start_s: float,
    end_s: float,
) -> OnTime:
    """The on-time record of a target patrolled in sections, over ``[start_s, end_s)``.

    The target is as fresh as its stalest section: its "last patrolled" is the oldest of
    its sections' last patrols, known from the moment the section flown last made it so
    (never before every section was patrolled once). A deadline (that time plus the
    interval) is met when a later stalest time is known by then; one that had passed
    already when its time became known (a section flown too late) is no new deadline: the
    target stays overdue. Before any patrol the window's start stands in, as for
    :func:`on_time`.

    >>> r = on_time_in_sections([[600.0, 2400.0], [1500.0]], 1800.0, 0.0, 7200.0)
    >>> (r.met, r.missed, r.patrols, r.last_patrol_s)
    (2, 1, 2, 1500.0)
    """
    _check_window(interval_s, start_s, end_s)
    flown = sorted((t, k) for k, times in enumerate(sections_patrols_s) for t in times if t < end_s)
    last: list[float | None] = [None] * len(sections_patrols_s)
    steps: list[tuple[float, float]] = []  # (stalest section's patrol, when it was known)
    for t, k in flown:
        previous = last[k]
        last[k] = t if previous is None else max(previous, t)
        if all(x is not None for x in last):
            stalest = min(x for x in last if x is not None)
            if not steps or stalest > steps[-1][0]:
                steps.append((stalest, t))
    before = [s for s in steps if s[1] < start_s]
    inside = [s for s in steps if s[1] >= start_s]
    anchors = [before[-1] if before else (start_s, start_s), *inside]
    met = missed = 0
    overdue_s = 0.0
    for i, (stalest, known_s) in enumerate(anchors):
        deadline = stalest + interval_s
        following = anchors[i + 1][1] if i + 1 < len(anchors) else None
        if start_s <= deadline < end_s and deadline >= known_s:
            if following is not None and following <= deadline:
                met += 1
            else:
                missed += 1
        stop = end_s if following is None else following
        overdue_s += max(0.0, min(stop, end_s) - max(deadline, known_s, start_s))
    window_s = end_s - start_s
    return OnTime(
        met=met,
        missed=missed,
        patrols=len(inside),
        fresh_s=max(0.0, window_s - overdue_s),
        window_s=window_s,
        overdue_at_end=end_s - anchors[-1][0] > interval_s,
        last_patrol_s=anchors[-1][0] if steps and (before or inside) else None,
    )
