"""Follow-ups after treatment: at its end and 3, 6 and 12 months later the patient is asked for the PEG and the
plan's questionnaires, through the clinic's questionnaire requests.

A sweep of the worker (`assign_follow_ups`, listed in ``painrewire/worker.py``) looks at every active patient
whose treatment has an end: the day a clinician recorded, else the signed plan's planned end
(`painrewire.plans.course`). A time point is due on the end plus its months, in the patient's own calendar
(`painrewire.diary.outcomes.follow_up_due`); it is asked while its window is open on the patient's clock, from
``FOLLOW_UP_OPENS_DAYS`` days before the due day to ``FOLLOW_UP_CLOSES_DAYS`` after it, the same window in
which its answer counts. For each instrument the sweep stores one `FollowUpRequest` and opens a questionnaire
request due on the time point's due day (or today, when the worker first sees it after that day, so the
reminder still goes). The questionnaire-due reminder (`painrewire.assessments.due_reminders`) then emails the
patient on that day. The unique (patient, time point, instrument) row means each is asked once, however many
workers sweep and however often; an open request for the same questionnaire stands for the follow-up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments import service as assessments
from painrewire.config import Settings
from painrewire.diary.outcomes import TimePoint, follow_up_due, follow_up_window
from painrewire.errors import NotFound
from painrewire.patients.models import Patient, local_day
from painrewire.plans.course import planned_end_of
from painrewire.plans.models import FollowUpRequest, PlanVersion, TreatmentCourse, VersionStatus

#: Always asked at a follow-up: its first item is the pain measure the outcome is judged on.
PAIN_INSTRUMENT = "peg"


def follow_up_instruments(content: dict[str, Any] | None) -> list[str]:
    """The PEG, then the signed plan's own questionnaires in the plan's order, each once."""
    found = [PAIN_INSTRUMENT]
    questionnaires = (content or {}).get("questionnaires")
    for entry in questionnaires if isinstance(questionnaires, list) else []:
        instrument = entry.get("instrument") if isinstance(entry, dict) else None
        if isinstance(instrument, str) and instrument not in found:
            found.append(instrument)
    return found


@dataclass(frozen=True)
class DueFollowUp:
    """A time point whose window is open today for one patient, and what to ask."""

    patient_id: uuid.UUID
    time_point: TimePoint
    due_on: date
    today: date
    instruments: tuple[str, ...]


def open_follow_ups(session: Session, now: datetime) -> list[DueFollowUp]:
    """Every (active patient, time point) whose window is open on the patient's clock at ``now``."""
    rows = session.execute(
        select(
            Patient.id, Patient.timezone, TreatmentCourse.ended_on, PlanVersion.starts_on, PlanVersion.content
        )
        .join(User, User.id == Patient.user_id)
        .outerjoin(TreatmentCourse, TreatmentCourse.patient_id == Patient.id)
        .outerjoin(
            PlanVersion,
            and_(PlanVersion.patient_id == Patient.id, PlanVersion.status == VersionStatus.SIGNED),
        )
        .where(
            User.is_active.is_(True),
            or_(TreatmentCourse.ended_on.is_not(None), PlanVersion.id.is_not(None)),
        )
    ).all()
    found = []
    for patient_id, zone, ended_on, starts_on, content in rows:
        end = ended_on
        if end is None and starts_on is not None:
            end = planned_end_of(starts_on, content)
        if end is None:
            continue
        today = local_day(zone, now)
        instruments = tuple(follow_up_instruments(content))
        for time_point in TimePoint:
            due = follow_up_due(end, time_point)
            opens, closes = follow_up_window(due)
            if opens <= today <= closes:
                found.append(DueFollowUp(patient_id, time_point, due, today, instruments))
    return found


def assign_follow_ups(session: Session, settings: Settings, now: datetime) -> int:
    """The worker's sweep: ask each open time point's questionnaires once; returns how many it asked."""
    wanted = open_follow_ups(session, now)
    if not wanted:
        return 0
    asked = {
        (pid, TimePoint(point), instrument)
        for pid, point, instrument in session.execute(
            select(
                FollowUpRequest.patient_id, FollowUpRequest.time_point, FollowUpRequest.instrument_id
            ).where(FollowUpRequest.patient_id.in_({w.patient_id for w in wanted}))
        )
    }
    count = 0
    for follow_up in wanted:
        patient = session.get(Patient, follow_up.patient_id)
        if patient is None:
            continue
        for instrument in follow_up.instruments:
            if (follow_up.patient_id, follow_up.time_point, instrument) in asked:
                continue
            try:
                with session.begin_nested():
                    request = FollowUpRequest(
                        patient_id=patient.id,
                        time_point=follow_up.time_point,
                        instrument_id=instrument,
                        due_on=follow_up.due_on,
                    )
                    session.add(request)
                    session.flush()
                    assignment = assessments.request_for_follow_up(
                        session, patient, instrument, due_on=max(follow_up.due_on, follow_up.today)
                    )
                    request.assignment_id = assignment.id
                    session.flush()
            except IntegrityError:
                continue  # another worker asked it at the same moment
            except NotFound:
                continue  # an instrument this clinic does not run
            count += 1
    return count
