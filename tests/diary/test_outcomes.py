"""Outcome statistics: baseline, current mean, responders, pain-free, worsening, MCIDs and Wilson intervals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pytest
from numpy.testing import assert_allclose
from scipy.stats import binomtest

from painrewire.diary.outcomes import (
    Change,
    ChangeVerdict,
    DiaryPoint,
    FollowUpStatus,
    MeasureSource,
    OutcomeStatus,
    PainMeasure,
    PatientOutcome,
    PegPoint,
    Proportion,
    StartSource,
    TimePoint,
    TimePointOutcome,
    TreatmentStart,
    add_months,
    baseline_measure,
    baseline_summary,
    cohort_summary,
    current_mean,
    current_measure,
    first_week_mean,
    follow_up_due,
    follow_up_outcomes,
    group_responders,
    judge_change,
    not_practising,
    patient_outcome,
    questionnaire_change,
    rolling_mean,
    time_point_summary,
    treatment_start,
    trial_comparable,
    weekly_minutes,
    wilson_interval,
)

#: Treatment starts on START (the plan signed); the baseline week is the 7 days before it.
START = date(2025, 3, 3)
TODAY = START + timedelta(days=40)
SIGNED = TreatmentStart(START, StartSource.PLAN_SIGNED)


def diary(start: date, values: Sequence[float], *, step: int = 1) -> list[DiaryPoint]:
    return [DiaryPoint(start + timedelta(days=i * step), v) for i, v in enumerate(values)]


def course(baseline_week: Sequence[float], last_week: Sequence[float]) -> list[DiaryPoint]:
    """The 7 days before START (the baseline week) and the values of the days ending on TODAY."""
    return diary(START - timedelta(days=7), baseline_week) + diary(
        TODAY - timedelta(days=len(last_week) - 1), last_week
    )


def outcome_of(
    points: Sequence[DiaryPoint], pegs: Sequence[PegPoint] = (), **kwargs: object
) -> PatientOutcome:
    return patient_outcome(points, pegs, today=TODAY, start=SIGNED, **kwargs)  # type: ignore[arg-type]


# --- treatment start --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signed_on", "first_practice", "expected"),
    [
        (START, None, TreatmentStart(START, StartSource.PLAN_SIGNED)),
        (None, START, TreatmentStart(START, StartSource.FIRST_PRACTICE)),
        (
            START,
            START - timedelta(days=3),
            TreatmentStart(START - timedelta(days=3), StartSource.FIRST_PRACTICE),
        ),
        (START, START + timedelta(days=3), TreatmentStart(START, StartSource.PLAN_SIGNED)),
        (START, START, TreatmentStart(START, StartSource.PLAN_SIGNED)),  # same day: the signature
        (None, None, None),
    ],
)
def test_treatment_starts_at_the_signature_or_the_first_practice_whichever_is_first(
    signed_on: date | None, first_practice: date | None, expected: TreatmentStart | None
) -> None:
    assert treatment_start(signed_on=signed_on, first_practice=first_practice) == expected


# --- baseline: the week before treatment starts ------------------------------------------------------------


def test_baseline_is_the_diary_week_before_the_start_not_entries_before_or_after_it() -> None:
    # 20 Feb to 23 Feb (10s) are before the week; 24 Feb to 2 Mar is the week; the start day and after are not.
    points = [
        *diary(START - timedelta(days=11), [10, 10, 10, 10]),
        *diary(START - timedelta(days=7), [6, 5, 7, 6, 5, 6, 7]),
        *diary(START, [0, 0, 0]),
    ]
    baseline = baseline_measure(points, start=START)
    assert baseline == PainMeasure(6.0, MeasureSource.DIARY, date(2025, 2, 24), date(2025, 3, 2), 7)  # 42 / 7
    assert baseline.describe == "diary mean of 7 days, 24 Feb 2025 to 2 Mar 2025"


def test_the_diary_week_needs_four_days_with_an_entry() -> None:
    week = START - timedelta(days=7)
    assert baseline_measure(diary(week, [4, 5, 6], step=2), start=START) is None  # 3 days: not enough
    four = baseline_measure(diary(week, [4, 5, 6, 7], step=2), start=START)
    assert four is not None and (four.value, four.entries) == (5.5, 4)
    # the first 7 diary days long before treatment are not a baseline
    assert baseline_measure(diary(START - timedelta(days=60), [5] * 7), start=START) is None


def test_peg_item_1_nearest_before_the_start_wins_over_the_diary() -> None:
    week = diary(START - timedelta(days=7), [6] * 7)
    pegs = [
        PegPoint(START - timedelta(days=29), 9),  # 29 days before: too old
        PegPoint(START - timedelta(days=20), 7),
        PegPoint(START - timedelta(days=2), 5),  # the nearest before the start
        PegPoint(START + timedelta(days=1), 1),  # after the start: never a baseline
    ]
    baseline = baseline_measure(week, pegs, start=START)
    assert baseline == PainMeasure(5.0, MeasureSource.PEG, date(2025, 3, 1), date(2025, 3, 1), 1)
    assert baseline.describe == "PEG item 1 (average pain, past week), 1 Mar 2025"
    # a PEG on the start day itself (the assessment visit) counts; one 28 days before still counts
    assert baseline_measure(week, [PegPoint(START, 4)], start=START).value == 4.0  # type: ignore[union-attr]
    assert baseline_measure([], [PegPoint(START - timedelta(days=28), 8)], start=START).value == 8.0  # type: ignore[union-attr]
    assert baseline_measure(week, [PegPoint(START - timedelta(days=29), 9)], start=START).source == "diary"  # type: ignore[union-attr]


def test_the_first_diary_week_is_the_mean_of_the_first_seven_diary_days_however_far_apart() -> None:
    """The clinician home's early reference, kept as it was: not the outcome baseline."""
    assert first_week_mean(diary(START, [6, 5, 7, 6, 5, 6, 7, 0, 0])) == 6.0  # 42 / 7
    points = [*diary(START, [3, 3, 3, 3, 3, 3]), DiaryPoint(START + timedelta(days=30), 10)]
    assert first_week_mean(points) == pytest.approx(28 / 7)
    assert first_week_mean(diary(START, [3] * 6)) is None
    assert first_week_mean(list(reversed(diary(START, [1, 2, 3, 4, 5, 6, 7, 8])))) == 4.0


