"""Builders for the risk tests: care-team members by discipline, a risk assessment and a safety plan."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline, Role, User
from painrewire.assessments import service as assessments
from painrewire.assessments.models import SafetyAlert
from painrewire.config import Settings
from painrewire.patients.models import CareTeamMember, Patient
from painrewire.risk import service as risk
from painrewire.risk.models import RiskAssessment, SafetyPlan
from painrewire.risk.schemas import RiskAssessmentCreate, SafetyPlanCreate
from tests.fixtures.factories import create_user

#: PHQ-9 with item 9 answered "several days" (1): total 9.
PHQ_ITEM9_POSITIVE = [1, 1, 1, 1, 1, 1, 1, 1, 1]
PHQ_ITEM9_ZERO = [1, 1, 1, 1, 1, 1, 1, 1, 0]
WARNING_SIGN = "Lying awake after a bad pain day, thinking nobody would miss me"


def member(session: Session, patient: Patient, discipline: Discipline) -> User:
    """A clinician of this discipline, put on the patient's care team."""
    user = create_user(session, role=Role.CLINICIAN, discipline=discipline)
    session.add(CareTeamMember(patient_id=patient.id, clinician_id=user.id))
    session.flush()
    return user


def plan_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "warning_signs": [WARNING_SIGN, "Staying in my room all day"],
        "coping_strategies": ["Walk the dog round the block", "Play guitar for ten minutes"],
        "distractions": ["Coffee with Sam at the corner cafe", "The library on Saturday"],
        "people_to_ask": ["My sister Ana, 07700 900123"],
        "safe_environment": ["Ana keeps my spare tablets at her flat"],
        "made_with_patient": True,
    }
    return body | changes


def assessment_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "thoughts_of_death": True,
        "suicidal_thoughts": False,
        "method": False,
        "intent": False,
        "plan": False,
        "recent_behaviour": False,
        "protective_factors": "Her daughter and grandchildren; looking forward to her garden",
        "access_to_means": "Keeps a week of tablets; agreed her son holds the rest",
        "risk_level": "low",
        "actions": ["safety_plan", "follow_up_booked"],
        "note": "Passive thoughts on bad pain days, no active ideation; plan made together.",
    }
    return body | changes


def make_plan(
    session: Session, clinician: User, patient: Patient, settings: Settings, *, at: datetime | None = None
) -> SafetyPlan:
    return risk.save_safety_plan(
        session,
        clinician,
        patient.id,
        SafetyPlanCreate.model_validate(plan_body()),
        settings=settings,
        now=at,
    )


def make_assessment(
    session: Session, clinician: User, patient: Patient, settings: Settings, **changes: Any
) -> RiskAssessment:
    data = RiskAssessmentCreate.model_validate(assessment_body(**changes))
    return risk.record_risk_assessment(session, clinician, patient.id, data, settings=settings)


def positive_phq9(session: Session, patient: Patient) -> SafetyAlert:
    """The patient answers PHQ-9 item 9 above 0; returns the alert it opened."""
    submission = assessments.submit_response(session, patient.user, patient.id, "phq9", PHQ_ITEM9_POSITIVE)
    assert len(submission.alerts) == 1
    return submission.alerts[0]
