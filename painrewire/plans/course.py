"""The course of treatment: when it started, when it ended, and the pain measures its outcome is judged on.

* Start: the first plan version's signature or the first practice session, whichever came first
  (`painrewire.diary.outcomes.treatment_start`). Recorded on `TreatmentCourse` when the first version is signed
  (`record_start`, called by `painrewire.plans.service.sign`); for a patient with no row yet (practice before
  any plan, or a plan signed before the record existed) the same rule is applied to the same data on reading.
* End: the day a clinician on the care team recorded (`end_treatment`), else the signed plan's planned end,
  its start day plus its length in weeks (the day its "end" questionnaires fall due).
* Pain measures: the diary's average pain and PEG item 1 ("pain on average in the past week"), each on the
  patient's own calendar day.

Pages and reports call these on a patient whose access they already checked; `end_treatment` checks its own.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, Role, User
from painrewire.assessments.models import Intake, QuestionnaireResponse
from painrewire.db import utcnow
from painrewire.diary.models import DiaryEntry
from painrewire.diary.outcomes import DiaryPoint, PegPoint, StartSource, TreatmentStart, treatment_start
from painrewire.diary.progress import PEG_AVERAGE_PAIN_ITEM
from painrewire.errors import Conflict, InvalidInput
from painrewire.patients import access
from painrewire.patients.models import Patient, local_day
from painrewire.plans.models import EndReason, PlanVersion, TreatmentCourse
from painrewire.plans.repository import signed_plan, signed_plans
from painrewire.practice.models import PracticeLog

MAX_NOTE_CHARS = 2000


# --- start ---------------------------------------------------------------------------------------------------


def _first_signed_on(session: Session, patient: Patient) -> date | None:
    first = session.scalar(
        select(func.min(PlanVersion.signed_at)).where(
            PlanVersion.patient_id == patient.id, PlanVersion.signed_at.is_not(None)
        )
    )
    return local_day(patient.timezone, first) if first is not None else None


def _first_practice_on(session: Session, patient: Patient) -> date | None:
    first: date | None = session.scalar(
        select(func.min(PracticeLog.day)).where(PracticeLog.patient_id == patient.id)
    )
    return first


def start_for(session: Session, patient: Patient) -> TreatmentStart | None:
    """When the patient's treatment started: as recorded, or by the same rule from the data; None if not yet."""
    stored = session.get(TreatmentCourse, patient.id)
    if stored is not None:
        return TreatmentStart(stored.treatment_started_on, stored.start_source)
    return treatment_start(
        signed_on=_first_signed_on(session, patient), first_practice=_first_practice_on(session, patient)
    )


def record_start(session: Session, patient: Patient) -> TreatmentCourse | None:
    """Record the treatment's start once, when a plan version is signed; later signatures leave it as it is."""
    stored = session.get(TreatmentCourse, patient.id)
    if stored is not None:
        return stored
    start = start_for(session, patient)
    if start is None:
        return None
    course = TreatmentCourse(
        patient_id=patient.id, treatment_started_on=start.day, start_source=start.source, recorded_at=utcnow()
    )
    try:
        with session.begin_nested():
            session.add(course)
            session.flush()
    except IntegrityError:  # recorded at the same moment by another request: theirs is the same day
        return session.get(TreatmentCourse, patient.id)
    return course


# --- end -------------------------------------------------------------------------------------------------------


def planned_end(version: PlanVersion) -> date | None:
    """The signed plan's last day plus one: its start day plus its length in weeks (its "end" week's due day);
    None for a stored version without a length."""
    return planned_end_of(version.starts_on, version.content)


def planned_end_of(starts_on: date, content: dict[str, Any] | None) -> date | None:
    """`planned_end` from a version's start day and stored proposal."""
    weeks = (content or {}).get("end_week")
    if isinstance(weeks, bool) or not isinstance(weeks, int) or weeks < 1:
        return None
    return starts_on + timedelta(weeks=weeks)


@dataclass(frozen=True)
class CourseView:
    """A patient's course of treatment as the outcome pages read it."""

    start: TreatmentStart | None
    course: TreatmentCourse | None
    planned_end: date | None

    @property
    def ended_on(self) -> date | None:
        return self.course.ended_on if self.course is not None else None

    @property
    def end(self) -> date | None:
        """The end the follow-ups count from: the one recorded, else the plan's planned end."""
        return self.ended_on or self.planned_end

    @property
    def end_recorded(self) -> bool:
        return self.ended_on is not None


def course_for(session: Session, patient: Patient) -> CourseView:
    """Start, recorded course and planned end of a patient whose access was already checked."""
    signed = signed_plan(session, patient)
    return CourseView(
        start=start_for(session, patient),
        course=session.get(TreatmentCourse, patient.id),
        planned_end=planned_end(signed) if signed is not None else None,
    )


def course_view(session: Session, actor: User, patient_id: uuid.UUID) -> CourseView:
    """A patient's course of treatment, for whoever may see the patient (the read is audited)."""
    patient = access.patient_for(session, actor, patient_id, resource_type="treatment_course")
    return course_for(session, patient)