def test_diary_with_two_points_on_one_day_or_impossible_pain_is_refused() -> None:
    with pytest.raises(ValueError, match="two diary points on 2025-03-03: the diary has one entry per day"):
        first_week_mean([DiaryPoint(START, 3), DiaryPoint(START, 4)])
    with pytest.raises(ValueError, match="average pain on 2025-03-03 must be from 0 to 10, got 11"):
        DiaryPoint(START, 11)
    with pytest.raises(ValueError, match="PEG item 1 on 2025-03-03 must be from 0 to 10, got 12"):
        PegPoint(START, 12)
    with pytest.raises(TypeError, match="PEG item 1 on 2025-03-03 must be a number, got True"):
        PegPoint(START, True)


# --- current and rolling means ---------------------------------------------------------------------------


def test_current_mean_uses_the_seven_days_ending_today_and_ignores_other_days() -> None:
    offsets_values = {-7: 9, -6: 2, -3: 3, -1: 4, 0: 5, 1: 9}
    points = [DiaryPoint(TODAY + timedelta(days=k), v) for k, v in offsets_values.items()]
    assert current_mean(points, today=TODAY) == 3.5  # (2 + 3 + 4 + 5) / 4


def test_current_mean_needs_four_days_of_the_week() -> None:
    points = diary(TODAY - timedelta(days=2), [2, 3, 4])
    assert current_mean(points, today=TODAY) is None
    assert current_mean(points, today=TODAY, min_entries=3) == 3.0
    with pytest.raises(ValueError, match="min_entries must be from 1 to window_days \\(7\\), got 0"):
        current_mean(points, today=TODAY, min_entries=0)


def test_rolling_mean_covers_every_calendar_day_and_breaks_where_the_week_is_thin() -> None:
    values = {0: 2, 1: 4, 2: 6, 3: 8, 5: 10, 6: 0, 9: 5}
    points = [DiaryPoint(START + timedelta(days=k), v) for k, v in values.items()]
    expected = [None, None, None, 5.0, 5.0, 6.0, 5.0, 5.6, 6.0, 5.75]
    # day 3: (2+4+6+8)/4; day 5: (2+4+6+8+10)/5; day 7: days 1-7 (4+6+8+10+0)/5; day 9: days 3-9 (8+10+0+5)/4
    rolling = rolling_mean(points)
    assert [r.day for r in rolling] == [START + timedelta(days=k) for k in range(10)]
    assert [r.mean for r in rolling] == pytest.approx(expected)
    for r in rolling:
        assert r.mean == current_mean(points, today=r.day)


def test_rolling_mean_of_an_empty_diary_is_empty() -> None:
    assert rolling_mean([]) == []


