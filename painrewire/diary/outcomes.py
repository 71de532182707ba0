"""Outcome statistics: pain before treatment, at the end and at follow-ups, responders, questionnaire change
against MCIDs, cohorts.

The numbers a clinician reads on the dashboard and in reports, computed from plain values: diary points (day,
average pain 0-10), PEG item 1 answers (average pain in the past week, 0-10) and questionnaire totals. Every
"not enough data" case is an explicit state, never a zero or an error, so a cohort count never mistakes a
missing measure for a non-responder, and no value is ever carried forward from an earlier week.

Definitions (each tested at its boundaries):

- Treatment start: the day the first plan version was signed or the day of the first practice session,
  whichever came first (`treatment_start`).
- A week's pain: PEG item 1 ("your pain on average in the past week", Krebs 2009) when a PEG falls in the
  week's window; otherwise the mean of the diary's average pain over the 7 days, when at least 4 of them have
  an entry. PEG item 1 wins because it is the question the PRT trial asked for its primary outcome (one rating
  of average pain over the last week, Ashar 2022) and the question the clinic asks again at the end and at
  every follow-up, so a baseline and a follow-up compare the same question; the diary mean (the mean of
  daily ratings of the last 24 hours) is a different measurement, kept as a fallback so that a patient who
  kept a diary but missed the PEG is still measured. Every value says which source it came from.
- Baseline: the week before treatment starts. The PEG nearest before the start (completed in the
  `BASELINE_PEG_DAYS` days up to and including the start day: the assessment visit is often the day the
  plan is signed); otherwise the diary's 7 days before the start day.
- Current: the PEG completed in the 7 days ending today, else the diary's 7 days ending today.
- Follow-up time points: the end of treatment (the day a clinician recorded, else the signed plan's planned
  end) and 3, 6 and 12 calendar months after it, in the patient's own calendar. A time point's measure is a
  PEG from `FOLLOW_UP_OPENS_DAYS` days before its due day to `FOLLOW_UP_CLOSES_DAYS` days after (the one
  nearest the due day), else the diary's 7 days ending on the due day. No measure is "missing", never the
  last value carried forward.
- Responder: at least 30 % AND at least 2 points less pain than at baseline (IMMPACT, Dworkin 2008: 30 % is
  moderately important, and on a 0-10 scale about 2 points; many trials require both). Substantial: at least
  50 % and 2 points less (so every substantial responder is also a responder). The change is judged as it is
  reported: points rounded half up to two decimals, percent to one decimal. A baseline of 20/3 (printed
  6.67) falling to 14/3 (4.67) is 2.00 points and 30.0 %: a responder, as a reader of the printed figures
  would judge; 6.67 to 4.67 written as such (29.985 %, printed 30.0 %) counts the same. 5 to 3.5 is 30 % but
  1.5 points: not a responder.
- Worsening: at least 2 points or at least 30 % more pain than at baseline, rounded the same way.
- Pain-free or nearly pain-free: a week's pain of 1.0 or less (Ashar 2022: 1-week average pain 0 or 1 of
  10). The trial asked for one whole-number rating, as PEG item 1 is; a diary mean is compared with 1 without
  rounding, so a week averaging 1.4 does not count (rounding would overstate the outcome).
- Trial-comparable: a baseline of 4 or more and pain for 26 weeks or more at intake, as the PRT trial
  enrolled (adults with back pain for at least 6 months and average pain of at least 4/10 over the last
  week). The trial's pain-free figure is compared only with patients like these; for everyone it is reported
  separately and labelled so.

This module is a pure core: it imports no web, database or template code.

References
----------
Ashar YK, Gordon A, Schubiner H, et al. Effect of Pain Reprocessing Therapy vs Placebo and Usual Care for
Patients With Chronic Back Pain: A Randomized Clinical Trial. JAMA Psychiatry 2022;79(1):13-23.
Dworkin RH, Turk DC, Wyrwich KW, et al. Interpreting the clinical importance of treatment outcomes in chronic
pain clinical trials: IMMPACT recommendations. J Pain 2008;9(2):105-121.
Krebs EE, Lorenz KA, Bair MJ, et al. Development and initial validation of the PEG, a three-item scale
assessing pain intensity and interference. J Gen Intern Med 2009;24(6):733-8.
"""

