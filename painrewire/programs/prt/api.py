"""JSON routes for pain reprocessing therapy: lessons and quizzes, checklist, journal, somatic tracking, course."""

from __future__ import annotations

import uuid

from painrewire.accounts.deps import CurrentUser
from painrewire.programs.prt import content
from painrewire.programs.prt import service as prt
from painrewire.programs.prt.models import ChecklistResponse
from painrewire.programs.prt.schemas import (
    AnswerResultRead,
    BookedSessionRead,
    ChecklistItemRead,
    ChecklistRead,
    ChecklistStateRead,
    ChecklistWrite,
    CourseRead,
    CourseSessionRead,
    JournalEntryRead,
    JournalEntryWrite,
    LessonProgressRead,
    LessonRead,
    LessonSummaryRead,
    QuizOptionRead,
    QuizQuestionRead,
    QuizResultRead,
    QuizSubmit,
    SomaticScriptRead,
    SomaticStepRead,
    SomaticTrackingRead,
    SomaticTrackingWrite,
)
from painrewire.web.deps import SessionDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["prt"])
ERRORS = error_responses(401, 403, 404, 409, 422)
BASE = "/patients/{patient_id}/prt"


def _summary(status: prt.LessonStatus) -> LessonSummaryRead:
    lesson = status.lesson
    return LessonSummaryRead(
        id=lesson.id,
        order=lesson.order,
        title=lesson.title,
        minutes=lesson.minutes,
        summary=lesson.summary,
        state=status.state,
        progress=LessonProgressRead.model_validate(status.progress) if status.progress else None,
    )


def _checklist(response: ChecklistResponse) -> ChecklistRead:
    return ChecklistRead(
        id=response.id,
        created_at=response.created_at,
        answers=response.answers,
        endorsed=response.endorsed,
        score=response.score,
        level=response.level,
        summary=prt.checklist_summary(response),
        total=len(content.checklist().items),
        before_clearance=response.before_clearance,
        held=response.held,
    )


