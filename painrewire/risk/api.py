"""JSON routes for risk assessments, safety plans, and pausing or resuming practice on a self-harm alert."""

from __future__ import annotations

import uuid

from painrewire.accounts.deps import CurrentUser
from painrewire.assessments import alerts
from painrewire.assessments.schemas import AlertRead
from painrewire.db import utcnow
from painrewire.risk import service as risk
from painrewire.risk.models import SafetyPlan
from painrewire.risk.schemas import (
    PracticeHold,
    RiskAssessmentCreate,
    RiskAssessmentRead,
    SafetyPlanCreate,
    SafetyPlanRead,
    SafetyPlanWithdraw,
)
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["risk"])
ERRORS = error_responses(401, 403, 404, 422)
WRITE_ERRORS = error_responses(401, 403, 404, 409, 422)


def _plan(plan: SafetyPlan, current: bool) -> SafetyPlanRead:
    return SafetyPlanRead.model_validate(plan).model_copy(update={"current": current})


@router.post(
    "/patients/{patient_id}/risk-assessments",
    response_model=RiskAssessmentRead,
    status_code=201,
    summary="Record a structured suicide and self-harm risk assessment (a self-harm reviewer on the care team)",
    responses=ERRORS,
)
def record_risk_assessment(
    patient_id: uuid.UUID,
    data: RiskAssessmentCreate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> RiskAssessmentRead:
    assessment = risk.record_risk_assessment(session, user, patient_id, data, settings=settings)
    return RiskAssessmentRead.model_validate(assessment)


@router.get(
    "/patients/{patient_id}/risk-assessments",
    response_model=list[RiskAssessmentRead],
    summary="A patient's risk assessments, newest first (the care team)",
    responses=ERRORS,
)
def list_risk_assessments(
    patient_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> list[RiskAssessmentRead]:
    return [
        RiskAssessmentRead.model_validate(a) for a in risk.list_risk_assessments(session, user, patient_id)
    ]


@router.post(
    "/patients/{patient_id}/safety-plans",
    response_model=SafetyPlanRead,
    status_code=201,
    summary="Save a new version of the safety plan made with the patient (a self-harm reviewer on the care team)",
    responses=WRITE_ERRORS,
)
def save_safety_plan(
    patient_id: uuid.UUID,
    data: SafetyPlanCreate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> SafetyPlanRead:
    plan = risk.save_safety_plan(session, user, patient_id, data, settings=settings)
    return _plan(plan, risk.is_current(plan, settings, utcnow()))


@router.get(
    "/patients/{patient_id}/safety-plans",
    response_model=list[SafetyPlanRead],
    summary="Every version of a patient's safety plan, newest first (the care team)",
    responses=ERRORS,
)
def list_safety_plans(
    patient_id: uuid.UUID, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> list[SafetyPlanRead]:
    plans = risk.plan_history(session, user, patient_id)
    now = utcnow()
    return [_plan(p, n == 0 and risk.is_current(p, settings, now)) for n, p in enumerate(plans)]


@router.get(
    "/patients/{patient_id}/safety-plan",
    response_model=SafetyPlanRead,
    summary="The patient's safety plan as it stands (the patient themself, or the care team)",
    responses=ERRORS,
)
def read_safety_plan(
    patient_id: uuid.UUID, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> SafetyPlanRead:
    plan = risk.read_safety_plan(session, user, patient_id)
    return _plan(plan, risk.is_current(plan, settings, utcnow()))


@router.post(
    "/patients/{patient_id}/safety-plans/{plan_id}/withdraw",
    response_model=SafetyPlanRead,
    summary="Withdraw the newest version of the safety plan, with a reason (a self-harm reviewer)",
    responses=WRITE_ERRORS,
)
def withdraw_safety_plan(
    patient_id: uuid.UUID,
    plan_id: uuid.UUID,
    data: SafetyPlanWithdraw,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> SafetyPlanRead:
    plan = risk.withdraw_safety_plan(
        session, user, patient_id, plan_id, reason=data.reason, settings=settings
    )
    return _plan(plan, False)


@router.post(
    "/alerts/{alert_id}/practice-hold",
    response_model=AlertRead,
    summary="Pause the patient's practice on an open self-harm alert, or let it go on (who may close it)",
    responses=WRITE_ERRORS,
)
def set_practice_hold(
    alert_id: uuid.UUID, data: PracticeHold, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> AlertRead:
    alert = alerts.set_practice_hold(session, user, alert_id, hold=data.hold, settings=settings)
    return AlertRead.model_validate(alert)