from __future__ import annotations

import calendar
import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from painrewire.validation import add_days as _plus

#: Diary days averaged for the first diary week (the clinician home's early reference, not the outcome baseline).
BASELINE_ENTRIES = 7

#: Days in a week's measure (PEG: "the past week"; the diary: 7 calendar days).
WEEK_DAYS = 7

#: Entries needed in a 7-day window for its mean to be shown (more than half the week).
MIN_WINDOW_ENTRIES = 4

#: A PEG completed this many days before the start (up to the start day) can be the baseline; the same
#: lookback the plan's baseline questionnaires use.
BASELINE_PEG_DAYS = 28

#: A follow-up PEG counts from this many days before its due day ...
FOLLOW_UP_OPENS_DAYS = 7
#: ... to this many days after it (a clinic setting: a month to answer after the reminder).
FOLLOW_UP_CLOSES_DAYS = 28

#: IMMPACT thresholds (Dworkin 2008), and the points a responder also needs.
RESPONDER_PERCENT = 30.0
SUBSTANTIAL_PERCENT = 50.0
RESPONDER_POINTS = 2.0
#: Worsening: this many points or this percentage more pain.
WORSENING_POINTS = 2.0
WORSENING_PERCENT = 30.0
#: "Pain-free or nearly pain-free": a week's pain of this or less (Ashar 2022: 0 or 1 of 10).
PAIN_FREE_MAX = 1.0
#: Who the PRT trial enrolled (Ashar 2022): average pain 4/10 or more, pain for 6 months (26 weeks) or more.
TRIAL_MIN_PAIN = 4.0
TRIAL_MIN_WEEKS = 26

_EPS = 1e-9


@dataclass(frozen=True)
class DiaryPoint:
    """One diary day's average pain on the 0-10 scale."""

    day: date
    average_pain: float

    def __post_init__(self) -> None:
        _check_pain(self.average_pain, f"average pain on {self.day}")


@dataclass(frozen=True)
class PegPoint:
    """PEG item 1 (average pain in the past week, 0-10) of one PEG, on the day it was completed."""

    day: date
    average_pain: float

    def __post_init__(self) -> None:
        _check_pain(self.average_pain, f"PEG item 1 on {self.day}")


def _check_pain(value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} must be a number, got {value!r}")
    if not (math.isfinite(value) and 0 <= value <= 10):
        raise ValueError(f"{what} must be from 0 to 10, got {value!r}")


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


def first_week_mean(points: Sequence[DiaryPoint]) -> float | None:
    """Return the mean of the first 7 diary days, however far apart, or None with fewer than 7.

    Not the outcome baseline (that is `baseline_measure`, the week before treatment starts): the clinician
    home keeps this early reference to flag a patient whose pain rises before any treatment has started.
    """
    ordered = _sorted_points(points)
    if len(ordered) < BASELINE_ENTRIES:
        return None
    return sum(p.average_pain for p in ordered[:BASELINE_ENTRIES]) / BASELINE_ENTRIES


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
    first = _plus(today, -(window_days - 1))
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
    first = ordered[0].day
    for offset in range((ordered[-1].day - first).days + 1):
        day = _plus(first, offset)
        values = [by_day[d] for d in (_plus(day, -k) for k in range(window_days)) if d in by_day]
        result.append(RollingPoint(day, sum(values) / len(values) if len(values) >= min_entries else None))
    return result


# --- treatment start and a week's pain -------------------------------------------------------------------


class StartSource(enum.StrEnum):
    """What started treatment: the plan's signature or a practice session before it."""

    PLAN_SIGNED = "plan_signed"
    FIRST_PRACTICE = "first_practice"

    @property
    def label(self) -> str:
        return "plan signed" if self is StartSource.PLAN_SIGNED else "first practice session"


@dataclass(frozen=True)
class TreatmentStart:
    day: date
    source: StartSource


