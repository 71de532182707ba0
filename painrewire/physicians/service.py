"""The patient's GP and referring doctor, and whether the clinic may write to them.

Letters about a patient go to their doctor only with the patient's agreement (``share_letters``); the
letter-writing code asks ``letter_recipients``. Kept in its own domain rather than in the treatment history
because letters, referrals and reports need the doctor without needing the history. Source: General Medical
Council, "Confidentiality: good practice in handling patient information" (2017), on sharing information with
a patient's other doctors and respecting a patient's objection.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from painrewire.accounts.models import AuditAction, User
from painrewire.errors import InvalidInput
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.physicians.models import PatientPhysician, PhysicianRole
from painrewire.physicians.schemas import PhysicianSave

RESOURCE = "physician"
COMPARED = ("name", "practice", "address", "phone", "email", "share_letters")


def history_of(session: Session, patient: Patient | uuid.UUID) -> list[PatientPhysician]:
    """Every saved version of each doctor, newest first (access already checked)."""
    patient_id = patient.id if isinstance(patient, Patient) else patient
    return list(
        session.scalars(
            select(PatientPhysician)
            .where(PatientPhysician.patient_id == patient_id)
            .options(joinedload(PatientPhysician.changed_by))
            .order_by(PatientPhysician.created_at.desc(), PatientPhysician.id)
        )
    )


def current_of(session: Session, patient: Patient | uuid.UUID) -> dict[PhysicianRole, PatientPhysician]:
    """The doctor of each role as it holds now; a role never saved is absent."""
    current: dict[PhysicianRole, PatientPhysician] = {}
    for saved in history_of(session, patient):
        current.setdefault(saved.role, saved)
    return {role: current[role] for role in PhysicianRole if role in current}


def get_physicians(
    session: Session, actor: User, patient_id: uuid.UUID
) -> tuple[Patient, dict[PhysicianRole, PatientPhysician]]:
    """The patient's doctors (the read is audited)."""
    patient = access.patient_for(session, actor, patient_id, resource_type=RESOURCE)
    return patient, current_of(session, patient)


def list_history(session: Session, actor: User, patient_id: uuid.UUID) -> list[PatientPhysician]:
    patient = access.patient_for(session, actor, patient_id, resource_type=RESOURCE)
    return history_of(session, patient)


def save_physician(
    session: Session, actor: User, patient_id: uuid.UUID, role: PhysicianRole, data: PhysicianSave
) -> PatientPhysician:
    """Save the doctor of ``role`` (the patient or their care team); kept as a new version."""
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.UPDATE, resource_type=RESOURCE, resource_id=role.value
    )
    return save_physician_for(session, actor, patient, role, data)


def save_physician_for(
    session: Session, actor: User, patient: Patient, role: PhysicianRole, data: PhysicianSave
) -> PatientPhysician:
    """The same, for a patient whose access was already checked and audited; an unchanged save adds nothing."""
    values = data.model_dump()
    values["email"] = values["email"] or ""
    if values["share_letters"] and not (values["address"] or values["email"]):
        raise InvalidInput(
            "address: to send letters, give the practice's address or the doctor's email.", field="address"
        )
    latest = current_of(session, patient).get(role)
    if latest is not None and all(getattr(latest, name) == values[name] for name in COMPARED):
        return latest
    saved = PatientPhysician(patient_id=patient.id, role=role, changed_by_id=actor.id, **values)
    session.add(saved)
    session.flush()
    return saved


def letter_recipients(session: Session, patient: Patient | uuid.UUID) -> list[PatientPhysician]:
    """The doctors the clinic may write to about this patient now (the patient agreed), GP first."""
    return [p for p in current_of(session, patient).values() if p.share_letters]


def may_share_with_physician(session: Session, patient: Patient | uuid.UUID) -> bool:
    """Whether the patient has agreed that the clinic may write to at least one of their doctors now."""
    return bool(letter_recipients(session, patient))
