"""Outcome statistics: change in pain from baseline, responders, questionnaire change against MCIDs, cohorts.

The numbers a clinician reads on the dashboard and in reports, computed from plain values: diary points
(day, average pain 0-10) and questionnaire totals. Every "not enough data" case is an explicit state, never a
zero or an error, so a cohort count never mistakes a missing diary for a non-responder.

Definitions (each tested at its boundaries):

- Baseline: the mean of the first 7 diary days (the first 7 entries, however far apart: issue 7 defines the
  baseline by diary days, not calendar days). When the diary is shorter than 7 days, the baseline BPI average
  pain, when given; otherwise no baseline. Once 7 days exist the baseline never changes with later entries.
- Current: the mean of the entries in the 7 calendar days ending today (today included), when at least 4 of
  those days have an entry; otherwise no current value.
- Responder at 30% / 50%: the current mean is at least 30% / 50% below baseline (IMMPACT: moderate and
  substantial improvement). With a baseline of 0 no reduction is possible and neither is reached.
- Pain-free or nearly pain-free: current mean of 1.0 or less, the primary outcome of the PRT trial (Ashar 2022:
  1-week average pain 0 or 1 of 10). The trial asked for one whole-number rating of the week; a mean of daily
  ratings is compared with 1 without rounding, so a week averaging 1.4 does not count (rounding would
  overstate the outcome).
- Worsening: current mean at least 2 points above baseline, or at least 30% above a baseline above 0.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

#: Diary days averaged for a baseline.
BASELINE_ENTRIES = 7

#: Entries needed in a 7-day window for its mean to be shown (more than half the week).
MIN_WINDOW_ENTRIES = 4

_EPS = 1e-9


@dataclass(frozen=True)
class DiaryPoint:
    """One diary day's average pain on the 0-10 scale."""

    day: date
    average_pain: float

    def __post_init__(self) -> None:
        if isinstance(self.average_pain, bool) or not isinstance(self.average_pain, int | float):
            raise TypeError(f"average pain on {self.day} must be a number, got {self.average_pain!r}")
        if not (math.isfinite(self.average_pain) and 0 <= self.average_pain <= 10):
            raise ValueError(f"average pain on {self.day} must be from 0 to 10, got {self.average_pain!r}")


@dataclass(frozen=True)
class RollingPoint:
    """The mean pain of the 7 calendar days ending on ``day``; ``None`` when too few days have an entry."""

    day: date
    mean: float | None


def _sorted_points(points: Iterable[DiaryPoint]) -> list[DiaryPoint]:
    ordered = sorted(points, key=lambda p: p.day)
    for earlier, later in pairwise(ordered):
        if earlier.day == later.day:
            raise ValueError(f"two diary points on {later.day}: the diary has one entry per day")
    return ordered


def _check_window(window_days: int, min_entries: int) -> None:
    if isinstance(window_days, bool) or not isinstance(window_days, int) or window_days < 1:
        raise ValueError(f"window_days must be a whole number of days, 1 or more, got {window_days!r}")
    if (
        isinstance(min_entries, bool)
        or not isinstance(min_entries, int)
        or not 1 <= min_entries <= window_days
    ):
        raise ValueError(f"min_entries must be from 1 to window_days ({window_days}), got {min_entries!r}")


def _check_bpi(bpi_average: float | None) -> None:
    if bpi_average is not None and not (math.isfinite(bpi_average) and 0 <= bpi_average <= 10):
        raise ValueError(f"bpi_average must be from 0 to 10, got {bpi_average!r}")


def _baseline(points: Sequence[DiaryPoint], bpi_average: float | None) -> tuple[float | None, str | None]:
    ordered = _sorted_points(points)
    _check_bpi(bpi_average)
    if len(ordered) >= BASELINE_ENTRIES:
        early = ordered[:BASELINE_ENTRIES]
        return sum(p.average_pain for p in early) / BASELINE_ENTRIES, "diary"
    if bpi_average is not None:
        return float(bpi_average), "bpi"
    return None, None