def treatment_start(*, signed_on: date | None, first_practice: date | None) -> TreatmentStart | None:
    """Return the day treatment started: the plan's signing or the first practice session, whichever was first.

    Parameters
    ----------
    signed_on : datetime.date | None
        The day (patient's calendar) the first plan version was signed, None when no plan was signed.
    first_practice : datetime.date | None
        The day of the first logged practice session, None when there was none.

    Returns
    -------
    start : TreatmentStart | None
        The earlier day and what happened on it (the signature when both fall on one day); None when neither
        has happened, i.e. treatment has not started.
    """
    if signed_on is None and first_practice is None:
        return None
    if first_practice is not None and (signed_on is None or first_practice < signed_on):
        return TreatmentStart(first_practice, StartSource.FIRST_PRACTICE)
    assert signed_on is not None
    return TreatmentStart(signed_on, StartSource.PLAN_SIGNED)


class MeasureSource(enum.StrEnum):
    PEG = "peg"
    DIARY = "diary"


@dataclass(frozen=True)
class PainMeasure:
    """One week's pain (0-10) and where it comes from.

    For a PEG, ``first_day`` and ``last_day`` are the day it was completed and ``entries`` is 1; for the diary
    they bound the 7 days averaged and ``entries`` counts the days with an entry.
    """

    value: float
    source: MeasureSource
    first_day: date
    last_day: date
    entries: int

    @property
    def describe(self) -> str:
        """Where the value comes from, in words: "PEG item 1, 3 Mar 2025" or "diary mean of 5 days, ..."."""
        if self.source is MeasureSource.PEG:
            return f"PEG item 1 (average pain, past week), {_day(self.last_day)}"
        return f"diary mean of {self.entries} days, {_day(self.first_day)} to {_day(self.last_day)}"


def _day(day: date) -> str:
    return f"{day.day} {day.strftime('%b %Y')}"


def _sorted_pegs(pegs: Iterable[PegPoint]) -> list[PegPoint]:
    return sorted(pegs, key=lambda p: p.day)


def _diary_week(points: Sequence[DiaryPoint], last_day: date) -> PainMeasure | None:
    first = _plus(last_day, -(WEEK_DAYS - 1))
    window = [p.average_pain for p in _sorted_points(points) if first <= p.day <= last_day]
    if len(window) < MIN_WINDOW_ENTRIES:
        return None
    return PainMeasure(sum(window) / len(window), MeasureSource.DIARY, first, last_day, len(window))


def _peg(point: PegPoint) -> PainMeasure:
    return PainMeasure(float(point.average_pain), MeasureSource.PEG, point.day, point.day, 1)


def baseline_measure(
    points: Sequence[DiaryPoint], pegs: Sequence[PegPoint] = (), *, start: date
) -> PainMeasure | None:
    """Return the pain of the week before treatment started, or None when nothing measured it.

    Parameters
    ----------
    points : sequence of DiaryPoint
        The patient's diary, any order, one point per day.
    pegs : sequence of PegPoint
        PEG item 1 answers, in the order they were completed.
    start : datetime.date
        The treatment's start day (`treatment_start`).

    Returns
    -------
    baseline : PainMeasure | None
        PEG item 1 of the latest PEG completed from ``BASELINE_PEG_DAYS`` days before ``start`` to ``start``
        (the last one completed that day, when there are several); otherwise the diary mean of the 7 days
        before ``start`` (``start`` excluded) when at least 4 have an entry; otherwise None.
    """
    opens = _plus(start, -BASELINE_PEG_DAYS)
    found = [p for p in _sorted_pegs(pegs) if opens <= p.day <= start]
    if found:
        return _peg(found[-1])
    return _diary_week(points, _plus(start, -1))


def current_measure(
    points: Sequence[DiaryPoint], pegs: Sequence[PegPoint] = (), *, today: date
) -> PainMeasure | None:
    """Return this week's pain: the latest PEG of the 7 days ending today, else the diary's mean of them.

    Parameters
    ----------
    points : sequence of DiaryPoint
        The patient's diary.
    pegs : sequence of PegPoint
        PEG item 1 answers, in the order they were completed.
    today : datetime.date
        The last day of the week.
    """
    first = _plus(today, -(WEEK_DAYS - 1))
    found = [p for p in _sorted_pegs(pegs) if first <= p.day <= today]
    if found:
        return _peg(found[-1])
    return _diary_week(points, today)


