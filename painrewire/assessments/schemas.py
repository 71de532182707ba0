"""API shapes for intake, questionnaires and safety alerts."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from fractions import Fraction
from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from painrewire.assessments.models import AlertKind, AssignmentStatus
from painrewire.assessments.red_flags import RedFlagAnswer
from painrewire.content import ContentModel


class Onset(enum.StrEnum):
    INJURY = "injury"
    GRADUAL = "gradual"
    STRESS = "stress"
    UNKNOWN = "unknown"


class PainLocation(enum.StrEnum):
    LOWER_BACK = "lower_back"
    UPPER_BACK = "upper_back"
    WHOLE_BACK = "whole_back"
    NECK_AND_BACK = "neck_and_back"


CHRONIC_WEEKS = 12


def _weeks(value: Any) -> Fraction:
    try:
        weeks = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise ValueError(
            f"weeks per unit must be a number or a fraction such as 52/12, got {value!r}"
        ) from None
    if weeks <= 0:
        raise ValueError(f"weeks per unit must be more than 0, got {value!r}")
    return weeks


class IntakeWords(ContentModel):
    """``intake.yaml``: the words of the intake form's choices, and weeks per duration unit."""

    entry_names: ClassVar[Mapping[str, tuple[str, ...]]] = {
        "onsets": ("onset",),
        "locations": ("location",),
        "duration_units": ("duration unit",),
    }

    onsets: dict[Onset, str]
    locations: dict[PainLocation, str]
    duration_units: dict[str, Annotated[Fraction, BeforeValidator(_weeks)]]


class IntakeCreate(BaseModel):
    pain_duration_weeks: int = Field(ge=0, le=5200, description="How long the back pain has lasted, in weeks")
    onset: Onset
    pain_location: PainLocation
    leg_pain: bool = False
    average_pain_last_week: int = Field(ge=0, le=10, description="Average pain over the last week, 0-10")
    history: str = Field(default="", max_length=4000)
    previous_treatments: str = Field(default="", max_length=4000)
    goals: str = Field(default="", max_length=2000)
    age_years: int | None = Field(
        default=None,
        ge=16,
        le=120,
        description="The patient's age in years. Needed only when their record has no date of birth; "
        "when it has one, the age comes from the date of birth and this is ignored.",
    )
    red_flags: dict[str, RedFlagAnswer] = Field(
        description="Every red-flag question id answered 'no', 'new' (yes, new or getting worse in the last "
        "few weeks) or 'longstanding' (yes, but long-standing and unchanged); true/false are refused"
    )


class RedFlagRead(BaseModel):
    question_id: str
    condition: str
    urgency: str
    message: str


class IntakeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    created_at: datetime
    pain_duration_weeks: int
    chronic: bool
    onset: str
    pain_location: str
    leg_pain: bool
    average_pain_last_week: int
    history: str
    previous_treatments: str
    goals: str
    red_flags: list[dict[str, Any]]
    red_flag_version: str


class ResponseCreate(BaseModel):
    answers: list[int | None] = Field(
        max_length=100, description="Answers in item order; null for not answered"
    )
    declined_items: list[int] = Field(
        default_factory=list, max_length=100, description="1-based items declined"
    )


class ResponseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    instrument_id: str
    scoring_version: str
    completed_at: datetime
    answers: list[int | None]
    declined_items: list[int]
    total: float | None
    band: str | None
    subscales: dict[str, float]
    flags: list[str]
    valid: bool
    messages: list[str]


class AssignmentCreate(BaseModel):
    instrument_id: str = Field(min_length=1, max_length=32)
    due_on: date | None = None


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    instrument_id: str
    due_on: date | None
    status: AssignmentStatus
    created_at: datetime
    assigned_by_id: uuid.UUID | None
    response_id: uuid.UUID | None


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    kind: AlertKind
    urgency: str
    summary: str
    details: dict[str, Any]
    intake_id: uuid.UUID | None
    response_id: uuid.UUID | None
    raised_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by_id: uuid.UUID | None
    acknowledgement_note: str | None
    action_taken: str | None
    holds_practice: bool
    escalated_at: datetime | None


class AlertAcknowledge(BaseModel):
    action: str = Field(
        max_length=48,
        description="What was done, one of the actions for the alert's kind (red flag: sent_to_emergency_department, "
        "same_day_medical_review, investigations_or_referral, gp_informed, reviewed_long_standing, "
        "reviewed_not_serious; self-harm: risk_assessed_safety_plan, emergency_services, gp_informed, "
        "asked_no_current_risk, spoke_with_patient_follow_up)",
    )
    note: str = Field(max_length=4000, description="What was done, in words; kept with the alert")


class SubmissionRead(BaseModel):
    """What happened when answers were submitted: the record, and any safety alerts it raised."""

    response: ResponseRead | None = None
    intake: IntakeRead | None = None
    alerts: list[AlertRead]


# --- instrument definitions -----------------------------------------------------------------------------


class OptionRead(BaseModel):
    value: int
    code: str
    label: str


class ItemRead(BaseModel):
    number: int
    label: str = Field(description="Neutral label, always present")
    text: str | None = Field(description="Wording shown to patients; null where the licence keeps it out")
    options: list[OptionRead]
    anchors: list[str] | None
    safety: bool = Field(description="Always asked and never skippable (PHQ-9 item 9)")
    loinc: str | None


class SubscaleRead(BaseModel):
    id: str
    label: str
    items: list[int]
    method: str
    min_answered: int
    loinc: str | None


class BandRead(BaseModel):
    label: str
    low: float | None
    high: float | None
    subscale: str | None
    subscale_low: float | None
    subscale_high: float | None


class LicenceRead(BaseModel):
    item_text_included: bool
    holder: str
    terms: str
    attribution: str | None
    note: str | None


class LoincRead(BaseModel):
    panel: str | None
    total: str | None
    subscales: dict[str, str]
    answer_list: str | None


class InstrumentRead(BaseModel):
    id: str
    name: str
    short_name: str
    description: str
    recall: str
    instructions: str | None
    scoring_version: str
    total_method: str
    min_total: float | None
    max_total: float | None
    higher_is_better: bool
    missing_rule: str
    max_missing: int
    missing_rule_source: str
    subscales: list[SubscaleRead]
    bands: list[BandRead]
    flags: list[str]
    citation: str
    licence: LicenceRead
    loinc: LoincRead
    text_source: str | None = Field(description="shipped, clinic (licensed wording loaded), or null")
    patient_can_fill: bool
    items: list[ItemRead]
