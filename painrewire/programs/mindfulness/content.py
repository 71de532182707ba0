"""Guided practices (body scan, breath focus, loving-kindness, noting): scripts with timed steps, one YAML file
each in ``practices/`` beside this module, and the other practice tools that log minutes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

PRACTICES_DIR = Path(__file__).with_name("practices")

#: The two tools that are not scripts: their practice-log activity ids and titles.
BREATHING_PACER = "breathing_pacer"
MEDITATION_TIMER = "meditation_timer"
TOOLS = {BREATHING_PACER: "Breathing pacer", MEDITATION_TIMER: "Meditation timer"}


@dataclass(frozen=True)
class Step:
    seconds: int
    text: str


@dataclass(frozen=True)
class Practice:
    id: str
    title: str
    summary: str
    sources: tuple[str, ...]
    steps: tuple[Step, ...]

    @property
    def seconds(self) -> int:
        return sum(s.seconds for s in self.steps)

    @property
    def minutes(self) -> float:
        return self.seconds / 60


def _load(path: Path) -> tuple[int, Practice]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    steps = tuple(Step(int(s["seconds"]), " ".join(str(s["text"]).split())) for s in data["steps"])
    if not steps or any(s.seconds <= 0 for s in steps):
        raise ValueError(f"{path.name}: a practice needs steps, each lasting more than 0 seconds")
    if data["id"] != path.stem or data["id"] in TOOLS:
        raise ValueError(f"{path.name}: the id must be the file's name and not a tool's ({', '.join(TOOLS)})")
    practice = Practice(
        id=data["id"],
        title=data["title"],
        summary=" ".join(str(data["summary"]).split()),
        sources=tuple(data.get("sources") or ()),
        steps=steps,
    )
    return int(data.get("order", 100)), practice


@lru_cache
def practices() -> dict[str, Practice]:
    """Practice id -> practice, in the clinic's order."""
    loaded = sorted((_load(p) for p in PRACTICES_DIR.glob("*.yaml")), key=lambda op: (op[0], op[1].id))
    return {p.id: p for _, p in loaded}


def activity_title(activity: str) -> str | None:
    """The practice-log title of a mindfulness activity (a practice id or a tool), None if unknown."""
    if activity in TOOLS:
        return TOOLS[activity]
    found = practices().get(activity)
    return found.title if found else None