# --- follow-up time points -----------------------------------------------------------------------------


class TimePoint(enum.StrEnum):
    """When the patient's pain is measured after treatment: its end, and 3, 6 and 12 months later."""

    END = "end"
    MONTH_3 = "month_3"
    MONTH_6 = "month_6"
    MONTH_12 = "month_12"

    @property
    def months(self) -> int:
        return {"end": 0, "month_3": 3, "month_6": 6, "month_12": 12}[self.value]

    @property
    def label(self) -> str:
        return "End of treatment" if self is TimePoint.END else f"{self.months} months after the end"


def add_months(day: date, months: int) -> date:
    """Return the same day ``months`` calendar months later, the month's last day where it is shorter.

    31 January + 1 month is 28 (or 29) February; 29 February + 12 months is 28 February.
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    if not date.min.year <= year <= date.max.year:  # a stored date at the calendar's end: stop there
        return date.min if year < date.min.year else date.max
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def follow_up_due(end: date, time_point: TimePoint) -> date:
    """Return the day a time point is due: the end of treatment plus its months, in the patient's calendar."""
    return add_months(end, time_point.months)


def follow_up_window(due: date) -> tuple[date, date]:
    """Return the first and last day a measure counts for a time point due on ``due``."""
    return _plus(due, -FOLLOW_UP_OPENS_DAYS), _plus(due, FOLLOW_UP_CLOSES_DAYS)


def time_point_measure(
    points: Sequence[DiaryPoint], pegs: Sequence[PegPoint] = (), *, due: date, as_of: date
) -> PainMeasure | None:
    """Return a time point's pain as known on ``as_of``, or None when nothing measured it (never carried forward).

    Parameters
    ----------
    points : sequence of DiaryPoint
        The patient's diary.
    pegs : sequence of PegPoint
        PEG item 1 answers, in the order they were completed.
    due : datetime.date
        The time point's due day (`follow_up_due`).
    as_of : datetime.date
        Data after this day is not looked at.

    Returns
    -------
    measure : PainMeasure | None
        The PEG of `follow_up_window` completed by ``as_of`` nearest the due day (of two as near, the one
        before it; of several on one day, the last completed); otherwise the diary mean of the 7 days ending
        on the due day, once that day has come.
    """
    opens, closes = follow_up_window(due)
    best: PegPoint | None = None
    for point in _sorted_pegs(pegs):  # stable: the order completed within a day is kept
        if not opens <= point.day <= min(closes, as_of):
            continue
        key = (abs((point.day - due).days), point.day > due)
        if best is None or key <= (abs((best.day - due).days), best.day > due):
            best = point
    if best is not None:
        return _peg(best)
    if due > as_of:
        return None
    return _diary_week(points, due)


# --- judging a change ------------------------------------------------------------------------------------


def _half_up(value: float, places: int) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Change:
    """A week's pain against the baseline: current minus baseline (negative: less pain), and the verdicts."""

    points: float
    percent: float | None
    responder_30: bool
    responder_50: bool
    worsening: bool


def judge_change(baseline: float, value: float) -> Change:
    """Judge a week's pain against the baseline with the responder and worsening rules.

    Parameters
    ----------
    baseline, value : float
        Pain before treatment and now, 0-10.

    Returns
    -------
    change : Change
        ``responder_30``: at least 30 % and at least 2 points less; ``responder_50``: at least 50 % and at least
        2 points less; ``worsening``: at least 2 points or at least 30 % more. Points are compared after
        rounding half up to two decimals, percentages to one decimal (see the module docstring). A baseline of
        0 has no percentage and cannot improve.

    References
    ----------
    Dworkin RH et al. J Pain 2008;9(2):105-121 (IMMPACT: 30 % moderately important, 50 % substantial, about
    2 points on a 0-10 scale).
    """
    for name, pain in (("baseline", baseline), ("value", value)):
        _check_pain(pain, f"{name} pain")
    drop = _half_up(baseline - value, 2)
    percent = 100 * (value - baseline) / baseline if baseline > 0 else None
    drop_percent = _half_up(-percent, 1) if percent is not None else Decimal(0)
    enough_points = drop >= Decimal(repr(RESPONDER_POINTS))
    rise_percent = -drop_percent
    return Change(
        points=value - baseline,
        percent=percent,
        responder_30=baseline > 0 and enough_points and drop_percent >= Decimal(repr(RESPONDER_PERCENT)),
        responder_50=baseline > 0 and enough_points and drop_percent >= Decimal(repr(SUBSTANTIAL_PERCENT)),
        worsening=-drop >= Decimal(repr(WORSENING_POINTS))
        or (percent is not None and rise_percent >= Decimal(repr(WORSENING_PERCENT))),
    )


