"""API shapes for clinical flags: record one with the reason, clear it, read them with who and when."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from painrewire.clinical_flags.models import FlagKind

#: The shortest note that says what was seen.
MIN_NOTE = 10
MAX_NOTE = 1000


class FlagCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: FlagKind = Field(description="fear_of_movement, worry_or_low_mood or stress_drives_pain")
    note: str = Field(
        max_length=MAX_NOTE,
        description=f"What you saw or heard that supports it, in at least {MIN_NOTE} characters; the plan's "
        "reason quotes it",
    )


class FlagClear(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str = Field(default="", max_length=MAX_NOTE, description="Why it no longer holds (optional)")


class ClinicalFlagRead(BaseModel):
    id: uuid.UUID
    patient_id: uuid.UUID
    kind: FlagKind
    label: str
    note: str
    recorded_by_id: uuid.UUID | None
    recorded_by_name: str | None
    recorded_at: datetime
    standing: bool = Field(description="Not cleared: the plan rules read it")
    cleared_at: datetime | None
    cleared_by_id: uuid.UUID | None
    cleared_by_name: str | None
    clear_note: str