# --- judging a change: responders, worsening, pain-free ---------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "value", "responder_30", "responder_50"),
    [
        (6.67, 4.67, True, False),  # 2.00 points and 29.985 %, reported as 30.0 %: a responder
        (20 / 3, 14 / 3, True, False),  # 6.67 -> 4.67 from diary means: exactly 2 points and 30 %
        (6.67, 4.68, False, False),  # 1.99 points: not 2
        (5, 3.5, False, False),  # 30 % but 1.5 points: not a responder
        (10, 8, False, False),  # 2 points but 20 %
        (10, 7, True, False),  # 3 points and 30 %
        (10, 7.14, False, False),  # 2.86 points, 28.6 %
        (4, 2, True, True),  # 2 points and 50 %
        (3, 1.5, False, False),  # 50 % but 1.5 points: not substantial, not a responder
        (3, 1, True, True),  # 2 points and 66.7 %
        (0, 0, False, False),  # a baseline of 0 cannot improve
    ],
)
def test_a_responder_needs_both_30_percent_and_2_points(
    baseline: float, value: float, responder_30: bool, responder_50: bool
) -> None:
    change = judge_change(baseline, value)
    assert (change.responder_30, change.responder_50) == (responder_30, responder_50)


def test_a_change_keeps_its_exact_values_and_rounds_only_to_judge() -> None:
    change = judge_change(6.67, 4.67)
    assert change.points == pytest.approx(-2.0)
    assert change.percent == pytest.approx(-29.985007, abs=1e-6)
    assert judge_change(0, 1) == Change(
        points=1, percent=None, responder_30=False, responder_50=False, worsening=False
    )


@pytest.mark.parametrize(
    ("baseline", "value", "worsening"),
    [(3, 5, True), (5, 6.5, True), (5, 6.4, False), (8, 9, False), (0, 2, True), (0, 1.99, False)],
)
def test_worsening_is_up_two_points_or_thirty_percent(baseline: float, value: float, worsening: bool) -> None:
    # 3 -> 5: 2 points; 5 -> 6.5: 30 %; 5 -> 6.4: 28 %; 8 -> 9: 12.5 %; from 0 only points count
    assert judge_change(baseline, value).worsening is worsening


@pytest.mark.parametrize(
    ("duration", "baseline", "comparable"),
    [
        (26, 4, True),
        (520, 7.5, True),
        (25, 6, False),  # under 6 months
        (52, 3, False),  # starting at 3/10: never trial-comparable
        (52, 3.9, False),  # not rounded up to 4
        (52, None, None),  # no baseline: cannot tell
        (None, 6, None),  # no intake: cannot tell
        (None, 3, False),  # known to be outside on pain alone
    ],
)
def test_trial_comparable_means_pain_for_26_weeks_and_a_baseline_of_4(
    duration: int | None, baseline: float | None, comparable: bool | None
) -> None:
    assert trial_comparable(baseline, duration) is comparable


# --- patient outcome this week --------------------------------------------------------------------------------


def test_halving_pain_makes_a_30_and_50_percent_responder() -> None:
    outcome = outcome_of(course([6] * 7, [3] * 7), pain_duration_weeks=52)
    assert outcome == PatientOutcome(
        status=OutcomeStatus.COMPLETE,
        start=SIGNED,
        baseline_measure=PainMeasure(6.0, MeasureSource.DIARY, date(2025, 2, 24), date(2025, 3, 2), 7),
        current_measure=PainMeasure(3.0, MeasureSource.DIARY, TODAY - timedelta(days=6), TODAY, 7),
        change=Change(points=-3.0, percent=-50.0, responder_30=True, responder_50=True, worsening=False),
        pain_free_or_nearly=False,
        trial_comparable=True,
        detail="Baseline: diary mean of 7 days, 24 Feb 2025 to 2 Mar 2025.",
    )
    assert (outcome.responder_30, outcome.responder_50, outcome.worsening) == (True, True, False)
    assert (outcome.baseline, outcome.baseline_source, outcome.current) == (6.0, "diary", 3.0)
    assert (outcome.change_points, outcome.change_percent) == (-3.0, -50.0)


@pytest.mark.parametrize(
    ("last_week", "responder_30", "responder_50"),
    [
        ([7] * 7, True, False),  # 10 -> 7: exactly 30% (3 points)
        ([7] * 6 + [8], False, False),  # 10 -> 50/7 = 7.14: 28.6%
        ([5] * 7, True, True),  # 10 -> 5: exactly 50%
        ([5] * 6 + [6], True, False),  # 10 -> 36/7 = 5.14: 48.6%
    ],
)
def test_responder_thresholds_count_a_reduction_of_exactly_30_and_50_percent(
    last_week: list[int], responder_30: bool, responder_50: bool
) -> None:
    outcome = outcome_of(course([10] * 7, last_week))
    assert (outcome.responder_30, outcome.responder_50) == (responder_30, responder_50)