def pain_free_or_nearly(value: float) -> bool:
    """Return True for a week's pain of 1.0 or less (Ashar 2022: 0 or 1 of 10), not rounded."""
    return value <= PAIN_FREE_MAX + _EPS


def trial_comparable(baseline: float | None, pain_duration_weeks: int | None) -> bool | None:
    """Return whether a patient resembles those the PRT trial enrolled, None when it cannot be told.

    True for a baseline of 4 or more (not rounded: 3.9 is below) and pain for 26 weeks or more at intake
    (Ashar 2022: back pain for at least 6 months, average pain of at least 4/10 over the last week). False as
    soon as either known value is outside; None when a value needed to tell is missing.
    """
    if baseline is not None and baseline < TRIAL_MIN_PAIN - _EPS:
        return False
    if pain_duration_weeks is not None and pain_duration_weeks < TRIAL_MIN_WEEKS:
        return False
    if baseline is None or pain_duration_weeks is None:
        return None
    return True


# --- one patient ---------------------------------------------------------------------------------------


class OutcomeStatus(enum.StrEnum):
    """Whether a patient's pain outcome can be computed, and what is missing when not."""

    COMPLETE = "complete"
    NOT_STARTED = "not_started"
    NO_BASELINE = "no_baseline"
    NO_CURRENT = "no_current"
    NO_DATA = "no_data"


@dataclass(frozen=True)
class PatientOutcome:
    """One patient's pain this week against the week before treatment.

    ``baseline_measure`` and ``current_measure`` say where each value comes from; ``baseline``, ``current``,
    ``change_points`` (current minus baseline, negative: less pain) and ``change_percent`` give the plain
    numbers. ``change`` is None when the baseline or the current week is missing; ``pain_free_or_nearly``
    needs only the current week. ``detail`` says in plain words what is missing.
    """

    status: OutcomeStatus
    start: TreatmentStart | None
    baseline_measure: PainMeasure | None
    current_measure: PainMeasure | None
    change: Change | None
    pain_free_or_nearly: bool | None
    trial_comparable: bool | None
    detail: str

    @property
    def baseline(self) -> float | None:
        return None if self.baseline_measure is None else self.baseline_measure.value

    @property
    def baseline_source(self) -> str | None:
        return None if self.baseline_measure is None else self.baseline_measure.source.value

    @property
    def current(self) -> float | None:
        return None if self.current_measure is None else self.current_measure.value

    @property
    def change_points(self) -> float | None:
        return None if self.change is None else self.change.points

    @property
    def change_percent(self) -> float | None:
        return None if self.change is None else self.change.percent

    @property
    def responder_30(self) -> bool | None:
        return None if self.change is None else self.change.responder_30

    @property
    def responder_50(self) -> bool | None:
        return None if self.change is None else self.change.responder_50

    @property
    def worsening(self) -> bool | None:
        return None if self.change is None else self.change.worsening


