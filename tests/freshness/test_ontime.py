"""On-time accounting of one target over a window, on timelines worked by hand."""

from __future__ import annotations

import doctest

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dronepatrol.freshness import ontime
from dronepatrol.freshness.ontime import on_time, pooled_rate
from dronepatrol.network.revisit import TargetFreshness

M = 60.0  # one minute [s]
DAY0 = 1_800_000_000.0


def minutes(*values: float) -> list[float]:
    return [DAY0 + v * M for v in values]


def window(start_min: float, end_min: float, *, interval_min: float = 30):
    """on_time over [start_min, end_min) after DAY0 with a revisit interval [min]."""

    def run(patrols: list[float], last_before_min: float | None = None):
        last = None if last_before_min is None else DAY0 + last_before_min * M
        return on_time(patrols, interval_min * M, DAY0 + start_min * M, DAY0 + end_min * M, last)

    return run


def test_docstring_example_holds() -> None:
    result = doctest.testmod(ontime)
    assert result.attempted > 0 and result.failed == 0


def test_patrols_exactly_at_each_deadline_meet_them() -> None:
    # Window 0..120 min, interval 30: the start stands in, deadlines 30, 60, 90; 120 is outside.
    r = window(0, 120)(minutes(30, 60, 90))
    assert (r.met, r.missed, r.patrols) == (3, 0, 3)
    assert r.rate == 1.0 and r.fresh_frac == 1.0
    assert not r.overdue_at_end  # 30 min since the last patrol: due, not overdue
    assert r.last_patrol_s == DAY0 + 90 * M


def test_one_second_late_misses_the_deadline_and_counts_that_second_overdue() -> None:
    r = window(0, 120)([DAY0 + 30 * M + 1, DAY0 + 60 * M])
    # Deadline 30 missed; the late patrol sets 60:01, which the patrol at 60 meets;
    # that one sets 90, missed (nothing after it).
    assert (r.met, r.missed) == (1, 2)
    assert r.rate == pytest.approx(1 / 3)
    assert r.fresh_s == pytest.approx(120 * M - 1 - 30 * M)


def test_never_patrolled_misses_one_deadline_and_is_overdue_from_it() -> None:
    r = window(0, 120)([])
    assert (r.met, r.missed, r.patrols) == (0, 1, 0)
    assert r.rate == 0.0
    assert r.fresh_frac == pytest.approx(30 / 120)  # fresh only until start + interval
    assert r.overdue_at_end and r.last_patrol_s is None


def test_no_deadline_in_the_window_has_no_rate() -> None:
    r = window(0, 120, interval_min=480)([])
    assert r.deadlines == 0 and r.rate is None
    assert r.fresh_frac == 1.0 and not r.overdue_at_end


def test_many_patrols_all_in_time() -> None:
    r = window(0, 24 * 60)(minutes(*range(5, 24 * 60, 10)))
    assert r.patrols == 144 and r.missed == 0 and r.rate == 1.0
    # Deadlines: the start's at 30 and those of the 141 patrols from 5 to 1405 min.
    assert r.met == 1 + 141
    assert r.fresh_frac == 1.0 and not r.overdue_at_end


def test_overdue_at_the_end_after_a_good_morning() -> None:
    r = window(0, 240)(minutes(20, 45, 70))
    # Deadlines 30 (met by 20), 50 (met by 45), 75 (met by 70), 100 (missed).
    assert (r.met, r.missed) == (3, 1)
    assert r.overdue_at_end
    assert r.fresh_s == pytest.approx(100 * M)


def test_already_overdue_at_the_start_counts_the_time_not_the_old_deadline() -> None:
    # Last patrolled an hour before the window: its deadline (-30) belongs to yesterday.
    r = window(0, 120)(minutes(45), last_before_min=-60)
    assert (r.met, r.missed) == (0, 1)  # only 45 + 30 = 75, missed
    assert r.fresh_s == pytest.approx((120 - 45 - 45) * M)  # overdue 0..45 and 75..120
    # Earlier patrols among patrols_s work the same, and the latest one known is used.
    same = window(0, 120)(minutes(-90, -60, 45), last_before_min=-100)
    assert same == r


