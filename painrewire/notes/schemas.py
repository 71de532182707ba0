"""API shapes for clinical notes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from painrewire.accounts.models import Discipline

MAX_NOTE_LENGTH = 8000


class NoteCreate(BaseModel):
    body: str = Field(min_length=1, max_length=MAX_NOTE_LENGTH, description="The note, in plain text")
    corrects_id: uuid.UUID | None = Field(
        default=None, description="The earlier note of this patient that this one corrects, if any"
    )


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    created_at: datetime
    discipline: Discipline
    author_id: uuid.UUID | None
    author_name: str | None = None
    body: str
    corrects_id: uuid.UUID | None