def patient_outcome(
    points: Sequence[DiaryPoint],
    pegs: Sequence[PegPoint] = (),
    *,
    today: date,
    start: TreatmentStart | None,
    pain_duration_weeks: int | None = None,
) -> PatientOutcome:
    """Return the patient's pain this week against the week before treatment started.

    Parameters
    ----------
    points : sequence of DiaryPoint
        The patient's diary.
    pegs : sequence of PegPoint
        PEG item 1 answers, in the order they were completed.
    today : datetime.date
        The day the outcome is for (the current week ends on it); later data is ignored.
    start : TreatmentStart | None
        When treatment started (`treatment_start`); None when it has not.
    pain_duration_weeks : int | None
        The intake's pain duration, for `trial_comparable`.

    Returns
    -------
    outcome : PatientOutcome
        Before treatment starts (or with a start after ``today``) the status is ``not_started`` and nothing is
        judged; the current week is still given.

    References
    ----------
    Ashar YK et al. JAMA Psychiatry 2022;79(1):13-23 (pain-free or nearly pain-free: 0 or 1 of 10).
    Dworkin RH et al. J Pain 2008;9(2):105-121 (IMMPACT responders).
    """
    known = [p for p in points if p.day <= today]
    known_pegs = [p for p in pegs if p.day <= today]
    current = current_measure(known, known_pegs, today=today)
    free = None if current is None else pain_free_or_nearly(current.value)
    if start is None or start.day > today:
        return PatientOutcome(
            OutcomeStatus.NOT_STARTED,
            None,
            None,
            current,
            None,
            free,
            None,
            "Treatment has not started yet: the baseline is the week before the plan is signed or the first "
            "practice session.",
        )
    baseline = baseline_measure(known, known_pegs, start=start.day)
    comparable = trial_comparable(baseline.value if baseline else None, pain_duration_weeks)
    if baseline is None or current is None:
        missing = []
        if baseline is None:
            first, last = _plus(start.day, -WEEK_DAYS), _plus(start.day, -1)
            missing.append(
                f"no baseline: no PEG in the {BASELINE_PEG_DAYS} days up to the start "
                f"({start.day.isoformat()}) and fewer than {MIN_WINDOW_ENTRIES} diary days from "
                f"{first.isoformat()} to {last.isoformat()}"
            )
        if current is None:
            missing.append(
                f"no PEG and fewer than {MIN_WINDOW_ENTRIES} diary days in the 7 days up to {today.isoformat()}"
            )
        if baseline is None and current is None:
            status = OutcomeStatus.NO_DATA
        else:
            status = OutcomeStatus.NO_BASELINE if baseline is None else OutcomeStatus.NO_CURRENT
        detail = "Not enough data: " + "; ".join(missing) + "."
        return PatientOutcome(status, start, baseline, current, None, free, comparable, detail)
    return PatientOutcome(
        OutcomeStatus.COMPLETE,
        start,
        baseline,
        current,
        judge_change(baseline.value, current.value),
        free,
        comparable,
        f"Baseline: {baseline.describe}.",
    )


class FollowUpStatus(enum.StrEnum):
    UPCOMING = "upcoming"
    AWAITING = "awaiting"
    MEASURED = "measured"
    MISSING = "missing"

    @property
    def label(self) -> str:
        return {
            "upcoming": "not due yet",
            "awaiting": "due, not answered yet",
            "measured": "measured",
            "missing": "missing: no measure in its window",
        }[self.value]


@dataclass(frozen=True)
class TimePointOutcome:
    """One follow-up time point of one patient as known on a day.

    ``due_so_far`` is True once the due day has come, or earlier when it was already measured: a completion
    rate is measured / due so far. ``change`` is None without a measure or without a baseline.
    """

    time_point: TimePoint
    due_on: date
    opens_on: date
    closes_on: date
    status: FollowUpStatus
    measure: PainMeasure | None
    change: Change | None
    pain_free_or_nearly: bool | None
    trial_comparable: bool | None

    @property
    def due_so_far(self) -> bool:
        return self.status is not FollowUpStatus.UPCOMING

    @property
    def label(self) -> str:
        return self.time_point.label


