"""Pain reprocessing therapy: lessons with quizzes, the neuroplastic-pain checklist, guided somatic tracking,
the reappraisal journal, and the 4-week course session by session with its booked appointments.

Practice is logged through `painrewire.practice.service.log_practice`, so the plan's tasks, streaks, the
diary and the dashboard see it. Somatic tracking and journal entries are practice: `painrewire.clearance.gate`
refuses them, saying why and what to do, until the patient has an intake, no open alert holds them and a
medically qualified clinician has cleared them. Lessons, quizzes and the checklist stay open.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import mean
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, Role, User
from painrewire.clearance import gate
from painrewire.clearance import service as clearance
from painrewire.db import utcnow
from painrewire.errors import InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.practice import service as practice_log
from painrewire.practice.models import Module, PracticeLog
from painrewire.programs.prt import content
from painrewire.programs.prt.charts import RatedPractice
from painrewire.programs.prt.models import ChecklistResponse, LessonProgress, ReappraisalEntry
from painrewire.programs.prt.schemas import JournalEntryWrite, SomaticTrackingWrite

SOMATIC_ACTIVITY = "somatic_tracking"
JOURNAL_ACTIVITY = "reappraisal"
LESSON_ACTIVITY = "lesson"
CHECKLIST_ACTIVITY = "checklist"
#: Practice minutes counted for a journal entry or a checklist, which have no timer.
JOURNAL_MINUTES = 5.0
CHECKLIST_MINUTES = 5.0
BOOKING_HREF = "/book"


def _patient_only(actor: User, what: str) -> None:
    access.require_role(
        actor, Role.PATIENT, message=f"Only the patient can {what}; the care team can read it."
    )


# --- lessons and quizzes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LessonStatus:
    lesson: content.Lesson
    progress: LessonProgress | None

    @property
    def state(self) -> str:
        if self.progress is None:
            return "new"
        return "passed" if self.progress.passed_at is not None else "opened"


def cleared(session: Session, patient: Patient) -> bool:
    """Whether a medically qualified clinician has cleared the patient (lessons then say the check happened)."""
    return clearance.current_for(session, patient) is not None


def lesson_statuses(session: Session, patient: Patient) -> list[LessonStatus]:
    """Every lesson in reading order, as this patient reads it, with their progress (access already checked)."""
    rows = {
        p.lesson_id: p
        for p in session.scalars(select(LessonProgress).where(LessonProgress.patient_id == patient.id))
    }
    checked = cleared(session, patient)
    return [
        LessonStatus(content.lesson_for(lesson, cleared=checked), rows.get(lesson.id))
        for lesson in content.lessons()
    ]


def next_lesson(statuses: Sequence[LessonStatus]) -> LessonStatus | None:
    """The first lesson not yet passed, in reading order."""
    return next((s for s in statuses if s.state != "passed"), None)


def list_lessons(session: Session, actor: User, patient_id: uuid.UUID) -> list[LessonStatus]:
    patient = access.patient_for(session, actor, patient_id, resource_type="prt_lesson")
    return lesson_statuses(session, patient)


def _lesson(lesson_id: str) -> content.Lesson:
    lesson = content.lesson_by_id(lesson_id)
    if lesson is None:
        raise NotFound("There is no such lesson.")
    return lesson


def lesson_progress_row(session: Session, patient: Patient, lesson_id: str) -> LessonProgress:
    """The patient's progress row for a lesson, created on first use (two tabs at once cannot make two)."""
    stmt = select(LessonProgress).where(
        LessonProgress.patient_id == patient.id, LessonProgress.lesson_id == lesson_id
    )
    row = session.scalar(stmt)
    if row is not None:
        return row
    row = LessonProgress(patient_id=patient.id, lesson_id=lesson_id, opened_at=utcnow(), quiz_attempts=0)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = session.scalar(stmt)
        if existing is None:
            raise
        return existing
    return row


def open_lesson(
    session: Session, actor: User, patient_id: uuid.UUID, lesson_id: str, *, mark_opened: bool = False
) -> tuple[Patient, LessonStatus]:
    """A lesson with the patient's progress; with ``mark_opened`` (the patient's lesson page) its progress
    starts the first time the patient opens it."""
    lesson = _lesson(lesson_id)
    patient = access.patient_for(
        session, actor, patient_id, resource_type="prt_lesson", resource_id=lesson.id
    )
    lesson = content.lesson_for(lesson, cleared=cleared(session, patient))
    if mark_opened and actor.role == Role.PATIENT:
        return patient, LessonStatus(lesson, lesson_progress_row(session, patient, lesson.id))
    progress = session.scalar(
        select(LessonProgress).where(
            LessonProgress.patient_id == patient.id, LessonProgress.lesson_id == lesson.id
        )
    )
    return patient, LessonStatus(lesson, progress)


