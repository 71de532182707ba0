"""A patient's progress: pain against the week before treatment, each follow-up time point, the pain chart and
weekly practice minutes.

For pages and reports, on a patient whose access the caller has already checked and audited. The definitions
are those of `painrewire.diary.outcomes`. The course of treatment (its start and end) is the plan's
(`painrewire.plans.course`), which sits above the diary: the composition passes its source in
(`provide_course_source`, done by ``painrewire.courses``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.assessments.models import Intake, QuestionnaireResponse
from painrewire.charts import pain_chart, weekly_bars
from painrewire.diary.models import DiaryEntry
from painrewire.diary.outcomes import (
    DiaryPoint,
    PatientOutcome,
    PegPoint,
    TimePointOutcome,
    TreatmentStart,
    follow_up_outcomes,
    patient_outcome,
    rolling_mean,
    weekly_minutes,
)
from painrewire.patients.models import Patient, local_day
from painrewire.practice.models import PracticeLog
from painrewire.validation import EARLIEST_DAY, add_days

#: PEG item 1: "What number best describes your pain on average in the past week?" (Krebs 2009).
PEG_AVERAGE_PAIN_ITEM = 1


class TreatmentCourse(Protocol):
    """The course of treatment as progress reads it (`painrewire.plans.course.CourseView` is one)."""

    @property
    def start(self) -> TreatmentStart | None: ...

    @property
    def end(self) -> date | None: ...

    @property
    def end_recorded(self) -> bool: ...


CourseSource = Callable[[Session, Patient], TreatmentCourse]
_course_sources: list[CourseSource] = []


def provide_course_source(source: CourseSource) -> None:
    """Say where progress finds a patient's course of treatment (the plan's, above the diary)."""
    _course_sources[:] = [source]


def course_of(session: Session, patient: Patient) -> TreatmentCourse:
    if not _course_sources:
        raise RuntimeError("progress has no treatment-course source: import painrewire.courses")
    return _course_sources[0](session, patient)


def pain_data(session: Session, patient: Patient) -> tuple[list[DiaryPoint], list[PegPoint]]:
    """The patient's diary and their PEG item 1 answers (valid PEGs, oldest first), on their calendar days."""
    points = [
        DiaryPoint(day, float(pain))
        for day, pain in session.execute(
            select(DiaryEntry.day, DiaryEntry.average_pain)
            .where(DiaryEntry.patient_id == patient.id)
            .order_by(DiaryEntry.day)
        )
    ]
    pegs = [
        PegPoint(local_day(patient.timezone, completed), float(item))
        for completed, answers in session.execute(
            select(QuestionnaireResponse.completed_at, QuestionnaireResponse.answers)
            .where(
                QuestionnaireResponse.patient_id == patient.id,
                QuestionnaireResponse.instrument_id == "peg",
                QuestionnaireResponse.valid.is_(True),
            )
            .order_by(QuestionnaireResponse.completed_at)
        )
        if answers and (item := answers[PEG_AVERAGE_PAIN_ITEM - 1]) is not None
    ]
    return points, pegs


def pain_duration_weeks(session: Session, patient: Patient) -> int | None:
    """The pain's duration in weeks as the latest intake gave it."""
    weeks: int | None = session.scalar(
        select(Intake.pain_duration_weeks)
        .where(Intake.patient_id == patient.id)
        .order_by(Intake.created_at.desc())
        .limit(1)
    )
    return weeks


@dataclass(frozen=True)
class Progress:
    outcome: PatientOutcome
    #: End of treatment and 3, 6, 12 months after; empty until the treatment has an end (recorded or planned).
    follow_ups: list[TimePointOutcome]
    end: date | None
    end_recorded: bool
    points: list[DiaryPoint]
    daily_practice: list[tuple[date, float]]
    weekly_practice: list[tuple[date, float]]
    pain_svg: str
    practice_svg: str


def practice_minutes(session: Session, patient: Patient) -> list[tuple[date, float]]:
    rows = session.execute(
        select(PracticeLog.day, PracticeLog.minutes).where(PracticeLog.patient_id == patient.id)
    ).all()
    return [(day, float(minutes)) for day, minutes in rows]


#: The charts show this many days up to today (two years): a diary begun decades ago (a typing slip in the
#: year) cannot make a chart of tens of thousands of days.
CHART_DAYS = 731


def progress_for(session: Session, patient: Patient, *, today: date | None = None) -> Progress:
    """The patient's progress on ``today``.

    Diary days, PEG answers and practice dated outside the days a record may hold (before 1900, after today:
    written by a script or an older version) are left out of the numbers and the charts, so no stored value
    can overflow them; the charts show the last `CHART_DAYS` days.
    """
    today = today or patient.local_today()
    points, pegs = pain_data(session, patient)
    points = [p for p in points if EARLIEST_DAY <= p.day <= today]
    pegs = [p for p in pegs if EARLIEST_DAY <= p.day <= today]
    view = course_of(session, patient)
    weeks = pain_duration_weeks(session, patient)
    outcome = patient_outcome(points, pegs, today=today, start=view.start, pain_duration_weeks=weeks)
    follow_ups = []
    if view.start is not None and view.end is not None and view.start.day <= today:
        follow_ups = follow_up_outcomes(
            points,
            pegs,
            end=view.end,
            baseline=outcome.baseline_measure,
            as_of=today,
            pain_duration_weeks=weeks,
        )
    practice = [(d, m) for d, m in practice_minutes(session, patient) if EARLIEST_DAY <= d <= today]
    charted_from = add_days(today, -(CHART_DAYS - 1))
    charted = [p for p in points if p.day >= charted_from]
    # The 7-day mean of the first charted days still counts the days just before them.
    rolling = [
        r
        for r in rolling_mean([p for p in points if p.day >= add_days(charted_from, -6)])
        if r.day >= charted_from
    ]
    weekly = weekly_minutes([(d, m) for d, m in practice if d >= charted_from], until=today)
    return Progress(
        outcome=outcome,
        follow_ups=follow_ups,
        end=view.end,
        end_recorded=view.end_recorded,
        points=points,
        daily_practice=practice,
        weekly_practice=weekly,
        pain_svg=pain_chart(charted, rolling, title="Average pain and its 7-day mean"),
        practice_svg=weekly_bars(weekly, title="Practice minutes per week"),
    )
