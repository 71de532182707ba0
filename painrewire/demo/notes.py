"""Demo notes: each discipline of Maria's and Aisha's care teams has written something."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline
from painrewire.db import utcnow
from painrewire.demo.clinic import DemoClinic
from painrewire.notes.models import ClinicalNote

NOTES = {
    "maria": [
        (
            Discipline.PAIN_SPECIALIST,
            50,
            "Reviewed history and imaging report: no red flags, no structural cause "
            "that explains the pain's pattern. Explained neuroplastic pain; she found the idea hopeful.",
        ),
        (
            Discipline.PSYCHOLOGIST,
            30,
            "PRT session 4. Somatic tracking of the morning stiffness went well; fear "
            "of bending down from 7 to 4. Homework: two short tracking practices a day.",
        ),
        (
            Discipline.PHYSICAL_THERAPIST,
            12,
            "Walked 25 minutes without a flare. Added gentle forward bends to the graded exposure list.",
        ),
    ],
    "aisha": [
        (
            Discipline.PAIN_SPECIALIST,
            20,
            "Stable on the program until a stressful move at work; no new neurological signs on review.",
        ),
        (
            Discipline.PSYCHOLOGIST,
            3,
            "Flare this week after two bad nights. Normalised the setback; agreed to "
            "restart the breathing practice before bed.",
        ),
    ],
}


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    now = utcnow()
    for key, notes in NOTES.items():
        patient = clinic.patients[key]
        for discipline, days_ago, body in notes:
            author = clinic.clinicians[discipline]
            session.add(
                ClinicalNote(
                    patient_id=patient.id,
                    author_id=author.id,
                    discipline=discipline,
                    body=body,
                    created_at=now - timedelta(days=days_ago, hours=3),
                )
            )
    session.flush()