@dataclass(frozen=True)
class QuizOutcome:
    result: content.QuizResult
    progress: LessonProgress
    first_pass: bool
    patient: Patient
    """The patient the service loaded and audited, for the page that shows the outcome."""
    lesson: content.Lesson


def submit_quiz(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    lesson_id: str,
    answers: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> QuizOutcome:
    """Score the quiz on the server and keep the attempt; the first pass counts as the lesson's practice."""
    lesson = _lesson(lesson_id)
    patient = access.patient_for(
        session,
        actor,
        patient_id,
        action=AuditAction.UPDATE,
        resource_type="prt_lesson",
        resource_id=lesson.id,
    )
    _patient_only(actor, "take a lesson's quiz")
    lesson = content.lesson_for(lesson, cleared=cleared(session, patient))
    try:
        result = content.score_quiz(lesson, answers)
    except content.AnswerError as exc:
        raise InvalidInput(exc.message, field=exc.field) from None
    when = now or utcnow()
    progress = lesson_progress_row(session, patient, lesson.id)
    progress.quiz_attempts += 1
    progress.quiz_total = result.total
    progress.best_score = max(progress.best_score or 0, result.score)
    first_pass = result.passed and progress.passed_at is None
    if first_pass:
        progress.passed_at = when
        practice_log.log_practice(
            session,
            patient,
            module=Module.PRT,
            activity=LESSON_ACTIVITY,
            title=f"Lesson: {lesson.title}",
            minutes=lesson.minutes,
            source_id=progress.id,
            now=when,
        )
    session.flush()
    return QuizOutcome(
        result=result, progress=progress, first_pass=first_pass, patient=patient, lesson=lesson
    )


# --- the neuroplastic-pain checklist ----------------------------------------------------------------------


def latest_checklist(session: Session, patient: Patient) -> ChecklistResponse | None:
    return session.scalar(
        select(ChecklistResponse)
        .where(ChecklistResponse.patient_id == patient.id)
        .order_by(ChecklistResponse.created_at.desc())
        .limit(1)
    )


def checklist_summary(response: ChecklistResponse) -> str:
    """The patient-facing sentence for a stored checklist: its level's, or, filled in before the patient was
    cleared, that their clinician will go through it with them (no verdict)."""
    if response.before_clearance:
        return content.checklist().waiting
    texts = {lv.level: lv.text for lv in content.checklist().levels}
    return texts.get(response.level, "")


def get_checklist(session: Session, actor: User, patient_id: uuid.UUID) -> ChecklistResponse | None:
    patient = access.patient_for(session, actor, patient_id, resource_type="prt_checklist")
    return latest_checklist(session, patient)


def checklist_state(
    session: Session, actor: User, patient_id: uuid.UUID
) -> tuple[bool, ChecklistResponse | None]:
    """Whether the patient is cleared (the checklist counts every sign, with a verdict) and their latest one."""
    patient = access.patient_for(session, actor, patient_id, resource_type="prt_checklist")
    return cleared(session, patient), latest_checklist(session, patient)


def save_checklist(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    answers: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> ChecklistResponse:
    """Store one filling of the checklist with its summary; the patient, or a clinician with them, fills it.

    Before the patient is cleared for practice, the signs that also point to specific causes are kept but not
    counted, and the summary gives no verdict (`content.summarise_checklist`).
    """
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="prt_checklist"
    )
    try:
        summary = content.summarise_checklist(answers, cleared=cleared(session, patient))
    except content.AnswerError as exc:
        raise InvalidInput(exc.message, field=exc.field) from None
    when = now or utcnow()
    response = ChecklistResponse(
        patient_id=patient.id,
        created_at=when,
        answers={item.id: bool(answers[item.id]) for item in content.checklist().items},
        endorsed=list(summary.endorsed),
        score=float(summary.count),
        level=summary.level,
        before_clearance=summary.before_clearance,
        held=list(summary.held),
    )
    session.add(response)
    session.flush()
    practice_log.log_practice(
        session,
        patient,
        module=Module.PRT,
        activity=CHECKLIST_ACTIVITY,
        title="Neuroplastic pain checklist",
        minutes=CHECKLIST_MINUTES,
        source_id=response.id,
        now=when,
    )
    return response


# --- the reappraisal journal -------------------------------------------------------------------------------


def journal_for(session: Session, patient: Patient, *, limit: int = 200) -> list[ReappraisalEntry]:
    return list(
        session.scalars(
            select(ReappraisalEntry)
            .where(ReappraisalEntry.patient_id == patient.id)
            .order_by(ReappraisalEntry.created_at.desc())
            .limit(limit)
        )
    )


def journal(
    session: Session, actor: User, patient_id: uuid.UUID, *, limit: int = 200
) -> list[ReappraisalEntry]:
    """The patient's journal, newest first."""
    patient = access.patient_for(session, actor, patient_id, resource_type="prt_journal")
    return journal_for(session, patient, limit=limit)


def add_journal_entry(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    data: JournalEntryWrite,
    *,
    now: datetime | None = None,
) -> ReappraisalEntry:
    """Keep a reappraisal: the pain moment, the danger message and the safety message."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="prt_journal"
    )
    _patient_only(actor, "write in the reappraisal journal")
    gate.ensure_practice_open(session, actor, patient, Module.PRT)
    when = now or utcnow()
    entry = ReappraisalEntry(
        patient_id=patient.id,
        created_at=when,
        pain_moment=data.pain_moment,
        danger_message=data.danger_message,
        safety_message=data.safety_message,
        pain_before=data.pain_before,
        pain_after=data.pain_after,
    )
    session.add(entry)
    session.flush()
    practice_log.log_practice(
        session,
        patient,
        module=Module.PRT,
        activity=JOURNAL_ACTIVITY,
        title="Reappraisal journal",
        minutes=JOURNAL_MINUTES,
        pain_before=data.pain_before,
        pain_after=data.pain_after,
        source_id=entry.id,
        now=when,
    )
    return entry


# --- somatic tracking ----------------------------------------------------------------------------------------


def somatic_history(session: Session, patient: Patient, *, limit: int = 60) -> list[PracticeLog]:
    """Somatic-tracking practice, newest first."""
    return list(
        session.scalars(
            select(PracticeLog)
            .where(
                PracticeLog.patient_id == patient.id,
                PracticeLog.module == Module.PRT,
                PracticeLog.activity == SOMATIC_ACTIVITY,
            )
            .order_by(PracticeLog.completed_at.desc())
            .limit(limit)
        )
    )


def somatic_tracking(session: Session, actor: User, patient_id: uuid.UUID) -> list[PracticeLog]:
    patient = access.patient_for(session, actor, patient_id, resource_type="prt_somatic_tracking")
    return somatic_history(session, patient)


def log_somatic_tracking(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    data: SomaticTrackingWrite,
    *,
    now: datetime | None = None,
) -> PracticeLog:
    """Log one guided practice with pain and fear before and after, and the time actually spent."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="prt_somatic_tracking"
    )
    _patient_only(actor, "log somatic tracking")
    gate.ensure_practice_open(session, actor, patient, Module.PRT)
    return practice_log.log_practice(
        session,
        patient,
        module=Module.PRT,
        activity=SOMATIC_ACTIVITY,
        title="Somatic tracking",
        minutes=round(data.seconds / 60, 2),
        pain_before=data.pain_before,
        pain_after=data.pain_after,
        fear_before=data.fear_before,
        fear_after=data.fear_after,
        now=now,
    )


