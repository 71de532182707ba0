"""Outcome statistics: baseline, current mean, responders, pain-free, worsening, MCIDs and Wilson intervals."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import pytest
from numpy.testing import assert_allclose
from scipy.stats import binomtest

from painrewire.diary.outcomes import (
    ChangeVerdict,
    DiaryPoint,
    OutcomeStatus,
    PatientOutcome,
    Proportion,
    baseline_pain,
    cohort_summary,
    current_mean,
    not_practising,
    patient_outcome,
    questionnaire_change,
    rolling_mean,
    weekly_minutes,
    wilson_interval,
)

START = date(2025, 3, 3)
TODAY = START + timedelta(days=40)


def diary(start: date, values: Sequence[float], *, step: int = 1) -> list[DiaryPoint]:
    return [DiaryPoint(start + timedelta(days=i * step), v) for i, v in enumerate(values)]


def course(baseline_week: Sequence[float], last_week: Sequence[float]) -> list[DiaryPoint]:
    """A baseline week from START and the values of the days ending on TODAY."""
    return diary(START, baseline_week) + diary(TODAY - timedelta(days=len(last_week) - 1), last_week)


# --- baseline -------------------------------------------------------------------------------------------


def test_baseline_is_the_mean_of_the_first_seven_diary_days() -> None:
    points = diary(START, [6, 5, 7, 6, 5, 6, 7, 0, 0])
    assert baseline_pain(points) == 6.0  # 42 / 7; the later zeros are not part of it


def test_baseline_days_may_have_gaps() -> None:
    points = [*diary(START, [4] * 7, step=2), DiaryPoint(START + timedelta(days=13), 10)]
    # entries on days 0, 2, ..., 12 (all 4) are the first seven; day 13 is the eighth
    assert baseline_pain(points) == 4.0


def test_the_first_seven_diary_days_count_however_far_apart() -> None:
    """Issue 7: the baseline is the first 7 diary days; a seventh day a month later still completes it."""
    points = [*diary(START, [3, 3, 3, 3, 3, 3]), DiaryPoint(START + timedelta(days=30), 10)]
    assert baseline_pain(points) == pytest.approx(28 / 7)
    assert baseline_pain(points, bpi_average=5) == pytest.approx(28 / 7)


def test_a_diary_shorter_than_seven_days_uses_the_bpi() -> None:
    points = diary(START, [3, 3, 3, 3, 3, 3])
    assert baseline_pain(points) is None
    assert baseline_pain(points, bpi_average=5) == 5.0


def test_baseline_does_not_depend_on_the_order_points_arrive_in() -> None:
    points = diary(START, [1, 2, 3, 4, 5, 6, 7, 8])
    assert baseline_pain(list(reversed(points))) == 4.0  # (1 + ... + 7) / 7


def test_diary_with_two_points_on_one_day_or_impossible_pain_is_refused() -> None:
    with pytest.raises(ValueError, match="two diary points on 2025-03-03: the diary has one entry per day"):
        baseline_pain([DiaryPoint(START, 3), DiaryPoint(START, 4)])
    with pytest.raises(ValueError, match="average pain on 2025-03-03 must be from 0 to 10, got 11"):
        DiaryPoint(START, 11)
    with pytest.raises(ValueError, match="bpi_average must be from 0 to 10, got 12"):
        baseline_pain([], bpi_average=12)


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


# --- patient outcome --------------------------------------------------------------------------------------


def test_halving_pain_makes_a_30_and_50_percent_responder() -> None:
    outcome = patient_outcome(course([6] * 7, [3] * 7), today=TODAY)
    assert outcome == PatientOutcome(
        status=OutcomeStatus.COMPLETE,
        baseline=6.0,
        baseline_source="diary",
        current=3.0,
        change_points=-3.0,
        change_percent=-50.0,
        responder_30=True,
        responder_50=True,
        pain_free_or_nearly=False,
        worsening=False,
        detail="Baseline from the diary.",
    )


@pytest.mark.parametrize(
    ("last_week", "responder_30", "responder_50"),
    [
        ([7] * 7, True, False),  # 10 -> 7: exactly 30%
        ([7] * 6 + [8], False, False),  # 10 -> 50/7 = 7.14: 28.6%
        ([5] * 7, True, True),  # 10 -> 5: exactly 50%
        ([5] * 6 + [6], True, False),  # 10 -> 36/7 = 5.14: 48.6%
    ],
)
def test_responder_thresholds_count_a_reduction_of_exactly_30_and_50_percent(
    last_week: list[int], responder_30: bool, responder_50: bool
) -> None:
    outcome = patient_outcome(course([10] * 7, last_week), today=TODAY)
    assert (outcome.responder_30, outcome.responder_50) == (responder_30, responder_50)


@pytest.mark.parametrize(
    ("last_week", "pain_free"),
    [([1] * 7, True), ([0] * 7, True), ([0, 2, 1, 1], True), ([1] * 6 + [2], False), ([2] * 7, False)],
)
def test_pain_free_or_nearly_is_a_weekly_mean_of_one_or_less(last_week: list[int], pain_free: bool) -> None:
    assert patient_outcome(course([5] * 7, last_week), today=TODAY).pain_free_or_nearly is pain_free


@pytest.mark.parametrize(
    ("baseline_week", "last_week", "worsening"),
    [
        ([3] * 7, [5] * 7, True),  # up 2 points
        ([5] * 7, [6, 7, 6, 7, 6, 7], True),  # up 1.5 = 30% of 5
        ([5] * 7, [6, 7, 6, 7, 6], False),  # up 1.4 = 28%
        ([8] * 7, [9] * 7, False),  # up 1 = 12.5%
    ],
)
def test_worsening_is_up_two_points_or_thirty_percent(
    baseline_week: list[int], last_week: list[int], worsening: bool
) -> None:
    assert patient_outcome(course(baseline_week, last_week), today=TODAY).worsening is worsening


def test_baseline_of_zero_has_no_percent_change_and_worsens_only_by_two_points() -> None:
    # six diary days are too few for a diary baseline, so the baseline BPI of 0 is used
    outcome = patient_outcome(
        diary(TODAY - timedelta(days=5), [1, 2, 1, 2, 1, 2]), today=TODAY, bpi_average=0
    )
    assert (outcome.baseline, outcome.current) == (0.0, 1.5)
    assert (outcome.change_percent, outcome.responder_30, outcome.worsening) == (None, False, False)
    outcome = patient_outcome(diary(TODAY - timedelta(days=5), [2] * 6), today=TODAY, bpi_average=0)
    assert outcome.worsening is True


def test_short_diary_falls_back_to_the_baseline_bpi() -> None:
    outcome = patient_outcome(diary(TODAY - timedelta(days=4), [4] * 5), today=TODAY, bpi_average=6)
    assert outcome.status is OutcomeStatus.COMPLETE
    assert (outcome.baseline, outcome.baseline_source, outcome.current) == (6.0, "bpi", 4.0)
    assert outcome.change_percent == pytest.approx(-100 / 3)
    assert (outcome.responder_30, outcome.responder_50) == (True, False)
    assert outcome.detail == "Baseline from the baseline BPI."


def test_not_enough_data_is_an_explicit_state_not_a_non_responder() -> None:
    nothing = patient_outcome([], today=TODAY)
    assert nothing.status is OutcomeStatus.NO_DATA
    assert (nothing.responder_30, nothing.responder_50, nothing.worsening, nothing.pain_free_or_nearly) == (
        None,
        None,
        None,
        None,
    )
    assert nothing.detail == (
        "Not enough data: no baseline: fewer than 7 diary days and no baseline BPI average pain; "
        "fewer than 4 diary days in the 7 days up to 2025-04-12."
    )
    lapsed = patient_outcome(diary(START, [5] * 7), today=TODAY)
    assert (lapsed.status, lapsed.baseline, lapsed.current) == (OutcomeStatus.NO_CURRENT, 5.0, None)
    new = patient_outcome(diary(TODAY - timedelta(days=4), [1] * 5), today=TODAY)
    assert (new.status, new.responder_30, new.pain_free_or_nearly) == (OutcomeStatus.NO_BASELINE, None, True)


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


def outcome(
    status: OutcomeStatus = OutcomeStatus.COMPLETE,
    *,
    r30: bool | None = None,
    r50: bool | None = None,
    free: bool | None = None,
    worse: bool | None = None,
) -> PatientOutcome:
    return PatientOutcome(status, None, None, None, None, None, r30, r50, free, worse, "")


def test_cohort_counts_only_patients_with_data_and_counts_the_others_separately() -> None:
    outcomes = [
        outcome(r30=True, r50=True, free=True, worse=False),
        outcome(r30=True, r50=False, free=False, worse=False),
        outcome(r30=False, r50=False, free=False, worse=True),
        outcome(OutcomeStatus.NO_BASELINE, free=True),
        outcome(OutcomeStatus.NO_CURRENT),
        outcome(OutcomeStatus.NO_DATA),
    ]
    summary = cohort_summary(outcomes)
    assert (summary.n_patients, summary.n_with_data) == (6, 3)
    assert (summary.n_no_baseline, summary.n_no_current, summary.n_no_data) == (1, 1, 1)
    assert summary.responder_30 == Proportion(2, 3, 2 / 3, *wilson_interval(2, 3))
    assert summary.responder_50 == Proportion(1, 3, 1 / 3, *wilson_interval(1, 3))
    assert summary.pain_free_or_nearly == Proportion(1, 3, 1 / 3, *wilson_interval(1, 3))
    assert summary.worsening == Proportion(1, 3, 1 / 3, *wilson_interval(1, 3))


def test_cohort_without_data_has_no_proportions() -> None:
    summary = cohort_summary([outcome(OutcomeStatus.NO_DATA)])
    assert summary.responder_30 == Proportion(0, 0, None, None, None)
    assert summary.n_no_data == 1


def test_cohort_from_real_diaries_reproduces_the_trials_pain_free_count() -> None:
    # 33 of 50 pain-free or nearly pain-free, as in the PRT arm of Ashar 2022
    outcomes = [patient_outcome(course([4] * 7, [1] * 7), today=TODAY)] * 33 + [
        patient_outcome(course([4] * 7, [3] * 7), today=TODAY)
    ] * 17
    summary = cohort_summary(outcomes)
    assert (summary.pain_free_or_nearly.count, summary.pain_free_or_nearly.n) == (33, 50)
    assert summary.pain_free_or_nearly.proportion == pytest.approx(0.66)
    reference = binomtest(33, 50).proportion_ci(method="wilson")
    assert_allclose(
        (summary.pain_free_or_nearly.ci_low, summary.pain_free_or_nearly.ci_high),
        (reference.low, reference.high),
        atol=1e-12,
    )
    assert summary.responder_30.count == 33  # 4 -> 3 is a 25% reduction, 4 -> 1 is 75%


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