def test_30_percent_but_only_1_5_points_is_not_a_responder() -> None:
    """Baseline 5 (PEG) to 3.5 (the diary this week): 30 % but 1.5 points. Before, 30 % alone counted."""
    outcome = outcome_of(
        diary(TODAY - timedelta(days=1), [3, 4]) + diary(TODAY - timedelta(days=5), [3, 4]),
        [PegPoint(START - timedelta(days=1), 5)],
    )
    assert (outcome.baseline, outcome.current) == (5.0, 3.5)
    assert outcome.change.percent == pytest.approx(-30.0)  # type: ignore[union-attr]
    assert (outcome.responder_30, outcome.responder_50) == (False, False)


@pytest.mark.parametrize(
    ("last_week", "pain_free"),
    [([1] * 7, True), ([0] * 7, True), ([0, 2, 1, 1], True), ([1] * 6 + [2], False), ([2] * 7, False)],
)
def test_pain_free_or_nearly_is_a_weekly_mean_of_one_or_less(last_week: list[int], pain_free: bool) -> None:
    assert outcome_of(course([5] * 7, last_week)).pain_free_or_nearly is pain_free


def test_this_weeks_peg_is_the_current_measure_before_the_diary() -> None:
    points = course([6] * 7, [3] * 7)
    outcome = outcome_of(
        points, [PegPoint(TODAY - timedelta(days=2), 2), PegPoint(TODAY - timedelta(days=9), 9)]
    )
    assert outcome.current_measure == PainMeasure(
        2.0, MeasureSource.PEG, TODAY - timedelta(days=2), TODAY - timedelta(days=2), 1
    )
    assert current_measure(points, [PegPoint(TODAY - timedelta(days=7), 9)], today=TODAY).source == "diary"  # type: ignore[union-attr]


def test_baseline_of_zero_has_no_percent_change_and_worsens_only_by_two_points() -> None:
    zero = [PegPoint(START - timedelta(days=3), 0)]
    outcome = outcome_of(diary(TODAY - timedelta(days=5), [1, 2, 1, 2, 1, 2]), zero)
    assert (outcome.baseline, outcome.current) == (0.0, 1.5)
    assert (outcome.change.percent, outcome.responder_30, outcome.worsening) == (None, False, False)  # type: ignore[union-attr]
    assert outcome_of(diary(TODAY - timedelta(days=5), [2] * 6), zero).worsening is True


def test_before_treatment_starts_nothing_is_judged() -> None:
    points = course([6] * 7, [3] * 7)
    for start in (None, TreatmentStart(TODAY + timedelta(days=1), StartSource.PLAN_SIGNED)):
        outcome = patient_outcome(points, today=TODAY, start=start)
        assert (outcome.status, outcome.baseline, outcome.change) == (OutcomeStatus.NOT_STARTED, None, None)
        assert outcome.current is not None and outcome.current == 3.0
        assert outcome.detail.startswith("Treatment has not started yet")


def test_not_enough_data_is_an_explicit_state_not_a_non_responder() -> None:
    nothing = outcome_of([])
    assert nothing.status is OutcomeStatus.NO_DATA
    assert (nothing.responder_30, nothing.responder_50, nothing.worsening, nothing.pain_free_or_nearly) == (
        None,
        None,
        None,
        None,
    )
    assert nothing.detail == (
        "Not enough data: no baseline: no PEG in the 28 days up to the start (2025-03-03) and fewer than 4 "
        "diary days from 2025-02-24 to 2025-03-02; no PEG and fewer than 4 diary days in the 7 days up to "
        "2025-04-12."
    )
    lapsed = outcome_of(diary(START - timedelta(days=7), [5] * 7))
    assert (lapsed.status, lapsed.baseline, lapsed.current) == (OutcomeStatus.NO_CURRENT, 5.0, None)
    new = outcome_of(diary(TODAY - timedelta(days=4), [1] * 5))
    assert (new.status, new.responder_30, new.pain_free_or_nearly) == (OutcomeStatus.NO_BASELINE, None, True)


def test_data_after_the_day_looked_at_is_ignored() -> None:
    points = course([6] * 7, [3] * 7)
    earlier = patient_outcome(points, today=TODAY - timedelta(days=7), start=SIGNED)
    assert earlier.status is OutcomeStatus.NO_CURRENT  # the last week's entries are in its future


# --- follow-up time points --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2027, 1, 31), 1, date(2027, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 12, 28), 3, date(2027, 3, 28)),
        (date(2026, 11, 30), 12, date(2027, 11, 30)),
    ],
)
def test_months_are_calendar_months_ending_on_the_months_last_day(
    day: date, months: int, expected: date
) -> None:
    assert add_months(day, months) == expected


