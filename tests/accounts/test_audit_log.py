"""The audit log is append-only from the application's side."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from painrewire.accounts import audit
from painrewire.accounts.models import AuditAction, AuditEvent, User
from painrewire.patients.models import Patient


def _one_event(session: Session, clinician: User, patient: Patient) -> AuditEvent:
    event = audit.record(session, clinician, AuditAction.READ, "patient", patient_id=patient.id)
    session.flush()
    return event


def test_an_audit_row_cannot_be_edited(session: Session, clinician: User, patient: Patient) -> None:
    event = _one_event(session, clinician, patient)
    event.action = AuditAction.DELETE
    with pytest.raises(audit.AuditLogIsAppendOnly):
        session.flush()


def test_an_audit_row_cannot_be_deleted(session: Session, clinician: User, patient: Patient) -> None:
    event = _one_event(session, clinician, patient)
    session.delete(event)
    with pytest.raises(audit.AuditLogIsAppendOnly):
        session.flush()


@pytest.mark.parametrize("statement", [update(AuditEvent).values(reason="x"), delete(AuditEvent)])
def test_bulk_changes_to_the_audit_log_are_refused(
    session: Session, clinician: User, patient: Patient, statement: object
) -> None:
    _one_event(session, clinician, patient)
    with pytest.raises(audit.AuditLogIsAppendOnly):
        session.execute(statement)  # type: ignore[call-overload]
    kept = session.scalars(select(AuditEvent).where(AuditEvent.patient_id == patient.id)).all()
    assert [e.reason for e in kept] == [None]


def test_reading_and_adding_audit_rows_still_works(
    session: Session, clinician: User, patient: Patient
) -> None:
    _one_event(session, clinician, patient)
    _one_event(session, clinician, patient)
    rows = audit.search(session, patient_id=patient.id)
    assert [r.action for r in rows] == [AuditAction.READ, AuditAction.READ]
