"""API shapes for the pain diary."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from painrewire.content import ContentModel, load_yaml

TRIGGERS_FILE = Path(__file__).with_name("triggers.yaml")


class Trigger(ContentModel):
    id: str
    label: str


class TriggersFile(ContentModel):
    """``triggers.yaml``: the trigger tags in the clinic's order; ids are stored in diary entries."""

    triggers: list[Trigger]

    @model_validator(mode="after")
    def _ids_unique(self) -> TriggersFile:
        ids = [t.id for t in self.triggers]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"every trigger needs its own id; used twice: {', '.join(repeated)}")
        return self


@lru_cache
def trigger_labels() -> dict[str, str]:
    """Trigger tag id -> label, in the clinic's order."""
    return {t.id: t.label for t in load_yaml(TRIGGERS_FILE, TriggersFile).triggers}


Scale = Field(ge=0, le=10)


class DiaryEntryWrite(BaseModel):
    pain_now: int = Field(ge=0, le=10, description="Pain right now, 0 (none) to 10 (worst imaginable)")
    average_pain: int = Field(ge=0, le=10, description="Average pain over the last 24 hours, 0-10")
    interference: int = Field(ge=0, le=10, description="How much pain got in the way of life today, 0-10")
    mood: int = Field(ge=0, le=10, description="Mood today, 0 (very low) to 10 (very good)")
    sleep_quality: int = Field(ge=0, le=10, description="Last night's sleep, 0 (very poor) to 10 (very good)")
    activity_minutes: int = Field(default=0, ge=0, le=1440, description="Minutes of physical activity")
    triggers: list[str] = Field(default_factory=list, max_length=15)
    note: str = Field(default="", max_length=2000)

    @field_validator("triggers")
    @classmethod
    def _known_triggers(cls, value: list[str]) -> list[str]:
        known = trigger_labels()
        unknown = [t for t in value if t not in known]
        if unknown:
            raise ValueError(f"unknown trigger {unknown[0]!r}; choose from {', '.join(known)}")
        return list(dict.fromkeys(value))


class PracticeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    module: str
    activity: str
    title: str
    minutes: float


class DiaryEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    day: date
    pain_now: int
    average_pain: int
    interference: int
    mood: int
    sleep_quality: int
    activity_minutes: int
    triggers: list[str]
    note: str
    revision: int
    updated_at: datetime
    practice: list[PracticeRead] = Field(default_factory=list)


class DiaryRevisionRead(BaseModel):
    """The values an entry held before one change, and who replaced them when."""

    model_config = ConfigDict(from_attributes=True)

    revision: int
    values: dict[str, Any]
    replaced_at: datetime
    replaced_by_id: uuid.UUID | None
    same_day: bool


class DiaryDayHistory(BaseModel):
    entry: DiaryEntryRead
    revisions: list[DiaryRevisionRead]
