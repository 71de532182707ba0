"""A patient's progress: pain outcome against baseline, the pain chart and weekly practice minutes.

For pages and reports, on a patient whose access the caller has already checked and audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.assessments.models import QuestionnaireResponse
from painrewire.diary.outcomes import (
    DiaryPoint,
    PatientOutcome,
    patient_outcome,
    rolling_mean,
    weekly_minutes,
)
from painrewire.diary.service import all_entries, local_today
from painrewire.patients.models import Patient
from painrewire.programs.models import PracticeLog
from painrewire.reports.charts import pain_chart, weekly_bars

BPI_AVERAGE_ITEM = 3  # worst, least, average, now: the third item is average pain


@dataclass(frozen=True)
class Progress:
    outcome: PatientOutcome
    points: list[DiaryPoint]
    daily_practice: list[tuple[date, float]]
    weekly_practice: list[tuple[date, float]]
    pain_svg: str
    practice_svg: str


def baseline_bpi_average(session: Session, patient: Patient) -> float | None:
    """The BPI "average pain" answer of the patient's first BPI, the baseline when the diary is short."""
    first = session.scalar(
        select(QuestionnaireResponse)
        .where(QuestionnaireResponse.patient_id == patient.id, QuestionnaireResponse.instrument_id == "bpi")
        .order_by(QuestionnaireResponse.completed_at)
        .limit(1)
    )
    if first is None or len(first.answers) < BPI_AVERAGE_ITEM:
        return None
    value = first.answers[BPI_AVERAGE_ITEM - 1]
    return float(value) if value is not None else None


def practice_minutes(session: Session, patient: Patient) -> list[tuple[date, float]]:
    rows = session.execute(
        select(PracticeLog.day, PracticeLog.minutes).where(PracticeLog.patient_id == patient.id)
    ).all()
    return [(day, float(minutes)) for day, minutes in rows]


def progress_for(session: Session, patient: Patient, *, today: date | None = None) -> Progress:
    today = today or local_today(patient)
    points = [DiaryPoint(e.day, float(e.average_pain)) for e in all_entries(session, patient)]
    outcome = patient_outcome(points, today=today, bpi_average=baseline_bpi_average(session, patient))
    practice = practice_minutes(session, patient)
    weekly = weekly_minutes(practice, until=today)
    return Progress(
        outcome=outcome,
        points=points,
        daily_practice=practice,
        weekly_practice=weekly,
        pain_svg=pain_chart(points, rolling_mean(points), title="Average pain and its 7-day mean"),
        practice_svg=weekly_bars(weekly, title="Practice minutes per week"),
    )