@router.get(
    f"{BASE}/lessons",
    response_model=list[LessonSummaryRead],
    summary="Lessons in reading order, with the patient's progress",
    responses=ERRORS,
)
def list_lessons(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[LessonSummaryRead]:
    return [_summary(s) for s in prt.list_lessons(session, user, patient_id)]


@router.get(
    f"{BASE}/lessons/{{lesson_id}}",
    response_model=LessonRead,
    summary="One lesson: text, sources and quiz questions (answers are checked on the server)",
    responses=ERRORS,
)
def get_lesson(patient_id: uuid.UUID, lesson_id: str, user: CurrentUser, session: SessionDep) -> LessonRead:
    _, status = prt.open_lesson(session, user, patient_id, lesson_id)
    lesson = status.lesson
    return LessonRead(
        **_summary(status).model_dump(),
        body_html=lesson.body_html,
        sources=list(lesson.sources),
        pass_mark=lesson.pass_mark,
        quiz=[
            QuizQuestionRead(
                id=q.id,
                question=q.question,
                options=[QuizOptionRead(index=i, text=o.text) for i, o in enumerate(q.options)],
            )
            for q in lesson.quiz
        ],
    )


@router.post(
    f"{BASE}/lessons/{{lesson_id}}/quiz",
    response_model=QuizResultRead,
    summary="Answer a lesson's quiz: scored on the server, with explanations for wrong answers",
    responses=ERRORS,
)
def submit_quiz(
    patient_id: uuid.UUID, lesson_id: str, data: QuizSubmit, user: CurrentUser, session: SessionDep
) -> QuizResultRead:
    outcome = prt.submit_quiz(session, user, patient_id, lesson_id, data.answers)
    result = outcome.result
    return QuizResultRead(
        lesson_id=result.lesson_id,
        score=result.score,
        total=result.total,
        pass_mark=result.pass_mark,
        passed=result.passed,
        answers=[AnswerResultRead(**vars(a)) for a in result.answers],
        progress=LessonProgressRead.model_validate(outcome.progress),
    )


@router.get(
    f"{BASE}/checklist",
    response_model=ChecklistStateRead,
    summary="The neuroplastic-pain checklist and the latest answers with their summary",
    responses=ERRORS,
)
def get_checklist(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> ChecklistStateRead:
    cleared, latest = prt.checklist_state(session, user, patient_id)
    checklist = content.checklist()
    return ChecklistStateRead(
        cleared=cleared,
        intro=checklist.intro_for(cleared=cleared),
        items=[
            ChecklistItemRead(
                id=i.id,
                text=i.text,
                why=i.why if cleared or not i.overlaps else content.WAITING_WHY,
                waits_for_clinician=not cleared and i.waits_for_clinician,
            )
            for i in checklist.items
        ],
        latest=_checklist(latest) if latest else None,
    )


@router.post(
    f"{BASE}/checklist",
    response_model=ChecklistRead,
    status_code=201,
    summary="Answer every checklist statement yes or no; the summary level feeds the plan",
    responses=ERRORS,
)
def save_checklist(
    patient_id: uuid.UUID, data: ChecklistWrite, user: CurrentUser, session: SessionDep
) -> ChecklistRead:
    return _checklist(prt.save_checklist(session, user, patient_id, data.answers))


@router.get(
    f"{BASE}/journal",
    response_model=list[JournalEntryRead],
    summary="Reappraisal journal, newest first",
    responses=ERRORS,
)
def list_journal(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[JournalEntryRead]:
    return [JournalEntryRead.model_validate(e) for e in prt.journal(session, user, patient_id)]


@router.post(
    f"{BASE}/journal",
    response_model=JournalEntryRead,
    status_code=201,
    summary="Write a reappraisal: pain moment, danger message, safety message",
    responses=ERRORS,
)
def add_journal_entry(
    patient_id: uuid.UUID, data: JournalEntryWrite, user: CurrentUser, session: SessionDep
) -> JournalEntryRead:
    return JournalEntryRead.model_validate(prt.add_journal_entry(session, user, patient_id, data))


@router.get(
    "/prt/somatic-tracking/script",
    response_model=SomaticScriptRead,
    summary="The guided somatic-tracking steps and their timing",
    responses=error_responses(401),
)
def somatic_script(user: CurrentUser) -> SomaticScriptRead:
    script = content.somatic_script()
    return SomaticScriptRead(
        title=script.title,
        intro=script.intro,
        steps=[SomaticStepRead(title=s.title, seconds=s.seconds, text=s.text) for s in script.steps],
        total_seconds=script.total_seconds,
    )


@router.get(
    f"{BASE}/somatic-tracking",
    response_model=list[SomaticTrackingRead],
    summary="Somatic-tracking practice with pain and fear before and after, newest first",
    responses=ERRORS,
)
def list_somatic_tracking(
    patient_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> list[SomaticTrackingRead]:
    return [SomaticTrackingRead.model_validate(p) for p in prt.somatic_tracking(session, user, patient_id)]


@router.post(
    f"{BASE}/somatic-tracking",
    response_model=SomaticTrackingRead,
    status_code=201,
    summary="Log a guided somatic-tracking practice (paused while a safety alert is open)",
    responses=ERRORS,
)
def log_somatic_tracking(
    patient_id: uuid.UUID, data: SomaticTrackingWrite, user: CurrentUser, session: SessionDep
) -> SomaticTrackingRead:
    return SomaticTrackingRead.model_validate(prt.log_somatic_tracking(session, user, patient_id, data))


@router.get(
    f"{BASE}/course",
    response_model=CourseRead,
    summary="The 4-week course: 8 sessions with their aims and booked appointments",
    responses=ERRORS,
)
def get_course(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> CourseRead:
    view = prt.course(session, user, patient_id)
    return CourseRead(
        appointment_type=view.course.appointment_type,
        started_on=view.started_on,
        week=view.week,
        booking_href=view.booking_href,
        sessions=[
            CourseSessionRead(
                number=v.session.number,
                week=v.session.week,
                title=v.session.title,
                aims=list(v.session.aims),
                lessons=list(v.session.lessons),
                practice=v.session.practice,
                state=v.state,
                appointment=BookedSessionRead(**vars(v.appointment)) if v.appointment else None,
            )
            for v in view.sessions
        ],
    )
