"""Pacing arithmetic, checked by hand: a baseline from measured days, 80% to start, fixed weekly steps."""

from __future__ import annotations

from datetime import date

import pytest

from painrewire.programs.cbt import pacing


def test_baseline_is_the_mean_of_the_measured_days() -> None:
    assert pacing.baseline([12, 15, 10]) == pytest.approx(37 / 3)
    assert pacing.baseline([20]) == 20


def test_the_worked_example_of_therapeutic_guidelines_walks_300_metres_in_week_8() -> None:
    """Baseline 200 m, start at 80% (160 m), add 10% of the baseline (20 m) a week."""
    targets = pacing.weekly_targets(200, weeks=8, start_percent=80, increment_percent=10)
    assert targets == pytest.approx([160, 180, 200, 220, 240, 260, 280, 300])
    assert pacing.weeks_to_goal(200, 300, start_percent=80, increment_percent=10) == 8


def test_increments_are_a_share_of_the_baseline_not_of_last_week() -> None:
    targets = pacing.weekly_targets(10, weeks=3, start_percent=50, increment_percent=20)
    assert targets == pytest.approx([5, 7, 9])  # +2 each week, not +20% compounding (5, 6, 7.2)


def test_goal_below_the_start_is_reached_in_week_1_and_a_flat_plan_never_reaches_a_higher_one() -> None:
    assert pacing.weeks_to_goal(10, 7, start_percent=80, increment_percent=10) == 1
    assert pacing.weeks_to_goal(10, 9, start_percent=80, increment_percent=0) is None
    # 8 + 1 per week: 9.5 needs a second step, week 3
    assert pacing.weeks_to_goal(10, 9.5, start_percent=80, increment_percent=10) == 3


def test_plan_weeks_run_seven_days_from_the_start() -> None:
    start = date(2026, 1, 7)
    assert pacing.plan_week(start, date(2026, 1, 6)) == 0
    assert pacing.plan_week(start, start) == 1
    assert pacing.plan_week(start, date(2026, 1, 13)) == 1
    assert pacing.plan_week(start, date(2026, 1, 14)) == 2


@pytest.mark.parametrize(
    ("actual", "status"),
    [
        (None, "not logged"),
        (10, "on plan"),
        (11, "on plan"),
        (9, "on plan"),
        (11.5, "more than planned"),
        (8.5, "less than planned"),
    ],
)
def test_a_week_within_ten_percent_of_its_target_is_on_plan(actual: float | None, status: str) -> None:
    assert pacing.compare(10, actual) == status


def test_progress_pairs_each_week_with_what_was_logged() -> None:
    weeks = pacing.progress([8, 9, 10], {1: 8, 3: 12}, starts_on=date(2026, 3, 2))
    assert [(w.week, w.starts_on, w.actual, w.status) for w in weeks] == [
        (1, date(2026, 3, 2), 8, "on plan"),
        (2, date(2026, 3, 9), None, "not logged"),
        (3, date(2026, 3, 16), 12, "more than planned"),
    ]
    assert weeks[2].percent_of_target == pytest.approx(120)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: pacing.baseline([]), "at least one measured day"),
        (lambda: pacing.baseline([5, 0]), "more than 0, got 0"),
        (lambda: pacing.baseline([float("nan")]), "must be a number"),
        (lambda: pacing.weekly_targets(10, weeks=0), "weeks must be a whole number from 1 to 52, got 0"),
        (lambda: pacing.weekly_targets(10, weeks=4, start_percent=120), "start_percent must be more than 0"),
        (
            lambda: pacing.weekly_targets(10, weeks=4, increment_percent=-5),
            "increment_percent must be from 0 to 100",
        ),
        (lambda: pacing.weekly_targets(-1, weeks=4), "baseline must be more than 0"),
    ],
)
def test_bad_pacing_numbers_are_refused_naming_the_parameter(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
