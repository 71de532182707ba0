"""Shared helpers for the CBT tests."""

from __future__ import annotations

from sqlalchemy.orm import Session

from painrewire.assessments.models import AlertKind, SafetyAlert
from painrewire.patients.models import Patient


def open_safety_alert(session: Session, patient: Patient) -> SafetyAlert:
    alert = SafetyAlert(
        patient_id=patient.id, kind=AlertKind.SELF_HARM_RISK, urgency="urgent", summary="PHQ-9 item 9"
    )
    session.add(alert)
    session.flush()
    return alert