def baseline_pain(points: Sequence[DiaryPoint], *, bpi_average: float | None = None) -> float | None:
    """Return the patient's baseline average pain (0-10), or None when there is not enough data.

    Parameters
    ----------
    points : sequence of DiaryPoint
        The patient's diary, any order, one point per day.
    bpi_average : float | None
        The baseline BPI "average pain" item (0-10), used when the diary cannot give a baseline.

    Returns
    -------
    baseline : float | None
        The mean of the first 7 diary days when the diary has at least 7; else ``bpi_average``; else None.
    """
    return _baseline(points, bpi_average)[0]


def current_mean(
    points: Sequence[DiaryPoint], *, today: date, window_days: int = 7, min_entries: int = MIN_WINDOW_ENTRIES
) -> float | None:
    """Return the mean pain of the ``window_days`` calendar days ending on ``today`` (included).

    Parameters
    ----------
    points : sequence of DiaryPoint
        The patient's diary; entries after ``today`` are ignored.
    today : datetime.date
        The last day of the window.
    window_days : int
        Length of the window in calendar days.
    min_entries : int
        Entries the window needs for a mean; fewer gives None.

    Returns
    -------
    mean : float | None
        Mean average pain (0-10) of the entries in the window, or None when fewer than ``min_entries``.
    """
    _check_window(window_days, min_entries)
    first = today - timedelta(days=window_days - 1)
    window = [p.average_pain for p in _sorted_points(points) if first <= p.day <= today]
    if len(window) < min_entries:
        return None
    return sum(window) / len(window)


def rolling_mean(
    points: Sequence[DiaryPoint], window_days: int = 7, *, min_entries: int = MIN_WINDOW_ENTRIES
) -> list[RollingPoint]:
    """Return the rolling mean pain for every calendar day from the first to the last diary entry.

    Parameters
    ----------
    points : sequence of DiaryPoint
        The patient's diary, any order, one point per day.
    window_days : int
        Length of the trailing window in calendar days (the day itself included).
    min_entries : int
        Entries a window needs for its mean.

    Returns
    -------
    rolling : list of RollingPoint
        One point per calendar day, gaps included; ``mean`` is the mean of the entries in the trailing window,
        or None where fewer than ``min_entries`` days of it have an entry (a chart breaks its line there).
        The value on a day equals `current_mean` with ``today`` set to that day.
    """
    _check_window(window_days, min_entries)
    ordered = _sorted_points(points)
    if not ordered:
        return []
    by_day = {p.day: p.average_pain for p in ordered}
    result: list[RollingPoint] = []
    day = ordered[0].day
    while day <= ordered[-1].day:
        values = [by_day[d] for d in (day - timedelta(days=k) for k in range(window_days)) if d in by_day]
        result.append(RollingPoint(day, sum(values) / len(values) if len(values) >= min_entries else None))
        day += timedelta(days=1)
    return result


class OutcomeStatus(enum.StrEnum):
    """Whether a patient's pain outcome can be computed, and what is missing when not."""

    COMPLETE = "complete"
    NO_BASELINE = "no_baseline"
    NO_CURRENT = "no_current"
    NO_DATA = "no_data"


@dataclass(frozen=True)
class PatientOutcome:
    """One patient's pain outcome on a given day.

    ``change_points`` and ``change_percent`` are current minus baseline (negative: less pain). The yes/no
    results are None when the data needed for them is missing; ``pain_free_or_nearly`` needs only the
    current mean. ``detail`` says in plain words what is missing.
    """

    status: OutcomeStatus
    baseline: float | None
    baseline_source: str | None
    current: float | None
    change_points: float | None
    change_percent: float | None
    responder_30: bool | None
    responder_50: bool | None
    pain_free_or_nearly: bool | None
    worsening: bool | None
    detail: str


def _reduced_by(baseline: float, current: float, fraction: float) -> bool:
    return baseline > 0 and baseline - current >= fraction * baseline - _EPS


