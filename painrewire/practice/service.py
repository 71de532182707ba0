"""The one way any program records practice, and reads it back: `PracticeLog` rows on the patient's own day.

Diary, plan tasks, streaks and the clinician dashboard all read these rows, so every module (PRT, GMI, CBT,
mindfulness, neurofeedback) logs through :func:`log_practice` and nothing else.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.db import utcnow
from painrewire.errors import InvalidInput
from painrewire.patients.models import Patient
from painrewire.practice.models import Module, PracticeLog

MAX_MINUTES = 24 * 60


def _rating(name: str, value: int | None) -> int | None:
    if value is not None and not 0 <= value <= 10:
        raise InvalidInput(f"{name.replace('_', ' ')} must be from 0 to 10; got {value}.", field=name)
    return value


def log_practice(
    session: Session,
    patient: Patient,
    *,
    module: Module,
    activity: str,
    title: str,
    minutes: float,
    pain_before: int | None = None,
    pain_after: int | None = None,
    fear_before: int | None = None,
    fear_after: int | None = None,
    source_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> PracticeLog:
    """Record one completed practice for a patient whose access the caller already checked and audited.

    ``minutes`` is the time actually spent; ratings are 0-10 and optional; ``source_id`` points at the
    module's own row (a thought record, a GMI block) so the log can link back to it.
    """
    if not 0 <= minutes <= MAX_MINUTES:
        raise InvalidInput(f"minutes must be from 0 to {MAX_MINUTES}; got {minutes:g}.", field="minutes")
    when = now or utcnow()
    log = PracticeLog(
        patient_id=patient.id,
        day=patient.local_today(when),
        completed_at=when,
        module=module,
        activity=activity[:64],
        title=title[:200],
        minutes=round(float(minutes), 2),
        pain_before=_rating("pain_before", pain_before),
        pain_after=_rating("pain_after", pain_after),
        fear_before=_rating("fear_before", fear_before),
        fear_after=_rating("fear_after", fear_after),
        source_id=source_id,
    )
    session.add(log)
    session.flush()
    return log


def practice_by_day(
    session: Session, patient: Patient, *, start: date, end: date
) -> dict[date, list[PracticeLog]]:
    """Practice logged by the programs, grouped by day: the diary shows it without the patient typing it."""
    logs = session.scalars(
        select(PracticeLog)
        .where(PracticeLog.patient_id == patient.id, PracticeLog.day >= start, PracticeLog.day <= end)
        .order_by(PracticeLog.completed_at)
    )
    grouped: dict[date, list[PracticeLog]] = defaultdict(list)
    for log in logs:
        grouped[log.day].append(log)
    return dict(grouped)
