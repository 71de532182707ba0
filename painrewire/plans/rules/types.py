"""The vocabulary of the plan rules: modules, disciplines, instruments, the assessment profile a rule reads, the
proposal it makes, and a checked rule set.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from painrewire.plans.labels import (
    CLINICIAN_FLAG_LABELS,
    GOAL_LABELS,
    MEDICINE_KINDS,
    MODULE_WORDS,
    TREATMENT_LABELS,
)

if TYPE_CHECKING:
    from painrewire.plans.rules.conditions import Condition


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

#: A name in the rule file: an id, a setting, a subscale.
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


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
    condition: Condition
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


# --- after the rules: the patient's choices, consent and the weekly cap -------------------------------------

#: Where a patient changes their answer about a module, and where they agree to a kind of consent.
PREFERENCES_HREF = "/patient/therapy-preferences#{module}"
CONSENT_HREF = "/patient/consent#{kind}"

#: The clinic settings that cap weekly practice: name -> (default, lowest, highest). Defaults: at most one
#: session of each kind a day, and 10 in all (see the settings in rules.yaml for why).
CAP_SETTINGS: dict[str, tuple[int, int, int]] = {
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
