"""API shapes for risk assessments, safety plans and pausing practice on a self-harm alert."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from painrewire.risk.models import RiskLevel

MAX_TEXT = 4000
#: Lines in one section of a safety plan, and characters in one line.
MAX_LINES = 12
MAX_LINE = 300


class RiskAssessmentCreate(BaseModel):
    """The clinician's record of a risk conversation: each domain answered yes or no, then the judgement."""

    thoughts_of_death: bool = Field(description="Thoughts of death, or of being better off dead (past month)")
    suicidal_thoughts: bool = Field(description="Active thoughts of ending their life (past month)")
    method: bool = Field(description="Has thought about how they would do it")
    intent: bool = Field(description="Some intention of acting on the thoughts")
    plan: bool = Field(description="Has worked out details or a plan, and intends to carry it out")
    recent_behaviour: bool = Field(description="Self-harm or suicidal behaviour in the last 3 months")
    protective_factors: str = Field(max_length=MAX_TEXT, description="What keeps them safe")
    access_to_means: str = Field(max_length=MAX_TEXT, description="Access to means, and what was agreed")
    risk_level: RiskLevel = Field(description="The clinician's overall judgement")
    judgement_reason: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description="Why the judgement is lower than the answers point to (required then)",
    )
    actions: list[str] = Field(max_length=12, description="Codes of the actions taken (see the page's list)")
    note: str = Field(max_length=MAX_TEXT, description="The clinician's formulation and what was agreed")
    alert_id: uuid.UUID | None = Field(
        default=None, description="The self-harm alert this assessment answers"
    )


class RiskAssessmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    assessed_at: datetime
    assessed_by_id: uuid.UUID | None
    alert_id: uuid.UUID | None
    thoughts_of_death: bool
    suicidal_thoughts: bool
    method: bool
    intent: bool
    plan: bool
    recent_behaviour: bool
    protective_factors: str
    access_to_means: str
    indicated_level: RiskLevel
    risk_level: RiskLevel
    judgement_reason: str | None
    actions: list[str]
    note: str


Lines = list[str]


class SafetyPlanCreate(BaseModel):
    """A new version of the safety plan, written with the patient (every section, in their words)."""

    warning_signs: Lines = Field(max_length=MAX_LINES)
    coping_strategies: Lines = Field(max_length=MAX_LINES)
    distractions: Lines = Field(max_length=MAX_LINES)
    people_to_ask: Lines = Field(max_length=MAX_LINES)
    professionals: Lines | None = Field(
        default=None,
        max_length=MAX_LINES,
        description="Left out: the clinic's phone, the crisis line and the emergency number",
    )
    safe_environment: Lines = Field(max_length=MAX_LINES)
    made_with_patient: bool = Field(description="The plan was written together with the patient")
    based_on_version: int | None = Field(
        default=None, ge=1, description="The version this one revises; a newer one saved meanwhile is a 409"
    )


class SafetyPlanWithdraw(BaseModel):
    reason: str = Field(max_length=MAX_TEXT)


class SafetyPlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    version: int
    written_at: datetime
    written_by_id: uuid.UUID | None
    warning_signs: Lines
    coping_strategies: Lines
    distractions: Lines
    people_to_ask: Lines
    professionals: Lines
    safe_environment: Lines
    withdrawn_at: datetime | None
    withdrawal_reason: str | None
    current: bool = Field(default=False, description="Latest, not withdrawn, and reviewed recently enough")


class PracticeHold(BaseModel):
    hold: bool = Field(description="True pauses the patient's practice on this alert; false lets it go on")