def patient_outcome(
    points: Sequence[DiaryPoint], *, today: date, bpi_average: float | None = None
) -> PatientOutcome:
    """Return the patient's pain outcome today: change from baseline, responder, pain-free and worsening flags.

    Parameters
    ----------
    points : sequence of DiaryPoint
        The patient's diary.
    today : datetime.date
        The day the outcome is computed for (the current 7-day window ends on it).
    bpi_average : float | None
        Baseline BPI average pain (0-10), used when the diary has no baseline week.

    Returns
    -------
    outcome : PatientOutcome

    Notes
    -----
    Responders at 30% and 50% reduction follow IMMPACT (moderate and substantial improvement); worsening is
    a rise of 2 points or 30% (the same sizes, upwards); pain-free or nearly pain-free is a current mean of
    1.0 or less (see the module docstring for why the mean is not rounded).

    References
    ----------
    Ashar YK et al. Effect of Pain Reprocessing Therapy vs Placebo and Usual Care for Patients With Chronic
    Back Pain. JAMA Psychiatry 2022;79(1):13-23.
    Dworkin RH et al. Interpreting the clinical importance of treatment outcomes in chronic pain clinical
    trials: IMMPACT recommendations. J Pain 2008;9(2):105-121.
    """
    baseline, source = _baseline(points, bpi_average)
    return outcome_from_means(baseline, source, current_mean(points, today=today), today=today)


def outcome_from_means(
    baseline: float | None, baseline_source: str | None, current: float | None, *, today: date
) -> PatientOutcome:
    """Return the outcome from an already computed baseline and current 7-day mean.

    The same judgement as `patient_outcome`, for callers that compute the means in the database (the
    dashboard and cohort pages: one query for a whole caseload instead of every diary entry).

    Parameters
    ----------
    baseline : float | None
        Baseline average pain (0-10), see `baseline_pain`.
    baseline_source : str | None
        ``"diary"`` or ``"bpi"``.
    current : float | None
        Mean pain of the 7 days ending ``today``, or None when fewer than 4 of them have an entry.
    today : datetime.date
        The day the outcome is for (named in the detail when the current mean is missing).
    """
    for name, value in (("baseline", baseline), ("current", current)):
        if value is not None and not (math.isfinite(value) and 0 <= value <= 10):
            raise ValueError(f"{name} pain must be from 0 to 10, got {value!r}")
    pain_free = None if current is None else current <= 1.0 + _EPS
    if baseline is None or current is None:
        missing = []
        if baseline is None:
            missing.append(
                f"no baseline: fewer than {BASELINE_ENTRIES} diary days and no baseline BPI average pain"
            )
        if current is None:
            missing.append(
                f"fewer than {MIN_WINDOW_ENTRIES} diary days in the 7 days up to {today.isoformat()}"
            )
        if baseline is None and current is None:
            status = OutcomeStatus.NO_DATA
        else:
            status = OutcomeStatus.NO_BASELINE if baseline is None else OutcomeStatus.NO_CURRENT
        return PatientOutcome(
            status=status,
            baseline=baseline,
            baseline_source=baseline_source,
            current=current,
            change_points=None,
            change_percent=None,
            responder_30=None,
            responder_50=None,
            pain_free_or_nearly=pain_free,
            worsening=None,
            detail="Not enough data: " + "; ".join(missing) + ".",
        )
    change = current - baseline
    worsening = change >= 2 - _EPS or (baseline > 0 and change >= 0.3 * baseline - _EPS)
    return PatientOutcome(
        status=OutcomeStatus.COMPLETE,
        baseline=baseline,
        baseline_source=baseline_source,
        current=current,
        change_points=change,
        change_percent=100 * change / baseline if baseline > 0 else None,
        responder_30=_reduced_by(baseline, current, 0.3),
        responder_50=_reduced_by(baseline, current, 0.5),
        pain_free_or_nearly=pain_free,
        worsening=worsening,
        detail=f"Baseline from the {'diary' if baseline_source == 'diary' else 'baseline BPI'}.",
    )


def not_practising(practice_days: Iterable[date], *, today: date, days: int = 7) -> bool:
    """Return True when there is no practice in the ``days`` calendar days ending today (today included).

    The clinician dashboard lists these patients after the worsening ones: adherence decides outcomes.

    Parameters
    ----------
    practice_days : iterable of datetime.date
        Days on which any practice (a lesson, somatic tracking, GMI, mindfulness, ...) was logged.
    today : datetime.date
        The last day looked at.
    days : int
        Length of the period in calendar days.
    """
    _check_window(days, 1)
    first = today - timedelta(days=days - 1)
    return not any(first <= d <= today for d in practice_days)


