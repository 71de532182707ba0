"""The rule file: its YAML layout, checked into a `RuleSet`.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from painrewire.plans.rules.conditions import ConditionParser, RuleProblem
from painrewire.plans.rules.reasons import check_reason
from painrewire.plans.rules.types import (
    CAP_SETTINGS,
    DISCIPLINES,
    GUARD_IDS,
    ID_PATTERN,
    INSTRUMENTS,
    INTENSITIES,
    MODULE_FOCUS,
    MODULES,
    SCHEDULES,
    ModuleEffect,
    QuestionnaireEffect,
    Rule,
    RuleSet,
    Setting,
)

#: The clinic's default rules, shipped beside this module.
DEFAULT_RULES_PATH = Path(__file__).with_name("rules.yaml")


class RuleFileError(ValueError):
    """A rule file that cannot be used; ``problems`` lists each problem with the rule it is in."""

    def __init__(self, origin: str, problems: Sequence[str]) -> None:
        self.origin = origin
        self.problems = tuple(problems)
        listing = "\n".join(f"- {p}" for p in self.problems)
        super().__init__(f"{origin}: {len(self.problems)} problem(s) in the plan rules:\n{listing}")


_RULE_KEYS = ("id", "when", "then", "reason", "source")
_OPTIONAL_RULE_KEYS = ("link",)
_EFFECT_KEYS = (
    "add_modules",
    "add_disciplines",
    "set_intensity",
    "repeat_questionnaires",
    "hold",
    "flag_for_review",
    "stop",
    "quotes_evidence",
)


def _whole_number(value: Any, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise RuleProblem(f"{what} must be a whole number from {lo} to {hi}, got {value!r}")
    return value


def _text_list(value: Any, what: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RuleProblem(f"{what} must be a list of names, got {value!r}")
    return value


def _parse_module(raw: Any) -> ModuleEffect:
    if not isinstance(raw, Mapping):
        raise RuleProblem(
            f"each entry of add_modules must be a mapping with module, sessions_per_week, weeks; got {raw!r}"
        )
    extra = sorted(set(raw) - {"module", "sessions_per_week", "weeks", "focus"})
    if extra:
        raise RuleProblem(f"unknown key(s) in add_modules: {', '.join(map(str, extra))}")
    module = raw.get("module")
    if module not in MODULES:
        raise RuleProblem(f"unknown module {module!r} (known: {', '.join(MODULES)})")
    per_week = _whole_number(raw.get("sessions_per_week"), f"sessions_per_week of {module}", 1, 14)
    weeks = _whole_number(raw.get("weeks"), f"weeks of {module}", 1, 52)
    focus = _text_list(raw.get("focus", []), f"focus of {module}")
    for item in focus:
        if item not in MODULE_FOCUS[module]:
            known = ", ".join(MODULE_FOCUS[module]) or "none"
            raise RuleProblem(f"unknown focus {item!r} for module {module} (known: {known})")
    return ModuleEffect(module, per_week, weeks, tuple(focus))


def _parse_questionnaire(raw: Any) -> QuestionnaireEffect:
    if not isinstance(raw, Mapping) or set(raw) != {"instrument", "schedule"}:
        raise RuleProblem(
            f"each entry of repeat_questionnaires needs exactly instrument and schedule, got {raw!r}"
        )
    instrument = raw["instrument"]
    if instrument not in INSTRUMENTS:
        raise RuleProblem(f"unknown instrument {instrument!r} (known: {', '.join(INSTRUMENTS)})")
    schedule = _text_list(raw["schedule"], f"schedule of {instrument}")
    if not schedule:
        raise RuleProblem(f"schedule of {instrument} is empty")
    for item in schedule:
        if item not in SCHEDULES:
            raise RuleProblem(f"unknown schedule {item!r} for {instrument} (known: {', '.join(SCHEDULES)})")
    return QuestionnaireEffect(instrument, tuple(schedule))


def _parse_rule(raw: Any, settings: Mapping[str, Setting]) -> Rule:
    if not isinstance(raw, Mapping):
        raise RuleProblem(f"a rule must be a mapping with {', '.join(_RULE_KEYS)}, got {raw!r}")
    extra = sorted(set(raw) - set(_RULE_KEYS) - set(_OPTIONAL_RULE_KEYS))
    if extra:
        raise RuleProblem(
            f"unknown key(s) {', '.join(map(str, extra))} (a rule has {', '.join(_RULE_KEYS)}, and may have "
            f"{', '.join(_OPTIONAL_RULE_KEYS)})"
        )
    href, link_text = _parse_link(raw.get("link"))
    missing = [k for k in _RULE_KEYS if k not in raw]
    if missing:
        raise RuleProblem(f"missing {', '.join(missing)}")
    when = raw["when"]
    if not isinstance(when, str):
        raise RuleProblem(f"'when' must be a condition written as text, got {when!r}")
    condition = ConditionParser(when, settings).parse()
    source = raw["source"]
    if not isinstance(source, str) or not source.strip():
        raise RuleProblem("'source' must say where the rule comes from (a paper, or 'clinic setting')")
    reason = raw["reason"]
    if not isinstance(reason, Mapping) or set(reason) != {"clinician", "patient"}:
        raise RuleProblem("'reason' must have exactly two texts: clinician and patient")
    for who in ("clinician", "patient"):
        if not isinstance(reason[who], str) or not reason[who].strip():
            raise RuleProblem(f"the {who} reason must be non-empty text")
        check_reason(reason[who], settings)
    then = raw["then"]
    if not isinstance(then, Mapping) or not then:
        raise RuleProblem(f"'then' must list at least one effect ({', '.join(_EFFECT_KEYS)})")
    unknown = sorted(set(then) - set(_EFFECT_KEYS))
    if unknown:
        raise RuleProblem(
            f"unknown effect(s) {', '.join(map(str, unknown))} (known: {', '.join(_EFFECT_KEYS)})"
        )
    modules = tuple(_parse_module(m) for m in _list_of(then.get("add_modules", []), "add_modules"))
    disciplines = _text_list(then.get("add_disciplines", []), "add_disciplines")
    for discipline in disciplines:
        if discipline not in DISCIPLINES:
            raise RuleProblem(f"unknown discipline {discipline!r} (known: {', '.join(DISCIPLINES)})")
    intensity = then.get("set_intensity")
    if intensity is not None and intensity not in INTENSITIES:
        raise RuleProblem(f"unknown intensity {intensity!r} (known: {', '.join(INTENSITIES)})")
    questionnaires = tuple(
        _parse_questionnaire(q)
        for q in _list_of(then.get("repeat_questionnaires", []), "repeat_questionnaires")
    )
    switches = {key: then.get(key, False) for key in ("hold", "flag_for_review", "stop", "quotes_evidence")}
    for key, value in switches.items():
        if not isinstance(value, bool):
            raise RuleProblem(f"{key} must be true or false, got {value!r}")
    return Rule(
        id=str(raw["id"]),
        when=when,
        condition=condition,
        source=source,
        reason_clinician=reason["clinician"],
        reason_patient=reason["patient"],
        href=href,
        link_text=link_text,
        add_modules=modules,
        add_disciplines=tuple(disciplines),
        set_intensity=intensity,
        repeat_questionnaires=questionnaires,
        hold=switches["hold"],
        flag_for_review=switches["flag_for_review"],
        stop=switches["stop"],
        quotes_evidence=switches["quotes_evidence"],
    )


def _parse_link(raw: Any) -> tuple[str | None, str | None]:
    if raw is None:
        return None, None
    if not isinstance(raw, Mapping) or set(raw) != {"href", "text"}:
        raise RuleProblem(f"'link' needs exactly href and text, got {raw!r}")
    href, text = raw["href"], raw["text"]
    if not isinstance(href, str) or not href.startswith("/") or href.startswith("//") or " " in href:
        raise RuleProblem(f"link href must be a path in the app starting with /, got {href!r}")
    if not isinstance(text, str) or not text.strip():
        raise RuleProblem("link text must be non-empty text")
    return href, text.strip()


def _list_of(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise RuleProblem(f"{what} must be a list, got {value!r}")
    return value


def _parse_settings(raw: Any, problems: list[str]) -> dict[str, Setting]:
    settings: dict[str, Setting] = {}
    if raw is None:
        return settings
    if not isinstance(raw, Mapping):
        problems.append("settings must be a mapping of name to {value, source}")
        return settings
    for name, entry in raw.items():
        if not isinstance(name, str) or not ID_PATTERN.match(name):
            problems.append(f"setting {name!r}: a setting name is lower_case_with_underscores")
            continue
        if not isinstance(entry, Mapping) or set(entry) != {"value", "source"}:
            problems.append(f"setting {name!r}: needs exactly value and source")
            continue
        value, source = entry["value"], entry["source"]
        if not isinstance(value, int | float | str | bool) or (
            isinstance(value, float) and not math.isfinite(value)
        ):
            problems.append(f"setting {name!r}: value must be a number, text or true/false, got {value!r}")
            continue
        if not isinstance(source, str) or not source.strip():
            problems.append(
                f"setting {name!r}: source must say where the value comes from, or 'clinic setting'"
            )
            continue
        settings[name] = Setting(name, value, source)
    return settings


def parse_rules(document: Any, *, origin: str = "plan rules") -> RuleSet:
    """Check a rule document (as loaded from YAML) and return the rules ready to evaluate.

    Parameters
    ----------
    document : mapping
        ``{version: str, settings: {name: {value, source}}, rules: [ {id, when, then, reason, source} ]}``.
    origin : str
        Where the document came from, for messages (usually the file path).

    Returns
    -------
    rules : RuleSet
        Settings and rules in file order.

    Raises
    ------
    RuleFileError
        Listing every problem found, each with the id of the rule it is in: unknown paths, operators,
        modules, disciplines, instruments, schedules, settings, and malformed conditions or reasons.
    """
    if not isinstance(document, Mapping):
        raise RuleFileError(origin, ["the file must be a mapping with version, settings and rules"])
    problems: list[str] = []
    extra = sorted(set(document) - {"version", "settings", "rules"})
    if extra:
        problems.append(
            f"unknown top-level key(s) {', '.join(map(str, extra))} (known: version, settings, rules)"
        )
    version = document.get("version")
    if not isinstance(version, str | int | float) or isinstance(version, bool):
        problems.append('version must be given, e.g. version: "2025-1"')
    settings = _parse_settings(document.get("settings"), problems)
    for name, (_, lo, hi) in CAP_SETTINGS.items():
        if name in settings:
            value = settings[name].value
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                problems.append(f"setting {name!r}: must be a whole number from {lo} to {hi}, got {value!r}")
    raw_rules = document.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        problems.append("rules must be a non-empty list")
        raw_rules = []
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules, start=1):
        rule_id = raw.get("id") if isinstance(raw, Mapping) else None
        label = f"rule {rule_id!r}" if isinstance(rule_id, str) else f"rule number {index}"
        if not isinstance(rule_id, str) or not ID_PATTERN.match(rule_id):
            problems.append(f"{label}: id must be lower_case_with_underscores, got {rule_id!r}")
            continue
        if rule_id in seen:
            problems.append(f"{label}: the id is used by an earlier rule too")
            continue
        if rule_id in GUARD_IDS:
            problems.append(f"{label}: the id is kept for the plan's own reasons ({', '.join(GUARD_IDS)})")
            continue
        seen.add(rule_id)
        try:
            rules.append(_parse_rule(raw, settings))
        except RuleProblem as problem:
            problems.append(f"{label}: {problem}")
    if problems:
        raise RuleFileError(origin, problems)
    return RuleSet(version=str(version), settings=settings, rules=tuple(rules))


def load_rules(path: str | Path | None = None) -> RuleSet:
    """Read and check a rule file; without a path, the clinic default shipped beside this module.

    Parameters
    ----------
    path : str | pathlib.Path | None
        A YAML rule file; ``None`` for `DEFAULT_RULES_PATH`.

    Returns
    -------
    rules : RuleSet

    Raises
    ------
    RuleFileError
        When the file is not valid YAML or any rule is wrong (see `parse_rules`).
    """
    file = Path(path) if path is not None else DEFAULT_RULES_PATH
    try:
        document = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleFileError(str(file), [f"not valid YAML: {exc}"]) from None
    return parse_rules(document, origin=str(file))
