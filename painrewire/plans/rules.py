"""Plan rules: turn an assessment into a proposed plan, with the reason for every rule that fired.

The rules live in ``rules.yaml`` beside this file, written so that a clinic manager can read and change them.
Each rule has an ``id``, a ``when`` condition, ``then`` effects, a ``source`` and two reasons (one for the
clinician, one for the patient). A condition is a short expression::

    scores.pcs.total >= settings.pcs_high and scores.tsk11.total >= settings.tsk11_high

built from profile paths (``pain_duration_weeks``, ``average_pain_last_week``, ``cleared``, ``red_flag_count``,
``open_safety_alerts``, ``scores.<instrument>.total|band|flags|subscales.<name>``,
``neuroplastic_checklist_level``, ``gmi.accuracy|median_rt_ms|left_right_flag``,
``neurofeedback.sessions_done|reward_rate``, ``preferences.wants_neurofeedback``, ``sleep_problems``),
comparisons (``>= <= > < == !=``), ``in [..]``,
``contains``, ``is missing`` / ``is present``, ``and``, ``or``, ``not``, brackets, and the word ``always``.
Numbers, ``true``/``false``, text in quotes and named clinic ``settings.<name>`` may stand on the right.
Conditions are parsed by a small parser here, never by ``eval``.

Missing data never raises: a comparison on a value that is not there (an instrument not done, no GMI test yet)
is false, so ``not`` of it is true; write ``is present`` when that matters.

A rule whose patient reason quotes study results marks it with the effect ``quotes_evidence: true``: such a
reason is true only for patients like those studied, so wherever it is shown to the patient later its condition
is checked again on their current assessment (`withdrawn_evidence`), and it is left out once it no longer holds
(a clearance withdrawn, a new baseline).

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from painrewire.plans.labels import (
    CLINICIAN_FLAG_LABELS,
    GOAL_LABELS,
    MEDICINE_KINDS,
    MODULE_WORDS,
    TREATMENT_LABELS,
    and_list,
)

#: Modules a plan can contain, in the order a plan lists them (PRT is the lead method).
MODULES: tuple[str, ...] = ("prt", "gmi", "cbt", "mindfulness", "neurofeedback")

#: What each module can focus on; a rule names these in ``focus``. Listed in display order.
MODULE_FOCUS: dict[str, tuple[str, ...]] = {
    "prt": (
        "pain_education",
        "neuroplastic_checklist",
        "somatic_tracking",
        "reappraisal_journal",
        "neuroplastic_emphasis",
    ),
    "gmi": ("left_right_judgement", "explicit_motor_imagery", "graded_movement"),
    "cbt": ("thought_records", "graded_exposure", "activity_pacing"),
    "mindfulness": ("body_scan", "breathing_practice"),
    "neurofeedback": (),
}

#: Disciplines of the care team, in the order a plan lists them.
DISCIPLINES: tuple[str, ...] = (
    "pain_specialist",
    "physical_therapist",
    "psychologist",
    "neurofeedback_practitioner",
)

#: Questionnaire instruments, in the order a plan lists them.
INSTRUMENTS: tuple[str, ...] = (
    "peg",
    "bpi",
    "odi",
    "rmdq",
    "pcs",
    "tsk11",
    "phq9",
    "gad7",
    "startback",
    "pseq",
    "csi",
)

#: Plan intensities from least to most support; when rules disagree the plan takes the most support asked for.
INTENSITIES: tuple[str, ...] = ("education_only", "standard", "intensive")

#: The intensity of a plan when no rule sets one.
DEFAULT_INTENSITY = "standard"

#: When a questionnaire is repeated: week 0, every second week, and the plan's last week.
SCHEDULES: tuple[str, ...] = ("baseline", "every_2_weeks", "end")

#: Answers to the "evidence for neuroplastic pain" checklist, summarised.
CHECKLIST_LEVELS: tuple[str, ...] = ("few", "some", "many")

#: The clinic's default rules, shipped beside this module.
DEFAULT_RULES_PATH = Path(__file__).with_name("rules.yaml")

_ID = re.compile(r"^[a-z][a-z0-9_]*$")

# --- the assessment profile ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScoreSummary:
    """One questionnaire's stored score, as the scoring engine gave it."""

    total: float | None = None
    band: str | None = None
    subscales: dict[str, float] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class LateralityResult:
    """The latest GMI left/right judgement test of trunk images.

    ``accuracy`` is the fraction correct (0 to 1), ``median_rt_ms`` the median reaction time of correct answers
    in milliseconds, ``left_right_flag`` true when left and right differ by more than the GMI program allows.
    """

    accuracy: float
    median_rt_ms: float
    left_right_flag: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.accuracy <= 1.0:
            raise ValueError(f"GMI accuracy must be a fraction from 0 to 1, got {self.accuracy!r}")
        if not self.median_rt_ms > 0:
            raise ValueError(f"GMI median reaction time must be above 0 ms, got {self.median_rt_ms!r}")


@dataclass(frozen=True)
class NeurofeedbackResult:
    """Neurofeedback so far: sessions done and the reward rate (fraction of time rewarded, 0 to 1)."""

    sessions_done: int
    reward_rate: float | None = None

    def __post_init__(self) -> None:
        if self.sessions_done < 0:
            raise ValueError(f"neurofeedback sessions_done must be 0 or more, got {self.sessions_done!r}")
        if self.reward_rate is not None and not 0.0 <= self.reward_rate <= 1.0:
            raise ValueError(
                f"neurofeedback reward_rate must be a fraction from 0 to 1, got {self.reward_rate!r}"
            )


#: What a patient can answer about each therapy on their preferences page.
CHOICES: tuple[str, ...] = ("want", "unsure", "decline")

#: Kinds of consent (``consent.models.ConsentKind``); a module listed in `MODULE_CONSENT` needs its consent.
CONSENT_KINDS: tuple[str, ...] = ("treatment", "neurofeedback", "blinded_neurofeedback", "research")

#: Modules planned only with the patient's current consent of this kind.
MODULE_CONSENT: dict[str, str] = {"neurofeedback": "neurofeedback"}

#: Disciplines that are on the team only for one module: left out with it.
MODULE_DISCIPLINES: dict[str, tuple[str, ...]] = {"neurofeedback": ("neurofeedback_practitioner",)}

#: Goals a patient can tick (``therapy_preferences.models.Goal``).
GOALS: tuple[str, ...] = tuple(GOAL_LABELS)

#: Kinds of earlier treatment (``treatment_history``): a medicine's class, or the category.
TREATMENT_KINDS: tuple[str, ...] = tuple(TREATMENT_LABELS)