def weekly_minutes(
    practice: Iterable[tuple[date, float]], *, until: date | None = None
) -> list[tuple[date, float]]:
    """Return practice minutes per week (Monday to Sunday), weeks without practice included as 0.

    Parameters
    ----------
    practice : iterable of (datetime.date, float)
        Day and minutes practised; several entries on one day add up.
    until : datetime.date | None
        Extend the weeks to the one holding this day (usually today), so a recent lapse shows as 0.

    Returns
    -------
    weeks : list of (datetime.date, float)
        Each week's Monday and its total minutes, from the first week with practice; empty without practice.
    """
    totals: dict[date, float] = {}
    for day, minutes in practice:
        if (
            isinstance(minutes, bool)
            or not isinstance(minutes, int | float)
            or not (math.isfinite(minutes) and minutes >= 0)
        ):
            raise ValueError(f"practice minutes on {day} must be 0 or more, got {minutes!r}")
        monday = day - timedelta(days=day.weekday())
        totals[monday] = totals.get(monday, 0.0) + minutes
    if not totals:
        return []
    last = max(totals)
    if until is not None:
        last = max(last, until - timedelta(days=until.weekday()))
    weeks: list[tuple[date, float]] = []
    monday = min(totals)
    while monday <= last:
        weeks.append((monday, totals.get(monday, 0.0)))
        monday += timedelta(days=7)
    return weeks


# --- questionnaires -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MinimalImportantDifference:
    """The smallest change in an instrument's score that matters to a patient, with its source.

    ``points`` is None when no MCID is established; ``points_above`` gives a larger MCID for baselines above
    a level (PCS); ``percent`` is an alternative relative MCID (pain NRS: 2 points or 30%).
    """

    instrument: str
    lowest: float
    highest: float
    higher_is_worse: bool
    points: float | None
    source: str
    points_above: tuple[float, float] | None = None
    percent: float | None = None


_OSTELO = (
    "Ostelo RW et al. Interpreting change scores for pain and functional status in low back pain: towards "
    "international consensus regarding minimal important change. Spine 2008;33(1):90-4"
)

#: MCIDs from clinical.md section 3, with their sources; instruments without one say so.
MCID_TABLE: dict[str, MinimalImportantDifference] = {
    m.instrument: m
    for m in (
        MinimalImportantDifference(
            "pain_nrs",
            0,
            10,
            True,
            2,
            "Farrar JT et al. Pain 2001;94:149-58; " + _OSTELO + " (2 points or 30%)",
            percent=30,
        ),
        MinimalImportantDifference(
            "peg",
            0,
            10,
            True,
            None,
            "no established MCID: Krebs EE et al. J Gen Intern Med 2009;24(6):733-8 show the PEG is sensitive to "
            "change but give no confirmed MCID",
        ),
        MinimalImportantDifference(
            "bpi_interference",
            0,
            10,
            True,
            1,
            "IMMPACT: Dworkin RH et al. J Pain 2008;9(2):105-121 (1 point)",
        ),
        MinimalImportantDifference(
            "bpi_severity",
            0,
            10,
            True,
            None,
            "no established MCID for the BPI severity score in the clinic's references",
        ),
        MinimalImportantDifference("odi", 0, 100, True, 10, _OSTELO + " (10 points)"),
        MinimalImportantDifference("rmdq", 0, 24, True, 5, _OSTELO + " (5 points)"),
        MinimalImportantDifference(
            "pcs",
            0,
            52,
            True,
            8,
            "Monticone M et al. Eur J Phys Rehabil Med 2022;58(1):68-75 (8 points; 11 points when the baseline "
            "is above 30)",
            points_above=(30, 11),
        ),
        MinimalImportantDifference(
            "phq9", 0, 27, True, 5, "Löwe B et al. Med Care 2004;42(12):1194-1201 (5 points)"
        ),
        MinimalImportantDifference(
            "gad7", 0, 21, True, 4, "Toussaint A et al. J Affect Disord 2020;265:395-401 (4 points)"
        ),
        MinimalImportantDifference(
            "tsk11", 11, 44, True, None, "no established MCID for the TSK-11 in the clinic's references"
        ),
        MinimalImportantDifference(
            "pseq", 0, 60, False, None, "no established MCID for the PSEQ in the clinic's references"
        ),
        MinimalImportantDifference(
            "csi", 0, 100, True, None, "no established MCID for the CSI in the clinic's references"
        ),
        MinimalImportantDifference(
            "startback",
            0,
            9,
            True,
            None,
            "no MCID: the Keele STarT Back Tool stratifies risk and is not a change measure",
        ),
    )
}


