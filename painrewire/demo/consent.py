"""Demo consents: every demo patient has agreed to treatment (online or in clinic); Maria to neurofeedback (she
has sessions) and to research; Aisha to research. Runs early, so a later demo step that checks consent finds it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline
from painrewire.consent import service as consent
from painrewire.consent.models import ConsentKind, ConsentMethod
from painrewire.db import utcnow
from painrewire.demo.clinic import DemoClinic

#: patient -> (kind, days ago, how, who recorded it: a discipline, or None for the patient online)
CONSENTS: dict[str, list[tuple[ConsentKind, int, ConsentMethod, Discipline | None]]] = {
    "maria": [
        (ConsentKind.TREATMENT, 62, ConsentMethod.IN_CLINIC, Discipline.PAIN_SPECIALIST),
        (ConsentKind.RESEARCH, 60, ConsentMethod.ONLINE, None),
        (ConsentKind.NEUROFEEDBACK, 20, ConsentMethod.PAPER, Discipline.NEUROFEEDBACK_PRACTITIONER),
    ],
    "james": [(ConsentKind.TREATMENT, 3, ConsentMethod.ONLINE, None)],
    "aisha": [
        (ConsentKind.TREATMENT, 40, ConsentMethod.IN_CLINIC, Discipline.PAIN_SPECIALIST),
        (ConsentKind.RESEARCH, 39, ConsentMethod.ONLINE, None),
    ],
    "noah": [(ConsentKind.TREATMENT, 3, ConsentMethod.ONLINE, None)],
    "li": [(ConsentKind.TREATMENT, 1, ConsentMethod.ONLINE, None)],
}


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    now = utcnow()
    texts = consent.consent_texts()
    for key, given in CONSENTS.items():
        patient = clinic.patients.get(key)
        if patient is None:
            continue
        for kind, days_ago, method, discipline in given:
            actor = clinic.clinicians[discipline] if discipline is not None else patient.user
            record = consent.give_consent(
                session, actor, patient.id, kind=kind, text_version=texts[kind].version, method=method
            )
            record.given_at = record.created_at = now - timedelta(days=days_ago, hours=2)
    session.flush()
