"""The clinic's appointment types and booking rules, read from ``appointment_types.yaml`` and checked on load.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

CATALOGUE_FILE = Path(__file__).with_name("appointment_types.yaml")
DISCIPLINES = ("pain_specialist", "physical_therapist", "psychologist", "neurofeedback_practitioner")
MODES = ("in_person", "video")
_KEY = re.compile(r"^[a-z][a-z0-9_]*$")


class CatalogueError(ValueError):
    """The catalogue file cannot be used; the message names the entry and what is wrong."""


@dataclass(frozen=True)
class AppointmentType:
    key: str
    label: str
    minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    disciplines: tuple[str, ...]
    modes: tuple[str, ...]
    new_patients: bool
    description: str

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.minutes)

    @property
    def buffer_before(self) -> timedelta:
        return timedelta(minutes=self.buffer_before_minutes)

    @property
    def buffer_after(self) -> timedelta:
        return timedelta(minutes=self.buffer_after_minutes)


@dataclass(frozen=True)
class BookingRules:
    slot_step_minutes: int
    min_lead_minutes: int
    horizon_weeks: int
    max_search_days: int


@dataclass(frozen=True)
class ReminderRules:
    before_appointment_minutes: tuple[int, ...]
    practice_time: time


@dataclass(frozen=True)
class CourseRules:
    appointment_type: str
    sessions: int
    weeks: int
    per_week: int
    min_days_apart: int


@dataclass(frozen=True)
class Catalogue:
    types: dict[str, AppointmentType]
    booking: BookingRules
    reminders: ReminderRules
    course: CourseRules

    def get(self, key: str) -> AppointmentType | None:
        return self.types.get(key)

    def for_discipline(self, discipline: str) -> list[AppointmentType]:
        return [t for t in self.types.values() if discipline in t.disciplines]


def _int(raw: dict[str, Any], name: str, origin: str, *, low: int, high: int) -> int:
    value = raw.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise CatalogueError(f"{origin}: {name} must be a whole number from {low} to {high}, got {value!r}")
    return value


def _choices(raw: dict[str, Any], name: str, allowed: tuple[str, ...], origin: str) -> tuple[str, ...]:
    value = raw.get(name)
    if not isinstance(value, list) or not value:
        raise CatalogueError(f"{origin}: {name} must be a non-empty list from {', '.join(allowed)}")
    unknown = [v for v in value if v not in allowed]
    if unknown:
        raise CatalogueError(f"{origin}: unknown {name} {unknown[0]!r}; choose from {', '.join(allowed)}")
    return tuple(dict.fromkeys(value))


def _parse_type(raw: Any, index: int) -> AppointmentType:
    if not isinstance(raw, dict):
        raise CatalogueError(f"types[{index}] must be a mapping")
    key = raw.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise CatalogueError(
            f"types[{index}]: key must be a lower-case name such as prt_session, got {key!r}"
        )
    origin = f"type {key}"
    label = raw.get("label")
    if not isinstance(label, str) or not label.strip():
        raise CatalogueError(f"{origin}: label is required")
    return AppointmentType(
        key=key,
        label=label.strip(),
        minutes=_int(raw, "minutes", origin, low=5, high=480),
        buffer_before_minutes=_int(raw, "buffer_before_minutes", origin, low=0, high=120),
        buffer_after_minutes=_int(raw, "buffer_after_minutes", origin, low=0, high=120),
        disciplines=_choices(raw, "disciplines", DISCIPLINES, origin),
        modes=_choices(raw, "modes", MODES, origin),
        new_patients=bool(raw.get("new_patients", False)),
        description=str(raw.get("description", "")).strip(),
    )


def _section(document: dict[str, Any], name: str) -> dict[str, Any]:
    section = document.get(name)
    if not isinstance(section, dict):
        raise CatalogueError(f"the {name} section is missing")
    return section


def parse_catalogue(document: Any) -> Catalogue:
    """Check a loaded catalogue document and build the catalogue from it."""
    if not isinstance(document, dict):
        raise CatalogueError("the catalogue must be a mapping with booking, reminders, course and types")
    raw_types = document.get("types")
    if not isinstance(raw_types, list) or not raw_types:
        raise CatalogueError("types must list at least one appointment type")
    types: dict[str, AppointmentType] = {}
    for index, raw in enumerate(raw_types):
        kind = _parse_type(raw, index)
        if kind.key in types:
            raise CatalogueError(f"type {kind.key} is listed twice")
        types[kind.key] = kind

    booking_raw = _section(document, "booking")
    booking = BookingRules(
        slot_step_minutes=_int(booking_raw, "slot_step_minutes", "booking", low=5, high=120),
        min_lead_minutes=_int(booking_raw, "min_lead_minutes", "booking", low=0, high=7 * 24 * 60),
        horizon_weeks=_int(booking_raw, "horizon_weeks", "booking", low=1, high=104),
        max_search_days=_int(booking_raw, "max_search_days", "booking", low=1, high=366),
    )

    reminders_raw = _section(document, "reminders")
    before = reminders_raw.get("before_appointment_minutes")
    if not isinstance(before, list) or not all(isinstance(m, int) and 0 < m <= 20160 for m in before):
        raise CatalogueError("reminders: before_appointment_minutes must list minutes from 1 to 20160")
    try:
        practice_time = time.fromisoformat(str(reminders_raw.get("practice_time")))
    except ValueError as exc:
        raise CatalogueError("reminders: practice_time must be a time such as 18:00") from exc
    reminders = ReminderRules(tuple(sorted(set(before), reverse=True)), practice_time)

    course_raw = _section(document, "course")
    course = CourseRules(
        appointment_type=str(course_raw.get("appointment_type")),
        sessions=_int(course_raw, "sessions", "course", low=1, high=40),
        weeks=_int(course_raw, "weeks", "course", low=1, high=20),
        per_week=_int(course_raw, "per_week", "course", low=1, high=7),
        min_days_apart=_int(course_raw, "min_days_apart", "course", low=0, high=7),
    )
    if course.appointment_type not in types:
        raise CatalogueError(f"course: appointment_type {course.appointment_type!r} is not one of the types")
    if course.sessions != course.weeks * course.per_week:
        raise CatalogueError("course: sessions must equal weeks × per_week")
    if course.per_week > 1 and (course.per_week - 1) * course.min_days_apart > 6:
        raise CatalogueError("course: that many sessions a week cannot be that many days apart")
    return Catalogue(types=types, booking=booking, reminders=reminders, course=course)


@lru_cache
def catalogue() -> Catalogue:
    """The clinic's catalogue, read once."""
    return parse_catalogue(yaml.safe_load(CATALOGUE_FILE.read_text(encoding="utf-8")))