class ChangeVerdict(enum.StrEnum):
    IMPROVED = "improved"
    WORSENED = "worsened"
    NO_IMPORTANT_CHANGE = "no important change"
    NO_ESTABLISHED_MCID = "no established MCID"


@dataclass(frozen=True)
class QuestionnaireChange:
    """A questionnaire score's change from baseline judged against its MCID.

    ``change`` is current minus baseline; ``mcid`` is the MCID in points that applied (None when there is
    none); ``mcid_percent`` the relative alternative, when the source gives one.
    """

    instrument: str
    baseline: float
    current: float
    change: float
    mcid: float | None
    mcid_percent: float | None
    mcid_source: str
    verdict: ChangeVerdict


def questionnaire_change(
    instrument_id: str, baseline: float, current: float, *, higher_is_worse: bool | None = None
) -> QuestionnaireChange:
    """Judge the change of a questionnaire score against the instrument's minimal important difference.

    Parameters
    ----------
    instrument_id : str
        One of `MCID_TABLE`: pain_nrs, peg, bpi_interference, bpi_severity, odi, rmdq, pcs, phq9, gad7,
        tsk11, pseq, csi, startback.
    baseline, current : float
        Scores on the instrument's own scale.
    higher_is_worse : bool | None
        The instrument's direction; None takes it from the table (all but the PSEQ are higher-is-worse).
        A value that contradicts the table is refused.

    Returns
    -------
    change : QuestionnaireChange
        ``improved`` or ``worsened`` when the change reaches the MCID in the better or worse direction,
        ``no important change`` when it does not, ``no established MCID`` when the source gives none.

    Notes
    -----
    A change exactly equal to the MCID counts. The PCS MCID is 11 points when the baseline is above 30
    (catastrophisers), else 8. For pain NRS a change counts when it reaches 2 points or 30% of the baseline.
    """
    mid = MCID_TABLE.get(instrument_id)
    if mid is None:
        raise ValueError(f"unknown instrument {instrument_id!r} (known: {', '.join(MCID_TABLE)})")
    if higher_is_worse is not None and higher_is_worse != mid.higher_is_worse:
        direction = "higher is worse" if mid.higher_is_worse else "higher is better"
        raise ValueError(f"on {instrument_id} {direction}; higher_is_worse={higher_is_worse} contradicts it")
    for name, value in (("baseline", baseline), ("current", current)):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise ValueError(f"{instrument_id} {name} score must be a number, got {value!r}")
        if not mid.lowest <= value <= mid.highest:
            raise ValueError(
                f"{instrument_id} {name} score {value:g} is outside the scale {mid.lowest:g}-{mid.highest:g}"
            )
    change = current - baseline
    points = mid.points
    if points is not None and mid.points_above is not None and baseline > mid.points_above[0]:
        points = mid.points_above[1]
    if points is None:
        verdict = ChangeVerdict.NO_ESTABLISHED_MCID
    else:
        size = abs(change)
        important = size >= points - _EPS or (
            mid.percent is not None and baseline > 0 and size >= mid.percent / 100 * baseline - _EPS
        )
        better = change < 0 if mid.higher_is_worse else change > 0
        if not important:
            verdict = ChangeVerdict.NO_IMPORTANT_CHANGE
        else:
            verdict = ChangeVerdict.IMPROVED if better else ChangeVerdict.WORSENED
    return QuestionnaireChange(
        instrument=instrument_id,
        baseline=float(baseline),
        current=float(current),
        change=float(change),
        mcid=points,
        mcid_percent=mid.percent,
        mcid_source=mid.source,
        verdict=verdict,
    )


