"""Demo history for assessment: intakes and questionnaires, entered through the same service as real ones.

Maria improves over eight weeks; James has his intake and baseline only, with one questionnaire waiting;
Aisha is in a flare and her latest PHQ-9 answers item 9 with "several days", so the demo opens with a safety
alert for her care team; Li has signed up and done nothing yet. Questionnaires whose wording is not shipped
are entered by the lead clinician from paper forms, as a clinic without a licence for the wording would.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline, User
from painrewire.assessments import red_flags
from painrewire.assessments import service as assessments
from painrewire.assessments.instruments import INSTRUMENT_IDS, get_instrument
from painrewire.assessments.schemas import IntakeCreate, Onset, PainLocation
from painrewire.db import utcnow
from painrewire.demo.clinic import DemoClinic
from painrewire.patients.models import Patient

BASELINE = INSTRUMENT_IDS
REPEATED = ("peg", "odi", "pcs", "phq9", "gad7")


def answers_at(instrument_id: str, severity: float, *, self_harm: int = 0, vary: int = 0) -> list[int | None]:
    """Plausible answers at a severity from 0 (none) to 1 (worst), varied a little item by item."""
    definition = get_instrument(instrument_id)
    level = 1 - severity if definition.higher_is_better else severity
    answers: list[int | None] = []
    for item in definition.items:
        if item.safety:
            answers.append(self_harm)
            continue
        low, high = min(item.values), max(item.values)
        wobble = ((item.number * 7 + vary) % 5 - 2) / 10
        share = min(1.0, max(0.0, level + wobble))
        answers.append(low + round(share * (high - low)))
    return answers


def _intake(
    session: Session,
    patient: Patient,
    *,
    days_ago: int,
    weeks: int,
    onset: Onset,
    location: PainLocation,
    leg_pain: bool,
    average: int,
    history: str,
    goals: str,
    said_yes: dict[str, str] | None = None,
) -> None:
    """An intake through the service; the safety questions answered "no" except ``said_yes`` (id -> code).

    The demo patients' records have a date of birth, so the screen takes their age from it.
    """
    data = IntakeCreate(
        pain_duration_weeks=weeks,
        onset=onset,
        pain_location=location,
        leg_pain=leg_pain,
        average_pain_last_week=average,
        history=history,
        previous_treatments="Physiotherapy exercises, painkillers from the GP.",
        goals=goals,
        red_flags={q.id: "no" for q in red_flags.questions()} | (said_yes or {}),
    )
    submission = assessments.submit_intake(session, patient.user, patient.id, data)
    assert submission.intake is not None
    submission.intake.created_at = utcnow() - timedelta(days=days_ago, hours=2)


def _fill(
    session: Session,
    patient: Patient,
    clinician: User,
    instrument_id: str,
    answers: list[int | None],
    days_ago: float,
) -> None:
    """The patient fills what they can read; the clinician enters the others from a paper form."""
    actor = patient.user if get_instrument(instrument_id).has_item_text else clinician
    submission = assessments.submit_response(session, actor, patient.id, instrument_id, answers)
    when = utcnow() - timedelta(days=days_ago)
    assert submission.response is not None
    submission.response.completed_at = when
    for alert in submission.alerts:
        alert.raised_at = when


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    lead = clinic.clinicians[Discipline.PAIN_SPECIALIST]
    maria, james, aisha = (clinic.patients[k] for k in ("maria", "james", "aisha"))

    _intake(
        session,
        maria,
        days_ago=57,
        weeks=156,
        onset=Onset.STRESS,
        location=PainLocation.LOWER_BACK,
        leg_pain=False,
        average=7,
        history="Started during a hard year at work; scans showed only age-normal changes.",
        goals="Garden again and pick up my grandson without worrying.",
        said_yes={"aaa_smoking": "longstanding"},  # stopped smoking; 47, so no aneurysm flag
    )
    for n, instrument_id in enumerate(BASELINE):
        _fill(session, maria, lead, instrument_id, answers_at(instrument_id, 0.62, vary=n), 56 - n / 24)
    for days_ago, severity in ((42, 0.5), (28, 0.4), (14, 0.3), (2, 0.2)):
        for n, instrument_id in enumerate(REPEATED):
            _fill(session, maria, lead, instrument_id, answers_at(instrument_id, severity, vary=n), days_ago)

    _intake(
        session,
        james,
        days_ago=5,
        weeks=34,
        onset=Onset.INJURY,
        location=PainLocation.LOWER_BACK,
        leg_pain=True,
        average=6,
        history="Hurt it lifting a fridge last spring; the leg pain comes and goes.",
        goals="Get back to five-a-side football.",
        # A lift long ago and leg numbness he has had for months, unchanged: history, not red flags.
        said_yes={"fracture_minor_injury": "longstanding", "neuro_numbness": "longstanding"},
    )
    for n, instrument_id in enumerate(("peg", "phq9", "odi", "startback")):
        _fill(session, james, lead, instrument_id, answers_at(instrument_id, 0.55, vary=n), 4 - n / 24)
    assessments.assign(session, lead, james.id, "gad7", due_on=(utcnow() + timedelta(days=3)).date())

    _intake(
        session,
        aisha,
        days_ago=36,
        weeks=104,
        onset=Onset.GRADUAL,
        location=PainLocation.WHOLE_BACK,
        leg_pain=False,
        average=5,
        history="Worse since my second child; long days at a desk.",
        goals="Sleep through the night and work a full week.",
        # Better with movement, and onset at 34: two of the five ASAS items, below the three that flag.
        said_yes={"ibp_exercise": "longstanding"},
    )
    for n, instrument_id in enumerate(BASELINE):
        _fill(session, aisha, lead, instrument_id, answers_at(instrument_id, 0.45, vary=n), 35 - n / 24)
    for n, instrument_id in enumerate(("peg", "gad7", "phq9")):
        _fill(session, aisha, lead, instrument_id, answers_at(instrument_id, 0.65, vary=n), 7)
    # In the flare: "several days" on PHQ-9 item 9 — the open alert the care team sees first.
    _fill(session, aisha, lead, "phq9", answers_at("phq9", 0.7, self_harm=1, vary=3), 1)
