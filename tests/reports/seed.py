"""A patient with a full record for the report and export tests, with values simple enough to check by hand.

Diary: 14 days, the first 7 at average pain 6 and the last 7 at 2. Treatment started 6 days ago, when the plan
was signed (the first practice was that evening), so the week before it is the diary's first 7 days: baseline
6.0, current 2.0, change -4.0 or -66.7% (a responder at 30% and 2 points and at 50%, not pain-free).
PHQ-9 15 (moderately severe) then 8 (mild): -7, beyond the MCID of 5. BPI interference 5.0 then 3.4: -1.6,
beyond the MCID of 1. Practice: 10 + 8 + 12 = 30 minutes on 3 days. A signed plan: PRT twice a week and
mindfulness three times a week for 4 weeks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments import red_flags
from painrewire.assessments.models import Intake, QuestionnaireResponse
from painrewire.diary.models import DiaryEntry
from painrewire.diary.service import refresh_baseline
from painrewire.notes.models import ClinicalNote
from painrewire.patients.models import Patient
from painrewire.plans.models import PlanVersion, VersionStatus
from painrewire.plans.rules import FiredRule, PlannedModule, PlanProposal, QuestionnaireSchedule
from painrewire.practice.models import Module, PracticeLog
from painrewire.scheduling.models import Appointment, AppointmentStatus
from tests.fixtures.factories import create_patient


@dataclass
class Seeded:
    patient: Patient
    today: date
    name: str
    email: str
    phone: str
    date_of_birth: date
    diary_note: str
    clinical_note: str
    intake_text: str
    phq9_first: QuestionnaireResponse
    phq9_latest: QuestionnaireResponse
    bpi_first: QuestionnaireResponse
    bpi_latest: QuestionnaireResponse
    plan: PlanVersion
    appointments: list[Appointment]
    cancel_reason: str


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def response(
    patient: Patient,
    instrument: str,
    day: date,
    answers: list[int | None],
    *,
    total: float | None,
    band: str | None = None,
    subscales: dict[str, float] | None = None,
) -> QuestionnaireResponse:
    return QuestionnaireResponse(
        patient_id=patient.id,
        instrument_id=instrument,
        scoring_version="test-1",
        completed_at=at(day),
        answers=answers,
        declined_items=[],
        total=total,
        band=band,
        subscales=subscales or {},
        flags=[],
        valid=True,
        messages=[],
    )


def seed_patient(session: Session, clinician: User, *, name: str | None = None) -> Seeded:
    tag = uuid.uuid4().hex[:6]
    name = name or f"Rowan Quillfeather {tag}"
    born = date(1980, 2, 29)
    patient = create_patient(session, care_team=[clinician], full_name=name, date_of_birth=born)
    patient.phone = f"+44 7700 9{tag[:5].translate(str.maketrans('abcdef', '123456'))}"
    today = patient.local_today()
    diary_note = f"Walked to the bakery on Quillfeather Lane {tag}"
    for back in range(14):
        day = today - timedelta(days=back)
        pain = 2 if back < 7 else 6
        session.add(
            DiaryEntry(
                patient_id=patient.id,
                day=day,
                pain_now=pain,
                average_pain=pain,
                interference=3,
                mood=6,
                sleep_quality=6,
                activity_minutes=20,
                triggers=["stress"] if back == 3 else [],
                note=diary_note if back == 0 else "",
            )
        )
    for back, minutes in ((1, 10.0), (5, 8.0), (6, 12.0)):
        day = today - timedelta(days=back)
        session.add(
            PracticeLog(
                patient_id=patient.id,
                day=day,
                completed_at=at(day, 19),
                module=Module.PRT,
                activity="somatic_tracking",
                title="Somatic tracking",
                minutes=minutes,
                pain_before=5,
                pain_after=3,
            )
        )
    first_day, last_day = today - timedelta(days=13), today
    phq_first = response(
        patient, "phq9", first_day, [2, 2, 2, 2, 2, 2, 1, 2, 0], total=15, band="moderately severe"
    )
    phq_latest = response(patient, "phq9", last_day, [1, 1, 1, 1, 1, 1, 1, 1, 0], total=8, band="mild")
    bpi_first = response(
        patient,
        "bpi",
        first_day,
        [7, 3, 6, 5, 5, 5, 5, 5, 5, 5, 5],
        total=None,
        subscales={"severity": 5.3, "interference": 5.0},
    )
    bpi_latest = response(
        patient,
        "bpi",
        last_day,
        [4, 1, 3, 4, 4, 3, 4, 3, 3, 4, 3],
        total=None,
        subscales={"severity": 3.0, "interference": 3.4},
    )
    session.add_all([phq_first, phq_latest, bpi_first, bpi_latest])
    proposal = PlanProposal(
        modules=(
            PlannedModule("prt", 2, 4, ("somatic_tracking",)),
            PlannedModule("mindfulness", 3, 4, ()),
        ),
        disciplines=("pain_specialist", "psychologist"),
        questionnaires=(QuestionnaireSchedule("phq9", (0, 2, 4)),),
        intensity="standard",
        end_week=4,
        held=False,
        hold_reasons=(),
        review_reasons=(),
        fired=(
            FiredRule(
                "prt_core",
                "Chronic primary back pain: PRT core course.",
                "Your pain has lasted a long time: the core course retrains how the brain reads it.",
            ),
        ),
        rules_version="test",
    )
    plan = PlanVersion(
        patient_id=patient.id,
        number=1,
        content=proposal.to_dict(),
        status=VersionStatus.SIGNED,
        created_by_id=clinician.id,
        change_reason="Proposed by the clinic's rules.",
        starts_on=today - timedelta(days=6),
        signed_at=at(today - timedelta(days=6), 12),
        signed_by_id=clinician.id,
    )
    session.add(plan)
    clinical_note = f"Discussed fear of bending with Rowan {tag}; agreed graded exposure."
    session.add(
        ClinicalNote(
            patient_id=patient.id, author_id=clinician.id, discipline=clinician.discipline, body=clinical_note
        )
    )
    intake_text = f"Back pain since lifting a canoe at Quillfeather Farm {tag}"
    session.add(
        Intake(
            patient_id=patient.id,
            submitted_by_id=patient.user_id,
            pain_duration_weeks=150,
            chronic=True,
            onset="injury",
            pain_location="lower_back",
            average_pain_last_week=6,
            history=intake_text,
            red_flag_answers={q.id: "no" for q in red_flags.questions()}
            | {red_flags.AGE_KEY: 40, red_flags.AGE_SOURCE_KEY: "intake"},
            red_flags=[],
            red_flag_version=red_flags.VERSION,
        )
    )
    cancel_reason = f"Away at my sister's wedding in Quillfeather {tag}"
    appointments = []
    for back, kind, status, reason in (
        (13, "initial_assessment", AppointmentStatus.COMPLETED, ""),
        (-3, "prt_session", AppointmentStatus.BOOKED, ""),
        (-10, "prt_session", AppointmentStatus.CANCELLED, cancel_reason),
    ):
        start = at(today - timedelta(days=back), 9)
        appointments.append(
            Appointment(
                patient_id=patient.id,
                clinician_id=clinician.id,
                appointment_type=kind,
                starts_at=start,
                ends_at=start + timedelta(minutes=50),
                blocked_from=start,
                blocked_until=start + timedelta(minutes=60),
                timezone="Europe/London",
                status=status,
                cancel_reason=reason,
            )
        )
    session.add_all(appointments)
    session.flush()
    refresh_baseline(session, patient.id)
    return Seeded(
        patient=patient,
        today=today,
        name=name,
        email=patient.user.email,
        phone=patient.phone,
        date_of_birth=born,
        diary_note=diary_note,
        clinical_note=clinical_note,
        intake_text=intake_text,
        phq9_first=phq_first,
        phq9_latest=phq_latest,
        bpi_first=bpi_first,
        bpi_latest=bpi_latest,
        plan=plan,
        appointments=appointments,
        cancel_reason=cancel_reason,
    )
