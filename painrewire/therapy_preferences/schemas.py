"""API shapes for therapy preferences."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field, field_validator

from painrewire.practice.models import Module
from painrewire.therapy_preferences.models import Choice, Goal

MAX_OTHER_GOAL = 500


class PreferencesUpdate(BaseModel):
    """A change: the therapies named change, the others keep their answer; goals replace the list when given."""

    choices: dict[Module, Choice] = Field(
        default_factory=dict, description="Each therapy named: want, unsure or decline"
    )
    goals: list[Goal] | None = Field(
        default=None, description="What matters to the patient (replaces the list)"
    )
    other_goal: str | None = Field(
        default=None, max_length=MAX_OTHER_GOAL, description="Anything else that matters, in their words"
    )

    @field_validator("goals")
    @classmethod
    def _unique(cls, value: list[Goal] | None) -> list[Goal] | None:
        return None if value is None else list(dict.fromkeys(value))


class PreferencesRead(BaseModel):
    patient_id: uuid.UUID
    choices: dict[Module, Choice] = Field(description="Therapies asked about; one missing was never asked")
    goals: list[Goal]
    other_goal: str
    saved_at: datetime | None = Field(description="When this version was saved; null if never")
    changed_by_id: uuid.UUID | None = None
    changed_by_name: str | None = None
