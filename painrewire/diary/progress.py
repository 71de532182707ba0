"""A patient's progress: pain against the week before treatment, each follow-up time point, the pain chart and
weekly practice minutes.

For pages and reports, on a patient whose access the caller has already checked and audited. The definitions
are those of `painrewire.diary.outcomes`; the course of treatment (start, end) is `painrewire.plans.course`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.diary.outcomes import (
    DiaryPoint,
    PatientOutcome,
    TimePointOutcome,
    follow_up_outcomes,
    patient_outcome,
    rolling_mean,
    weekly_minutes,
)
from painrewire.diary.service import local_today
from painrewire.patients.models import Patient
from painrewire.plans import course as courses
from painrewire.programs.models import PracticeLog
from painrewire.reports.charts import pain_chart, weekly_bars


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


def progress_for(session: Session, patient: Patient, *, today: date | None = None) -> Progress:
    today = today or local_today(patient)
    points, pegs = courses.pain_data(session, patient)
    view = courses.course_for(session, patient)
    weeks = courses.pain_duration_weeks(session, patient)
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
    practice = practice_minutes(session, patient)
    weekly = weekly_minutes(practice, until=today)
    return Progress(
        outcome=outcome,
        follow_ups=follow_ups,
        end=view.end,
        end_recorded=view.end_recorded,
        points=points,
        daily_practice=practice,
        weekly_practice=weekly,
        pain_svg=pain_chart(points, rolling_mean(points), title="Average pain and its 7-day mean"),
        practice_svg=weekly_bars(weekly, title="Practice minutes per week"),
    )
