"""API shapes for CBT for pain: thought records, activity pacing and graded exposure."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator

from painrewire.programs.cbt.content import distortions
from painrewire.programs.cbt.pacing import MAX_WEEKS

TEXT = 2000


class _Input(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid", allow_inf_nan=False)

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: object) -> object:
        if isinstance(value, str) and any(ord(c) < 32 and c not in "\n\r\t" for c in value):
            raise ValueError("must not contain control characters")
        return value


class Feeling(_Input):
    feeling: str = Field(min_length=1, max_length=60, description="A word for the feeling, e.g. worried")
    intensity: int = Field(
        ge=0, le=100, description="How strong, 0 (not at all) to 100 (as strong as it gets)"
    )


class FeelingRead(BaseModel):
    feeling: str
    intensity: int


class ThoughtRecordCreate(_Input):
    day: date | None = Field(default=None, description="The day it happened; today when left out")
    situation: str = Field(min_length=1, max_length=TEXT, description="What was happening: where, when, who")
    automatic_thought: str = Field(min_length=1, max_length=TEXT, description="The thought that went through")
    feelings: list[Feeling] = Field(min_length=1, max_length=5)
    distortions: list[str] = Field(default_factory=list, max_length=12, description="Thinking-trap ids")
    evidence_for: str = Field(default="", max_length=TEXT)
    evidence_against: str = Field(default="", max_length=TEXT)
    balanced_thought: str = Field(default="", max_length=TEXT)
    rerated_feelings: list[Feeling] = Field(default_factory=list, max_length=5)
    minutes: float | None = Field(default=None, ge=0, le=120, description="Time spent on the record")

    @field_validator("distortions")
    @classmethod
    def _known_distortions(cls, value: list[str]) -> list[str]:
        known = distortions()
        unknown = [d for d in value if d not in known]
        if unknown:
            raise ValueError(f"unknown thinking trap {unknown[0]!r}; choose from {', '.join(known)}")
        return list(dict.fromkeys(value))


class ThoughtRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    day: date
    situation: str
    automatic_thought: str
    feelings: list[FeelingRead]
    distortions: list[str]
    evidence_for: str
    evidence_against: str
    balanced_thought: str
    rerated_feelings: list[FeelingRead]
    created_at: datetime


class DistortionRead(BaseModel):
    id: str
    label: str
    explanation: str
    example: str


class WeekCountsRead(BaseModel):
    week: date = Field(description="The Monday of the week")
    records: int
    counts: dict[str, int]


class DistortionTrendRead(BaseModel):
    weeks: list[WeekCountsRead]
    most_common: list[str]


class PacingActivityCreate(_Input):
    name: str = Field(min_length=1, max_length=120, description="The activity, e.g. Walking")
    unit: str = Field(min_length=1, max_length=32, description="What is counted, e.g. minutes")
    measurements: list[float] = Field(
        min_length=1, max_length=14, description="What was managed on each measured day (3 days is usual)"
    )
    start_percent: float = Field(
        default=80, gt=0, le=100, description="Week 1 as a percentage of the baseline"
    )
    increment_percent: float = Field(
        default=10, ge=0, le=100, description="Added each week, % of the baseline"
    )
    weeks: int = Field(default=8, ge=1, le=MAX_WEEKS)
    starts_on: date | None = Field(default=None, description="First day of week 1; today when left out")
    goal: float | None = Field(
        default=None, gt=0, le=100_000, description="Where the patient wants to get to"
    )

    @field_validator("measurements")
    @classmethod
    def _positive(cls, value: list[float]) -> list[float]:
        for i, amount in enumerate(value, start=1):
            if not amount > 0 or amount > 100_000:
                raise ValueError(
                    f"day {i}: each measured day must be more than 0 (and believable), got {amount:g}"
                )
        return value


class PacingWeekLog(_Input):
    actual: float = Field(ge=0, le=100_000, description="What was done on a typical day of that week")


class PacingWeekRead(BaseModel):
    week: int
    starts_on: date
    target: float
    actual: float | None
    status: str


class PacingActivityRead(BaseModel):
    id: uuid.UUID
    name: str
    unit: str
    measurements: list[float]
    baseline: float
    start_percent: float
    increment_percent: float
    weeks: int
    starts_on: date
    goal: float | None
    goal_week: int | None = Field(description="The first plan week whose target reaches the goal")
    current_week: int
    plan: list[PacingWeekRead]


class ExposureItemCreate(_Input):
    movement: str = Field(
        min_length=1, max_length=200, description="The feared movement, e.g. bending to the floor"
    )
    fear_rating: int = Field(ge=0, le=100, description="How frightening it feels now, 0-100")
    notes: str = Field(default="", max_length=TEXT)


class ExposureRerate(_Input):
    fear_rating: int = Field(ge=0, le=100)


class ExposureAttemptCreate(_Input):
    predicted_fear: int = Field(ge=0, le=100, description="Fear expected, rated just before")
    actual_fear: int = Field(ge=0, le=100, description="Fear actually felt, rated just after")
    minutes: float = Field(default=5, gt=0, le=120, description="How long the practice took")
    note: str = Field(default="", max_length=TEXT)


class ExposureAttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    done_at: datetime
    predicted_fear: int
    actual_fear: int
    gap: int = Field(description="predicted - actual: positive when it was less frightening than expected")
    note: str


class ExposureItemRead(BaseModel):
    id: uuid.UUID
    movement: str
    fear_rating: int
    notes: str
    attempts: list[ExposureAttemptRead]
    mean_gap: float | None


class ExposureHierarchyRead(BaseModel):
    items: list[ExposureItemRead] = Field(description="Least feared first: the order to work up through")
    mean_gap: float | None
    earlier_gap: float | None
    later_gap: float | None
