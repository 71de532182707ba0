"""The thinking traps a thought record can be tagged with, read from ``distortions.yaml`` beside this file."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DISTORTIONS_FILE = Path(__file__).with_name("distortions.yaml")


@dataclass(frozen=True)
class Distortion:
    id: str
    label: str
    explanation: str
    example: str


@lru_cache
def distortions() -> dict[str, Distortion]:
    """Thinking-trap id -> its label, plain explanation and an example about pain, in the clinic's order."""
    data = yaml.safe_load(DISTORTIONS_FILE.read_text(encoding="utf-8"))
    found = {
        d["id"]: Distortion(d["id"], d["label"], d["explanation"], d["example"]) for d in data["distortions"]
    }
    if len(found) != len(data["distortions"]):
        raise ValueError(f"{DISTORTIONS_FILE.name}: every thinking trap needs its own id")
    return found


def distortion_label(distortion_id: str) -> str:
    """The label of a thinking trap; an id no longer in the file (a clinic removed it) shows as itself."""
    found = distortions().get(distortion_id)
    return found.label if found else distortion_id.replace("_", " ")