def test_last_patrol_before_the_window_sets_the_first_deadline() -> None:
    r = window(0, 120)(minutes(40), last_before_min=-20)
    # Deadlines 10 (missed: the next patrol is at 40), 70 (missed).
    assert (r.met, r.missed, r.patrols) == (0, 2, 1)
    assert r.fresh_s == pytest.approx((120 - 30 - 50) * M)


def test_patrols_at_the_start_count_and_at_the_end_do_not() -> None:
    r = window(0, 60)(minutes(0, 60, 75))
    assert r.patrols == 1
    assert (r.met, r.missed) == (0, 1)  # 0 + 30 missed; the patrol at 60 is outside
    assert r.last_patrol_s == DAY0


def test_two_visits_at_the_same_moment_are_two_patrols_but_one_deadline() -> None:
    r = window(0, 60)(minutes(10, 10))
    assert r.patrols == 2 and (r.met, r.missed) == (1, 1)  # 30 met by 10; 40 missed


@pytest.mark.parametrize(
    ("interval", "start", "end", "last"),
    [(0.0, 0.0, 10.0, None), (-1.0, 0.0, 10.0, None), (5.0, 10.0, 10.0, None), (5.0, 0, 10, 0)],
)
def test_bad_arguments_are_refused(interval, start, end, last) -> None:
    with pytest.raises(ValueError):
        on_time([], interval, start, end, last)


def test_pooled_rate_weighs_every_deadline() -> None:
    a = window(0, 120)(minutes(30, 60, 90))  # 3 of 3
    b = window(0, 120)([])  # 0 of 1
    c = window(0, 120, interval_min=480)([])  # none due
    assert pooled_rate([a, b, c]) == pytest.approx(3 / 4)
    assert pooled_rate([c]) is None and pooled_rate([]) is None


# --------------------------------------------------------------- properties

times = st.lists(st.floats(-500.0, 1500.0, allow_nan=False), max_size=30)
intervals = st.floats(1.0, 400.0, allow_nan=False)
lasts = st.none() | st.floats(-800.0, -0.001, allow_nan=False)


def reference_deadlines(patrols, interval, start, end, last):
    """The deadlines the definition names, each with whether a patrol came in time."""
    before = [t for t in patrols if t < start] + ([last] if last is not None else [])
    inside_set = {t for t in patrols if start <= t < end}
    anchors = sorted({max(before) if before else start, *inside_set})
    inside = sorted(t for t in patrols if start <= t < end)
    out = []
    for a in anchors:
        d = a + interval
        if start <= d < end:
            out.append(any(a < p <= d for p in inside))
    return out


@given(times, intervals, lasts)
def test_deadlines_are_those_the_definition_names(patrols, interval, last) -> None:
    r = on_time(patrols, interval, 0.0, 1000.0, last)
    expected = reference_deadlines(patrols, interval, 0.0, 1000.0, last)
    assert r.met + r.missed == len(expected)
    assert r.met == sum(expected)
    assert 0.0 <= r.fresh_frac <= 1.0
    assert r.met <= r.patrols and r.missed <= r.patrols + 1


@given(times, intervals, lasts)
def test_overdue_at_end_agrees_with_freshness(patrols, interval, last) -> None:
    r = on_time(patrols, interval, 0.0, 1000.0, last)
    if r.last_patrol_s is not None:
        state = TargetFreshness("T", "key", interval, r.last_patrol_s, 1000.0)
        assert r.overdue_at_end == state.overdue


@given(times, intervals, lasts, st.floats(0.0, 999.0, allow_nan=False))
def test_another_patrol_never_makes_the_target_less_fresh(patrols, interval, last, extra) -> None:
    r = on_time(patrols, interval, 0.0, 1000.0, last)
    more = on_time([*patrols, extra], interval, 0.0, 1000.0, last)
    assert more.fresh_s >= r.fresh_s - 1e-9


