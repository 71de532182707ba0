"""API shapes for plans: versions with their fired rules and changes, clinician edits, sign-off, this week."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from painrewire.diary.outcomes import StartSource, TimePoint
from painrewire.plans.models import EndReason, VersionStatus
from painrewire.plans.rules import MODULE_FOCUS


class ModuleId(enum.StrEnum):
    PRT = "prt"
    GMI = "gmi"
    CBT = "cbt"
    MINDFULNESS = "mindfulness"
    NEUROFEEDBACK = "neurofeedback"


class DisciplineId(enum.StrEnum):
    PAIN_SPECIALIST = "pain_specialist"
    PHYSICAL_THERAPIST = "physical_therapist"
    PSYCHOLOGIST = "psychologist"
    NEUROFEEDBACK_PRACTITIONER = "neurofeedback_practitioner"


class InstrumentId(enum.StrEnum):
    PEG = "peg"
    BPI = "bpi"
    ODI = "odi"
    RMDQ = "rmdq"
    PCS = "pcs"
    TSK11 = "tsk11"
    PHQ9 = "phq9"
    GAD7 = "gad7"
    STARTBACK = "startback"
    PSEQ = "pseq"
    CSI = "csi"


class ScheduleWord(enum.StrEnum):
    BASELINE = "baseline"
    EVERY_2_WEEKS = "every_2_weeks"
    END = "end"


class Intensity(enum.StrEnum):
    EDUCATION_ONLY = "education_only"
    STANDARD = "standard"
    INTENSIVE = "intensive"


# --- reading --------------------------------------------------------------------------------------------


class PlannedModuleRead(BaseModel):
    id: str
    sessions_per_week: int
    weeks: int
    focus: list[str]


class QuestionnaireScheduleRead(BaseModel):
    instrument: str
    weeks: list[int]


class FiredRuleRead(BaseModel):
    id: str
    reason_clinician: str
    reason_patient: str
    href: str | None = Field(default=None, description="Where the patient can act on the reason, if anywhere")
    link_text: str | None = Field(default=None, description="The words of that link")


class PlanContentRead(BaseModel):
    rules_version: str
    modules: list[PlannedModuleRead]
    disciplines: list[str]
    questionnaires: list[QuestionnaireScheduleRead]
    intensity: str
    end_week: int
    held: bool = Field(description="The rules held this version (a red flag or open alert when it was made)")
    hold_reasons: list[str]
    review_reasons: list[str]
    fired: list[FiredRuleRead] = Field(description="Every rule that fired, with its reasons in plain words")


class PersonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    full_name: str


class PlanVersionRead(BaseModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    number: int
    status: VersionStatus
    created_at: datetime
    created_by: PersonRead | None
    change_reason: str
    starts_on: date
    signed_at: datetime | None
    signed_by: PersonRead | None
    sign_note: str
    content: PlanContentRead
    changes: list[str] = Field(description="What changed from the version before, in sentences")


class HoldRead(BaseModel):
    kind: str
    reason: str = Field(description="For the clinician: the open alert")
    patient_message: str


class PlanStateRead(BaseModel):
    patient_id: uuid.UUID
    current: PlanVersionRead | None = Field(description="The signed version the patient follows")
    latest: PlanVersionRead | None = Field(description="The newest version, signed or waiting")
    holds: list[HoldRead] = Field(description="Open safety alerts holding the plan: it cannot be signed")
    can_sign: bool
    cannot_sign_because: list[str]


class TaskRead(BaseModel):
    id: str
    module: str
    title: str
    href: str
    minutes: int
    target: int
    done: int
    done_today: int
    complete: bool


class DueQuestionnaireRead(BaseModel):
    instrument: str
    name: str
    week: int
    due_on: date
    status: str
    overdue: bool
    href: str


class WeekRead(BaseModel):
    patient_id: uuid.UUID
    today: date
    plan_version: int | None
    paused: bool
    pause_messages: list[str]
    week: int | None
    week_starts: date | None
    week_ends: date | None
    tasks: list[TaskRead]
    next_task: TaskRead | None
    questionnaires_due: list[DueQuestionnaireRead]
    streak_days: int
    days_practised_this_week: int


# --- writing --------------------------------------------------------------------------------------------


class PlannedModuleWrite(BaseModel):
    id: ModuleId
    sessions_per_week: int = Field(ge=1, le=14)
    weeks: int = Field(ge=1, le=52)
    focus: list[str] = Field(default_factory=list, max_length=10)

    @field_validator("focus")
    @classmethod
    def _no_repeats(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    def check_focus(self) -> list[str]:
        """Focus names this module does not have (checked by the service, which knows the module)."""
        return [f for f in self.focus if f not in MODULE_FOCUS[self.id.value]]


class QuestionnaireWrite(BaseModel):
    instrument: InstrumentId
    schedule: list[ScheduleWord] = Field(min_length=1, max_length=3)


class PlanEdit(BaseModel):
    """A clinician's new version: the whole plan as it should be, and why it changes."""

    reason: str = Field(
        min_length=3, max_length=2000, description="Why the plan changes; kept with the version"
    )
    modules: list[PlannedModuleWrite] = Field(max_length=5)
    disciplines: list[DisciplineId] = Field(max_length=4)
    questionnaires: list[QuestionnaireWrite] = Field(default_factory=list, max_length=11)
    intensity: Intensity | None = Field(default=None, description="Unchanged when left out")
    starts_on: date | None = Field(default=None, description="Unchanged when left out")


class SignRequest(BaseModel):
    note: str = Field(default="", max_length=2000, description="Optional note kept with the signature")


# --- the course of treatment ----------------------------------------------------------------------------


class TreatmentEnd(BaseModel):
    """A clinician records the end of treatment (discharge): follow-ups at 3, 6 and 12 months count from it."""

    ended_on: date = Field(
        description="The last day of treatment, in the patient's calendar; not in the future"
    )
    reason: EndReason
    note: str = Field(default="", max_length=2000, description="Optional note kept with the end")


class TreatmentCourseRead(BaseModel):
    """When treatment started and ended (or is planned to end), and each follow-up time point's due day."""

    patient_id: uuid.UUID
    treatment_started_on: date | None
    start_source: StartSource | None
    ended_on: date | None
    end_reason: EndReason | None
    planned_end: date | None
    follow_ups: dict[TimePoint, date] = Field(
        description="Due day of each follow-up (end, 3, 6, 12 months), from the end recorded or planned"
    )
