"""Names a clinician or patient reads for the plan's modules, focus, disciplines, questionnaires and schedules."""

from __future__ import annotations

MODULE_LABELS: dict[str, str] = {
    "prt": "Pain reprocessing therapy",
    "gmi": "Graded motor imagery",
    "cbt": "CBT for pain",
    "mindfulness": "Mindfulness",
    "neurofeedback": "Neurofeedback",
}
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
DISCIPLINE_LABELS: dict[str, str] = {
    "pain_specialist": "Pain specialist",
    "physical_therapist": "Physical therapist",
    "psychologist": "Psychologist",
    "neurofeedback_practitioner": "Neurofeedback practitioner",
}
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


def weeks_text(weeks: tuple[int, ...] | list[int]) -> str:
    """``(0, 2, 4)`` -> ``"weeks 0, 2 and 4"``; week 0 is the start."""
    if not weeks:
        return "never"
    names = [str(w) for w in weeks]
    joined = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return ("week " if len(names) == 1 else "weeks ") + joined
