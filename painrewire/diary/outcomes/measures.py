"""A week's pain: diary points and PEG item 1 answers, treatment start, the baseline and current weeks, and the
follow-up time points with their windows.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import calendar
import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
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


EPS = 1e-9


@dataclass(frozen=True)
class DiaryPoint:
    """One diary day's average pain on the 0-10 scale."""

    day: date
    average_pain: float

    def __post_init__(self) -> None:
        check_pain(self.average_pain, f"average pain on {self.day}")


@dataclass(frozen=True)
class PegPoint:
    """PEG item 1 (average pain in the past week, 0-10) of one PEG, on the day it was completed."""

    day: date
    average_pain: float

    def __post_init__(self) -> None:
        check_pain(self.average_pain, f"PEG item 1 on {self.day}")


def check_pain(value: object, what: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{what} must be a number, got {value!r}")
    if not (math.isfinite(value) and 0 <= value <= 10):
        raise ValueError(f"{what} must be from 0 to 10, got {value!r}")


@dataclass(frozen=True)
class RollingPoint:
    """The mean pain of the 7 calendar days ending on ``day``; ``None`` when too few days have an entry."""

    day: date
    mean: float | None


def sorted_points(points: Iterable[DiaryPoint]) -> list[DiaryPoint]:
    ordered = sorted(points, key=lambda p: p.day)
    for earlier, later in pairwise(ordered):
        if earlier.day == later.day:
            raise ValueError(f"two diary points on {later.day}: the diary has one entry per day")
    return ordered


def check_window(window_days: int, min_entries: int) -> None:
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
    ordered = sorted_points(points)
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
    check_window(window_days, min_entries)
    first = _plus(today, -(window_days - 1))
    window = [p.average_pain for p in sorted_points(points) if first <= p.day <= today]
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
    check_window(window_days, min_entries)
    ordered = sorted_points(points)
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
    window = [p.average_pain for p in sorted_points(points) if first <= p.day <= last_day]
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