#: What a clinician can record from their own judgement (``clinical_flags``).
CLINICIAN_FLAGS: tuple[str, ...] = tuple(CLINICIAN_FLAG_LABELS)


@dataclass(frozen=True)
class Preferences:
    """What the patient told us they want; ``None`` means not asked.

    ``choices`` maps a module (`MODULES`) to ``"want"``, ``"unsure"`` or ``"decline"``; a module never asked
    about is absent. ``wants_neurofeedback`` is the same answer for neurofeedback as yes (want), no (decline)
    or ``None``, for callers that know only that; when both are given they must agree.
    """

    wants_neurofeedback: bool | None = None
    choices: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for module, choice in self.choices.items():
            if module not in MODULES:
                raise ValueError(f"preferences: unknown module {module!r}; known: {', '.join(MODULES)}")
            if choice not in CHOICES:
                raise ValueError(f"preferences: {module} must be one of {', '.join(CHOICES)}, got {choice!r}")
        said = self.choices.get("neurofeedback")
        wanted = self.wants_neurofeedback
        if (
            wanted is not None
            and said is not None
            and {"want": True, "decline": False}.get(said) is not wanted
        ):
            raise ValueError(
                f"preferences: wants_neurofeedback={wanted} disagrees with the neurofeedback choice {said!r}"
            )

    def choice(self, module: str) -> str | None:
        """The patient's answer for a module, or None when never asked."""
        said = self.choices.get(module)
        if said is None and module == "neurofeedback" and self.wants_neurofeedback is not None:
            return "want" if self.wants_neurofeedback else "decline"
        return said

    @property
    def neurofeedback_wanted(self) -> bool | None:
        return {"want": True, "decline": False}.get(self.choice("neurofeedback") or "")


@dataclass(frozen=True)
class TreatmentHistory:
    """What the patient has tried for their back pain, each kind named once (`TREATMENT_KINDS`).

    A kind is in ``failed`` when it did not help, ``partly_helped`` when it helped a little, ``helped`` when
    it helped a lot (``treatment_history.service.history_summary`` counts a kind tried several times by its
    best effect); ``tried`` lists every kind, in the order first tried.
    """

    tried: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    partly_helped: tuple[str, ...] = ()
    helped: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("tried", "failed", "partly_helped", "helped"):
            unknown = [k for k in getattr(self, name) if k not in TREATMENT_KINDS]
            if unknown:
                raise ValueError(
                    f"treatment history: unknown kind(s) in {name}: {', '.join(map(str, unknown))}; "
                    f"known: {', '.join(TREATMENT_KINDS)}"
                )

    @property
    def failed_medicines(self) -> tuple[str, ...]:
        return tuple(k for k in self.failed if k in MEDICINE_KINDS)


@dataclass(frozen=True)
class Consent:
    """Whether the patient has a current consent of each kind (`CONSENT_KINDS`); ``None`` when unknown."""

    treatment: bool | None = None
    neurofeedback: bool | None = None
    blinded_neurofeedback: bool | None = None
    research: bool | None = None


@dataclass(frozen=True)
class ClinicianNote:
    """A clinician's judgement recorded for the rules (`CLINICIAN_FLAGS`): who, on what day, and why."""

    by: str
    on: date
    note: str = ""


@dataclass(frozen=True)
class AssessmentProfile:
    """Everything the plan rules look at, as plain values.

    ``scores`` maps an instrument id (see `INSTRUMENTS`) to its score; an instrument not done is simply absent.
    ``sleep_problems`` is true when intake or the diary show poor sleep (the caller decides), ``None`` when
    unknown. ``average_pain_last_week`` is the patient's average pain over the last week before treatment
    (0-10; the caller says from what), ``cleared`` whether a medically qualified clinician has found no specific
    cause that needs other care; ``None`` when unknown.
    """

    pain_duration_weeks: int
    red_flags: list[str] = field(default_factory=list)
    open_safety_alerts: int = 0
    scores: dict[str, ScoreSummary] = field(default_factory=dict)
    neuroplastic_checklist_level: str | None = None
    gmi: LateralityResult | None = None
    neurofeedback: NeurofeedbackResult | None = None
    preferences: Preferences = field(default_factory=Preferences)
    #: Pain going down the leg, as the intake says; None when unknown.
    leg_pain: bool | None = None
    #: The goals the patient ticked (`GOALS`), in the order of that list.
    goals: tuple[str, ...] = ()
    #: What the patient has tried before; None when nothing is recorded.
    history: TreatmentHistory | None = None
    consent: Consent = field(default_factory=Consent)
    #: The clinician's current judgements, by kind (`CLINICIAN_FLAGS`); a kind not recorded is absent.
    clinician: dict[str, ClinicianNote] = field(default_factory=dict)
    sleep_problems: bool | None = None
    average_pain_last_week: float | None = None
    cleared: bool | None = None

    def __post_init__(self) -> None:
        if isinstance(self.pain_duration_weeks, bool) or not isinstance(self.pain_duration_weeks, int):
            raise TypeError(
                f"pain_duration_weeks must be a whole number of weeks, got {self.pain_duration_weeks!r}"
            )
        if self.pain_duration_weeks < 0:
            raise ValueError(f"pain_duration_weeks must be 0 or more, got {self.pain_duration_weeks}")
        if self.open_safety_alerts < 0:
            raise ValueError(f"open_safety_alerts must be 0 or more, got {self.open_safety_alerts}")
        pain = self.average_pain_last_week
        if pain is not None and not (math.isfinite(pain) and 0 <= pain <= 10):
            raise ValueError(f"average_pain_last_week must be from 0 to 10 or None, got {pain!r}")
        unknown = sorted(set(self.scores) - set(INSTRUMENTS))
        if unknown:
            raise ValueError(
                f"unknown instrument(s) in scores: {', '.join(unknown)}; known: {', '.join(INSTRUMENTS)}"
            )
        level = self.neuroplastic_checklist_level
        if level is not None and level not in CHECKLIST_LEVELS:
            raise ValueError(
                f"neuroplastic_checklist_level must be one of {', '.join(CHECKLIST_LEVELS)} or None, got {level!r}"
            )
        unknown = [g for g in self.goals if g not in GOALS]
        if isinstance(self.goals, str) or unknown:
            raise ValueError(f"unknown goal(s): {self.goals!r}; known: {', '.join(GOALS)}")
        unknown = sorted(set(self.clinician) - set(CLINICIAN_FLAGS))
        if unknown:
            raise ValueError(
                f"unknown clinician flag(s): {', '.join(unknown)}; known: {', '.join(CLINICIAN_FLAGS)}"
            )