def end_treatment(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    *,
    ended_on: date,
    reason: EndReason,
    note: str = "",
    now: datetime | None = None,
) -> TreatmentCourse:
    """A clinician on the care team records the end of treatment (discharge); follow-ups count from that day."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.UPDATE, resource_type="treatment_course"
    )
    access.require_role(
        actor, Role.CLINICIAN, message="Only a clinician on the patient's care team can end treatment."
    )
    note = note.strip()
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(f"The note is {len(note)} characters; at most {MAX_NOTE_CHARS}.", field="note")
    today = patient.local_today(now)
    if ended_on > today:
        raise InvalidInput(
            f"{ended_on.isoformat()} is in the future; record the end of treatment on the day it ends.",
            field="ended_on",
        )
    start = start_for(session, patient)
    if start is None:
        raise Conflict("Treatment has not started: no plan has been signed and no practice logged.")
    if ended_on < start.day:
        raise InvalidInput(
            f"Treatment started on {start.day.isoformat()}; it cannot end before that.", field="ended_on"
        )
    course = session.get(TreatmentCourse, patient.id) or record_start(session, patient)
    assert course is not None
    if course.ended_on is not None:
        raise Conflict(f"Treatment already ended on {course.ended_on.isoformat()}.")
    course.ended_on = ended_on
    course.end_reason = reason
    course.end_note = note
    course.ended_at = now or utcnow()
    course.ended_by_id = actor.id
    session.flush()
    return course


# --- pain measures ---------------------------------------------------------------------------------------------


# --- a whole cohort in a fixed number of queries -------------------------------------------------------------


@dataclass
class CohortCourse:
    """What `cohort_courses` gives for one patient."""

    start: TreatmentStart | None = None
    end: date | None = None
    end_recorded: bool = False
    pain_duration_weeks: int | None = None


def cohort_courses(
    session: Session, ids: Select[uuid.UUID], zones: dict[uuid.UUID, str]
) -> dict[uuid.UUID, CohortCourse]:
    """Start, end and the intake's pain duration of every patient in ``ids`` (``zones``: their time zones)."""
    found = {pid: CohortCourse() for pid in zones}
    stored: set[uuid.UUID] = set()
    for pid, started, source, ended in session.execute(
        select(
            TreatmentCourse.patient_id,
            TreatmentCourse.treatment_started_on,
            TreatmentCourse.start_source,
            TreatmentCourse.ended_on,
        ).where(TreatmentCourse.patient_id.in_(ids))
    ):
        found[pid].start = TreatmentStart(started, StartSource(source))
        found[pid].end, found[pid].end_recorded = ended, ended is not None
        stored.add(pid)
    signed: dict[uuid.UUID, date] = {}
    for pid, first in session.execute(
        select(PlanVersion.patient_id, func.min(PlanVersion.signed_at))
        .where(PlanVersion.patient_id.in_(ids), PlanVersion.signed_at.is_not(None))
        .group_by(PlanVersion.patient_id)
    ):
        if first is not None:
            signed[pid] = local_day(zones[pid], first)
    practised: dict[uuid.UUID, date] = {
        pid: day
        for pid, day in session.execute(
            select(PracticeLog.patient_id, func.min(PracticeLog.day))
            .where(PracticeLog.patient_id.in_(ids))
            .group_by(PracticeLog.patient_id)
        )
    }
    for pid, course in found.items():
        if pid not in stored:
            course.start = treatment_start(signed_on=signed.get(pid), first_practice=practised.get(pid))
    for pid, version in signed_plans(session, ids).items():
        if not found[pid].end_recorded:
            found[pid].end = planned_end(version)
    latest: dict[uuid.UUID, datetime] = {}
    for pid, weeks, created in session.execute(
        select(Intake.patient_id, Intake.pain_duration_weeks, Intake.created_at).where(
            Intake.patient_id.in_(ids)
        )
    ):
        if pid not in latest or created > latest[pid]:
            latest[pid] = created
            found[pid].pain_duration_weeks = weeks
    return found


def cohort_pain_data(
    session: Session, ids: Select[uuid.UUID], zones: dict[uuid.UUID, str]
) -> dict[uuid.UUID, tuple[list[DiaryPoint], list[PegPoint]]]:
    """`pain_data` for every patient in ``ids``, in two queries."""
    points: dict[uuid.UUID, list[DiaryPoint]] = defaultdict(list)
    pegs: dict[uuid.UUID, list[PegPoint]] = defaultdict(list)
    for pid, day, pain in session.execute(
        select(DiaryEntry.patient_id, DiaryEntry.day, DiaryEntry.average_pain)
        .where(DiaryEntry.patient_id.in_(ids))
        .order_by(DiaryEntry.day)
    ):
        points[pid].append(DiaryPoint(day, float(pain)))
    for pid, completed, answers in session.execute(
        select(
            QuestionnaireResponse.patient_id,
            QuestionnaireResponse.completed_at,
            QuestionnaireResponse.answers,
        )
        .where(
            QuestionnaireResponse.patient_id.in_(ids),
            QuestionnaireResponse.instrument_id == "peg",
            QuestionnaireResponse.valid.is_(True),
        )
        .order_by(QuestionnaireResponse.completed_at)
    ):
        item = answers[PEG_AVERAGE_PAIN_ITEM - 1] if answers else None
        if item is not None:
            pegs[pid].append(PegPoint(local_day(zones[pid], completed), float(item)))
    return {pid: (points.get(pid, []), pegs.get(pid, [])) for pid in zones}


def zones_of(session: Session, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    return {
        pid: zone
        for pid, zone in session.execute(
            select(Patient.id, Patient.timezone).where(Patient.id.in_(list(ids)))
        )
    }