@dataclass(frozen=True)
class RatingChange:
    """Mean before and after one kind of rating over some practices."""

    before: float
    after: float
    practices: int

    @property
    def change(self) -> float:
        return self.after - self.before


def rating_change(logs: Sequence[PracticeLog], kind: str) -> RatingChange | None:
    """Mean ``pain`` or ``fear`` before and after, over the practices that have both ratings."""
    pairs = [
        (getattr(log, f"{kind}_before"), getattr(log, f"{kind}_after"))
        for log in logs
        if getattr(log, f"{kind}_before") is not None and getattr(log, f"{kind}_after") is not None
    ]
    if not pairs:
        return None
    return RatingChange(mean(b for b, _ in pairs), mean(a for _, a in pairs), len(pairs))


def rated_practices(logs: Sequence[PracticeLog]) -> list[RatedPractice]:
    """Practices with all four ratings, oldest first, for the before/after chart."""
    rated = []
    for log in reversed(logs):
        if (
            log.pain_before is None
            or log.pain_after is None
            or log.fear_before is None
            or log.fear_after is None
        ):
            continue
        rated.append(RatedPractice(log.day, log.pain_before, log.pain_after, log.fear_before, log.fear_after))
    return rated


# --- the 4-week course ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookedSession:
    appointment_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    status: str
    clinician_name: str | None


@dataclass(frozen=True)
class CourseSessionView:
    session: content.CourseSession
    appointment: BookedSession | None
    now: datetime

    @property
    def state(self) -> str:
        """not_booked, booked (still to come), held (its time has passed), or attended (marked so)."""
        if self.appointment is None:
            return "not_booked"
        if self.appointment.status == "completed":
            return "attended"
        return "held" if self.appointment.ends_at <= self.now else "booked"


