"""Shapes for writing a letter and for the letter as the API shows it."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from painrewire.letters.models import DeliveryMethod, LetterKind, RecipientKind
from painrewire.physicians.models import PhysicianRole


class LetterCreate(BaseModel):
    """A letter to write: its kind, to which of the patient's doctors or to which outside service, and the
    clinician's own words. The recipient's details come from the patient's record or the clinic's list."""

    kind: LetterKind
    physician_role: PhysicianRole | None = None
    external_service_id: uuid.UUID | None = None
    reason: str = Field(default="", max_length=4000)
    note: str = Field(default="", max_length=6000)

    @field_validator("reason", "note", mode="before")
    @classmethod
    def _trim(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_recipient(self) -> LetterCreate:
        if (self.physician_role is None) == (self.external_service_id is None):
            raise ValueError("choose one recipient: one of the patient's doctors, or an outside service")
        return self


class LetterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    kind: LetterKind
    recipient_kind: RecipientKind
    physician_role: PhysicianRole | None
    external_service_id: uuid.UUID | None
    recipient_name: str
    recipient_address: str
    recipient_email: str
    subject: str
    reason: str
    note: str
    created_at: datetime
    author_id: uuid.UUID | None
    pdf_sha256: str
    sent_at: datetime | None
    sent_via: DeliveryMethod | None
    sent_to: str | None
    link_expires_at: datetime | None
    downloaded_at: datetime | None


class LetterSend(BaseModel):
    method: DeliveryMethod
