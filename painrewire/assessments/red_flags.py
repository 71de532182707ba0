"""The intake's red-flag screen, read from ``red_flags.yaml``: questions, urgency, messages and sources.

`evaluate_red_flags` turns the yes/no answers into the red flags found. Every question must be answered: a
screen with a question left out is refused (``ValueError`` naming it), never read as "no".

Pure: standard library and PyYAML only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

RED_FLAGS_FILE = Path(__file__).with_name("red_flags.yaml")

#: Most urgent first.
URGENCIES: tuple[str, ...] = ("emergency", "urgent", "soon")


@dataclass(frozen=True)
class RedFlagQuestion:
    id: str
    condition: str
    urgency: str
    text: str
    message: str
    clinician: str
    source: str


@dataclass(frozen=True)
class RedFlag:
    """A question answered yes: what it may mean, how urgently, and what the patient is told."""

    question_id: str
    condition: str
    urgency: str
    message: str
    clinician: str
    source: str

    def as_record(self) -> dict[str, str]:
        """What is stored with the intake and the alert (a plain, JSON-ready copy)."""
        return {
            "question_id": self.question_id,
            "condition": self.condition,
            "urgency": self.urgency,
            "message": self.message,
            "clinician": self.clinician,
            "source": self.source,
        }


@dataclass(frozen=True)
class RedFlagScreen:
    version: str
    conditions: Mapping[str, str]
    urgencies: Mapping[str, str]
    sources: Mapping[str, str]
    questions: tuple[RedFlagQuestion, ...]

    def cite(self, codes: str) -> str:
        """The full names of the guidelines a question gives as ``"GIRFT-CES; CKS-LBP"``."""
        return "; ".join(self.sources[c.strip().split(" ")[0]] for c in codes.split(";"))


def _clean(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{RED_FLAGS_FILE.name} {where}: expected non-empty text, got {value!r}")
    return " ".join(value.split())


@lru_cache(maxsize=1)
def screen() -> RedFlagScreen:
    """The screen as defined in the YAML file, checked once."""
    raw = yaml.safe_load(RED_FLAGS_FILE.read_text(encoding="utf-8"))
    conditions = {str(k): _clean(v, f"condition {k}") for k, v in raw["conditions"].items()}
    urgencies = {str(k): _clean(v, f"urgency {k}") for k, v in raw["urgencies"].items()}
    sources = {str(k): _clean(v, f"source {k}") for k, v in raw["sources"].items()}
    if tuple(urgencies) != URGENCIES:
        raise ValueError(f"{RED_FLAGS_FILE.name}: urgencies must be {', '.join(URGENCIES)} in that order")
    questions = []
    for entry in raw["questions"]:
        qid = _clean(entry.get("id"), "question id")
        question = RedFlagQuestion(
            id=qid,
            condition=_clean(entry.get("condition"), f"{qid} condition"),
            urgency=_clean(entry.get("urgency"), f"{qid} urgency"),
            text=_clean(entry.get("text"), f"{qid} text"),
            message=_clean(entry.get("message"), f"{qid} message"),
            clinician=_clean(entry.get("clinician"), f"{qid} clinician"),
            source=_clean(entry.get("source"), f"{qid} source"),
        )
        if question.condition not in conditions:
            raise ValueError(f"{RED_FLAGS_FILE.name} {qid}: unknown condition {question.condition!r}")
        if question.urgency not in urgencies:
            raise ValueError(f"{RED_FLAGS_FILE.name} {qid}: unknown urgency {question.urgency!r}")
        for code in question.source.split(";"):
            if code.strip().split(" ")[0] not in sources:
                raise ValueError(f"{RED_FLAGS_FILE.name} {qid}: unknown source {code.strip()!r}")
        questions.append(question)
    ids = [q.id for q in questions]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{RED_FLAGS_FILE.name}: question ids repeat")
    missing = set(conditions) - {q.condition for q in questions}
    if missing:
        raise ValueError(f"{RED_FLAGS_FILE.name}: no question screens for {', '.join(sorted(missing))}")
    return RedFlagScreen(
        version=_clean(raw.get("version"), "version"),
        conditions=conditions,
        urgencies=urgencies,
        sources=sources,
        questions=tuple(questions),
    )


def questions() -> tuple[RedFlagQuestion, ...]:
    """The questions in the order the intake form asks them."""
    return screen().questions


VERSION: str = screen().version


def most_urgent(urgencies: list[str]) -> str:
    """The most urgent of some urgency levels (emergency before urgent before soon)."""
    return min(urgencies, key=URGENCIES.index)


def evaluate_red_flags(answers: Mapping[str, bool]) -> list[RedFlag]:
    """The red flags in a complete set of answers, most urgent first.

    ``answers`` maps every question id to True (yes) or False (no). A missing or unknown question id, or an
    answer that is not True/False, raises ``ValueError`` naming the question: an unanswered safety question
    is never taken as "no".
    """
    asked = screen().questions
    known = {q.id for q in asked}
    unknown = sorted(set(answers) - known)
    if unknown:
        raise ValueError(f"unknown red-flag question(s): {', '.join(unknown)}")
    unanswered = [q.id for q in asked if q.id not in answers]
    if unanswered:
        raise ValueError(
            f"every safety question must be answered yes or no; not answered: {', '.join(unanswered)}"
        )
    flags = []
    sheet = screen()
    for question in asked:
        answer = answers[question.id]
        if not isinstance(answer, bool):
            raise ValueError(
                f"red-flag question {question.id}: answer yes (true) or no (false), got {answer!r}"
            )
        if answer:
            flags.append(
                RedFlag(
                    question_id=question.id,
                    condition=question.condition,
                    urgency=question.urgency,
                    message=question.message,
                    clinician=question.clinician,
                    source=sheet.cite(question.source),
                )
            )
    return sorted(flags, key=lambda f: URGENCIES.index(f.urgency))
