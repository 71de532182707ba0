"""API shapes for the treatment history: an entry to add, a change to one, and what is read back."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from painrewire.treatment_history.models import Category, Effect, MedicineClass, RevisionKind

MAX_NAME = 200
MAX_DOSE = 200
MAX_TEXT = 2000
#: Fifty years, the longest a treatment can plausibly have gone on.
MAX_WEEKS = 2600
EARLIEST_YEAR = 1900


class _Fields(BaseModel):
    medicine_class: MedicineClass | None = Field(default=None, description="Medicines only: the class")
    dose: str | None = Field(
        default=None, max_length=MAX_DOSE, description="Medicines only, as the patient says it"
    )
    duration_weeks: int | None = Field(default=None, ge=0, le=MAX_WEEKS, description="How long, in weeks")
    effect: Effect | None = Field(default=None, description="none (did not help), some, or good")
    side_effects: str | None = Field(default=None, max_length=MAX_TEXT)
    started_on: date | None = Field(default=None, description="The date it started, if known")
    started_year: int | None = Field(
        default=None, ge=EARLIEST_YEAR, le=2999, description="Or the year it started (approximate)"
    )
    ended_on: date | None = None
    ended_year: int | None = Field(default=None, ge=EARLIEST_YEAR, le=2999)
    notes: str | None = Field(default=None, max_length=MAX_TEXT)


class TreatmentCreate(_Fields):
    category: Category
    name: str = Field(min_length=1, max_length=MAX_NAME, description="What it was, in the patient's words")


class TreatmentUpdate(_Fields):
    """Fields given are changed (``null`` clears an optional one); ``version`` guards against a lost update."""

    category: Category | None = None
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME)
    version: int | None = Field(
        default=None, ge=1, description="The version you edited; refused with 409 if someone changed it since"
    )


class TreatmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    category: Category
    medicine_class: MedicineClass | None
    name: str
    dose: str
    duration_weeks: int | None
    effect: Effect | None
    side_effects: str
    started_on: date | None
    started_year: int | None
    ended_on: date | None
    ended_year: int | None
    notes: str
    version: int
    created_at: datetime
    updated_at: datetime
    removed_at: datetime | None


class RevisionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    version: int
    change: RevisionKind
    created_at: datetime
    changed_by_id: uuid.UUID | None
    snapshot: dict[str, Any]
