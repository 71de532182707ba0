"""JSON routes for CBT for pain: thought records and their trend, activity pacing, graded exposure."""

from __future__ import annotations

import uuid

from painrewire.accounts.deps import CurrentUser
from painrewire.programs.cbt import service as cbt
from painrewire.programs.cbt import trends
from painrewire.programs.cbt.content import distortions
from painrewire.programs.cbt.schemas import (
    DistortionRead,
    DistortionTrendRead,
    ExposureAttemptCreate,
    ExposureAttemptRead,
    ExposureHierarchyRead,
    ExposureItemCreate,
    ExposureItemRead,
    ExposureRerate,
    PacingActivityCreate,
    PacingActivityRead,
    PacingWeekLog,
    PacingWeekRead,
    ThoughtRecordCreate,
    ThoughtRecordRead,
    WeekCountsRead,
)
from painrewire.web.deps import SessionDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["cbt"])
ERRORS = error_responses(401, 403, 404, 409, 422)


def _plan(plan: cbt.PacingPlan) -> PacingActivityRead:
    a = plan.activity
    return PacingActivityRead(
        id=a.id,
        name=a.name,
        unit=a.unit,
        measurements=list(a.measurements),
        baseline=a.baseline,
        start_percent=a.start_percent,
        increment_percent=a.increment_percent,
        weeks=a.weeks,
        starts_on=a.starts_on,
        goal=a.goal,
        goal_week=plan.goal_week,
        current_week=plan.current_week,
        plan=[
            PacingWeekRead(
                week=w.week, starts_on=w.starts_on, target=w.target, actual=w.actual, status=w.status
            )
            for w in plan.weeks
        ],
    )


def _hierarchy(ladder: cbt.Hierarchy) -> ExposureHierarchyRead:
    earlier, later = ladder.gap_trend
    return ExposureHierarchyRead(
        items=[
            ExposureItemRead(
                id=s.item.id,
                movement=s.item.movement,
                fear_rating=s.item.fear_rating,
                notes=s.item.notes,
                attempts=[ExposureAttemptRead.model_validate(a) for a in s.attempts],
                mean_gap=s.mean_gap,
            )
            for s in ladder.steps
        ],
        mean_gap=ladder.mean_gap,
        earlier_gap=earlier,
        later_gap=later,
    )


@router.get(
    "/cbt/distortions",
    response_model=list[DistortionRead],
    summary="The thinking traps a thought record can be tagged with, each with a plain explanation",
    responses=error_responses(401),
)
def list_distortions(user: CurrentUser) -> list[DistortionRead]:
    return [
        DistortionRead(id=d.id, label=d.label, explanation=d.explanation, example=d.example)
        for d in distortions().values()
    ]