@given(intervals, st.floats(0.0, 1.0, allow_nan=False))
def test_patrolling_every_half_interval_is_always_on_time(interval, phase) -> None:
    step = interval / 2
    patrols = [phase * step + k * step for k in range(int(1000.0 / step) + 2)]
    r = on_time(patrols, interval, 0.0, 1000.0, None)
    assert r.rate in (None, 1.0)
    assert r.fresh_frac == 1.0 and not r.overdue_at_end


def test_no_deadline_falls_before_patrol_service_began() -> None:
    """First day: service began at 13:00, one patrol at 13:20, 8 h interval, measured at 14:00."""
    day = 24 * 60 * M
    record = on_time(
        [13 * 60 * M + 20 * M], 480 * M, 0.0, day, as_of_s=14 * 60 * M, in_service_s=13 * 60 * M
    )
    assert (record.met, record.missed, record.rate) == (1, 0, 1.0)
    # without knowing when service began, midnight stands in and 08:00 is missed
    old = on_time([13 * 60 * M + 20 * M], 480 * M, 0.0, 14 * 60 * M)
    assert (old.met, old.missed) == (0, 1)


def test_a_deadline_still_ahead_and_unmet_is_pending_not_missed() -> None:
    record = on_time([10 * M], 30 * M, 0.0, 120 * M, as_of_s=35 * M)
    # deadlines: 30 (met by 10), 40 (still ahead at 35, unmet): pending
    assert (record.met, record.missed) == (1, 0)
    assert record.window_s == 35 * M and not record.overdue_at_end


def test_measuring_outside_the_window_is_refused() -> None:
    with pytest.raises(ValueError, match="as_of_s"):
        on_time([], 30 * M, 0.0, 60 * M, as_of_s=90 * M)


def test_a_target_in_sections_is_on_time_only_when_every_section_is() -> None:
    from dronepatrol.freshness.ontime import on_time_in_sections

    # 30 min interval, a 2 h window; two sections flown in turn every 20 min: each section
    # every 40 min, so the whole (its stalest section) misses deadlines
    a = [0.0, 2400.0, 4800.0]
    b = [1200.0, 3600.0, 6000.0]
    record = on_time_in_sections([a, b], 1800.0, 0.0, 7200.0)
    assert record.missed >= 1 and record.fresh_frac < 1.0
    # both sections every 20 min: on time throughout
    fast = on_time_in_sections([[0, 1200, 2400, 3600, 4800, 6000]] * 2, 1800.0, 0.0, 7200.0)
    assert fast.missed == 0 and fast.fresh_frac == 1.0 and fast.met >= 5


def test_a_section_never_flown_leaves_the_target_never_patrolled() -> None:
    from dronepatrol.freshness.ontime import on_time_in_sections

    record = on_time_in_sections([[600.0, 1800.0], []], 1800.0, 0.0, 7200.0)
    assert record.last_patrol_s is None and record.patrols == 0
    assert record.missed == 1 and record.overdue_at_end  # one deadline missed, then overdue
    assert record.fresh_s == 1800.0


def test_a_stalest_time_known_after_its_deadline_sets_no_new_deadline() -> None:
    from dronepatrol.freshness.ontime import on_time_in_sections

    # A flown at 0 s, B only at 3000 s: the stalest (0 s) is known at 3000 s, past its
    # deadline (1800 s); the target stays overdue from 1800 s to the next stalest time
    record = on_time_in_sections([[0.0, 3600.0], [3000.0]], 1800.0, 0.0, 7200.0)
    # deadlines: 1800 (stand-in 0, next known 3000: missed); the 0 s stalest known at
    # 3000 sets none; 3000 s stalest known at 3600 -> deadline 4800 missed at the end
    assert record.met == 0 and record.missed == 2
    # fresh 0-1800 s (the start stands in) and 3600-4800 s (stalest 3000 s, known at 3600 s)
    assert record.fresh_s == pytest.approx(1800.0 + 1200.0)
