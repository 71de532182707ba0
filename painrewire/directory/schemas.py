"""API shapes for clinician profiles, the public directory and the clinic's list of outside services."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.networks import validate_email

from painrewire.accounts.models import Discipline
from painrewire.directory.models import Modality, ServiceKind

MAX_BIO = 800
MAX_LANGUAGES = 12


def _optional_email(value: str | None) -> str | None:
    """An address, or "" for none; None leaves it as it is (in an update)."""
    if value is None or not value.strip():
        return value if value is None else ""
    return validate_email(value.strip())[1]


def _clean_languages(value: list[str]) -> list[str]:
    """Each language once, as written, without blanks: "english, Spanish" -> ["English", "Spanish"]."""
    seen: dict[str, str] = {}
    for raw in value:
        name = " ".join(raw.split())
        if not name:
            continue
        if len(name) > 40:
            raise ValueError(f"a language name is at most 40 characters, got {name[:40]!r}...")
        seen.setdefault(name.casefold(), name[0].upper() + name[1:])
    if len(seen) > MAX_LANGUAGES:
        raise ValueError(f"list at most {MAX_LANGUAGES} languages")
    return list(seen.values())


class ProfileUpdate(BaseModel):
    """What a clinician (or the front desk for them) publishes in the directory."""

    qualifications: str = Field(default="", max_length=300)
    languages: list[str] = Field(default_factory=list, max_length=40)
    modalities: list[Modality] = Field(default_factory=list, max_length=len(Modality))
    bio: str = Field(default="", max_length=MAX_BIO)
    listed: bool = True

    _languages = field_validator("languages")(_clean_languages)

    @field_validator("qualifications", "bio")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("modalities")
    @classmethod
    def _once(cls, value: list[Modality]) -> list[Modality]:
        return list(dict.fromkeys(value))


class ProfileRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    clinician_id: uuid.UUID
    qualifications: str
    languages: list[str]
    modalities: list[Modality]
    bio: str
    listed: bool
    updated_at: datetime | None


class NextTimeRead(BaseModel):
    appointment_type: str
    label: str
    starts_at: datetime | None
    mode: str | None
    new_patients: bool
    book_url: str


class DirectoryEntryRead(BaseModel):
    clinician_id: uuid.UUID
    full_name: str
    discipline: Discipline
    discipline_label: str
    qualifications: str
    languages: list[str]
    modalities: list[Modality]
    bio: str
    next_time: NextTimeRead | None


class ExternalServiceCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: ServiceKind
    contact: str = Field(default="", max_length=2000)
    email: str = Field(default="", max_length=254)
    notes: str = Field(default="", max_length=4000)

    _email = field_validator("email")(_optional_email)

    @field_validator("name", "contact", "notes")
    @classmethod
    def _strip(cls, value: str) -> str:
        return value.strip()

    @field_validator("name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value:
            raise ValueError("name must not be blank")
        return value


class ExternalServiceUpdate(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    kind: ServiceKind | None = None
    contact: str | None = Field(default=None, max_length=2000)
    email: str | None = Field(default=None, max_length=254)
    notes: str | None = Field(default=None, max_length=4000)
    active: bool | None = None

    _email = field_validator("email")(_optional_email)


class ExternalServiceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    kind: ServiceKind
    contact: str
    email: str
    notes: str
    active: bool
    created_at: datetime
