"""Guided practices (body scan, breath focus, loving-kindness, noting): scripts with timed steps, one YAML file
each in ``practices/`` beside this module, and the other practice tools that log minutes."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, ValidationInfo, field_validator

from painrewire.content import ContentModel, load_yaml

PRACTICES_DIR = Path(__file__).with_name("practices")

#: The two tools that are not scripts: their practice-log activity ids and titles.
BREATHING_PACER = "breathing_pacer"
MEDITATION_TIMER = "meditation_timer"
TOOLS = {BREATHING_PACER: "Breathing pacer", MEDITATION_TIMER: "Meditation timer"}


class Step(ContentModel):
    seconds: int = Field(gt=0, description="How long the step lasts; more than 0 seconds.")
    text: str

    @field_validator("text", mode="before")
    @classmethod
    def _one_line(cls, value: object) -> str:
        return " ".join(str(value).split())


class Practice(ContentModel):
    """One guided practice: a file in ``practices/``, named by its id."""

    id: str
    title: str
    summary: str
    order: int = 100
    sources: tuple[str, ...] = ()
    steps: tuple[Step, ...] = Field(min_length=1)

    @field_validator("summary", mode="before")
    @classmethod
    def _one_line(cls, value: object) -> str:
        return " ".join(str(value).split())

    @field_validator("sources", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return () if value is None else value

    @field_validator("id")
    @classmethod
    def _id_is_the_file_name(cls, value: str, info: ValidationInfo) -> str:
        stem = (info.context or {}).get("stem")
        if (stem is not None and value != stem) or value in TOOLS:
            raise ValueError(f"the id must be the file's name and not a tool's ({', '.join(TOOLS)})")
        return value

    @property
    def seconds(self) -> int:
        return sum(s.seconds for s in self.steps)

    @property
    def minutes(self) -> float:
        return self.seconds / 60


def _load(path: Path) -> Practice:
    return load_yaml(path, Practice, context={"stem": path.stem})


@lru_cache
def practices() -> dict[str, Practice]:
    """Practice id -> practice, in the clinic's order."""
    loaded = sorted((_load(p) for p in PRACTICES_DIR.glob("*.yaml")), key=lambda p: (p.order, p.id))
    return {p.id: p for p in loaded}


def activity_title(activity: str) -> str | None:
    """The practice-log title of a mindfulness activity (a practice id or a tool), None if unknown."""
    if activity in TOOLS:
        return TOOLS[activity]
    found = practices().get(activity)
    return found.title if found else None
