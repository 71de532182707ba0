"""API shapes for mindfulness: guided practices, logged minutes, and the clinic's audio recordings."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field


class StepRead(BaseModel):
    seconds: int
    text: str


class PracticeRead(BaseModel):
    id: str
    title: str
    summary: str
    minutes: float
    sources: list[str]
    steps: list[StepRead]
    audio_url: str | None = Field(
        description="The clinic's own recording of this practice, if it attached one"
    )


class SessionCreate(BaseModel):
    """Minutes practised, measured in the browser and checked against the time the page was open."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    activity: str = Field(
        min_length=1, max_length=64, description="A practice id, breathing_pacer or meditation_timer"
    )
    minutes: float = Field(gt=0, le=180, allow_inf_nan=False, description="Minutes actually practised")
    page_stamp: str | None = Field(
        default=None,
        max_length=100,
        description="The practice page's signed opened-at stamp (data-page-stamp)",
    )
    breaths_per_minute: float | None = Field(default=None, ge=3, le=12, allow_inf_nan=False)
    inhale_share: float | None = Field(
        default=None,
        ge=0.2,
        le=0.8,
        allow_inf_nan=False,
        description="Share of each breath spent breathing in",
    )


class SessionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    day: date
    completed_at: datetime
    activity: str
    title: str
    minutes: float
    week_minutes: float = Field(default=0, description="Mindfulness minutes in the patient's current week")


class WeekMinutesRead(BaseModel):
    week: date = Field(description="The Monday of the week")
    minutes: float


class PracticeAudioRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    practice_id: str
    filename: str
    content_type: str
    size_bytes: int
    created_at: datetime
    url: str = ""
