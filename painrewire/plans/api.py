"""JSON routes for plans: the rules' proposal, clinician edits, sign-off, the version history and this week."""

from __future__ import annotations

import uuid

from painrewire.accounts.deps import CurrentUser
from painrewire.diary.outcomes import TimePoint, follow_up_due
from painrewire.plans import course as courses
from painrewire.plans import service as plans
from painrewire.plans.schemas import (
    DueQuestionnaireRead,
    FiredRuleRead,
    HoldRead,
    PersonRead,
    PlanContentRead,
    PlanEdit,
    PlannedModuleRead,
    PlanStateRead,
    PlanVersionRead,
    QuestionnaireScheduleRead,
    SignRequest,
    TaskRead,
    TreatmentCourseRead,
    TreatmentEnd,
    WeekRead,
)
from painrewire.plans.tasks import Task
from painrewire.web.deps import SessionDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["plans"])
ERRORS = error_responses(401, 403, 404, 409, 422)
BASE = "/patients/{patient_id}/plan"


def version_read(view: plans.VersionView) -> PlanVersionRead:
    v, p = view.version, view.proposal
    return PlanVersionRead(
        id=v.id,
        patient_id=v.patient_id,
        number=v.number,
        status=v.status,
        created_at=v.created_at,
        created_by=PersonRead.model_validate(v.created_by) if v.created_by else None,
        change_reason=v.change_reason,
        starts_on=v.starts_on,
        signed_at=v.signed_at,
        signed_by=PersonRead.model_validate(v.signed_by) if v.signed_by else None,
        sign_note=v.sign_note,
        content=PlanContentRead(
            rules_version=p.rules_version,
            modules=[
                PlannedModuleRead(
                    id=m.id, sessions_per_week=m.sessions_per_week, weeks=m.weeks, focus=list(m.focus)
                )
                for m in p.modules
            ],
            disciplines=list(p.disciplines),
            questionnaires=[
                QuestionnaireScheduleRead(instrument=q.instrument, weeks=list(q.weeks))
                for q in p.questionnaires
            ],
            intensity=p.intensity,
            end_week=p.end_week,
            held=p.held,
            hold_reasons=list(p.hold_reasons),
            review_reasons=list(p.review_reasons),
            fired=[
                FiredRuleRead(
                    id=f.id,
                    reason_clinician=f.reason_clinician,
                    reason_patient=f.reason_patient,
                    href=f.href,
                    link_text=f.link_text,
                )
                for f in p.fired
            ],
        ),
        changes=view.changes,
    )


def _task(task: Task) -> TaskRead:
    return TaskRead(
        id=task.id,
        module=task.module,
        title=task.title,
        href=task.href,
        minutes=task.minutes,
        target=task.target,
        done=task.done,
        done_today=task.done_today,
        complete=task.complete,
    )


def _one(
    session: SessionDep, user: CurrentUser, patient_id: uuid.UUID, version_id: uuid.UUID
) -> PlanVersionRead:
    return version_read(plans.get_version(session, user, patient_id, version_id))


