"""API shapes for accounts."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, EmailStr, Field, ValidationInfo, field_validator, model_validator

from painrewire.accounts.models import Discipline, Role
from painrewire.accounts.security import MIN_PASSWORD_LENGTH, password_problem, personal_words


def hard_to_guess(value: str, info: ValidationInfo) -> str:
    """A ``password`` field validator: the password rule (`security.password_problem`), with the person's
    own name and email (fields declared before the password) counted as easy to guess."""
    data = info.data
    problem = password_problem(value, user_inputs=personal_words(data.get("email"), data.get("full_name")))
    if problem is not None:
        raise ValueError(problem)
    return value


class UserCreate(BaseModel):
    email: EmailStr
    full_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=256)
    role: Role
    discipline: Discipline | None = None

    _password = field_validator("password")(hard_to_guess)

    @field_validator("full_name")
    @classmethod
    def _strip(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("full name must not be blank")
        return value

    @model_validator(mode="after")
    def _discipline_only_for_clinicians(self) -> UserCreate:
        if self.role == Role.CLINICIAN and self.discipline is None:
            raise ValueError("a clinician needs a discipline")
        if self.role != Role.CLINICIAN and self.discipline is not None:
            raise ValueError("only clinicians have a discipline")
        return self


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    discipline: Discipline | None
    is_active: bool


class LoginRequest(BaseModel):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=256)


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: UserRead


class PasswordResetRequest(BaseModel):
    email: EmailStr


class PasswordResetSet(BaseModel):
    """A new password, by the same rule as sign-up."""

    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=256)

    _password = field_validator("password")(hard_to_guess)
