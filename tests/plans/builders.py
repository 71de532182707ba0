"""Realistic assessments for plan and program tests, entered through the assessments service as a patient would."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments import alerts, red_flags
from painrewire.assessments import service as assessments
from painrewire.assessments.models import SafetyAlert
from painrewire.assessments.schemas import IntakeCreate
from painrewire.clinical_flags import service as clinical_flags
from painrewire.clinical_flags.models import FlagKind
from painrewire.clinical_flags.schemas import FlagCreate
from painrewire.config import Settings
from painrewire.consent import service as consent
from painrewire.consent.models import ConsentKind, ConsentMethod
from painrewire.patients.models import Patient
from painrewire.practice import service as practice_log
from painrewire.practice.models import Module, PracticeLog
from painrewire.therapy_preferences import service as preferences
from painrewire.therapy_preferences.models import Choice, Goal
from painrewire.therapy_preferences.schemas import PreferencesUpdate
from painrewire.treatment_history import service as history
from painrewire.treatment_history.models import Category, Effect, MedicineClass
from painrewire.treatment_history.schemas import TreatmentCreate

# Answers with known totals, counted by hand from each instrument's definition.
PHQ9_MODERATE = [2, 2, 2, 2, 2, 2, 2, 0, 0]  # 14, moderate; item 9 (self-harm) 0
PHQ9_SELF_HARM = [1, 1, 1, 1, 0, 0, 0, 0, 1]  # 5, mild, item 9 above 0: a safety alert
PCS_34 = [3] * 8 + [2] * 5  # 24 + 10 = 34, catastrophising
TSK11_30 = [3] * 8 + [2] * 3  # 24 + 6 = 30
GAD7_MILD = [1, 1, 1, 1, 1, 0, 0]  # 5


def intake(
    session: Session,
    patient: Patient,
    *,
    weeks: int = 52,
    flags: tuple[str, ...] = (),
    average: int = 6,
    leg_pain: bool = False,
) -> assessments.Submission:
    """The patient's intake: chronic back pain for ``weeks`` weeks at 40 (no age-based flag), average pain
    ``average`` of 10 last week, pain in the leg or not, the red-flag questions ``flags`` answered "new" (new or
    getting worse in the last few weeks) and the others "no"."""
    answers = {q.id: "new" if q.id in flags else "no" for q in red_flags.questions()}
    return assessments.submit_intake(
        session,
        patient.user,
        patient.id,
        IntakeCreate(
            pain_duration_weeks=weeks,
            onset="gradual",
            pain_location="lower_back",
            average_pain_last_week=average,
            leg_pain=leg_pain,
            age_years=40,
            red_flags=answers,
        ),
    )


def answer(
    session: Session, patient: Patient, instrument: str, answers: list[int | None], *, by: User | None = None
) -> assessments.Submission:
    """Answers filled in by the patient, or entered from a paper form by a clinician (``by``), as licensed
    instruments without their wording are."""
    return assessments.submit_response(session, by or patient.user, patient.id, instrument, answers)


def open_alert(session: Session, patient: Patient) -> SafetyAlert:
    """A PHQ-9 with item 9 above 0: the assessments module raises a self-harm alert."""
    (alert,) = answer(session, patient, "phq9", PHQ9_SELF_HARM).alerts
    return alert


def clear(session: Session, clinician: User, alert: SafetyAlert) -> None:
    alerts.acknowledge_alert(
        session,
        clinician,
        alert.id,
        action=next(iter(alerts.actions_for(alert.kind))),
        note="Phoned the patient; safe, plan agreed.",
        settings=Settings(),
    )


def consent_to(session: Session, patient: Patient, kind: ConsentKind) -> None:
    """The patient agrees online to the current text of a kind of consent."""
    consent.give_consent(
        session,
        patient.user,
        patient.id,
        kind=kind,
        text_version=consent.consent_texts()[kind].version,
        method=ConsentMethod.ONLINE,
    )


def prefer(
    session: Session,
    patient: Patient,
    choices: dict[Module, Choice] | None = None,
    goals: list[Goal] | None = None,
) -> None:
    """The patient's answers on their preferences page."""
    preferences.save_preferences(
        session, patient.user, patient.id, PreferencesUpdate(choices=choices or {}, goals=goals)
    )


def tried(
    session: Session,
    patient: Patient,
    category: Category,
    effect: Effect,
    *,
    medicine_class: MedicineClass | None = None,
    name: str = "as the patient named it",
) -> None:
    """A treatment in the patient's history, two years ago, and how much it helped."""
    history.add_entry(
        session,
        patient.user,
        patient.id,
        TreatmentCreate(
            category=category,
            medicine_class=medicine_class,
            name=name,
            effect=effect,
            started_year=date.today().year - 2,
        ),
    )


def judge(session: Session, clinician: User, patient: Patient, kind: FlagKind, note: str) -> None:
    """A clinician on the care team records their judgement for the plan rules."""
    clinical_flags.record_flag(session, clinician, patient.id, FlagCreate(kind=kind, note=note))


def practise(
    session: Session, patient: Patient, module: Module, activity: str, *, at: datetime, minutes: float = 5
) -> PracticeLog:
    return practice_log.log_practice(
        session, patient, module=module, activity=activity, title=activity, minutes=minutes, now=at
    )