def test_follow_ups_fall_due_at_the_end_and_3_6_12_calendar_months_after_across_daylight_saving() -> None:
    # London's clocks go forward on 28 March 2027 and back on 31 October 2027: calendar days are unaffected.
    end = date(2026, 12, 28)
    dues = [follow_up_due(end, t) for t in TimePoint]
    assert dues == [date(2026, 12, 28), date(2027, 3, 28), date(2027, 6, 28), date(2027, 12, 28)]
    assert follow_up_due(date(2027, 4, 30), TimePoint.MONTH_6) == date(2027, 10, 30)
    assert follow_up_due(date(2027, 7, 31), TimePoint.MONTH_3) == date(2027, 10, 31)


END = START + timedelta(weeks=4)  # 31 Mar 2025


def follow_ups(
    points: Sequence[DiaryPoint], pegs: Sequence[PegPoint], as_of: date
) -> dict[TimePoint, TimePointOutcome]:
    baseline = baseline_measure(points, pegs, start=START)
    found = follow_up_outcomes(points, pegs, end=END, baseline=baseline, as_of=as_of, pain_duration_weeks=52)
    return {f.time_point: f for f in found}


def test_each_time_point_is_measured_upcoming_awaiting_or_missing_and_never_carried_forward() -> None:
    pegs = [
        PegPoint(START - timedelta(days=1), 6),  # baseline 6
        PegPoint(END + timedelta(days=2), 3),  # end: 3 (-3 points, -50 %)
        PegPoint(
            add_months(END, 3) - timedelta(days=8), 1
        ),  # a day before the 3-month window opens: not counted
    ]
    as_of = add_months(END, 6) + timedelta(days=5)  # 5 Oct 2025: 6 months due 30 Sep, window open
    found = follow_ups([], pegs, as_of)
    assert found[TimePoint.END].status is FollowUpStatus.MEASURED
    assert found[TimePoint.END].measure.value == 3.0  # type: ignore[union-attr]
    assert found[TimePoint.END].change == Change(-3.0, -50.0, True, True, False)
    assert found[TimePoint.MONTH_3].status is FollowUpStatus.MISSING  # window 23 Jun to 28 Jul 2025: nothing
    assert (found[TimePoint.MONTH_3].measure, found[TimePoint.MONTH_3].change) == (None, None)
    assert found[TimePoint.MONTH_6].status is FollowUpStatus.AWAITING
    assert found[TimePoint.MONTH_12].status is FollowUpStatus.UPCOMING
    assert [f.due_so_far for f in found.values()] == [True, True, True, False]


def test_a_time_point_takes_the_peg_nearest_its_due_day_else_the_diary_week_up_to_it() -> None:
    due = add_months(END, 3)  # 30 Jun 2025
    pegs = [
        PegPoint(due - timedelta(days=6), 4),
        PegPoint(due + timedelta(days=5), 2),
        PegPoint(due + timedelta(days=29), 0),
    ]
    assert follow_ups([], pegs, due + timedelta(days=40))[TimePoint.MONTH_3].measure.value == 2.0  # type: ignore[union-attr]
    # known on the due day, only the PEG before it counts
    assert follow_ups([], pegs, due)[TimePoint.MONTH_3].measure.value == 4.0  # type: ignore[union-attr]
    # as near before as after: the one before; two on one day: the last completed
    tie = [PegPoint(due + timedelta(days=3), 1), PegPoint(due - timedelta(days=3), 5)]
    assert follow_ups([], tie, due + timedelta(days=40))[TimePoint.MONTH_3].measure.value == 5.0  # type: ignore[union-attr]
    same_day = [PegPoint(due, 6), PegPoint(due, 3)]
    assert follow_ups([], same_day, due)[TimePoint.MONTH_3].measure.value == 3.0  # type: ignore[union-attr]
    week = diary(due - timedelta(days=6), [2, 2, 3, 3])
    measure = follow_ups(week, [], due + timedelta(days=1))[TimePoint.MONTH_3].measure
    assert measure == PainMeasure(2.5, MeasureSource.DIARY, due - timedelta(days=6), due, 4)


def test_follow_ups_without_a_baseline_are_measured_but_not_judged() -> None:
    found = follow_ups([], [PegPoint(END, 1)], END)
    assert found[TimePoint.END].status is FollowUpStatus.MEASURED
    assert (found[TimePoint.END].change, found[TimePoint.END].pain_free_or_nearly) == (None, True)
    assert found[TimePoint.END].trial_comparable is None


