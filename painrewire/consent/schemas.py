"""API shapes for consent: the texts, a consent given, a withdrawal, and the record."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from painrewire.consent.models import ConsentKind, ConsentMethod
from painrewire.consent.service import MAX_NOTE


class ConsentTextRead(BaseModel):
    kind: ConsentKind
    version: str = Field(description="Give this back as `text_version` when agreeing")
    title: str
    summary: str
    paragraphs: list[str]


class ConsentGive(BaseModel):
    kind: ConsentKind
    text_version: str = Field(
        min_length=1,
        max_length=32,
        description="The version of the text the patient read (see /consent-texts)",
    )
    method: ConsentMethod | None = Field(
        default=None,
        description="online (the patient, the default for them); in_clinic or paper (a clinician recording it)",
    )


class ConsentWithdraw(BaseModel):
    method: ConsentMethod | None = Field(
        default=None, description="online (the patient); in_clinic or paper (a clinician recording it)"
    )
    note: str | None = Field(default=None, max_length=MAX_NOTE, description="Optional: why, in a few words")


class ConsentRecordRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    kind: ConsentKind
    text_version: str
    text: str
    given_at: datetime
    method: ConsentMethod
    recorded_by_id: uuid.UUID | None
    recorded_by_name: str | None = None
    withdrawn_at: datetime | None
    withdrawn_by_id: uuid.UUID | None
    withdrawn_by_name: str | None = None
    withdrawal_method: ConsentMethod | None
    withdrawal_note: str | None
    is_current: bool


class ConsentOverview(BaseModel):
    current: dict[ConsentKind, bool] = Field(description="Each kind of consent and whether it holds now")
    records: list[ConsentRecordRead] = Field(
        description="Every consent given, newest first, withdrawals included"
    )
