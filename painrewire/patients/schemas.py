"""API shapes for patients and care teams."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from painrewire import validation
from painrewire.accounts.models import Discipline
from painrewire.accounts.schemas import hard_to_guess
from painrewire.accounts.security import MIN_PASSWORD_LENGTH


def _check_zone(value: str | None) -> str | None:
    problem = None if value is None else validation.zone_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _check_birth_date(value: date | None) -> date | None:
    problem = None if value is None else validation.birth_date_problem(value, today=date.today())
    if problem is not None:
        raise ValueError(problem)
    return value


class PatientCreate(BaseModel):
    """A clinician registers a patient; the patient gets an account with this email and password."""

    email: EmailStr
    full_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=256)
    date_of_birth: date | None = None
    phone: str | None = Field(default=None, max_length=40)
    #: An IANA time-zone name; None (not given) means the clinic's (``Settings.clinic_timezone``).
    timezone: str | None = None
    care_team: list[uuid.UUID] = Field(default_factory=list, max_length=20)

    _zone = field_validator("timezone")(_check_zone)
    _dob = field_validator("date_of_birth")(_check_birth_date)
    _password = field_validator("password")(hard_to_guess)

    @field_validator("full_name")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("full name must not be blank")
        return value


class SignUp(BaseModel):
    """A patient signs themselves up."""

    email: EmailStr
    full_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=256)
    date_of_birth: date | None = None
    #: An IANA time-zone name; None (not given) means the clinic's (``Settings.clinic_timezone``).
    timezone: str | None = None

    _zone = field_validator("timezone")(_check_zone)
    _dob = field_validator("date_of_birth")(_check_birth_date)
    _password = field_validator("password")(hard_to_guess)

    @field_validator("full_name")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("full name must not be blank")
        return value


class SignUpRequested(BaseModel):
    """What a sign-up answers, whether or not the email already has an account."""

    detail: str


class CareTeamAdd(BaseModel):
    clinician_id: uuid.UUID


class ClinicianRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    full_name: str
    discipline: Discipline | None


class CareTeamMemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    clinician: ClinicianRead
    created_at: datetime


class PatientRead(BaseModel):
    id: uuid.UUID
    full_name: str
    email: str
    date_of_birth: date | None
    phone: str | None
    timezone: str
    created_at: datetime
    care_team: list[ClinicianRead]
