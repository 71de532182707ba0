"""The rule file: its YAML layout as pydantic models, checked into a `RuleSet`.

A problem is named by the file, the rule (by its id) and the field, through the shared content loader
(`painrewire.content`). Conditions and reasons are checked against the file's own settings, which are read
first and handed to the rules in the validation context, as are the ids already used.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, Field, StrictBool, ValidationInfo, field_validator, model_validator

from painrewire.content import ContentError, ContentModel, read_yaml, validate
from painrewire.plans.rules.conditions import ConditionParser
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

#: The error a rule file raises: the shared content error (kept under this name for callers).
RuleFileError = ContentError


def _filled(value: str) -> str:
    if not value.strip():
        raise ValueError("some text is needed here")
    return value


#: Text that must not be empty, kept as written (reasons are shown with their own line breaks).
Text = Annotated[str, AfterValidator(_filled)]


def _sourced(value: str) -> str:
    if not value.strip():
        raise ValueError("must say where it comes from (a paper, or 'clinic setting')")
    return value


#: Where a rule or a setting comes from.
Source = Annotated[str, AfterValidator(_sourced)]
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


def _known(value: str, known: tuple[str, ...], what: str, suffix: str = "") -> str:
    if value not in known:
        raise ValueError(f"unknown {what} {value!r}{suffix} (known: {', '.join(known) or 'none'})")
    return value


class SettingEntry(ContentModel):
    """A named threshold the clinic can change, and where its value comes from."""

    value: StrictBool | int | float | str
    source: Source = Field(description="Where the value comes from, or 'clinic setting'.")

    @field_validator("value")
    @classmethod
    def _finite(cls, value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"value must be a number, text or true/false, got {value!r}")
        return value


class ModuleEntry(ContentModel):
    """An entry of ``add_modules``."""

    module: str
    sessions_per_week: int = Field(ge=1, le=14, strict=True)
    weeks: int = Field(ge=1, le=52, strict=True)
    focus: list[str] = Field(default_factory=list)

    @field_validator("module")
    @classmethod
    def _known_module(cls, value: str) -> str:
        return _known(value, MODULES, "module")

    @field_validator("focus")
    @classmethod
    def _known_focus(cls, value: list[str], info: ValidationInfo) -> list[str]:
        module = info.data.get("module")
        if module is not None:
            for item in value:
                _known(item, MODULE_FOCUS[module], "focus", f" for module {module}")
        return value


class QuestionnaireEntry(ContentModel):
    """An entry of ``repeat_questionnaires``."""

    instrument: str
    schedule: list[str] = Field(min_length=1)

    @field_validator("instrument")
    @classmethod
    def _known_instrument(cls, value: str) -> str:
        return _known(value, INSTRUMENTS, "instrument")

    @field_validator("schedule")
    @classmethod
    def _known_schedule(cls, value: list[str], info: ValidationInfo) -> list[str]:
        for item in value:
            _known(item, SCHEDULES, "schedule", f" for {info.data.get('instrument', 'the questionnaire')}")
        return value


class Effects(ContentModel):
    """A rule's ``then``: at least one effect."""

    add_modules: list[ModuleEntry] = Field(default_factory=list)
    add_disciplines: list[str] = Field(default_factory=list)
    set_intensity: str | None = None
    repeat_questionnaires: list[QuestionnaireEntry] = Field(default_factory=list)
    hold: StrictBool = False
    flag_for_review: StrictBool = False
    stop: StrictBool = False
    quotes_evidence: StrictBool = False

    @model_validator(mode="before")
    @classmethod
    def _some_known_effect(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or not data:
            raise ValueError(f"'then' must list at least one effect ({', '.join(_EFFECT_KEYS)})")
        unknown = sorted(map(str, set(data) - set(_EFFECT_KEYS)))
        if unknown:
            raise ValueError(f"unknown effect(s) {', '.join(unknown)} (known: {', '.join(_EFFECT_KEYS)})")
        return data

    @field_validator("add_disciplines")
    @classmethod
    def _known_disciplines(cls, value: list[str]) -> list[str]:
        for discipline in value:
            _known(discipline, DISCIPLINES, "discipline")
        return value

    @field_validator("set_intensity")
    @classmethod
    def _known_intensity(cls, value: str | None) -> str | None:
        return None if value is None else _known(value, INTENSITIES, "intensity")


class Reason(ContentModel):
    """A rule's two reasons: for the clinician and for the patient."""

    clinician: Text
    patient: Text


class Link(ContentModel):
    """A link shown after the patient reason: a path in the app and its words."""

    href: str
    text: Text

    @field_validator("href")
    @classmethod
    def _in_the_app(cls, value: str) -> str:
        if not value.startswith("/") or value.startswith("//") or " " in value:
            raise ValueError(f"link href must be a path in the app starting with /, got {value!r}")
        return value


def _settings(info: ValidationInfo) -> Mapping[str, Setting]:
    return (info.context or {}).get("settings", {})


class RuleEntry(ContentModel):
    """One rule: ``id``, ``when``, ``then``, ``reason``, ``source`` and an optional ``link``."""

    id: str
    when: str
    then: Effects
    reason: Reason
    source: Source = Field(description="Where the rule comes from: a paper, or 'clinic setting'.")
    link: Link | None = None

    @model_validator(mode="before")
    @classmethod
    def _usable_id(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, Mapping):
            return data
        rule_id = data.get("id")
        seen: set[str] = (info.context or {}).setdefault("seen", set())
        if not isinstance(rule_id, str) or not ID_PATTERN.match(rule_id):
            raise ValueError(f"id must be lower_case_with_underscores, got {rule_id!r}")
        if rule_id in seen:
            raise ValueError("the id is used by an earlier rule too")
        if rule_id in GUARD_IDS:
            raise ValueError(f"the id is kept for the plan's own reasons ({', '.join(GUARD_IDS)})")
        seen.add(rule_id)
        return data

    @model_validator(mode="after")
    def _condition_and_reasons_read(self, info: ValidationInfo) -> RuleEntry:
        settings = _settings(info)
        ConditionParser(self.when, settings).parse()
        check_reason(self.reason.clinician, settings)
        check_reason(self.reason.patient, settings)
        return self

    def rule(self, settings: Mapping[str, Setting]) -> Rule:
        """The checked rule, ready to evaluate."""
        then = self.then
        return Rule(
            id=self.id,
            when=self.when,
            condition=ConditionParser(self.when, settings).parse(),
            source=self.source,
            reason_clinician=self.reason.clinician,
            reason_patient=self.reason.patient,
            href=self.link.href if self.link else None,
            link_text=self.link.text.strip() if self.link else None,
            add_modules=tuple(
                ModuleEffect(m.module, m.sessions_per_week, m.weeks, tuple(m.focus)) for m in then.add_modules
            ),
            add_disciplines=tuple(then.add_disciplines),
            set_intensity=then.set_intensity,
            repeat_questionnaires=tuple(
                QuestionnaireEffect(q.instrument, tuple(q.schedule)) for q in then.repeat_questionnaires
            ),
            hold=then.hold,
            flag_for_review=then.flag_for_review,
            stop=then.stop,
            quotes_evidence=then.quotes_evidence,
        )


class RulesFile(ContentModel):
    """A rule file: ``version``, named ``settings`` and ``rules`` in the order they are applied."""

    entry_names: ClassVar[Mapping[str, tuple[str, ...]]] = {"settings": ("setting",), "rules": ("rule",)}

    version: StrictBool | int | float | str = Field(description='e.g. version: "2025-1"')
    settings: dict[str, SettingEntry] | None = None
    rules: list[RuleEntry] = Field(min_length=1)

    @field_validator("version")
    @classmethod
    def _not_a_flag(cls, value: Any) -> Any:
        if isinstance(value, bool):
            raise ValueError('version must be given, e.g. version: "2025-1"')
        return value

    @field_validator("settings")
    @classmethod
    def _names_and_caps(
        cls, value: dict[str, SettingEntry] | None, info: ValidationInfo
    ) -> dict[str, SettingEntry] | None:
        for name, entry in (value or {}).items():
            if not ID_PATTERN.match(name):
                raise ValueError(f"setting {name!r}: a setting name is lower_case_with_underscores")
            if name in CAP_SETTINGS:
                _, lo, hi = CAP_SETTINGS[name]
                if (
                    isinstance(entry.value, bool)
                    or not isinstance(entry.value, int)
                    or not lo <= entry.value <= hi
                ):
                    raise ValueError(
                        f"setting {name!r}: must be a whole number from {lo} to {hi}, got {entry.value!r}"
                    )
        if info.context is not None:
            info.context["settings"] = {
                name: Setting(name, entry.value, entry.source) for name, entry in (value or {}).items()
            }
        return value


def parse_rules(document: Any, *, origin: str | Path = "plan rules") -> RuleSet:
    """Check a rule document (as loaded from YAML) and return the rules ready to evaluate.

    Parameters
    ----------
    document : mapping
        ``{version: str, settings: {name: {value, source}}, rules: [ {id, when, then, reason, source} ]}``.
    origin : str | pathlib.Path
        Where the document came from, for messages (usually the file path).

    Returns
    -------
    rules : RuleSet
        Settings and rules in file order.

    Raises
    ------
    painrewire.content.ContentError
        Listing every problem found, each naming the rule (by id) and the field it is in: unknown paths,
        operators, modules, disciplines, instruments, schedules, settings, and malformed conditions or reasons.
    """
    context: dict[str, Any] = {"settings": {}, "seen": set()}
    checked = validate(document, RulesFile, origin=origin, context=context)
    settings: dict[str, Setting] = context["settings"]
    return RuleSet(
        version=str(checked.version), settings=settings, rules=tuple(r.rule(settings) for r in checked.rules)
    )


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
    painrewire.content.ContentError
        When the file is not valid YAML or any rule is wrong (see `parse_rules`).
    """
    file = Path(path) if path is not None else DEFAULT_RULES_PATH
    return parse_rules(read_yaml(file), origin=file)