# --- questionnaires ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("instrument", "baseline", "current", "verdict", "mcid"),
    [
        ("odi", 40, 30, ChangeVerdict.IMPROVED, 10),
        ("odi", 40, 31, ChangeVerdict.NO_IMPORTANT_CHANGE, 10),
        ("odi", 30, 40, ChangeVerdict.WORSENED, 10),
        ("rmdq", 12, 7, ChangeVerdict.IMPROVED, 5),
        ("rmdq", 12, 8, ChangeVerdict.NO_IMPORTANT_CHANGE, 5),
        ("pcs", 30, 22, ChangeVerdict.IMPROVED, 8),
        ("pcs", 31, 23, ChangeVerdict.NO_IMPORTANT_CHANGE, 11),
        ("pcs", 31, 20, ChangeVerdict.IMPROVED, 11),
        ("phq9", 14, 9, ChangeVerdict.IMPROVED, 5),
        ("phq9", 14, 10, ChangeVerdict.NO_IMPORTANT_CHANGE, 5),
        ("gad7", 10, 6, ChangeVerdict.IMPROVED, 4),
        ("gad7", 6, 10, ChangeVerdict.WORSENED, 4),
        ("bpi_interference", 5, 4, ChangeVerdict.IMPROVED, 1),
        ("pain_nrs", 6, 4, ChangeVerdict.IMPROVED, 2),
        ("pain_nrs", 5, 3.5, ChangeVerdict.IMPROVED, 2),  # 1.5 points is 30% of 5
        ("pain_nrs", 8, 6.5, ChangeVerdict.NO_IMPORTANT_CHANGE, 2),  # 1.5 points is 18.75% of 8
        ("peg", 7, 3, ChangeVerdict.NO_ESTABLISHED_MCID, None),
        ("pseq", 20, 40, ChangeVerdict.NO_ESTABLISHED_MCID, None),
    ],
)
def test_questionnaire_change_is_judged_against_the_instruments_mcid(
    instrument: str, baseline: float, current: float, verdict: ChangeVerdict, mcid: float | None
) -> None:
    change = questionnaire_change(instrument, baseline, current)
    assert (change.verdict, change.mcid, change.change) == (verdict, mcid, current - baseline)


def test_questionnaire_change_records_its_source() -> None:
    assert "Ostelo" in questionnaire_change("odi", 40, 30).mcid_source
    assert "Monticone" in questionnaire_change("pcs", 40, 30).mcid_source
    assert questionnaire_change("peg", 5, 4).mcid_source.startswith("no established MCID")


def test_questionnaire_change_refuses_unknown_instruments_wrong_direction_and_impossible_scores() -> None:
    with pytest.raises(ValueError, match="unknown instrument 'sf36'"):
        questionnaire_change("sf36", 1, 2)
    with pytest.raises(ValueError, match="on pseq higher is better; higher_is_worse=True contradicts it"):
        questionnaire_change("pseq", 20, 40, higher_is_worse=True)
    with pytest.raises(ValueError, match="odi current score 120 is outside the scale 0-100"):
        questionnaire_change("odi", 40, 120)
    with pytest.raises(ValueError, match="tsk11 baseline score 5 is outside the scale 11-44"):
        questionnaire_change("tsk11", 5, 20)


# --- Wilson intervals and cohorts ---------------------------------------------------------------------------


def test_wilson_interval_matches_the_hand_computed_half_of_ten() -> None:
    # z = 1.96, z^2 = 3.8416, p = 0.5, n = 10: denominator 1 + 0.38416 = 1.38416, centre (0.5 + 0.19208) / 1.38416
    # = 0.5, half width 1.96 * sqrt(0.025 + 0.009604) / 1.38416 = 1.96 * 0.186021 / 1.38416 = 0.263410
    assert_allclose(wilson_interval(5, 10, z=1.96), (0.236590, 0.763410), atol=1e-6)


def test_wilson_interval_of_none_of_ten_starts_at_zero() -> None:
    # centre and half width are both (z^2 / 2n) / (1 + z^2 / n) = 0.19208 / 1.38416 = 0.138770
    low, high = wilson_interval(0, 10, z=1.96)
    assert low == 0.0
    assert high == pytest.approx(0.38416 / 1.38416, abs=1e-12)


@pytest.mark.parametrize(("k", "n"), [(33, 50), (10, 51), (0, 7), (7, 7), (1, 3), (120, 151), (1, 1)])
def test_wilson_interval_agrees_with_scipy(k: int, n: int) -> None:
    reference = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert_allclose(wilson_interval(k, n), (reference.low, reference.high), atol=1e-12)


def test_wilson_interval_refuses_impossible_counts() -> None:
    with pytest.raises(ValueError, match="n must be 1 or more for a proportion, got 0"):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="successes must be from 0 to n \\(5\\), got 6"):
        wilson_interval(6, 5)
    with pytest.raises(TypeError, match=r"successes must be a whole number, got 2\.5"):
        wilson_interval(2.5, 5)  # type: ignore[arg-type]


