"""Reasons: the ``{path:format}`` placeholders in a rule's clinician and patient texts, checked and filled in.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from painrewire.plans.labels import (
    GOAL_LABELS,
    TREATMENT_LABELS,
    and_list,
)
from painrewire.plans.rules.conditions import LIST, NUMBER, RuleProblem, path_kind, resolve
from painrewire.plans.rules.types import AssessmentProfile, Setting

# --- reasons ------------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
#: ``percent`` shows a fraction as a percentage, ``list`` a list in words ("physiotherapy, NSAIDs and
#: opioids"), ``words`` a whole number from 0 to 12 in words ("two").
_FORMATS = ("percent", "list", "words")
_NUMBER_WORDS = (
    "no",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
)


def _format_number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _labels_for(path: str) -> Mapping[str, str]:
    """How the items of a list path read in a sentence (goals and treatments by name)."""
    if path == "goals":
        return GOAL_LABELS
    if path.startswith("history."):
        return TREATMENT_LABELS
    return {}


def _format_value(value: Any, spec: str, labels: Mapping[str, str] | None = None) -> str:
    if value is None:
        return "not recorded"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if spec == "words" and float(value).is_integer() and 0 <= value < len(_NUMBER_WORDS):
            return _NUMBER_WORDS[int(value)]
        return _format_number(value * 100) + "%" if spec == "percent" else _format_number(value)
    if isinstance(value, list | tuple):
        names = [str((labels or {}).get(v, v)) for v in value]
        if spec == "list":
            return and_list(names)
        return ", ".join(names) if names else "none"
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    return str(value)


def check_reason(text: str, settings: Mapping[str, Setting]) -> None:
    for inner in _PLACEHOLDER.findall(text):
        path, _, spec = inner.partition(":")
        if spec and spec not in _FORMATS:
            raise RuleProblem(f"unknown format {spec!r} in {{{inner}}} (known: {', '.join(_FORMATS)})")
        if path.startswith("settings."):
            if path.removeprefix("settings.") not in settings:
                raise RuleProblem(f"unknown setting {path!r} in {{{inner}}}")
            continue
        kind = path_kind(path).kind
        if spec == "list" and kind != LIST:
            raise RuleProblem(f"{{{inner}}}: the format list needs a list, and {path!r} is {kind}")
        if spec in ("words", "percent") and kind != NUMBER:
            raise RuleProblem(f"{{{inner}}}: the format {spec} needs a number, and {path!r} is {kind}")
    if "{" in _PLACEHOLDER.sub("", text) or "}" in _PLACEHOLDER.sub("", text):
        raise RuleProblem(f"a curly bracket is not matched in the reason {text!r}")


def fill_reason(text: str, profile: AssessmentProfile, settings: Mapping[str, Setting]) -> str:
    def replace(match: re.Match[str]) -> str:
        path, _, spec = match.group(1).partition(":")
        if path.startswith("settings."):
            value = settings[path.removeprefix("settings.")].value
        else:
            value = resolve(profile, path)
        return _format_value(value, spec, _labels_for(path))

    return _PLACEHOLDER.sub(replace, text)
