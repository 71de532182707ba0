"""API shapes for the patient's doctors."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from painrewire.physicians.models import PhysicianRole

PHONE = re.compile(r"^\+?[0-9 ()\-]{6,40}$")


class PhysicianSave(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="The doctor's name")
    practice: str = Field(default="", max_length=200, description="The practice or hospital")
    address: str = Field(default="", max_length=1000)
    phone: str = Field(default="", max_length=40)
    email: EmailStr | None = Field(
        default=None, description="Checked: an address that cannot be one is refused"
    )
    share_letters: bool = Field(
        default=False,
        description="The patient agrees the clinic may send this doctor letters about their care",
    )

    @field_validator("name", "practice", "address", "phone", mode="before")
    @classmethod
    def _strip(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("email", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if value and (not PHONE.match(value) or sum(c.isdigit() for c in value) < 6):
            raise ValueError("use digits, spaces, brackets, dashes and an optional leading +")
        return value


class PhysicianRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    role: PhysicianRole
    name: str
    practice: str
    address: str
    phone: str
    email: str
    share_letters: bool
    created_at: datetime
    changed_by_id: uuid.UUID | None