def patient(
    baseline: float | None,
    current: float | None,
    *,
    weeks: int | None = 52,
    start: TreatmentStart | None = SIGNED,
) -> PatientOutcome:
    """A patient with a PEG baseline the day before START and a PEG this week (None: not measured)."""
    pegs = []
    if baseline is not None:
        pegs.append(PegPoint(START - timedelta(days=1), baseline))
    if current is not None:
        pegs.append(PegPoint(TODAY, current))
    return patient_outcome([], pegs, today=TODAY, start=start, pain_duration_weeks=weeks)


def test_cohort_counts_only_patients_with_data_and_counts_the_others_separately() -> None:
    outcomes = [
        patient(6, 1),  # -5 points, -83 %: 30 % and 50 %, pain-free, trial-comparable
        patient(6, 4),  # -2 points, -33 %: 30 % only
        patient(3, 1),  # -2 points, -67 %: both, pain-free, but started at 3/10: not trial-comparable
        patient(5, 7),  # +2: worse
        patient(None, 1),  # no baseline (pain-free this week)
        patient(5, None),  # no current week
        patient(None, None),  # neither
        patient(6, 1, start=None),  # treatment not started
    ]
    summary = cohort_summary(outcomes)
    assert (summary.n_patients, summary.n_not_started, summary.n_with_data) == (8, 1, 4)
    assert (summary.n_no_baseline, summary.n_no_current, summary.n_no_data) == (1, 1, 1)
    assert summary.responder_30 == Proportion(3, 4, 3 / 4, *wilson_interval(3, 4))
    assert summary.responder_50 == Proportion(2, 4, 2 / 4, *wilson_interval(2, 4))
    assert summary.worsening == Proportion(1, 4, 1 / 4, *wilson_interval(1, 4))
    # trial-comparable: baselines 6, 6, 5 (the 3/10 patient is left out): 1 of 3 pain-free
    assert summary.pain_free_trial_group == Proportion(1, 3, 1 / 3, *wilson_interval(1, 3))
    assert summary.n_outside_trial_group == 1
    # everyone started with a measure this week, baseline or not: 6->1, 6->4, 3->1, 5->7, none->1: 3 of 5
    assert summary.pain_free_everyone == Proportion(3, 5, 3 / 5, *wilson_interval(3, 5))


def test_cohort_without_data_has_no_proportions() -> None:
    summary = cohort_summary([patient(None, None)])
    assert summary.responder_30 == Proportion(0, 0, None, None, None)
    assert summary.n_no_data == 1


def test_cohort_from_real_diaries_reproduces_the_trials_pain_free_count() -> None:
    # 33 of 50 pain-free or nearly pain-free, as in the PRT arm of Ashar 2022, all trial-comparable
    outcomes = [outcome_of(course([4] * 7, [1] * 7), pain_duration_weeks=52)] * 33 + [
        outcome_of(course([4] * 7, [3] * 7), pain_duration_weeks=52)
    ] * 17
    summary = cohort_summary(outcomes)
    free = summary.pain_free_trial_group
    assert (free.count, free.n) == (33, 50)
    assert free.proportion == pytest.approx(0.66)
    reference = binomtest(33, 50).proportion_ci(method="wilson")
    assert free.ci_low is not None and free.ci_high is not None
    assert_allclose((free.ci_low, free.ci_high), (reference.low, reference.high), atol=1e-12)
    assert summary.responder_30.count == 33  # 4 -> 3 is 25 % and 1 point, 4 -> 1 is 75 % and 3 points
    # patients who started at 3/10 and reached 1 join only the figure for everyone
    more = cohort_summary(outcomes + [outcome_of(course([3] * 7, [1] * 7), pain_duration_weeks=52)] * 10)
    assert (more.pain_free_trial_group.count, more.pain_free_trial_group.n) == (33, 50)
    assert (more.pain_free_everyone.count, more.pain_free_everyone.n) == (43, 60)
    assert more.n_outside_trial_group == 10


