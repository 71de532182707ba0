"""Shapes for a referral: the physician's form, the front desk's decisions, and the referral as the API shows it."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator
from pydantic.networks import validate_email

from painrewire import validation
from painrewire.clearance.models import Cause
from painrewire.referrals.models import ReferralStatus, Urgency


class ReferralCreate(BaseModel):
    """What a referring physician fills in on the public form (the letter comes beside it, as a file)."""

    referrer_name: str = Field(min_length=1, max_length=200)
    referrer_organisation: str = Field(min_length=1, max_length=200)
    referrer_email: EmailStr
    referrer_phone: str = Field(default="", max_length=40)
    patient_name: str = Field(min_length=1, max_length=200)
    patient_date_of_birth: date
    patient_email: str = Field(default="", max_length=254)
    patient_phone: str = Field(default="", max_length=40)
    reason: str = Field(min_length=10, max_length=4000)
    excluded: list[Cause] = Field(default_factory=list, max_length=len(Cause))
    excluded_other: str = Field(default="", max_length=300)
    urgency: Urgency = Urgency.ROUTINE

    @field_validator(
        "referrer_name",
        "referrer_organisation",
        "referrer_phone",
        "patient_name",
        "patient_phone",
        "excluded_other",
        mode="before",
    )
    @classmethod
    def _one_line(cls, value: object) -> object:
        return " ".join(value.split()) if isinstance(value, str) else value

    @field_validator("reason", mode="before")
    @classmethod
    def _trim(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("referrer_name", "referrer_organisation", "patient_name")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value:
            raise ValueError("must not be blank")
        return value

    @field_validator("patient_email")
    @classmethod
    def _email_or_blank(cls, value: str) -> str:
        value = value.strip()
        return validate_email(value)[1] if value else ""

    @field_validator("patient_date_of_birth")
    @classmethod
    def _born(cls, value: date) -> date:
        if value > date.today() or value.year < 1900:
            raise ValueError("must be a real date in the past")
        return value

    @field_validator("excluded")
    @classmethod
    def _once(cls, value: list[Cause]) -> list[Cause]:
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _contact_and_other(self) -> ReferralCreate:
        if not self.patient_email and not self.patient_phone:
            raise ValueError("give the patient's email or phone, so the clinic can contact them")
        if Cause.OTHER in self.excluded and not self.excluded_other:
            raise ValueError("you ticked another cause as excluded: say which")
        return self


class NextStep(enum.StrEnum):
    """After accepting: the front desk books the first assessment now, or emails the patient to book it."""

    BOOK = "book"
    ASK = "ask"


class ReferralAccept(BaseModel):
    """Accept a referral: link the patient's existing record, or open one; assign the care team."""

    patient_id: uuid.UUID | None = None
    email: EmailStr | None = None
    full_name: str | None = Field(default=None, max_length=200)
    date_of_birth: date | None = None
    phone: str | None = Field(default=None, max_length=40)
    care_team: list[uuid.UUID] = Field(min_length=1, max_length=20)
    next_step: NextStep = NextStep.ASK

    @field_validator("date_of_birth")
    @classmethod
    def _born(cls, value: date | None) -> date | None:
        problem = None if value is None else validation.birth_date_problem(value, today=date.today())
        if problem is not None:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _link_or_new(self) -> ReferralAccept:
        if self.patient_id is None and self.email is None:
            raise ValueError(
                "give the patient's email to open their account, or choose their existing record"
            )
        return self


class ReferralDecline(BaseModel):
    reason: str = Field(min_length=10, max_length=2000)

    @field_validator("reason", mode="before")
    @classmethod
    def _trim(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value


class ReferralRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    reference: str
    status: ReferralStatus
    urgency: Urgency
    created_at: datetime
    referrer_name: str
    referrer_organisation: str
    referrer_email: str
    referrer_phone: str
    patient_name: str
    patient_date_of_birth: date
    patient_email: str
    patient_phone: str
    reason: str
    excluded: list[Cause]
    excluded_other: str
    letter_filename: str | None
    letter_size: int | None
    letter_pages: int | None
    patient_id: uuid.UUID | None
    decided_at: datetime | None
    decline_reason: str | None
