"""The clinic's appointment types and booking rules, read from ``appointment_types.yaml`` and checked on load.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

from datetime import time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator, model_validator

from painrewire.content import ContentModel, load_yaml, validate

CATALOGUE_FILE = Path(__file__).with_name("appointment_types.yaml")
DISCIPLINES = ("pain_specialist", "physical_therapist", "psychologist", "neurofeedback_practitioner")
MODES = ("in_person", "video")

Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]


def _choices(value: Any, allowed: tuple[str, ...]) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"a non-empty list from {', '.join(allowed)} is needed")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise ValueError(f"unknown {unknown[0]!r}; choose from {', '.join(allowed)}")
    return tuple(dict.fromkeys(value))


class AppointmentType(ContentModel):
    key: Key = Field(description="A lower-case name such as prt_session.")
    label: str = Field(min_length=1)
    minutes: int = Field(ge=5, le=480)
    buffer_before_minutes: int = Field(ge=0, le=120)
    buffer_after_minutes: int = Field(ge=0, le=120)
    disciplines: tuple[str, ...]
    modes: tuple[str, ...]
    new_patients: bool = False
    description: str = ""

    @field_validator("label", "description", mode="before")
    @classmethod
    def _stripped(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("disciplines", mode="before")
    @classmethod
    def _known_disciplines(cls, value: Any) -> tuple[str, ...]:
        return _choices(value, DISCIPLINES)

    @field_validator("modes", mode="before")
    @classmethod
    def _known_modes(cls, value: Any) -> tuple[str, ...]:
        return _choices(value, MODES)

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.minutes)

    @property
    def buffer_before(self) -> timedelta:
        return timedelta(minutes=self.buffer_before_minutes)

    @property
    def buffer_after(self) -> timedelta:
        return timedelta(minutes=self.buffer_after_minutes)


class BookingRules(ContentModel):
    slot_step_minutes: int = Field(ge=5, le=120)
    min_lead_minutes: int = Field(ge=0, le=7 * 24 * 60)
    horizon_weeks: int = Field(ge=1, le=104)
    max_search_days: int = Field(ge=1, le=366)


class ReminderRules(ContentModel):
    before_appointment_minutes: tuple[Annotated[int, Field(gt=0, le=20160)], ...]
    practice_time: time

    @field_validator("before_appointment_minutes", mode="after")
    @classmethod
    def _latest_first(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(sorted(set(value), reverse=True))


class CourseRules(ContentModel):
    appointment_type: str
    sessions: int = Field(ge=1, le=40)
    weeks: int = Field(ge=1, le=20)
    per_week: int = Field(ge=1, le=7)
    min_days_apart: int = Field(ge=0, le=7)

    @model_validator(mode="after")
    def _possible(self) -> CourseRules:
        if self.sessions != self.weeks * self.per_week:
            raise ValueError("sessions must equal weeks × per_week")
        if self.per_week > 1 and (self.per_week - 1) * self.min_days_apart > 6:
            raise ValueError("that many sessions a week cannot be that many days apart")
        return self


class Catalogue(ContentModel):
    """``appointment_types.yaml``: booking, reminder and course rules, and the appointment types by key."""

    booking: BookingRules
    reminders: ReminderRules
    course: CourseRules
    types: dict[str, AppointmentType] = Field(min_length=1)

    @field_validator("types", mode="before")
    @classmethod
    def _by_key(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        keys = [t.get("key") for t in value if isinstance(t, dict)]
        twice = sorted({str(k) for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"each appointment type is listed once; listed twice: {', '.join(twice)}")
        return {
            t["key"] if isinstance(t, dict) and isinstance(t.get("key"), str) else str(i + 1): t
            for i, t in enumerate(value)
        }

    @model_validator(mode="after")
    def _course_type_exists(self) -> Catalogue:
        if self.course.appointment_type not in self.types:
            raise ValueError(
                f"course: appointment_type {self.course.appointment_type!r} is not one of the types"
            )
        return self

    def get(self, key: str) -> AppointmentType | None:
        return self.types.get(key)

    def for_discipline(self, discipline: str) -> list[AppointmentType]:
        return [t for t in self.types.values() if discipline in t.disciplines]


def parse_catalogue(document: Any, *, origin: str | Path = CATALOGUE_FILE) -> Catalogue:
    """Check a loaded catalogue document and build the catalogue from it.

    Raises
    ------
    painrewire.content.ContentError
        Naming the file, the appointment type or section, and the field.
    """
    return validate(document, Catalogue, origin=origin)


@lru_cache
def catalogue() -> Catalogue:
    """The clinic's catalogue, read once."""
    return load_yaml(CATALOGUE_FILE, Catalogue)