def test_time_point_completion_is_measured_of_due_so_far_and_missing_is_counted() -> None:
    """Four patients at the 3-month time point (due 30 Jun 2025), looked at on 10 Jul 2025.

    A: baseline 6, 3-month PEG 2 (-4, -67 %: responder, substantial, not pain-free).
    B: baseline 3, 3-month PEG 1 (-2, -67 %: responder, substantial; pain-free but not trial-comparable).
    C: baseline 6, no 3-month measure although the end was measured at 1 (missing; the 1 is not carried).
    D: no baseline, 3-month PEG 0 (measured, pain-free for everyone, not judged).
    Due so far 4, measured 3: completion 3 of 4; missing 1; judged 2 (A, B); trial group 1 (A).
    """
    due = add_months(END, 3)
    as_of = due + timedelta(days=10)

    def one(baseline: float | None, at_end: float | None, at_3: float | None) -> list[TimePointOutcome]:
        pegs = [PegPoint(START - timedelta(days=1), baseline)] if baseline is not None else []
        pegs += [PegPoint(END, at_end)] if at_end is not None else []
        pegs += [PegPoint(due, at_3)] if at_3 is not None else []
        base = baseline_measure([], pegs, start=START)
        return follow_up_outcomes([], pegs, end=END, baseline=base, as_of=as_of, pain_duration_weeks=52)

    everyone = one(6, None, 2) + one(3, None, 1) + one(6, 1, None) + one(None, None, 0)
    s = time_point_summary(TimePoint.MONTH_3, everyone)
    assert (s.n_due, s.n_measured, s.n_missing, s.n_no_baseline) == (4, 3, 1, 1)
    assert s.completion == Proportion(3, 4, 0.75, *wilson_interval(3, 4))
    assert (s.responder_30.count, s.responder_30.n) == (2, 2)
    assert (s.responder_50.count, s.responder_50.n) == (2, 2)
    assert (s.pain_free_trial_group.count, s.pain_free_trial_group.n) == (0, 1)
    assert (s.pain_free_everyone.count, s.pain_free_everyone.n) == (2, 3)
    end = time_point_summary(TimePoint.END, everyone)
    assert (end.n_due, end.n_measured, end.n_missing) == (4, 1, 3)
    later = time_point_summary(TimePoint.MONTH_6, everyone)
    assert (later.n_due, later.completion) == (0, Proportion(0, 0, None, None, None))


def test_the_baseline_row_counts_started_patients_with_a_baseline() -> None:
    rows = baseline_summary([patient(6, 1), patient(None, 2), patient(3, 3), patient(6, 1, start=None)])
    assert (rows.n_due, rows.n_measured, rows.n_missing) == (3, 2, 1)
    assert rows.label == "Before treatment (baseline)"


# --- practice ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days_ago", "not_practised"),
    [([7], True), ([6], False), ([0], False), ([], True), ([-1], True)],
)
def test_not_practising_means_no_practice_in_the_seven_days_ending_today(
    days_ago: list[int], not_practised: bool
) -> None:
    assert not_practising([TODAY - timedelta(days=d) for d in days_ago], today=TODAY) is not_practised


def test_weekly_minutes_add_up_monday_to_sunday_and_show_empty_weeks() -> None:
    practice = [(date(2025, 1, 8), 20), (date(2025, 1, 9), 15), (date(2025, 1, 20), 10)]
    assert weekly_minutes(practice, until=date(2025, 2, 2)) == [
        (date(2025, 1, 6), 35.0),
        (date(2025, 1, 13), 0.0),
        (date(2025, 1, 20), 10.0),
        (date(2025, 1, 27), 0.0),
    ]
    assert weekly_minutes([]) == []
    with pytest.raises(ValueError, match="practice minutes on 2025-01-08 must be 0 or more, got -5"):
        weekly_minutes([(date(2025, 1, 8), -5)])


def test_group_responders_counts_each_verdict_of_the_judged_changes_only() -> None:
    """6 -> 3 is a substantial responder, 6 -> 4 a responder, 5 -> 3.5 neither, 4 -> 6 worse."""
    changes = [judge_change(6, 3), judge_change(6, 4), judge_change(5, 3.5), judge_change(4, 6)]
    group = group_responders(changes)
    assert (group.responder_30.count, group.responder_30.n) == (2, 4)
    assert (group.responder_50.count, group.responder_50.n) == (1, 4)
    assert (group.worsening.count, group.worsening.n) == (1, 4)
    assert group.responder_30.proportion == 0.5
    empty = group_responders(())
    assert (empty.responder_30.n, empty.responder_30.proportion, empty.worsening.ci_low) == (0, None, None)


def test_cohort_and_time_point_summaries_judge_responders_the_same_way() -> None:
    """A patient's outcome now and the same change at a follow-up count as the same kind of responder."""
    start = TreatmentStart(date(2025, 1, 6), StartSource.PLAN_SIGNED)
    baseline = PainMeasure(6.0, MeasureSource.PEG, date(2025, 1, 6), date(2025, 1, 6), 1)
    change = judge_change(6.0, 3.0)
    outcome = PatientOutcome(OutcomeStatus.COMPLETE, start, baseline, baseline, change, False, True, "")
    follow_up = TimePointOutcome(
        TimePoint.END,
        date(2025, 4, 1),
        date(2025, 3, 25),
        date(2025, 4, 29),
        FollowUpStatus.MEASURED,
        baseline,
        change,
        False,
        True,
    )
    now = cohort_summary([outcome])
    later = time_point_summary(TimePoint.END, [follow_up])
    for summary in (now, later):
        assert (summary.responder_30.count, summary.responder_50.count, summary.worsening.count) == (1, 1, 0)
