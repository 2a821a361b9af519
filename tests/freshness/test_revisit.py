"""Revisit intervals, freshness and the order of due targets."""

from __future__ import annotations

import math

import pytest

from dronepatrol.network.revisit import RevisitError, RevisitPolicy, freshness, most_overdue

NOW = 1_800_000_000.0


def test_default_intervals_by_priority() -> None:
    policy = RevisitPolicy()
    assert policy.interval_s("key") == 30 * 60
    assert policy.interval_s("attention") == 2 * 3600
    assert policy.interval_s("general") == 8 * 3600
    assert policy.interval_s("general", override_min=15) == 15 * 60


def test_overdue_from_last_patrolled_time() -> None:
    states = freshness(
        [("P1", "key", None), ("P2", "general", None), ("P3", "attention", None)],
        {"P1": NOW - 45 * 60, "P2": NOW - 9 * 3600},
        NOW,
    )
    by_id = {s.target_id: s for s in states}
    assert by_id["P1"].overdue and by_id["P1"].staleness == pytest.approx(1.5)
    assert by_id["P2"].overdue and by_id["P2"].staleness == pytest.approx(9 / 8)
    assert by_id["P3"].overdue and math.isinf(by_id["P3"].age_s)  # never patrolled


def test_most_overdue_orders_by_staleness_then_priority() -> None:
    states = freshness(
        [
            ("G1", "general", None),
            ("K1", "key", None),
            ("K2", "key", None),
            ("A1", "attention", None),
        ],
        {"G1": NOW - 16 * 3600, "K1": NOW - 60 * 60, "K2": NOW - 10 * 60, "A1": NOW - 4 * 3600},
        NOW,
    )
    # all three are exactly one interval overdue (staleness 2): key first, then attention
    assert [s.target_id for s in most_overdue(states)] == ["K1", "A1", "G1"]
    # within the next 25 min K2 (due in 20 min) joins at the end
    assert [s.target_id for s in most_overdue(states, horizon_s=25 * 60)][-1] == "K2"
    assert [s.target_id for s in most_overdue(states, limit=1)] == ["K1"]


def test_event_policy_tightens_intervals() -> None:
    event = RevisitPolicy({"key": 10, "attention": 20, "general": 60})
    (state,) = freshness([("P1", "general", None)], {"P1": NOW - 61 * 60}, NOW, event)
    assert state.overdue


@pytest.mark.parametrize(
    ("intervals", "needle"),
    [
        ({"key": 30, "attention": 120}, "general"),
        ({"key": 30, "attention": 120, "general": 0}, "> 0"),
        ({"key": 30, "attention": 120, "general": 480, "urgent": 5}, "urgent"),
    ],
)
def test_bad_policies_are_refused(intervals, needle) -> None:
    with pytest.raises(RevisitError, match=needle):
        RevisitPolicy(intervals)


def test_unknown_priority_names_the_levels() -> None:
    with pytest.raises(RevisitError, match="key, attention, general"):
        RevisitPolicy().interval_s("urgent")
