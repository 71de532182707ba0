"""The thinking traps a thought record can be tagged with, read from ``distortions.yaml`` beside this file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import model_validator

from painrewire.content import ContentModel, load_yaml

DISTORTIONS_FILE = Path(__file__).with_name("distortions.yaml")


class Distortion(ContentModel):
    id: str
    label: str
    explanation: str
    example: str


class DistortionsFile(ContentModel):
    """``distortions.yaml``: the thinking traps in the clinic's order, each with its own id."""

    distortions: list[Distortion]

    @model_validator(mode="after")
    def _ids_unique(self) -> DistortionsFile:
        ids = [d.id for d in self.distortions]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"every thinking trap needs its own id; used twice: {', '.join(repeated)}")
        return self


@lru_cache
def distortions() -> dict[str, Distortion]:
    """Thinking-trap id -> its label, plain explanation and an example about pain, in the clinic's order."""
    return {d.id: d for d in load_yaml(DISTORTIONS_FILE, DistortionsFile).distortions}


def distortion_label(distortion_id: str) -> str:
    """The label of a thinking trap; an id no longer in the file (a clinic removed it) shows as itself."""
    found = distortions().get(distortion_id)
    return found.label if found else distortion_id.replace("_", " ")