@dataclass
class CourseView:
    course: content.Course
    sessions: list[CourseSessionView]
    started_on: date | None
    week: int | None
    booking_href: str = BOOKING_HREF
    this_week: list[CourseSessionView] = field(default_factory=list)
    timezone: str = "UTC"  # the patient's: session times are shown on their own clock


#: When the patient's signed plan started PRT (None: no signed plan, or one without PRT).
PlanStart = Callable[[Session, Patient], date | None]
#: The patient's appointments of a type that deliver a session (not cancelled or missed), oldest first.
Bookings = Callable[[Session, Patient, str], list[BookedSession]]


@dataclass
class _CourseSources:
    plan_start: PlanStart | None = None
    bookings: Bookings | None = None


_sources = _CourseSources()


def provide_course_sources(*, plan_start: PlanStart, bookings: Bookings) -> None:
    """Say where the course finds the plan's start and the booked sessions.

    The plan and the clinic's calendar sit above the programs, so the composition that builds the app
    (``painrewire.courses``) passes them in rather than this module reading their tables.
    """
    _sources.plan_start, _sources.bookings = plan_start, bookings


def prt_start(session: Session, patient: Patient) -> date | None:
    """The first day of the PRT course: the start of the signed plan, when that plan includes PRT."""
    if _sources.plan_start is None:
        raise RuntimeError("the PRT course has no plan source: import painrewire.courses")
    return _sources.plan_start(session, patient)


def booked_sessions(session: Session, patient: Patient, appointment_type: str) -> list[BookedSession]:
    """The patient's appointments of the course's type that deliver a session, oldest first.

    Cancelled and missed (no-show) appointments are left out, so the next appointment booked takes their
    place in the course.
    """
    if _sources.bookings is None:
        raise RuntimeError("the PRT course has no booking source: import painrewire.courses")
    return _sources.bookings(session, patient, appointment_type)


def course_view(session: Session, patient: Patient, *, now: datetime | None = None) -> CourseView:
    """The 8 course sessions, each with its aims and the appointment booked for it (access already checked).

    The n-th booked appointment of the course's type is session n, so the clinic books sessions as usual
    and the course follows.
    """
    when = now or utcnow()
    course = content.course()
    booked = booked_sessions(session, patient, course.appointment_type)
    views = [
        CourseSessionView(s, booked[i] if i < len(booked) else None, when)
        for i, s in enumerate(course.sessions)
    ]
    started = prt_start(session, patient)
    week = None
    if started is not None:
        days = (patient.local_today(when) - started).days
        if 0 <= days < course.weeks * 7:
            week = days // 7 + 1
    view = CourseView(course=course, sessions=views, started_on=started, week=week, timezone=patient.timezone)
    if week is not None:
        view.this_week = [v for v in views if v.session.week == week]
    return view


def course(session: Session, actor: User, patient_id: uuid.UUID) -> CourseView:
    patient = access.patient_for(session, actor, patient_id, resource_type="prt_course")
    return course_view(session, patient)


# --- what the care team sees -----------------------------------------------------------------------------------


@dataclass
class PrtProgress:
    lessons: list[LessonStatus]
    checklist: ChecklistResponse | None
    somatic: list[PracticeLog]
    journal: list[ReappraisalEntry]
    course: CourseView
    pain: RatingChange | None
    fear: RatingChange | None
    practised_last_14_days: int

    @property
    def lessons_passed(self) -> int:
        return sum(s.state == "passed" for s in self.lessons)

    @property
    def mean_quiz_percent(self) -> float | None:
        scored = [s.progress for s in self.lessons if s.progress and s.progress.quiz_total]
        if not scored:
            return None
        return mean(100 * (p.best_score or 0) / (p.quiz_total or 1) for p in scored)


def progress_for(session: Session, patient: Patient, *, now: datetime | None = None) -> PrtProgress:
    """Lessons, quiz scores, checklist, somatic-tracking ratings and journal (access already checked)."""
    when = now or utcnow()
    somatic = somatic_history(session, patient)
    recent_from = patient.local_today(when) - timedelta(days=13)
    return PrtProgress(
        lessons=lesson_statuses(session, patient),
        checklist=latest_checklist(session, patient),
        somatic=somatic,
        journal=journal_for(session, patient, limit=50),
        course=course_view(session, patient, now=when),
        pain=rating_change(somatic[:10], "pain"),
        fear=rating_change(somatic[:10], "fear"),
        practised_last_14_days=sum(1 for log in somatic if log.day >= recent_from),
    )


def progress(session: Session, actor: User, patient_id: uuid.UUID) -> PrtProgress:
    patient = access.patient_for(session, actor, patient_id, resource_type="prt_progress")
    return progress_for(session, patient)