@router.get(
    BASE,
    response_model=PlanStateRead,
    summary="The signed plan, the newest version and any hold",
    responses=ERRORS,
)
def get_plan(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> PlanStateRead:
    state = plans.plan_state(session, user, patient_id)
    return PlanStateRead(
        patient_id=state.patient.id,
        current=version_read(state.current) if state.current else None,
        latest=version_read(state.latest) if state.latest else None,
        holds=[
            HoldRead(kind=h.kind, reason=h.reason, patient_message=h.patient_message) for h in state.holds
        ],
        can_sign=state.can_sign,
        cannot_sign_because=state.cannot_sign_because,
    )


@router.get(
    f"{BASE}/versions",
    response_model=list[PlanVersionRead],
    summary="Every version, newest first, with who, when, why and what changed",
    responses=ERRORS,
)
def list_versions(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[PlanVersionRead]:
    return [version_read(v) for v in plans.versions(session, user, patient_id)]


@router.get(
    f"{BASE}/versions/{{version_id}}", response_model=PlanVersionRead, summary="One version", responses=ERRORS
)
def get_version(
    patient_id: uuid.UUID, version_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> PlanVersionRead:
    return _one(session, user, patient_id, version_id)


@router.post(
    f"{BASE}/proposals",
    response_model=PlanVersionRead,
    status_code=201,
    summary="Run the clinic's rules on the current assessment: a new proposed version with every fired rule",
    responses=ERRORS,
)
def propose(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> PlanVersionRead:
    version = plans.propose(session, user, patient_id)
    return _one(session, user, patient_id, version.id)


@router.post(
    f"{BASE}/versions",
    response_model=PlanVersionRead,
    status_code=201,
    summary="A clinician's edit: the whole plan as it should be, and why (a new proposed version)",
    responses=ERRORS,
)
def edit(patient_id: uuid.UUID, data: PlanEdit, user: CurrentUser, session: SessionDep) -> PlanVersionRead:
    version = plans.edit(session, user, patient_id, data)
    return _one(session, user, patient_id, version.id)


@router.post(
    f"{BASE}/versions/{{version_id}}/sign",
    response_model=PlanVersionRead,
    summary="Sign the newest proposed version (refused while the plan is held by a safety alert)",
    responses=ERRORS,
)
def sign(
    patient_id: uuid.UUID, version_id: uuid.UUID, data: SignRequest, user: CurrentUser, session: SessionDep
) -> PlanVersionRead:
    signed = plans.sign(session, user, patient_id, version_id, note=data.note)
    return _one(session, user, patient_id, signed.version.id)


@router.post(
    f"{BASE}/questionnaires/assign-due",
    response_model=list[str],
    summary="Assign every questionnaire the signed plan has due now; returns the instruments assigned",
    responses=ERRORS,
)
def assign_due(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[str]:
    return plans.assign_due_questionnaires(session, user, patient_id)


@router.get(
    f"{BASE}/tasks",
    response_model=WeekRead,
    summary="This plan week's tasks with what is done, what is next, questionnaires due and the streak",
    responses=ERRORS,
)
def tasks(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> WeekRead:
    week = plans.this_week(session, user, patient_id)
    upcoming = week.next_task
    return WeekRead(
        patient_id=patient_id,
        today=week.today,
        plan_version=week.plan.version.number if week.plan else None,
        paused=week.paused,
        pause_messages=[h.patient_message for h in week.holds],
        week=week.week,
        week_starts=week.week_starts,
        week_ends=week.week_ends,
        tasks=[] if week.paused else [_task(t) for t in week.tasks],
        next_task=_task(upcoming) if upcoming else None,
        questionnaires_due=[
            DueQuestionnaireRead(
                instrument=q.occurrence.instrument,
                name=q.name,
                week=q.occurrence.week,
                due_on=q.occurrence.due_on,
                status=q.occurrence.status.value,
                overdue=q.occurrence.overdue,
                href=q.href,
            )
            for q in week.questionnaires_due
        ],
        streak_days=week.streak_days,
        days_practised_this_week=week.days_practised_this_week,
    )


def _course_read(patient_id: uuid.UUID, view: courses.CourseView) -> TreatmentCourseRead:
    course, start, end = view.course, view.start, view.end
    return TreatmentCourseRead(
        patient_id=patient_id,
        treatment_started_on=start.day if start else None,
        start_source=start.source if start else None,
        ended_on=view.ended_on,
        end_reason=course.end_reason if course else None,
        planned_end=view.planned_end,
        follow_ups={t: follow_up_due(end, t) for t in TimePoint} if end and start else {},
    )


@router.get(
    "/patients/{patient_id}/treatment-course",
    response_model=TreatmentCourseRead,
    summary="When treatment started and ended, and when each follow-up falls due",
    responses=ERRORS,
)
def get_course(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> TreatmentCourseRead:
    view = courses.course_view(session, user, patient_id)
    return _course_read(patient_id, view)


@router.post(
    "/patients/{patient_id}/treatment-course/end",
    response_model=TreatmentCourseRead,
    summary="A care-team clinician records the end of treatment; follow-ups count from it",
    responses=ERRORS,
)
def end_course(
    patient_id: uuid.UUID, data: TreatmentEnd, user: CurrentUser, session: SessionDep
) -> TreatmentCourseRead:
    courses.end_treatment(
        session, user, patient_id, ended_on=data.ended_on, reason=data.reason, note=data.note
    )
    return _course_read(patient_id, courses.course_view(session, user, patient_id))
