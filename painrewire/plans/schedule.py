"""The plan's calendar: which plan week a day falls in, and when each repeated questionnaire is due.

A questionnaire scheduled for plan week ``w`` is due on the plan's start day plus ``w`` weeks. It counts as
done when the patient filled it in within its window: from 3 days before the due day to 10 days after it
(so fortnightly repeats never share a window), or, for the baseline (week 0), from 28 days before the plan
started, because the assessment that shaped the plan is usually the baseline. A window is cut short where
the next one of the same questionnaire begins.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from painrewire.plans.rules import QuestionnaireSchedule

BEFORE_DUE = timedelta(days=3)
AFTER_DUE = timedelta(days=10)
BASELINE_LOOKBACK = timedelta(days=28)


def plan_week(starts_on: date, day: date) -> int:
    """Plan week of a day: 1 for the first seven days from the start, 0 or less before the plan starts."""
    return (day - starts_on).days // 7 + 1


def week_dates(starts_on: date, week: int) -> tuple[date, date]:
    """First and last day of a plan week (week 1 starts on the start day)."""
    first = starts_on + timedelta(weeks=week - 1)
    return first, first + timedelta(days=6)


class DueStatus(enum.StrEnum):
    DONE = "done"
    DUE = "due"
    MISSED = "missed"
    UPCOMING = "upcoming"


@dataclass(frozen=True)
class Occurrence:
    """One scheduled filling of a questionnaire and where it stands on a given day."""

    instrument: str
    week: int
    due_on: date
    opens_on: date
    closes_on: date
    status: DueStatus
    done_on: date | None = None
    #: Still open, but the due day has passed.
    overdue: bool = False


def occurrences(
    schedules: Sequence[QuestionnaireSchedule],
    starts_on: date,
    completed: Mapping[str, Iterable[date]],
    today: date,
) -> list[Occurrence]:
    """Every scheduled questionnaire of a plan with its status on ``today``.

    Parameters
    ----------
    schedules : sequence of QuestionnaireSchedule
        The plan's questionnaires and their plan weeks.
    starts_on : datetime.date
        The plan's first day (week 1, and the due day of week 0).
    completed : mapping of instrument id to dates
        The days (patient's calendar) on which the patient completed each instrument.
    today : datetime.date

    Returns
    -------
    occurrences : list of Occurrence
        Ordered by due day, then by instrument in the plan's order. Each completion is used once, by the
        earliest window it falls in.
    """
    found: list[Occurrence] = []
    for schedule in schedules:
        days = sorted(set(completed.get(schedule.instrument, ())))
        used: set[date] = set()
        weeks = sorted(set(schedule.weeks))
        for index, week in enumerate(weeks):
            due = starts_on + timedelta(weeks=week)
            opens = due - (BASELINE_LOOKBACK if week == 0 else BEFORE_DUE)
            closes = due + AFTER_DUE
            if index + 1 < len(weeks):
                next_opens = starts_on + timedelta(weeks=weeks[index + 1]) - BEFORE_DUE
                closes = min(closes, next_opens - timedelta(days=1))
            done_on = next((d for d in days if opens <= d <= closes and d not in used), None)
            if done_on is not None:
                used.add(done_on)
                status = DueStatus.DONE
            elif today < opens:
                status = DueStatus.UPCOMING
            elif today > closes:
                status = DueStatus.MISSED
            else:
                status = DueStatus.DUE
            overdue = status == DueStatus.DUE and today > due
            found.append(Occurrence(schedule.instrument, week, due, opens, closes, status, done_on, overdue))
    order = {s.instrument: i for i, s in enumerate(schedules)}
    return sorted(found, key=lambda o: (o.due_on, order[o.instrument]))
