"""Names a clinician or patient reads for the plan's modules, focus, disciplines, questionnaires and schedules."""

from __future__ import annotations

from painrewire.accounts.roles import Discipline
from painrewire.practice.modules import Module

MODULE_LABELS: dict[str, str] = {m.value: m.label for m in Module}
FOCUS_LABELS: dict[str, str] = {
    "pain_education": "pain education",
    "neuroplastic_checklist": "neuroplastic pain checklist",
    "somatic_tracking": "somatic tracking",
    "reappraisal_journal": "reappraisal journal",
    "neuroplastic_emphasis": "emphasis on neuroplastic pain",
    "left_right_judgement": "left/right judgement",
    "explicit_motor_imagery": "imagined movements",
    "graded_movement": "graded movement",
    "thought_records": "thought records",
    "graded_exposure": "graded exposure",
    "activity_pacing": "activity pacing",
    "body_scan": "body scan",
    "breathing_practice": "breathing practice",
}
DISCIPLINE_LABELS: dict[str, str] = {d.value: d.label for d in Discipline}
INSTRUMENT_LABELS: dict[str, str] = {
    "peg": "PEG",
    "bpi": "Brief Pain Inventory",
    "odi": "Oswestry Disability Index",
    "rmdq": "Roland-Morris",
    "pcs": "Pain Catastrophizing Scale",
    "tsk11": "TSK-11",
    "phq9": "PHQ-9",
    "gad7": "GAD-7",
    "startback": "Keele STarT Back",
    "pseq": "Pain Self-Efficacy",
    "csi": "Central Sensitization Inventory",
}
INTENSITY_LABELS: dict[str, str] = {
    "education_only": "education only",
    "standard": "standard",
    "intensive": "intensive",
}
SCHEDULE_LABELS: dict[str, str] = {
    "baseline": "at the start",
    "every_2_weeks": "every 2 weeks",
    "end": "at the end",
}

#: Each module as a patient reads it inside a sentence ("... so graded motor imagery goes from 7 to 4 a week").
MODULE_WORDS: dict[str, str] = {
    "prt": "pain reprocessing therapy",
    "gmi": "graded motor imagery",
    "cbt": "CBT",
    "mindfulness": "mindfulness",
    "neurofeedback": "neurofeedback",
}
#: The goals a patient can tick on their preferences page (``therapy_preferences.models.Goal``), as the words
#: that finish "because you said ... matters to you".
GOAL_LABELS: dict[str, str] = {
    "fewer_flare_ups": "fewer flare-ups",
    "sleep_better": "better sleep",
    "back_to_work": "getting back to work",
    "move_without_fear": "moving without fear",
    "lift_and_carry": "lifting and carrying",
    "exercise_or_sport": "exercise or sport",
    "less_medication": "taking less medication",
}
#: Kinds of earlier treatment (``treatment_history``: the class of a medicine, else the category), as a
#: patient reads them in "because ... did not help".
TREATMENT_LABELS: dict[str, str] = {
    "medicine": "a medicine",
    "physiotherapy": "physiotherapy",
    "injection": "injections",
    "surgery": "surgery",
    "psychological": "psychological therapy",
    "other": "other treatments",
    "simple_analgesic": "simple painkillers",
    "nsaid": "NSAIDs",
    "opioid": "opioids",
    "gabapentinoid": "gabapentinoids",
    "antidepressant": "antidepressants for pain",
    "muscle_relaxant": "muscle relaxants",
    "other_medicine": "other medicines",
}
#: Treatment kinds that are medicines.
MEDICINE_KINDS: frozenset[str] = frozenset(
    {
        "medicine",
        "simple_analgesic",
        "nsaid",
        "opioid",
        "gabapentinoid",
        "antidepressant",
        "muscle_relaxant",
        "other_medicine",
    }
)
#: What a clinician can record from their own judgement for the plan rules to read (``clinical_flags``),
#: where a licensed questionnaire would otherwise be needed.
CLINICIAN_FLAG_LABELS: dict[str, str] = {
    "fear_of_movement": "Fear of movement observed",
    "worry_or_low_mood": "Worry or low mood affecting pain",
    "stress_drives_pain": "Stress or tension drives the pain",
}


def and_list(words: list[str] | tuple[str, ...]) -> str:
    """``["a", "b", "c"]`` -> ``"a, b and c"``; ``[]`` -> ``"none"``."""
    if not words:
        return "none"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def weeks_text(weeks: tuple[int, ...] | list[int]) -> str:
    """``(0, 2, 4)`` -> ``"weeks 0, 2 and 4"``; week 0 is the start."""
    if not weeks:
        return "never"
    names = [str(w) for w in weeks]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return ("week " if len(names) == 1 else "weeks ") + joined
