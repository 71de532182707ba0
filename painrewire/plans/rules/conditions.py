"""Rule conditions: paths into the assessment profile and the small condition language over them.

Conditions are parsed by a recursive-descent parser here, never by ``eval``. Missing data never raises: a
comparison on a value that is not there is false, so ``not`` of it is true.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from painrewire.plans.rules.types import (
    CHECKLIST_LEVELS,
    CHOICES,
    CLINICIAN_FLAGS,
    CONSENT_KINDS,
    GOALS,
    ID_PATTERN,
    INSTRUMENTS,
    MODULES,
    TREATMENT_KINDS,
    AssessmentProfile,
    Setting,
    TreatmentHistory,
)

# --- paths into the profile ---------------------------------------------------------------------------

NUMBER, TEXT, FLAG, LIST = "number", "text", "yes/no", "list"
#: A value shown in a reason only (who recorded a judgement, when, and their note), never compared.
DETAIL = "detail"

_HISTORY_LISTS = ("tried", "failed", "partly_helped", "helped", "failed_medicines")
_HISTORY_COUNTS = ("tried_count", "failed_count", "failed_medicine_count")
_CLINICIAN_DETAILS = ("by", "on", "note")


@dataclass(frozen=True)
class PathKind:
    kind: str
    allowed_text: tuple[str, ...] = ()


def path_kind(path: str) -> PathKind:
    """The kind of value a profile path holds; raises `RuleProblem` naming what is unknown."""
    parts = path.split(".")
    head = parts[0]
    simple = {
        "pain_duration_weeks": PathKind(NUMBER),
        "average_pain_last_week": PathKind(NUMBER),
        "cleared": PathKind(FLAG),
        "red_flags": PathKind(LIST),
        "red_flag_count": PathKind(NUMBER),
        "open_safety_alerts": PathKind(NUMBER),
        "neuroplastic_checklist_level": PathKind(TEXT, CHECKLIST_LEVELS),
        "sleep_problems": PathKind(FLAG),
        "leg_pain": PathKind(FLAG),
    }
    if head in simple and len(parts) == 1:
        return simple[head]
    if head == "scores":
        if len(parts) < 3:
            raise RuleProblem(
                f"unknown path {path!r}: write scores.<instrument>.total, .band, .flags or .subscales.<name>"
            )
        if parts[1] not in INSTRUMENTS:
            raise RuleProblem(
                f"unknown path {path!r}: no instrument {parts[1]!r} (known: {', '.join(INSTRUMENTS)})"
            )
        leaf = parts[2:]
        if leaf == ["total"]:
            return PathKind(NUMBER)
        if leaf == ["band"]:
            return PathKind(TEXT)
        if leaf == ["flags"]:
            return PathKind(LIST)
        if len(leaf) == 2 and leaf[0] == "subscales" and ID_PATTERN.match(leaf[1]):
            return PathKind(NUMBER)
        raise RuleProblem(
            f"unknown path {path!r}: after the instrument write total, band, flags or subscales.<name>"
        )
    if head == "gmi" and len(parts) == 2:
        if parts[1] in ("accuracy", "median_rt_ms"):
            return PathKind(NUMBER)
        if parts[1] == "left_right_flag":
            return PathKind(FLAG)
    if head == "neurofeedback" and len(parts) == 2 and parts[1] in ("sessions_done", "reward_rate"):
        return PathKind(NUMBER)
    if head == "preferences":
        if len(parts) == 2 and parts[1] == "wants_neurofeedback":
            return PathKind(FLAG)
        if len(parts) == 2 and parts[1] in MODULES:
            return PathKind(TEXT, CHOICES)
        raise RuleProblem(
            f"unknown path {path!r}: write preferences.<module> ({', '.join(MODULES)}) or "
            "preferences.wants_neurofeedback"
        )
    if head == "goals" and len(parts) == 1:
        return PathKind(LIST, GOALS)
    if head == "history":
        if len(parts) == 2 and parts[1] in _HISTORY_LISTS:
            return PathKind(LIST, TREATMENT_KINDS)
        if len(parts) == 2 and parts[1] in _HISTORY_COUNTS:
            return PathKind(NUMBER)
        raise RuleProblem(
            f"unknown path {path!r}: write history.<{'|'.join(_HISTORY_LISTS + _HISTORY_COUNTS)}>"
        )
    if head == "consent":
        if len(parts) == 2 and parts[1] in CONSENT_KINDS:
            return PathKind(FLAG)
        raise RuleProblem(f"unknown path {path!r}: write consent.<{'|'.join(CONSENT_KINDS)}>")
    if head == "clinician":
        if len(parts) in (2, 3) and parts[1] in CLINICIAN_FLAGS:
            if len(parts) == 2:
                return PathKind(FLAG)
            if parts[2] in _CLINICIAN_DETAILS:
                return PathKind(DETAIL)
        raise RuleProblem(
            f"unknown path {path!r}: write clinician.<{'|'.join(CLINICIAN_FLAGS)}>, or in a reason "
            f"clinician.<flag>.<{'|'.join(_CLINICIAN_DETAILS)}>"
        )
    raise RuleProblem(f"unknown path {path!r}")


def resolve(profile: AssessmentProfile, path: str) -> Any:
    """The value at a (checked) path, or None when the data is not there."""
    parts = path.split(".")
    head = parts[0]
    if head == "red_flag_count":
        return len(profile.red_flags)
    if head == "scores":
        score = profile.scores.get(parts[1])
        if score is None:
            return None
        if parts[2] == "subscales":
            return score.subscales.get(parts[3])
        return getattr(score, parts[2])
    if head in ("gmi", "neurofeedback"):
        holder = getattr(profile, head)
        return None if holder is None else getattr(holder, parts[1])
    if head == "preferences":
        if parts[1] == "wants_neurofeedback":
            return profile.preferences.neurofeedback_wanted
        return profile.preferences.choice(parts[1])
    if head == "goals":
        return list(profile.goals)
    if head == "history":
        return _history_value(profile.history, parts[1])
    if head == "consent":
        return getattr(profile.consent, parts[1])
    if head == "clinician":
        note = profile.clinician.get(parts[1])
        if len(parts) == 2:
            return note is not None
        return None if note is None else getattr(note, parts[2])
    return getattr(profile, head)


def _history_value(history: TreatmentHistory | None, name: str) -> Any:
    if history is None:
        return None
    if name == "failed_medicines":
        return list(history.failed_medicines)
    if name == "failed_medicine_count":
        return len(history.failed_medicines)
    if name.endswith("_count"):
        return len(getattr(history, name.removesuffix("_count")))
    return list(getattr(history, name))


# --- condition expressions ----------------------------------------------------------------------------


class RuleProblem(ValueError):
    """One problem in a condition or a reason: a `ValueError`, so the rule file's validators report it with the
    rule it is in."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?)
      | (?P<string>"[^"]*"|'[^']*')
      | (?P<op>>=|<=|==|!=|>|<)
      | (?P<punct>[()\[\],])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = frozenset(
    {"and", "or", "not", "in", "is", "missing", "present", "contains", "always", "true", "false"}
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    ">=": lambda a, b: bool(a >= b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    "<": lambda a, b: bool(a < b),
    "==": lambda a, b: bool(a == b),
    "!=": lambda a, b: bool(a != b),
}


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise RuleProblem(f"cannot read {text[pos:].strip()[:20]!r} in the condition {text!r}")
        kind = match.lastgroup
        assert kind is not None
        value = match.group(kind)
        if kind == "word" and value in _KEYWORDS:
            kind = "keyword"
        tokens.append(_Token(kind, value))
        pos = match.end()
    return tokens


class Condition:
    def holds(self, profile: AssessmentProfile) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class _Always(Condition):
    def holds(self, profile: AssessmentProfile) -> bool:
        return True


@dataclass(frozen=True)
class _Compare(Condition):
    path: str
    op: str
    value: Any

    def holds(self, profile: AssessmentProfile) -> bool:
        actual = resolve(profile, self.path)
        return actual is not None and _COMPARE[self.op](actual, self.value)


@dataclass(frozen=True)
class _In(Condition):
    path: str
    values: tuple[Any, ...]

    def holds(self, profile: AssessmentProfile) -> bool:
        actual = resolve(profile, self.path)
        return actual is not None and actual in self.values


@dataclass(frozen=True)
class _Contains(Condition):
    path: str
    value: str

    def holds(self, profile: AssessmentProfile) -> bool:
        actual = resolve(profile, self.path)
        return actual is not None and self.value in actual


@dataclass(frozen=True)
class _IsMissing(Condition):
    path: str
    missing: bool

    def holds(self, profile: AssessmentProfile) -> bool:
        return (resolve(profile, self.path) is None) == self.missing


@dataclass(frozen=True)
class _Not(Condition):
    inner: Condition

    def holds(self, profile: AssessmentProfile) -> bool:
        return not self.inner.holds(profile)


@dataclass(frozen=True)
class _All(Condition):
    parts: tuple[Condition, ...]

    def holds(self, profile: AssessmentProfile) -> bool:
        return all(p.holds(profile) for p in self.parts)


@dataclass(frozen=True)
class _Any(Condition):
    parts: tuple[Condition, ...]

    def holds(self, profile: AssessmentProfile) -> bool:
        return any(p.holds(profile) for p in self.parts)


class ConditionParser:
    """Recursive descent over: or-expr := and-expr ('or' and-expr)*; and-expr := unary ('and' unary)*;
    unary := 'not' unary | '(' or-expr ')' | 'always' | comparison."""

    def __init__(self, text: str, settings: Mapping[str, Setting]) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0
        self.settings = settings

    def parse(self) -> Condition:
        if not self.tokens:
            raise RuleProblem("the condition is empty (write 'always' for a rule that always applies)")
        condition = self._or()
        if self.pos < len(self.tokens):
            raise RuleProblem(f"unexpected {self.tokens[self.pos].text!r} in the condition {self.text!r}")
        return condition

    def _peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _next(self, expected: str) -> _Token:
        token = self._peek()
        if token is None:
            raise RuleProblem(f"the condition {self.text!r} ends where {expected} was expected")
        self.pos += 1
        return token

    def _accept(self, text: str) -> bool:
        token = self._peek()
        if token is not None and token.text == text and token.kind in ("keyword", "punct", "op"):
            self.pos += 1
            return True
        return False

    def _or(self) -> Condition:
        parts = [self._and()]
        while self._accept("or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else _Any(tuple(parts))

    def _and(self) -> Condition:
        parts = [self._unary()]
        while self._accept("and"):
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else _All(tuple(parts))

    def _unary(self) -> Condition:
        if self._accept("not"):
            return _Not(self._unary())
        if self._accept("("):
            inner = self._or()
            if not self._accept(")"):
                raise RuleProblem(f"a bracket is not closed in the condition {self.text!r}")
            return inner
        if self._accept("always"):
            return _Always()
        return self._comparison()

    def _comparison(self) -> Condition:
        token = self._next("a profile path")
        if token.kind != "word":
            raise RuleProblem(
                f"expected a profile path such as scores.pcs.total, got {token.text!r} in {self.text!r}"
            )
        path = token.text
        if path.startswith("settings."):
            raise RuleProblem(
                f"a setting ({path!r}) can only stand on the right of a comparison, after a profile path"
            )
        kind = path_kind(path)
        op = self._next(f"an operator after {path!r}")
        if op.text == "is":
            word = self._next("'missing' or 'present'")
            if word.text not in ("missing", "present"):
                raise RuleProblem(f"write '{path} is missing' or '{path} is present', not 'is {word.text}'")
            return _IsMissing(path, word.text == "missing")
        if kind.kind == DETAIL:
            raise RuleProblem(
                f"{path!r} can only be shown in a reason; compare {path.rsplit('.', 1)[0]!r} instead"
            )
        if op.text == "contains":
            if kind.kind != LIST:
                raise RuleProblem(
                    f"{path!r} is {kind.kind}, not a list: 'contains' only works on lists (red_flags, goals, "
                    "history.tried/failed/..., scores.<instrument>.flags)"
                )
            value = self._value()
            if not isinstance(value, str):
                raise RuleProblem(f"'{path} contains' needs text in quotes, got {value!r}")
            if kind.allowed_text and value not in kind.allowed_text:
                raise RuleProblem(
                    f"{path!r} never contains {value!r} (known: {', '.join(kind.allowed_text)})"
                )
            return _Contains(path, value)
        if op.text == "in":
            values = self._list()
            for v in values:
                self._check_operand(path, kind, "in", v)
            return _In(path, tuple(values))
        if op.kind != "op":
            raise RuleProblem(
                f"unknown operator {op.text!r} after {path!r} (use >=, <=, >, <, ==, !=, in, contains, is missing)"
            )
        value = self._value()
        self._check_operand(path, kind, op.text, value)
        return _Compare(path, op.text, value)

    def _check_operand(self, path: str, kind: PathKind, op: str, value: Any) -> None:
        if kind.kind == LIST:
            raise RuleProblem(f"{path!r} is a list: use '{path} contains \"...\"', or compare its count")
        if kind.kind == NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise RuleProblem(f"{path!r} is a number and cannot be compared with {value!r}")
            return
        if op not in ("==", "!=", "in"):
            raise RuleProblem(f"{path!r} is {kind.kind}: use == or != (or in), not {op}")
        if kind.kind == FLAG and not isinstance(value, bool):
            raise RuleProblem(f"{path!r} is yes/no: compare it with true or false, not {value!r}")
        if kind.kind == TEXT:
            if not isinstance(value, str):
                raise RuleProblem(f"{path!r} is text: compare it with text in quotes, not {value!r}")
            if kind.allowed_text and value not in kind.allowed_text:
                raise RuleProblem(f"{path!r} is one of {', '.join(kind.allowed_text)}, never {value!r}")

    def _list(self) -> list[Any]:
        if not self._accept("["):
            raise RuleProblem(
                f'\'in\' needs a list in square brackets, e.g. ["medium", "high"], in {self.text!r}'
            )
        values = [self._value()]
        while self._accept(","):
            values.append(self._value())
        if not self._accept("]"):
            raise RuleProblem(f"a list is not closed with ']' in {self.text!r}")
        return values

    def _value(self) -> Any:
        token = self._next("a value")
        if token.kind == "number":
            number = float(token.text)
            return int(number) if number.is_integer() and "." not in token.text else number
        if token.kind == "string":
            return token.text[1:-1]
        if token.text in ("true", "false"):
            return token.text == "true"
        if token.kind == "word" and token.text.startswith("settings."):
            name = token.text.removeprefix("settings.")
            if name not in self.settings:
                raise RuleProblem(
                    f"unknown setting {token.text!r} (known: {', '.join(sorted(self.settings)) or 'none'})"
                )
            return self.settings[name].value
        raise RuleProblem(
            f"expected a number, true/false, a setting or text in quotes, got {token.text!r} in {self.text!r}"
            + (f' (write "{token.text}" in quotes if you mean the text)' if token.kind == "word" else "")
        )