# --- cohorts ------------------------------------------------------------------------------------------

#: The two-sided 95% normal quantile, scipy.stats.norm.ppf(0.975).
Z_95 = 1.959963984540054


def wilson_interval(successes: int, n: int, *, z: float = Z_95) -> tuple[float, float]:
    """Return the Wilson score interval for a proportion.

    Parameters
    ----------
    successes : int
        Patients with the outcome, 0 to ``n``.
    n : int
        Patients counted, 1 or more.
    z : float
        Normal quantile; the default gives a two-sided 95% interval.

    Returns
    -------
    low, high : float
        Interval bounds between 0 and 1.

    Notes
    -----
    With :math:`\\hat p = k/n`, the interval is
    :math:`\\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}`. Unlike the
    Wald interval it stays inside 0-1 and keeps its coverage for small caseloads and proportions near 0 or 1
    (Newcombe 1998), which is what a clinic's cohorts look like.

    References
    ----------
    Wilson EB. Probable inference, the law of succession, and statistical inference. J Am Stat Assoc
    1927;22(158):209-212.
    Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven methods.
    Stat Med 1998;17(8):857-872.
    """
    for name, value in (("successes", successes), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be a whole number, got {value!r}")
    if n < 1:
        raise ValueError(f"n must be 1 or more for a proportion, got {n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be from 0 to n ({n}), got {successes}")
    if not (math.isfinite(z) and z > 0):
        raise ValueError(f"z must be a positive number, got {z!r}")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Proportion:
    """``count`` of ``n`` patients, with the proportion and its 95% Wilson interval (None when n is 0)."""

    count: int
    n: int
    proportion: float | None
    ci_low: float | None
    ci_high: float | None


def _proportion(count: int, n: int) -> Proportion:
    if n == 0:
        return Proportion(0, 0, None, None, None)
    low, high = wilson_interval(count, n)
    return Proportion(count, n, count / n, low, high)


@dataclass(frozen=True)
class CohortSummary:
    """Outcomes of a group of patients (a caseload, a program, the clinic).

    Proportions are of the ``n_with_data`` patients with both a baseline and a current mean; the others are
    counted by what they miss.
    """

    n_patients: int
    n_with_data: int
    n_no_baseline: int
    n_no_current: int
    n_no_data: int
    responder_30: Proportion
    responder_50: Proportion
    pain_free_or_nearly: Proportion
    worsening: Proportion


def cohort_summary(outcomes: Sequence[PatientOutcome]) -> CohortSummary:
    """Summarise patient outcomes: counts and proportions with 95% Wilson intervals.

    Parameters
    ----------
    outcomes : sequence of PatientOutcome
        One per patient, already filtered (by clinician, program, discipline or dates) by the caller.

    Returns
    -------
    summary : CohortSummary
        Responders at 30% and 50%, pain-free or nearly pain-free, and worsening, each of the patients with
        complete data; patients without enough data counted separately by status.
    """
    complete = [o for o in outcomes if o.status is OutcomeStatus.COMPLETE]
    n = len(complete)

    def count(values: Iterable[bool | None]) -> int:
        return sum(1 for v in values if v)

    return CohortSummary(
        n_patients=len(outcomes),
        n_with_data=n,
        n_no_baseline=sum(1 for o in outcomes if o.status is OutcomeStatus.NO_BASELINE),
        n_no_current=sum(1 for o in outcomes if o.status is OutcomeStatus.NO_CURRENT),
        n_no_data=sum(1 for o in outcomes if o.status is OutcomeStatus.NO_DATA),
        responder_30=_proportion(count(o.responder_30 for o in complete), n),
        responder_50=_proportion(count(o.responder_50 for o in complete), n),
        pain_free_or_nearly=_proportion(count(o.pain_free_or_nearly for o in complete), n),
        worsening=_proportion(count(o.worsening for o in complete), n),
    )
