"""Plan rules: turn an assessment into a proposed plan, with the reason for every rule that fired.

The rules live in ``rules.yaml`` in this package, written so that a clinic manager can read and change them.
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

The package is a pure core: it imports no web, database or template code. One module per idea: `types` (the
vocabulary, the assessment profile and the proposal), `conditions` (the condition language), `reasons`
(placeholders in reasons), `schema` (the YAML file, checked into a `RuleSet`) and `evaluate` (rules applied to a
profile, then the patient's choices, consent and the weekly cap).
"""

from painrewire.plans.rules.evaluate import (
    cap_sessions,
    evaluate_rules,
    schedule_weeks,
    schedule_words,
    session_caps,
    withdrawn_evidence,
)
from painrewire.plans.rules.schema import (
    DEFAULT_RULES_PATH,
    RuleFileError,
    load_rules,
    parse_rules,
)
from painrewire.plans.rules.types import (
    CHECKLIST_LEVELS,
    CHOICES,
    CLINICIAN_FLAGS,
    CONSENT_KINDS,
    DEFAULT_INTENSITY,
    DISCIPLINES,
    GOALS,
    GUARD_IDS,
    GUARD_SOURCES,
    INSTRUMENTS,
    INTENSITIES,
    MODULE_CONSENT,
    MODULE_DISCIPLINES,
    MODULE_FOCUS,
    MODULES,
    SCHEDULES,
    TREATMENT_KINDS,
    AssessmentProfile,
    ClinicianNote,
    Consent,
    FiredRule,
    LateralityResult,
    ModuleEffect,
    NeurofeedbackResult,
    PlannedModule,
    PlanProposal,
    Preferences,
    QuestionnaireEffect,
    QuestionnaireSchedule,
    Rule,
    RuleSet,
    ScoreSummary,
    Setting,
    TreatmentHistory,
)

__all__ = [
    "CHECKLIST_LEVELS",
    "CHOICES",
    "CLINICIAN_FLAGS",
    "CONSENT_KINDS",
    "DEFAULT_INTENSITY",
    "DEFAULT_RULES_PATH",
    "DISCIPLINES",
    "GOALS",
    "GUARD_IDS",
    "GUARD_SOURCES",
    "INSTRUMENTS",
    "INTENSITIES",
    "MODULES",
    "MODULE_CONSENT",
    "MODULE_DISCIPLINES",
    "MODULE_FOCUS",
    "SCHEDULES",
    "TREATMENT_KINDS",
    "AssessmentProfile",
    "ClinicianNote",
    "Consent",
    "FiredRule",
    "LateralityResult",
    "ModuleEffect",
    "NeurofeedbackResult",
    "PlanProposal",
    "PlannedModule",
    "Preferences",
    "QuestionnaireEffect",
    "QuestionnaireSchedule",
    "Rule",
    "RuleFileError",
    "RuleSet",
    "ScoreSummary",
    "Setting",
    "TreatmentHistory",
    "cap_sessions",
    "evaluate_rules",
    "load_rules",
    "parse_rules",
    "schedule_weeks",
    "schedule_words",
    "session_caps",
    "withdrawn_evidence",
]