def follow_up_outcomes(
    points: Sequence[DiaryPoint],
    pegs: Sequence[PegPoint] = (),
    *,
    end: date,
    baseline: PainMeasure | None,
    as_of: date,
    pain_duration_weeks: int | None = None,
) -> list[TimePointOutcome]:
    """Return every follow-up time point (end, 3, 6, 12 months) as known on ``as_of``.

    Parameters
    ----------
    points, pegs : sequences
        The patient's diary and PEG item 1 answers.
    end : datetime.date
        The end of treatment.
    baseline : PainMeasure | None
        The pre-treatment baseline (`baseline_measure`).
    as_of : datetime.date
        The day the follow-ups are looked at; later data is ignored.
    pain_duration_weeks : int | None
        The intake's pain duration, for `trial_comparable`.

    Returns
    -------
    time_points : list of TimePointOutcome
        In time order. Status: ``measured`` when a measure was found; ``upcoming`` before the due day;
        ``awaiting`` from the due day to the window's last day; ``missing`` after it. A missing time point
        stays missing: no earlier value stands in for it.
    """
    comparable = trial_comparable(baseline.value if baseline else None, pain_duration_weeks)
    found = []
    for time_point in TimePoint:
        due = follow_up_due(end, time_point)
        opens, closes = follow_up_window(due)
        measure = time_point_measure(points, pegs, due=due, as_of=as_of)
        if measure is not None:
            status = FollowUpStatus.MEASURED
        elif as_of < due:
            status = FollowUpStatus.UPCOMING
        elif as_of <= closes:
            status = FollowUpStatus.AWAITING
        else:
            status = FollowUpStatus.MISSING
        change = judge_change(baseline.value, measure.value) if measure and baseline else None
        free = pain_free_or_nearly(measure.value) if measure else None
        found.append(
            TimePointOutcome(time_point, due, opens, closes, status, measure, change, free, comparable)
        )
    return found


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
    first = _plus(today, -(days - 1))
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
        monday = _plus(day, -day.weekday())
        totals[monday] = totals.get(monday, 0.0) + minutes
    if not totals:
        return []
    last = max(totals)
    if until is not None:
        last = max(last, _plus(until, -until.weekday()))
    first = min(totals)
    mondays = (_plus(first, 7 * k) for k in range((last - first).days // 7 + 1))
    return [(monday, totals.get(monday, 0.0)) for monday in mondays]


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

#: MCIDs with their published sources; instruments without one say so.
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


def _count(values: Iterable[bool | None]) -> int:
    return sum(1 for v in values if v)


@dataclass(frozen=True)
class CohortSummary:
    """This week's pain of a group of patients (a caseload, a program, the clinic) against their baselines.

    ``n_patients`` counts everyone; ``n_not_started`` those whose treatment had not started. Responders and
    worsening are of the ``n_with_data`` started patients with both a baseline and a current week; the others
    are counted by what they miss, never filled in. Pain-free or nearly is given twice: for the
    trial-comparable patients only (``pain_free_trial_group``, of those with data who resemble the PRT trial's
    patients; ``n_outside_trial_group`` are left out of it) and for every started patient with a current week
    whatever their starting pain (``pain_free_everyone``).
    """

    n_patients: int
    n_not_started: int
    n_with_data: int
    n_no_baseline: int
    n_no_current: int
    n_no_data: int
    responder_30: Proportion
    responder_50: Proportion
    worsening: Proportion
    pain_free_trial_group: Proportion
    n_outside_trial_group: int
    pain_free_everyone: Proportion


def cohort_summary(outcomes: Sequence[PatientOutcome]) -> CohortSummary:
    """Summarise patient outcomes: counts and proportions with 95% Wilson intervals.

    Parameters
    ----------
    outcomes : sequence of PatientOutcome
        One per patient, already filtered (by clinician, program, discipline or dates) by the caller.

    Returns
    -------
    summary : CohortSummary
        Responders (30 % and 2 points; 50 % and 2 points) and worsening of the patients with complete data;
        pain-free or nearly for the trial-comparable ones and, separately, for everyone with a current week;
        patients without enough data counted separately by status.
    """
    complete = [o for o in outcomes if o.status is OutcomeStatus.COMPLETE]
    started = [o for o in outcomes if o.status is not OutcomeStatus.NOT_STARTED]
    comparable = [o for o in complete if o.trial_comparable]
    current = [o for o in started if o.current_measure is not None]
    n = len(complete)
    return CohortSummary(
        n_patients=len(outcomes),
        n_not_started=len(outcomes) - len(started),
        n_with_data=n,
        n_no_baseline=sum(1 for o in outcomes if o.status is OutcomeStatus.NO_BASELINE),
        n_no_current=sum(1 for o in outcomes if o.status is OutcomeStatus.NO_CURRENT),
        n_no_data=sum(1 for o in outcomes if o.status is OutcomeStatus.NO_DATA),
        responder_30=_proportion(_count(o.responder_30 for o in complete), n),
        responder_50=_proportion(_count(o.responder_50 for o in complete), n),
        worsening=_proportion(_count(o.worsening for o in complete), n),
        pain_free_trial_group=_proportion(_count(o.pain_free_or_nearly for o in comparable), len(comparable)),
        n_outside_trial_group=n - len(comparable),
        pain_free_everyone=_proportion(_count(o.pain_free_or_nearly for o in current), len(current)),
    )


@dataclass(frozen=True)
class TimePointSummary:
    """One time point across a cohort: how many were due, how many were measured, and their outcomes.

    ``completion`` is measured of due so far (``n_missing`` = due so far without a measure, whether still
    awaiting or past the window: not carried forward). Responders and worsening are of the measured patients
    with a baseline (``n_no_baseline`` measured without one); pain-free or nearly of the measured
    trial-comparable patients and, labelled separately, of every measured patient. For the baseline row
    (``time_point`` None) "due" means treatment started and "measured" means a baseline exists.
    """

    time_point: TimePoint | None
    n_due: int
    n_measured: int
    n_missing: int
    completion: Proportion
    n_no_baseline: int
    responder_30: Proportion
    responder_50: Proportion
    worsening: Proportion
    pain_free_trial_group: Proportion
    pain_free_everyone: Proportion

    @property
    def label(self) -> str:
        return "Before treatment (baseline)" if self.time_point is None else self.time_point.label


_NONE = Proportion(0, 0, None, None, None)


def baseline_summary(outcomes: Sequence[PatientOutcome]) -> TimePointSummary:
    """The baseline row of the follow-up table: started patients, and how many have a baseline week.

    Parameters
    ----------
    outcomes : sequence of PatientOutcome
        One per patient of the cohort (those not started are not due).
    """
    started = [o for o in outcomes if o.status is not OutcomeStatus.NOT_STARTED]
    measured = [o for o in started if o.baseline_measure is not None]
    comparable = [o for o in measured if o.trial_comparable]
    return TimePointSummary(
        time_point=None,
        n_due=len(started),
        n_measured=len(measured),
        n_missing=len(started) - len(measured),
        completion=_proportion(len(measured), len(started)),
        n_no_baseline=0,
        responder_30=_NONE,
        responder_50=_NONE,
        worsening=_NONE,
        pain_free_trial_group=_proportion(
            _count(o.baseline is not None and pain_free_or_nearly(o.baseline) for o in comparable),
            len(comparable),
        ),
        pain_free_everyone=_proportion(
            _count(o.baseline is not None and pain_free_or_nearly(o.baseline) for o in measured),
            len(measured),
        ),
    )


def time_point_summary(time_point: TimePoint, follow_ups: Iterable[TimePointOutcome]) -> TimePointSummary:
    """Summarise one time point over the cohort.

    Parameters
    ----------
    time_point : TimePoint
        The time point summarised.
    follow_ups : iterable of TimePointOutcome
        Every patient's time points (`follow_up_outcomes`); other time points are skipped. Patients without an
        end of treatment have none and are not due.

    Returns
    -------
    summary : TimePointSummary
    """
    due = [f for f in follow_ups if f.time_point is time_point and f.due_so_far]
    measured = [f for f in due if f.measure is not None]
    judged = [f for f in measured if f.change is not None]
    comparable = [f for f in measured if f.trial_comparable]
    return TimePointSummary(
        time_point=time_point,
        n_due=len(due),
        n_measured=len(measured),
        n_missing=len(due) - len(measured),
        completion=_proportion(len(measured), len(due)),
        n_no_baseline=len(measured) - len(judged),
        responder_30=_proportion(_count(f.change.responder_30 for f in judged if f.change), len(judged)),
        responder_50=_proportion(_count(f.change.responder_50 for f in judged if f.change), len(judged)),
        worsening=_proportion(_count(f.change.worsening for f in judged if f.change), len(judged)),
        pain_free_trial_group=_proportion(_count(f.pain_free_or_nearly for f in comparable), len(comparable)),
        pain_free_everyone=_proportion(_count(f.pain_free_or_nearly for f in measured), len(measured)),
    )