# --- the proposal -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedModule:
    """A module in the plan: how many sessions a week, for how many weeks, with what focus."""

    id: str
    sessions_per_week: int
    weeks: int
    focus: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionnaireSchedule:
    """When an instrument is repeated: plan week numbers, 0 being baseline."""

    instrument: str
    weeks: tuple[int, ...]


@dataclass(frozen=True)
class FiredRule:
    """A rule whose condition held, with its reasons filled in from the profile.

    ``quotes_evidence``: the patient reason quotes study results (see `withdrawn_evidence`).
    """

    id: str
    reason_clinician: str
    reason_patient: str
    quotes_evidence: bool = False
    #: Where the patient can act on the reason (a path in the app), and the words of that link.
    href: str | None = None
    link_text: str | None = None


@dataclass(frozen=True)
class PlanProposal:
    """What the rules propose; a clinician reviews, overrides and signs it.

    A held plan still lists what would be proposed, so the clinician sees it; nothing starts until the hold
    is cleared. ``end_week`` is the longest module's length (0 when there are no modules).
    """

    modules: tuple[PlannedModule, ...]
    disciplines: tuple[str, ...]
    questionnaires: tuple[QuestionnaireSchedule, ...]
    intensity: str
    end_week: int
    held: bool
    hold_reasons: tuple[str, ...]
    review_reasons: tuple[str, ...]
    fired: tuple[FiredRule, ...]
    rules_version: str

    def to_dict(self) -> dict[str, Any]:
        """Return the proposal as JSON-safe dicts, lists, strings, numbers and booleans."""
        return {
            "format": 1,
            "rules_version": self.rules_version,
            "modules": [
                {
                    "id": m.id,
                    "sessions_per_week": m.sessions_per_week,
                    "weeks": m.weeks,
                    "focus": list(m.focus),
                }
                for m in self.modules
            ],
            "disciplines": list(self.disciplines),
            "questionnaires": [
                {"instrument": q.instrument, "weeks": list(q.weeks)} for q in self.questionnaires
            ],
            "intensity": self.intensity,
            "end_week": self.end_week,
            "held": self.held,
            "hold_reasons": list(self.hold_reasons),
            "review_reasons": list(self.review_reasons),
            "fired": [
                {"id": f.id, "reason_clinician": f.reason_clinician, "reason_patient": f.reason_patient}
                | ({"quotes_evidence": True} if f.quotes_evidence else {})
                | ({"href": f.href, "link_text": f.link_text} if f.href else {})
                for f in self.fired
            ],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PlanProposal:
        """Rebuild a proposal from `to_dict` output (a stored plan version)."""
        if not isinstance(data, Mapping):
            raise ValueError(f"a stored plan proposal must be a JSON object, got {type(data).__name__}")
        if data.get("format") != 1:
            raise ValueError(
                f"stored plan proposal has format {data.get('format')!r}; this version reads format 1"
            )
        try:
            return cls(
                modules=tuple(
                    PlannedModule(
                        id=str(m["id"]),
                        sessions_per_week=int(m["sessions_per_week"]),
                        weeks=int(m["weeks"]),
                        focus=tuple(str(f) for f in m["focus"]),
                    )
                    for m in data["modules"]
                ),
                disciplines=tuple(str(d) for d in data["disciplines"]),
                questionnaires=tuple(
                    QuestionnaireSchedule(
                        instrument=str(q["instrument"]), weeks=tuple(int(w) for w in q["weeks"])
                    )
                    for q in data["questionnaires"]
                ),
                intensity=str(data["intensity"]),
                end_week=int(data["end_week"]),
                held=bool(data["held"]),
                hold_reasons=tuple(str(r) for r in data["hold_reasons"]),
                review_reasons=tuple(str(r) for r in data["review_reasons"]),
                fired=tuple(
                    FiredRule(
                        id=str(f["id"]),
                        reason_clinician=str(f["reason_clinician"]),
                        reason_patient=str(f["reason_patient"]),
                        quotes_evidence=f.get("quotes_evidence") is True,
                        href=str(f["href"]) if f.get("href") else None,
                        link_text=str(f["link_text"]) if f.get("link_text") else None,
                    )
                    for f in data["fired"]
                ),
                rules_version=str(data["rules_version"]),
            )
        except KeyError as exc:
            raise ValueError(f"stored plan proposal is missing {exc.args[0]!r}") from None
        except TypeError as exc:
            raise ValueError(f"stored plan proposal has a value of the wrong kind: {exc}") from None


# --- paths into the profile ---------------------------------------------------------------------------

_NUMBER, _TEXT, _FLAG, _LIST = "number", "text", "yes/no", "list"
#: A value shown in a reason only (who recorded a judgement, when, and their note), never compared.
_DETAIL = "detail"

_HISTORY_LISTS = ("tried", "failed", "partly_helped", "helped", "failed_medicines")
_HISTORY_COUNTS = ("tried_count", "failed_count", "failed_medicine_count")
_CLINICIAN_DETAILS = ("by", "on", "note")


@dataclass(frozen=True)
class _PathKind:
    kind: str
    allowed_text: tuple[str, ...] = ()


def _path_kind(path: str) -> _PathKind:
    """The kind of value a profile path holds; raises `_Problem` naming what is unknown."""
    parts = path.split(".")
    head = parts[0]
    simple = {
        "pain_duration_weeks": _PathKind(_NUMBER),
        "average_pain_last_week": _PathKind(_NUMBER),
        "cleared": _PathKind(_FLAG),
        "red_flags": _PathKind(_LIST),
        "red_flag_count": _PathKind(_NUMBER),
        "open_safety_alerts": _PathKind(_NUMBER),
        "neuroplastic_checklist_level": _PathKind(_TEXT, CHECKLIST_LEVELS),
        "sleep_problems": _PathKind(_FLAG),
        "leg_pain": _PathKind(_FLAG),
    }
    if head in simple and len(parts) == 1:
        return simple[head]
    if head == "scores":
        if len(parts) < 3:
            raise _Problem(
                f"unknown path {path!r}: write scores.<instrument>.total, .band, .flags or .subscales.<name>"
            )
        if parts[1] not in INSTRUMENTS:
            raise _Problem(
                f"unknown path {path!r}: no instrument {parts[1]!r} (known: {', '.join(INSTRUMENTS)})"
            )
        leaf = parts[2:]
        if leaf == ["total"]:
            return _PathKind(_NUMBER)
        if leaf == ["band"]:
            return _PathKind(_TEXT)
        if leaf == ["flags"]:
            return _PathKind(_LIST)
        if len(leaf) == 2 and leaf[0] == "subscales" and _ID.match(leaf[1]):
            return _PathKind(_NUMBER)
        raise _Problem(
            f"unknown path {path!r}: after the instrument write total, band, flags or subscales.<name>"
        )
    if head == "gmi" and len(parts) == 2:
        if parts[1] in ("accuracy", "median_rt_ms"):
            return _PathKind(_NUMBER)
        if parts[1] == "left_right_flag":
            return _PathKind(_FLAG)
    if head == "neurofeedback" and len(parts) == 2 and parts[1] in ("sessions_done", "reward_rate"):
        return _PathKind(_NUMBER)
    if head == "preferences":
        if len(parts) == 2 and parts[1] == "wants_neurofeedback":
            return _PathKind(_FLAG)
        if len(parts) == 2 and parts[1] in MODULES:
            return _PathKind(_TEXT, CHOICES)
        raise _Problem(
            f"unknown path {path!r}: write preferences.<module> ({', '.join(MODULES)}) or "
            "preferences.wants_neurofeedback"
        )
    if head == "goals" and len(parts) == 1:
        return _PathKind(_LIST, GOALS)
    if head == "history":
        if len(parts) == 2 and parts[1] in _HISTORY_LISTS:
            return _PathKind(_LIST, TREATMENT_KINDS)
        if len(parts) == 2 and parts[1] in _HISTORY_COUNTS:
            return _PathKind(_NUMBER)
        raise _Problem(f"unknown path {path!r}: write history.<{'|'.join(_HISTORY_LISTS + _HISTORY_COUNTS)}>")
    if head == "consent":
        if len(parts) == 2 and parts[1] in CONSENT_KINDS:
            return _PathKind(_FLAG)
        raise _Problem(f"unknown path {path!r}: write consent.<{'|'.join(CONSENT_KINDS)}>")
    if head == "clinician":
        if len(parts) in (2, 3) and parts[1] in CLINICIAN_FLAGS:
            if len(parts) == 2:
                return _PathKind(_FLAG)
            if parts[2] in _CLINICIAN_DETAILS:
                return _PathKind(_DETAIL)
        raise _Problem(
            f"unknown path {path!r}: write clinician.<{'|'.join(CLINICIAN_FLAGS)}>, or in a reason "
            f"clinician.<flag>.<{'|'.join(_CLINICIAN_DETAILS)}>"
        )
    raise _Problem(f"unknown path {path!r}")


def _resolve(profile: AssessmentProfile, path: str) -> Any:
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


class _Problem(Exception):
    """One problem in a rule file; gathered with the rule id into `RuleFileError`."""


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
            raise _Problem(f"cannot read {text[pos:].strip()[:20]!r} in the condition {text!r}")
        kind = match.lastgroup
        assert kind is not None
        value = match.group(kind)
        if kind == "word" and value in _KEYWORDS:
            kind = "keyword"
        tokens.append(_Token(kind, value))
        pos = match.end()
    return tokens


class _Condition:
    def holds(self, profile: AssessmentProfile) -> bool:
        raise NotImplementedError


@dataclass(frozen=True)
class _Always(_Condition):
    def holds(self, profile: AssessmentProfile) -> bool:
        return True


@dataclass(frozen=True)
class _Compare(_Condition):
    path: str
    op: str
    value: Any

    def holds(self, profile: AssessmentProfile) -> bool:
        actual = _resolve(profile, self.path)
        return actual is not None and _COMPARE[self.op](actual, self.value)


@dataclass(frozen=True)
class _In(_Condition):
    path: str
    values: tuple[Any, ...]

    def holds(self, profile: AssessmentProfile) -> bool:
        actual = _resolve(profile, self.path)
        return actual is not None and actual in self.values


@dataclass(frozen=True)
class _Contains(_Condition):
    path: str
    value: str

    def holds(self, profile: AssessmentProfile) -> bool:
        actual = _resolve(profile, self.path)
        return actual is not None and self.value in actual


@dataclass(frozen=True)
class _IsMissing(_Condition):
    path: str
    missing: bool

    def holds(self, profile: AssessmentProfile) -> bool:
        return (_resolve(profile, self.path) is None) == self.missing


@dataclass(frozen=True)
class _Not(_Condition):
    inner: _Condition

    def holds(self, profile: AssessmentProfile) -> bool:
        return not self.inner.holds(profile)


@dataclass(frozen=True)
class _All(_Condition):
    parts: tuple[_Condition, ...]

    def holds(self, profile: AssessmentProfile) -> bool:
        return all(p.holds(profile) for p in self.parts)


@dataclass(frozen=True)
class _Any(_Condition):
    parts: tuple[_Condition, ...]

    def holds(self, profile: AssessmentProfile) -> bool:
        return any(p.holds(profile) for p in self.parts)


class _Parser:
    """Recursive descent over: or-expr := and-expr ('or' and-expr)*; and-expr := unary ('and' unary)*;
    unary := 'not' unary | '(' or-expr ')' | 'always' | comparison."""

    def __init__(self, text: str, settings: Mapping[str, Setting]) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0
        self.settings = settings

    def parse(self) -> _Condition:
        if not self.tokens:
            raise _Problem("the condition is empty (write 'always' for a rule that always applies)")
        condition = self._or()
        if self.pos < len(self.tokens):
            raise _Problem(f"unexpected {self.tokens[self.pos].text!r} in the condition {self.text!r}")
        return condition

    def _peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _next(self, expected: str) -> _Token:
        token = self._peek()
        if token is None:
            raise _Problem(f"the condition {self.text!r} ends where {expected} was expected")
        self.pos += 1
        return token

    def _accept(self, text: str) -> bool:
        token = self._peek()
        if token is not None and token.text == text and token.kind in ("keyword", "punct", "op"):
            self.pos += 1
            return True
        return False

    def _or(self) -> _Condition:
        parts = [self._and()]
        while self._accept("or"):
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else _Any(tuple(parts))

    def _and(self) -> _Condition:
        parts = [self._unary()]
        while self._accept("and"):
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else _All(tuple(parts))

    def _unary(self) -> _Condition:
        if self._accept("not"):
            return _Not(self._unary())
        if self._accept("("):
            inner = self._or()
            if not self._accept(")"):
                raise _Problem(f"a bracket is not closed in the condition {self.text!r}")
            return inner
        if self._accept("always"):
            return _Always()
        return self._comparison()

    def _comparison(self) -> _Condition:
        token = self._next("a profile path")
        if token.kind != "word":
            raise _Problem(
                f"expected a profile path such as scores.pcs.total, got {token.text!r} in {self.text!r}"
            )
        path = token.text
        if path.startswith("settings."):
            raise _Problem(
                f"a setting ({path!r}) can only stand on the right of a comparison, after a profile path"
            )
        kind = _path_kind(path)
        op = self._next(f"an operator after {path!r}")
        if op.text == "is":
            word = self._next("'missing' or 'present'")
            if word.text not in ("missing", "present"):
                raise _Problem(f"write '{path} is missing' or '{path} is present', not 'is {word.text}'")
            return _IsMissing(path, word.text == "missing")
        if kind.kind == _DETAIL:
            raise _Problem(
                f"{path!r} can only be shown in a reason; compare {path.rsplit('.', 1)[0]!r} instead"
            )
        if op.text == "contains":
            if kind.kind != _LIST:
                raise _Problem(
                    f"{path!r} is {kind.kind}, not a list: 'contains' only works on lists (red_flags, goals, "
                    "history.tried/failed/..., scores.<instrument>.flags)"
                )
            value = self._value()
            if not isinstance(value, str):
                raise _Problem(f"'{path} contains' needs text in quotes, got {value!r}")
            if kind.allowed_text and value not in kind.allowed_text:
                raise _Problem(f"{path!r} never contains {value!r} (known: {', '.join(kind.allowed_text)})")
            return _Contains(path, value)
        if op.text == "in":
            values = self._list()
            for v in values:
                self._check_operand(path, kind, "in", v)
            return _In(path, tuple(values))
        if op.kind != "op":
            raise _Problem(
                f"unknown operator {op.text!r} after {path!r} (use >=, <=, >, <, ==, !=, in, contains, is missing)"
            )
        value = self._value()
        self._check_operand(path, kind, op.text, value)
        return _Compare(path, op.text, value)

    def _check_operand(self, path: str, kind: _PathKind, op: str, value: Any) -> None:
        if kind.kind == _LIST:
            raise _Problem(f"{path!r} is a list: use '{path} contains \"...\"', or compare its count")
        if kind.kind == _NUMBER:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _Problem(f"{path!r} is a number and cannot be compared with {value!r}")
            return
        if op not in ("==", "!=", "in"):
            raise _Problem(f"{path!r} is {kind.kind}: use == or != (or in), not {op}")
        if kind.kind == _FLAG and not isinstance(value, bool):
            raise _Problem(f"{path!r} is yes/no: compare it with true or false, not {value!r}")
        if kind.kind == _TEXT:
            if not isinstance(value, str):
                raise _Problem(f"{path!r} is text: compare it with text in quotes, not {value!r}")
            if kind.allowed_text and value not in kind.allowed_text:
                raise _Problem(f"{path!r} is one of {', '.join(kind.allowed_text)}, never {value!r}")

    def _list(self) -> list[Any]:
        if not self._accept("["):
            raise _Problem(
                f'\'in\' needs a list in square brackets, e.g. ["medium", "high"], in {self.text!r}'
            )
        values = [self._value()]
        while self._accept(","):
            values.append(self._value())
        if not self._accept("]"):
            raise _Problem(f"a list is not closed with ']' in {self.text!r}")
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
                raise _Problem(
                    f"unknown setting {token.text!r} (known: {', '.join(sorted(self.settings)) or 'none'})"
                )
            return self.settings[name].value
        raise _Problem(
            f"expected a number, true/false, a setting or text in quotes, got {token.text!r} in {self.text!r}"
            + (f' (write "{token.text}" in quotes if you mean the text)' if token.kind == "word" else "")
        )


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


def _check_reason(text: str, settings: Mapping[str, Setting]) -> None:
    for inner in _PLACEHOLDER.findall(text):
        path, _, spec = inner.partition(":")
        if spec and spec not in _FORMATS:
            raise _Problem(f"unknown format {spec!r} in {{{inner}}} (known: {', '.join(_FORMATS)})")
        if path.startswith("settings."):
            if path.removeprefix("settings.") not in settings:
                raise _Problem(f"unknown setting {path!r} in {{{inner}}}")
            continue
        kind = _path_kind(path).kind
        if spec == "list" and kind != _LIST:
            raise _Problem(f"{{{inner}}}: the format list needs a list, and {path!r} is {kind}")
        if spec in ("words", "percent") and kind != _NUMBER:
            raise _Problem(f"{{{inner}}}: the format {spec} needs a number, and {path!r} is {kind}")
    if "{" in _PLACEHOLDER.sub("", text) or "}" in _PLACEHOLDER.sub("", text):
        raise _Problem(f"a curly bracket is not matched in the reason {text!r}")


def _fill(text: str, profile: AssessmentProfile, settings: Mapping[str, Setting]) -> str:
    def replace(match: re.Match[str]) -> str:
        path, _, spec = match.group(1).partition(":")
        if path.startswith("settings."):
            value = settings[path.removeprefix("settings.")].value
        else:
            value = _resolve(profile, path)
        return _format_value(value, spec, _labels_for(path))

    return _PLACEHOLDER.sub(replace, text)


# --- rules --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """A named threshold the clinic can change, with where its value comes from."""

    name: str
    value: float | int | str | bool
    source: str


@dataclass(frozen=True)
class ModuleEffect:
    module: str
    sessions_per_week: int
    weeks: int
    focus: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuestionnaireEffect:
    instrument: str
    schedule: tuple[str, ...]


@dataclass(frozen=True)
class Rule:
    """One rule from the rule file, checked and parsed."""

    id: str
    when: str
    condition: _Condition
    source: str
    reason_clinician: str
    reason_patient: str
    #: Optional link shown after the patient reason: a path in the app and its words.
    href: str | None = None
    link_text: str | None = None
    add_modules: tuple[ModuleEffect, ...] = ()
    add_disciplines: tuple[str, ...] = ()
    set_intensity: str | None = None
    repeat_questionnaires: tuple[QuestionnaireEffect, ...] = ()
    hold: bool = False
    flag_for_review: bool = False
    stop: bool = False
    quotes_evidence: bool = False


@dataclass(frozen=True)
class RuleSet:
    """A checked rule file: its version, named settings and rules in file order."""

    version: str
    settings: dict[str, Setting]
    rules: tuple[Rule, ...]


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
        raise _Problem(f"{what} must be a whole number from {lo} to {hi}, got {value!r}")
    return value


def _text_list(value: Any, what: str) -> list[str]:
    if isinstance(value, str) or not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Problem(f"{what} must be a list of names, got {value!r}")
    return value


def _parse_module(raw: Any) -> ModuleEffect:
    if not isinstance(raw, Mapping):
        raise _Problem(
            f"each entry of add_modules must be a mapping with module, sessions_per_week, weeks; got {raw!r}"
        )
    extra = sorted(set(raw) - {"module", "sessions_per_week", "weeks", "focus"})
    if extra:
        raise _Problem(f"unknown key(s) in add_modules: {', '.join(map(str, extra))}")
    module = raw.get("module")
    if module not in MODULES:
        raise _Problem(f"unknown module {module!r} (known: {', '.join(MODULES)})")
    per_week = _whole_number(raw.get("sessions_per_week"), f"sessions_per_week of {module}", 1, 14)
    weeks = _whole_number(raw.get("weeks"), f"weeks of {module}", 1, 52)
    focus = _text_list(raw.get("focus", []), f"focus of {module}")
    for item in focus:
        if item not in MODULE_FOCUS[module]:
            known = ", ".join(MODULE_FOCUS[module]) or "none"
            raise _Problem(f"unknown focus {item!r} for module {module} (known: {known})")
    return ModuleEffect(module, per_week, weeks, tuple(focus))


def _parse_questionnaire(raw: Any) -> QuestionnaireEffect:
    if not isinstance(raw, Mapping) or set(raw) != {"instrument", "schedule"}:
        raise _Problem(
            f"each entry of repeat_questionnaires needs exactly instrument and schedule, got {raw!r}"
        )
    instrument = raw["instrument"]
    if instrument not in INSTRUMENTS:
        raise _Problem(f"unknown instrument {instrument!r} (known: {', '.join(INSTRUMENTS)})")
    schedule = _text_list(raw["schedule"], f"schedule of {instrument}")
    if not schedule:
        raise _Problem(f"schedule of {instrument} is empty")
    for item in schedule:
        if item not in SCHEDULES:
            raise _Problem(f"unknown schedule {item!r} for {instrument} (known: {', '.join(SCHEDULES)})")
    return QuestionnaireEffect(instrument, tuple(schedule))


def _parse_rule(raw: Any, settings: Mapping[str, Setting]) -> Rule:
    if not isinstance(raw, Mapping):
        raise _Problem(f"a rule must be a mapping with {', '.join(_RULE_KEYS)}, got {raw!r}")
    extra = sorted(set(raw) - set(_RULE_KEYS) - set(_OPTIONAL_RULE_KEYS))
    if extra:
        raise _Problem(
            f"unknown key(s) {', '.join(map(str, extra))} (a rule has {', '.join(_RULE_KEYS)}, and may have "
            f"{', '.join(_OPTIONAL_RULE_KEYS)})"
        )
    href, link_text = _parse_link(raw.get("link"))
    missing = [k for k in _RULE_KEYS if k not in raw]
    if missing:
        raise _Problem(f"missing {', '.join(missing)}")
    when = raw["when"]
    if not isinstance(when, str):
        raise _Problem(f"'when' must be a condition written as text, got {when!r}")
    condition = _Parser(when, settings).parse()
    source = raw["source"]
    if not isinstance(source, str) or not source.strip():
        raise _Problem("'source' must say where the rule comes from (a paper, or 'clinic setting')")
    reason = raw["reason"]
    if not isinstance(reason, Mapping) or set(reason) != {"clinician", "patient"}:
        raise _Problem("'reason' must have exactly two texts: clinician and patient")
    for who in ("clinician", "patient"):
        if not isinstance(reason[who], str) or not reason[who].strip():
            raise _Problem(f"the {who} reason must be non-empty text")
        _check_reason(reason[who], settings)
    then = raw["then"]
    if not isinstance(then, Mapping) or not then:
        raise _Problem(f"'then' must list at least one effect ({', '.join(_EFFECT_KEYS)})")
    unknown = sorted(set(then) - set(_EFFECT_KEYS))
    if unknown:
        raise _Problem(f"unknown effect(s) {', '.join(map(str, unknown))} (known: {', '.join(_EFFECT_KEYS)})")
    modules = tuple(_parse_module(m) for m in _list_of(then.get("add_modules", []), "add_modules"))
    disciplines = _text_list(then.get("add_disciplines", []), "add_disciplines")
    for discipline in disciplines:
        if discipline not in DISCIPLINES:
            raise _Problem(f"unknown discipline {discipline!r} (known: {', '.join(DISCIPLINES)})")
    intensity = then.get("set_intensity")
    if intensity is not None and intensity not in INTENSITIES:
        raise _Problem(f"unknown intensity {intensity!r} (known: {', '.join(INTENSITIES)})")
    questionnaires = tuple(
        _parse_questionnaire(q)
        for q in _list_of(then.get("repeat_questionnaires", []), "repeat_questionnaires")
    )
    switches = {key: then.get(key, False) for key in ("hold", "flag_for_review", "stop", "quotes_evidence")}
    for key, value in switches.items():
        if not isinstance(value, bool):
            raise _Problem(f"{key} must be true or false, got {value!r}")
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
        raise _Problem(f"'link' needs exactly href and text, got {raw!r}")
    href, text = raw["href"], raw["text"]
    if not isinstance(href, str) or not href.startswith("/") or href.startswith("//") or " " in href:
        raise _Problem(f"link href must be a path in the app starting with /, got {href!r}")
    if not isinstance(text, str) or not text.strip():
        raise _Problem("link text must be non-empty text")
    return href, text.strip()


def _list_of(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise _Problem(f"{what} must be a list, got {value!r}")
    return value


def _parse_settings(raw: Any, problems: list[str]) -> dict[str, Setting]:
    settings: dict[str, Setting] = {}
    if raw is None:
        return settings
    if not isinstance(raw, Mapping):
        problems.append("settings must be a mapping of name to {value, source}")
        return settings
    for name, entry in raw.items():
        if not isinstance(name, str) or not _ID.match(name):
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
    for name, (_, lo, hi) in _CAP_SETTINGS.items():
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
        if not isinstance(rule_id, str) or not _ID.match(rule_id):
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
        except _Problem as problem:
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


# --- evaluation ---------------------------------------------------------------------------------------


def schedule_weeks(schedule: Collection[str], end_week: int) -> tuple[int, ...]:
    """The plan weeks a questionnaire is repeated in, from schedule words (`SCHEDULES`) and the end week.

    ``baseline`` is week 0, ``every_2_weeks`` weeks 0, 2, 4, ... up to the end week, ``end`` the end week.
    """
    unknown = sorted(set(schedule) - set(SCHEDULES))
    if unknown:
        raise ValueError(f"unknown schedule {unknown[0]!r} (known: {', '.join(SCHEDULES)})")
    weeks: set[int] = set()
    if "baseline" in schedule:
        weeks.add(0)
    if "every_2_weeks" in schedule:
        weeks.update(range(0, end_week + 1, 2))
    if "end" in schedule:
        weeks.add(end_week)
    return tuple(sorted(weeks))


def schedule_words(weeks: Collection[int], end_week: int) -> tuple[str, ...]:
    """The schedule words that give these weeks back with `schedule_weeks`, or ``()`` when none do.

    A clinician edits a questionnaire's schedule as words (baseline, every 2 weeks, end), so that it follows
    the plan when its length changes; a stored list of weeks is read back into those words here.
    """
    wanted = set(weeks)
    for size in range(len(SCHEDULES), 0, -1):
        for words in itertools.combinations(SCHEDULES, size):
            if set(schedule_weeks(words, end_week)) == wanted:
                return words
    return ()


def evaluate_rules(profile: AssessmentProfile, rules: RuleSet | None = None) -> PlanProposal:
    """Apply the rules in file order to an assessment and return the proposed plan.

    Parameters
    ----------
    profile : AssessmentProfile
        The patient's assessment as plain values.
    rules : RuleSet | None
        Checked rules (`load_rules`); ``None`` loads the clinic default.

    Returns
    -------
    proposal : PlanProposal
        Modules, disciplines and questionnaires in their fixed display order (`MODULES`, `DISCIPLINES`,
        `INSTRUMENTS`), fired rules in file order with their reasons filled in.

    Notes
    -----
    When several rules add the same module, the plan keeps the most sessions per week, the most weeks and
    every focus asked for. When rules set different intensities the most support wins (`INTENSITIES`);
    without any, the plan is ``standard``. A rule with ``stop: true`` ends evaluation: later rules are not
    applied. Questionnaire weeks run from 0 (baseline) to the plan's end week, the longest module's length;
    ``every_2_weeks`` means weeks 0, 2, 4, ... up to the end week.

    After the rules, whatever they asked for: a module the patient said no to is left out, and so is a module
    that needs a consent the patient has not given (`MODULE_CONSENT`), each with a reason that says so and
    where to change it. The reasons of the rules that asked for it are not shown (they would speak of a module
    the plan does not have); their other effects still apply. Then the weekly practice is capped
    (`cap_sessions`), with a reason giving the numbers when it trims the plan.
    """
    rule_set = rules if rules is not None else load_rules()
    module_parts: dict[str, list[ModuleEffect]] = {}
    disciplines: set[str] = set()
    schedules: dict[str, set[str]] = {}
    intensities: list[str] = []
    hold_reasons: list[str] = []
    review_reasons: list[str] = []
    fired: list[FiredRule] = []
    applied: list[Rule] = []
    for rule in rule_set.rules:
        if not rule.condition.holds(profile):
            continue
        clinician = _fill(rule.reason_clinician, profile, rule_set.settings)
        patient = _fill(rule.reason_patient, profile, rule_set.settings)
        fired.append(
            FiredRule(
                rule.id,
                clinician,
                patient,
                quotes_evidence=rule.quotes_evidence,
                href=rule.href,
                link_text=rule.link_text,
            )
        )
        applied.append(rule)
        for effect in rule.add_modules:
            module_parts.setdefault(effect.module, []).append(effect)
        disciplines.update(rule.add_disciplines)
        for q in rule.repeat_questionnaires:
            schedules.setdefault(q.instrument, set()).update(q.schedule)
        if rule.set_intensity is not None:
            intensities.append(rule.set_intensity)
        if rule.hold:
            hold_reasons.append(clinician)
        if rule.flag_for_review:
            review_reasons.append(clinician)
        if rule.stop:
            break
    left_out, notes = _leave_out(profile, module_parts, applied)
    for module in left_out:
        del module_parts[module]
    disciplines -= {d for module in left_out for d in MODULE_DISCIPLINES.get(module, ())}
    fired = [f for f, rule in zip(fired, applied, strict=True) if not _asks_for(rule, left_out)]
    modules = tuple(
        PlannedModule(
            id=module,
            sessions_per_week=max(p.sessions_per_week for p in module_parts[module]),
            weeks=max(p.weeks for p in module_parts[module]),
            focus=tuple(f for f in MODULE_FOCUS[module] if any(f in p.focus for p in module_parts[module])),
        )
        for module in MODULES
        if module in module_parts
    )
    modules, capped = _cap_sessions(modules, rule_set)
    fired += notes + ([capped] if capped is not None else [])
    if left_out and not modules:
        review_reasons.append(
            "No module is left once the patient's choices are respected: talk with them about the plan."
        )
    end_week = max((m.weeks for m in modules), default=0)
    return PlanProposal(
        modules=modules,
        disciplines=tuple(d for d in DISCIPLINES if d in disciplines),
        questionnaires=tuple(
            QuestionnaireSchedule(i, schedule_weeks(schedules[i], end_week))
            for i in INSTRUMENTS
            if i in schedules
        ),
        intensity=max(intensities, key=INTENSITIES.index) if intensities else DEFAULT_INTENSITY,
        end_week=end_week,
        held=bool(hold_reasons),
        hold_reasons=tuple(hold_reasons),
        review_reasons=tuple(review_reasons),
        fired=tuple(fired),
        rules_version=rule_set.version,
    )


def withdrawn_evidence(fired: Sequence[FiredRule], profile: AssessmentProfile, rules: RuleSet) -> set[str]:
    """Return the fired rules whose patient reason quotes study results and no longer fits the patient.

    Parameters
    ----------
    fired : sequence of FiredRule
        The rules that fired when a stored plan was proposed.
    profile : AssessmentProfile
        The patient's assessment now.
    rules : RuleSet
        The clinic's rules now.

    Returns
    -------
    withdrawn : set of str
        Ids of the fired rules that quote evidence whose condition is false for ``profile`` now, or that are no
        longer in the rule file (their claim can no longer be checked). Their patient reasons must not be
        shown. Other reasons stand as they were when the plan was proposed.
    """
    by_id = {rule.id: rule for rule in rules.rules}
    withdrawn = set()
    for entry in fired:
        if not entry.quotes_evidence:
            continue
        rule = by_id.get(entry.id)
        if rule is None or not rule.condition.holds(profile):
            withdrawn.add(entry.id)
    return withdrawn


# --- after the rules: the patient's choices, consent and the weekly cap -------------------------------------

#: Where a patient changes their answer about a module, and where they agree to a kind of consent.
PREFERENCES_HREF = "/patient/therapy-preferences#{module}"
CONSENT_HREF = "/patient/consent#{kind}"

#: The clinic settings that cap weekly practice: name -> (default, lowest, highest). Defaults: at most one
#: session of each kind a day, and 10 in all (see the settings in rules.yaml for why).
_CAP_SETTINGS: dict[str, tuple[int, int, int]] = {
    "max_sessions_per_module_week": (7, 1, 14),
    "max_sessions_week": (10, len(MODULES), 70),
}

#: Ids of the reasons the evaluation adds itself; no rule in a file may use them.
GUARD_IDS: tuple[str, ...] = (
    *(f"declined_{m}" for m in MODULES),
    *(f"consent_needed_{m}" for m in MODULE_CONSENT),
    "weekly_cap",
)

#: Where each of those reasons comes from, for the clinician's view.
GUARD_SOURCES: dict[str, str] = {
    **{
        f"declined_{m}": "PainRewire policy: a therapy the patient said no to is never planned, whatever rule "
        "asks for it; the patient can change their answer (NICE guideline NG197, Shared decision making, 2021)."
        for m in MODULES
    },
    **{
        f"consent_needed_{m}": f"PainRewire policy: {MODULE_WORDS[m]} is planned only with the patient's "
        "current consent to it (General Medical Council, Decision making and consent, 2020)."
        for m in MODULE_CONSENT
    },
    "weekly_cap": "Clinic settings max_sessions_per_module_week and max_sessions_week in the rule file, "
    "applied after all rules.",
}


def _word(module: str, *, start: bool = False) -> str:
    words = MODULE_WORDS[module]
    return words[0].upper() + words[1:] if start else words


def _asks_for(rule: Rule, left_out: Collection[str]) -> bool:
    """Whether the rule asked for a module that was left out: its reasons would speak of that module, so they
    are not shown (its other effects, such as a discipline or a questionnaire, still apply)."""
    return any(e.module in left_out for e in rule.add_modules)


def _also_does(rule: Rule, module: str) -> bool:
    """Whether the rule does more than add this module and the disciplines only that module needs."""
    own = set(MODULE_DISCIPLINES.get(module, ()))
    return (
        any(e.module != module for e in rule.add_modules)
        or not set(rule.add_disciplines) <= own
        or rule.set_intensity is not None
        or bool(rule.repeat_questionnaires)
        or rule.hold
        or rule.flag_for_review
        or rule.stop
    )


def _leave_out(
    profile: AssessmentProfile, module_parts: Mapping[str, Sequence[ModuleEffect]], applied: Sequence[Rule]
) -> tuple[list[str], list[FiredRule]]:
    """Modules the rules asked for that the patient declined or has not consented to, with a reason each."""
    left_out: list[str] = []
    notes: list[FiredRule] = []
    for module in MODULES:
        if module not in module_parts:
            continue
        asked = [r for r in applied if any(e.module == module for e in r.add_modules)]
        asking = ", ".join(r.id for r in asked)
        if any(_also_does(r, module) for r in asked):
            asking += " (their other effects stay in the plan)"
        label = _word(module, start=True)
        if profile.preferences.choice(module) == "decline":
            left_out.append(module)
            notes.append(
                FiredRule(
                    f"declined_{module}",
                    f"{label} left out: the patient said no to it on their preferences page. Rules that "
                    f"would have added it: {asking}.",
                    f"{label} is not in your plan because you said no to it. You can change this on your "
                    "preferences page.",
                    href=PREFERENCES_HREF.format(module=module),
                    link_text="Your therapy preferences",
                )
            )
            continue
        kind = MODULE_CONSENT.get(module)
        if kind is not None and getattr(profile.consent, kind) is not True:
            left_out.append(module)
            notes.append(
                FiredRule(
                    f"consent_needed_{module}",
                    f"{label} left out until the patient has agreed to it: there is no current "
                    f"{kind.replace('_', ' ')} consent. Rules that would add it: {asking}. Propose the plan "
                    "again once they have agreed.",
                    f"{label} can be offered to you once you have agreed to it. You can read what it involves, "
                    "and agree or not, on your consent page.",
                    href=CONSENT_HREF.format(kind=kind),
                    link_text="Your consent page",
                )
            )
    return left_out, notes


def session_caps(rules: RuleSet) -> tuple[int, int]:
    """The clinic's weekly caps: sessions of one module, and sessions in all (settings, else the defaults)."""
    per_module, total = (
        int(rules.settings[name].value) if name in rules.settings else default
        for name, (default, _, _) in _CAP_SETTINGS.items()
    )
    return per_module, total


def cap_sessions(asked: Mapping[str, int], per_module: int, total: int) -> dict[str, int]:
    """Sessions a week per module within the caps.

    Parameters
    ----------
    asked : mapping of module to int
        Sessions a week the rules asked for, each 1 or more.
    per_module : int
        Most sessions a week of any one module.
    total : int
        Most sessions a week in all; at least the number of modules.

    Returns
    -------
    capped : dict of module to int
        Each module cut to ``per_module``; then, while the week holds more than ``total``, one session less
        for the module with the most (on a tie, the one listed later in `MODULES`, so PRT, the lead method,
        goes last), never below 1.
    """
    capped = {m: min(n, per_module) for m, n in asked.items()}
    while sum(capped.values()) > total:
        trimmable = [m for m, n in capped.items() if n > 1]
        if not trimmable:
            break
        biggest = max(trimmable, key=lambda m: (capped[m], MODULES.index(m)))
        capped[biggest] -= 1
    return capped


def _cap_sessions(
    modules: tuple[PlannedModule, ...], rules: RuleSet
) -> tuple[tuple[PlannedModule, ...], FiredRule | None]:
    per_module, total = session_caps(rules)
    asked = {m.id: m.sessions_per_week for m in modules}
    capped = cap_sessions(asked, per_module, total)
    if capped == asked:
        return modules, None
    changed = [m for m in asked if capped[m] != asked[m]]
    asked_total, now_total = sum(asked.values()), sum(capped.values())
    limits = (
        "at most one session of each kind a day" if per_module == 7 else f"at most {per_module} of each kind"
    )
    each = ", ".join(f"{_word(m, start=True)} {n}" for m, n in asked.items())
    clinician = (
        f"Weekly practice capped by the clinic settings (at most {per_module} sessions a week of each module, "
        f"{total} in all): the rules asked for {asked_total} a week ({each}); the plan has {now_total}. "
        + " ".join(f"{_word(m, start=True)}: {asked[m]} → {capped[m]} a week." for m in changed)
    )
    patient = (
        f"To keep your week manageable, your plan has at most {total} practice sessions a week, and {limits}. "
        f"The rules asked for {asked_total}, so "
        + and_list([f"{_word(m)} goes from {asked[m]} to {capped[m]} a week" for m in changed])
        + "."
    )
    trimmed = tuple(dataclasses.replace(m, sessions_per_week=capped[m.id]) for m in modules)
    return trimmed, FiredRule("weekly_cap", clinician, patient)