@router.get(
    "/patients/{patient_id}/cbt/thought-records",
    response_model=list[ThoughtRecordRead],
    summary="A patient's thought records, newest first",
    responses=ERRORS,
)
def list_thought_records(
    patient_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> list[ThoughtRecordRead]:
    return [ThoughtRecordRead.model_validate(r) for r in cbt.thought_records(session, user, patient_id)]


@router.post(
    "/patients/{patient_id}/cbt/thought-records",
    response_model=ThoughtRecordRead,
    status_code=201,
    summary="Save a thought record (logged as practice 'thought_record')",
    responses=ERRORS,
)
def create_thought_record(
    patient_id: uuid.UUID, data: ThoughtRecordCreate, user: CurrentUser, session: SessionDep
) -> ThoughtRecordRead:
    return ThoughtRecordRead.model_validate(cbt.create_thought_record(session, user, patient_id, data))


@router.get(
    "/patients/{patient_id}/cbt/thought-records/{record_id}",
    response_model=ThoughtRecordRead,
    summary="One thought record",
    responses=ERRORS,
)
def get_thought_record(
    patient_id: uuid.UUID, record_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> ThoughtRecordRead:
    return ThoughtRecordRead.model_validate(cbt.thought_record(session, user, patient_id, record_id))


@router.get(
    "/patients/{patient_id}/cbt/distortion-trend",
    response_model=DistortionTrendRead,
    summary="Thinking traps tagged per week (Monday to Sunday), and the most common ones",
    responses=ERRORS,
)
def distortion_trend(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> DistortionTrendRead:
    weeks = cbt.distortion_trend(session, user, patient_id)
    return DistortionTrendRead(
        weeks=[WeekCountsRead(week=w.week, records=w.records, counts=w.counts) for w in weeks],
        most_common=trends.most_common(weeks),
    )


@router.get(
    "/patients/{patient_id}/cbt/pacing",
    response_model=list[PacingActivityRead],
    summary="A patient's paced activities, each with its weekly plan against what was done",
    responses=ERRORS,
)
def list_pacing(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[PacingActivityRead]:
    return [_plan(p) for p in cbt.pacing_plans(session, user, patient_id)]


@router.post(
    "/patients/{patient_id}/cbt/pacing",
    response_model=PacingActivityRead,
    status_code=201,
    summary="Start pacing an activity from measured baseline days",
    responses=ERRORS,
)
def create_pacing(
    patient_id: uuid.UUID, data: PacingActivityCreate, user: CurrentUser, session: SessionDep
) -> PacingActivityRead:
    activity = cbt.create_pacing_activity(session, user, patient_id, data)
    return _plan(cbt.pacing_plan(session, user, patient_id, activity.id))


@router.put(
    "/patients/{patient_id}/cbt/pacing/{activity_id}/weeks/{week}",
    response_model=PacingActivityRead,
    summary="Log (or correct) what was done in one plan week",
    responses=ERRORS,
)
def log_pacing_week(
    patient_id: uuid.UUID,
    activity_id: uuid.UUID,
    week: int,
    data: PacingWeekLog,
    user: CurrentUser,
    session: SessionDep,
) -> PacingActivityRead:
    cbt.log_pacing_week(session, user, patient_id, activity_id, week, data.actual)
    return _plan(cbt.pacing_plan(session, user, patient_id, activity_id))


@router.get(
    "/patients/{patient_id}/cbt/exposure",
    response_model=ExposureHierarchyRead,
    summary="The exposure hierarchy, least feared first, with predicted and felt fear of each exposure",
    responses=ERRORS,
)
def get_hierarchy(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> ExposureHierarchyRead:
    return _hierarchy(cbt.hierarchy(session, user, patient_id))


@router.post(
    "/patients/{patient_id}/cbt/exposure",
    response_model=ExposureHierarchyRead,
    status_code=201,
    summary="Add a feared movement to the hierarchy",
    responses=ERRORS,
)
def add_exposure_item(
    patient_id: uuid.UUID, data: ExposureItemCreate, user: CurrentUser, session: SessionDep
) -> ExposureHierarchyRead:
    cbt.add_exposure_item(session, user, patient_id, data)
    return _hierarchy(cbt.hierarchy(session, user, patient_id))


@router.put(
    "/patients/{patient_id}/cbt/exposure/{item_id}/rating",
    response_model=ExposureHierarchyRead,
    summary="Re-rate how frightening a movement feels",
    responses=ERRORS,
)
def rerate_exposure_item(
    patient_id: uuid.UUID, item_id: uuid.UUID, data: ExposureRerate, user: CurrentUser, session: SessionDep
) -> ExposureHierarchyRead:
    cbt.rerate_exposure_item(session, user, patient_id, item_id, data.fear_rating)
    return _hierarchy(cbt.hierarchy(session, user, patient_id))


@router.post(
    "/patients/{patient_id}/cbt/exposure/{item_id}/attempts",
    response_model=ExposureAttemptRead,
    status_code=201,
    summary="Record one exposure: fear predicted before and felt after (logged as practice 'exposure')",
    responses=ERRORS,
)
def log_exposure_attempt(
    patient_id: uuid.UUID,
    item_id: uuid.UUID,
    data: ExposureAttemptCreate,
    user: CurrentUser,
    session: SessionDep,
) -> ExposureAttemptRead:
    return ExposureAttemptRead.model_validate(
        cbt.log_exposure_attempt(session, user, patient_id, item_id, data)
    )
