"""One patient's outcome: this week against the week before treatment, the follow-up time points, and practice.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from painrewire.diary.outcomes.measures import (
    BASELINE_PEG_DAYS,
    MIN_WINDOW_ENTRIES,
    WEEK_DAYS,
    DiaryPoint,
    PainMeasure,
    PegPoint,
    TimePoint,
    TreatmentStart,
    baseline_measure,
    check_window,
    current_measure,
    follow_up_due,
    follow_up_window,
    time_point_measure,
)
from painrewire.diary.outcomes.responders import Change, judge_change, pain_free_or_nearly, trial_comparable
from painrewire.validation import add_days as _plus

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
    check_window(days, 1)
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
