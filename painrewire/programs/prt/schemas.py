"""API shapes for pain reprocessing therapy: lessons and quizzes, checklist, journal, somatic tracking, course."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

Rating = Field(ge=0, le=10)


def _text(value: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise ValueError("please write a few words here")
    return stripped


# --- lessons --------------------------------------------------------------------------------------------


class LessonProgressRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    opened_at: datetime
    quiz_attempts: int
    best_score: int | None
    quiz_total: int | None
    passed_at: datetime | None


class LessonSummaryRead(BaseModel):
    id: str
    order: int
    title: str
    minutes: int
    summary: str
    state: str = Field(description="new, opened or passed")
    progress: LessonProgressRead | None


class QuizOptionRead(BaseModel):
    index: int
    text: str


class QuizQuestionRead(BaseModel):
    id: str
    question: str
    options: list[QuizOptionRead] = Field(description="The right answer is checked on the server, never sent")


class LessonRead(LessonSummaryRead):
    body_html: str
    sources: list[str]
    pass_mark: int
    quiz: list[QuizQuestionRead]


class QuizSubmit(BaseModel):
    answers: dict[str, int] = Field(
        description="Question id -> chosen option index (0-based), one for every question", max_length=20
    )


class AnswerResultRead(BaseModel):
    question_id: str
    chosen: int
    correct: bool
    correct_index: int = Field(description="Shown after answering, with the explanation")
    feedback: str
    explanation: str


class QuizResultRead(BaseModel):
    lesson_id: str
    score: int
    total: int
    pass_mark: int
    passed: bool
    answers: list[AnswerResultRead]
    progress: LessonProgressRead


# --- checklist ------------------------------------------------------------------------------------------


class ChecklistWrite(BaseModel):
    answers: dict[str, bool] = Field(
        description="Item id -> yes (true) or no (false), every item", max_length=40
    )


class ChecklistItemRead(BaseModel):
    id: str
    text: str
    why: str
    waits_for_clinician: bool = Field(
        default=False,
        description="Not counted until a clinician has cleared the patient: it also points to other causes",
    )


class ChecklistRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    answers: dict[str, bool]
    endorsed: list[str]
    score: float = Field(description="How many signs were answered yes")
    level: str = Field(description="few, some or many: read by the plan rules")
    summary: str
    total: int
    before_clearance: bool = Field(
        default=False, description="Filled in before clearance: no verdict shown, `held` signs not counted"
    )
    held: list[str] = Field(default_factory=list, description="Signs answered yes but not counted")


class ChecklistStateRead(BaseModel):
    cleared: bool = Field(default=True, description="Whether the patient is cleared for practice")
    intro: str = ""
    items: list[ChecklistItemRead]
    latest: ChecklistRead | None


# --- reappraisal journal ----------------------------------------------------------------------------------


class JournalEntryWrite(BaseModel):
    pain_moment: str = Field(min_length=1, max_length=2000, description="When and where the pain came")
    danger_message: str = Field(min_length=1, max_length=2000, description="What the alarm seemed to say")
    safety_message: str = Field(min_length=1, max_length=2000, description="The safer, kinder message")
    pain_before: int | None = Field(default=None, ge=0, le=10)
    pain_after: int | None = Field(default=None, ge=0, le=10)

    _clean = field_validator("pain_moment", "danger_message", "safety_message")(_text)


class JournalEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    created_at: datetime
    pain_moment: str
    danger_message: str
    safety_message: str
    pain_before: int | None
    pain_after: int | None


# --- somatic tracking --------------------------------------------------------------------------------------


class SomaticTrackingWrite(BaseModel):
    pain_before: int = Rating
    fear_before: int = Rating
    pain_after: int = Rating
    fear_after: int = Rating
    seconds: int = Field(ge=1, le=3600, description="Time actually spent in the guided practice")


class SomaticTrackingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    day: date
    completed_at: datetime
    minutes: float
    pain_before: int | None
    pain_after: int | None
    fear_before: int | None
    fear_after: int | None


class SomaticStepRead(BaseModel):
    title: str
    seconds: int
    text: str


class SomaticScriptRead(BaseModel):
    title: str
    intro: str
    steps: list[SomaticStepRead]
    total_seconds: int


# --- the course ---------------------------------------------------------------------------------------------


class BookedSessionRead(BaseModel):
    appointment_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    status: str
    clinician_name: str | None


class CourseSessionRead(BaseModel):
    number: int
    week: int
    title: str
    aims: list[str]
    lessons: list[str]
    practice: str
    state: str = Field(description="not_booked, booked (to come), held (past, not marked) or attended")
    appointment: BookedSessionRead | None


class CourseRead(BaseModel):
    appointment_type: str
    started_on: date | None = Field(description="Start of the signed plan's PRT course, if any")
    week: int | None = Field(description="Course week today (1-4), None before the start or after the end")
    sessions: list[CourseSessionRead]
    booking_href: str
