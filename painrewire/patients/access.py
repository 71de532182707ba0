"""The one permission check for patient data, used by every domain.

A patient sees only their own record; a clinician only the patients on their care team; an admin manages
accounts and reads health data only through an audited path that names a reason. Whatever an actor may not
see does not exist for them (404), so nobody can probe which records exist.
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, Select, false, select
from sqlalchemy.orm import Session, joinedload

from painrewire.accounts import audit
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.errors import Forbidden, InvalidInput, NotFound
from painrewire.patients.models import CareTeamMember, Patient

NOT_FOUND_MESSAGE = "No such patient, or you are not on this patient's care team."
#: The shortest reason an administrator may give for opening a health record: enough for the audit log to
#: say why ("complaint review #42", "transfer to St Mary's"), not a keystroke.
MIN_REASON_CHARS = 15
#: The audited reason when the front desk (an administrator) handles a patient's appointments: booking data
#: (who, when, with whom), never the health record itself.
FRONT_DESK_REASON = "front desk: appointments"


def require_role(user: User, *roles: Role, message: str) -> None:
    """Refuse (403, with ``message``) unless ``user`` has one of ``roles``: "only a clinician may ..." in one place."""
    if user.role not in roles:
        raise Forbidden(message)


def visible_patient_ids(actor: User) -> Select[uuid.UUID]:
    """The ids of the patients this actor may see, as a sub-select to filter any patient-data query."""
    if actor.role == Role.PATIENT:
        return select(Patient.id).where(Patient.user_id == actor.id)
    if actor.role == Role.CLINICIAN:
        return select(CareTeamMember.patient_id).where(CareTeamMember.clinician_id == actor.id)
    return select(Patient.id).where(false())


def without_care_team() -> ColumnElement[bool]:
    """Patients nobody looks after yet (self-registered, or their last clinician removed): the front desk's
    to assign, never a clinician's to see."""
    return ~Patient.id.in_(select(CareTeamMember.patient_id))


def visible_patients(actor: User) -> Select[Patient]:
    """Patients this actor may see, with their accounts loaded."""
    return select(Patient).where(Patient.id.in_(visible_patient_ids(actor))).options(joinedload(Patient.user))


def shown_caseload(session: Session, clinician: User, *, resource_type: str, reason: str) -> list[Patient]:
    """The patients this actor may see, by name, each audited as shown by this list (``reason`` names it)."""
    patients = list(session.scalars(visible_patients(clinician)).unique())
    patients.sort(key=lambda p: p.user.full_name)
    audit.record_shown(session, clinician, resource_type, [p.id for p in patients], reason=reason)
    return patients


def patient_for(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    *,
    action: AuditAction = AuditAction.READ,
    resource_type: str = "patient",
    resource_id: uuid.UUID | str | None = None,
    reason: str | None = None,
) -> Patient:
    """Load a patient the actor may act on, and audit the access in the same transaction.

    An admin gets health data only by giving a ``reason``, which the audit row keeps.
    """
    if actor.role == Role.ADMIN:
        if not reason or not reason.strip():
            raise Forbidden("An administrator must give a reason to open a patient's health record.")
        if len(reason.strip()) < MIN_REASON_CHARS:
            raise InvalidInput(
                f"reason: say why you open this record, in at least {MIN_REASON_CHARS} characters "
                "(such as 'complaint review #42').",
                field="reason",
            )
        stmt = select(Patient).where(Patient.id == patient_id).options(joinedload(Patient.user))
    else:
        stmt = visible_patients(actor).where(Patient.id == patient_id)
    patient = session.scalar(stmt)
    if patient is None:
        raise NotFound(NOT_FOUND_MESSAGE)
    audit.record(
        session,
        actor,
        action,
        resource_type,
        resource_id=resource_id if resource_id is not None else patient.id,
        patient_id=patient.id,
        reason=reason.strip() if reason else None,
    )
    return patient


def own_patient(
    session: Session,
    actor: User,
    *,
    action: AuditAction = AuditAction.READ,
    resource_type: str = "patient",
) -> Patient:
    """The logged-in patient's own record (audited like any other access)."""
    if actor.role != Role.PATIENT:
        raise Forbidden("This page is for patients.")
    patient = session.scalar(
        select(Patient).where(Patient.user_id == actor.id).options(joinedload(Patient.user))
    )
    if patient is None:
        raise NotFound("Your patient record was not found.")
    audit.record(session, actor, action, resource_type, resource_id=patient.id, patient_id=patient.id)
    return patient


def own_patient_id(session: Session, actor: User) -> uuid.UUID:
    """The logged-in patient's record id, for a service that loads the record through ``patient_for`` (and
    audits that one access) itself."""
    patient_id = session.scalar(visible_patient_ids(actor)) if actor.role == Role.PATIENT else None
    if patient_id is None:
        raise NotFound("Your patient record was not found.")
    return patient_id


def is_on_care_team(session: Session, clinician: User, patient_id: uuid.UUID) -> bool:
    return (
        session.scalar(
            select(CareTeamMember.id).where(
                CareTeamMember.patient_id == patient_id, CareTeamMember.clinician_id == clinician.id
            )
        )
        is not None
    )


def appointment_viewer(
    session: Session,
    actor: User,
    *,
    patient_id: uuid.UUID,
    clinician_id: uuid.UUID,
    resource_id: uuid.UUID,
    action: AuditAction = AuditAction.READ,
    not_found: str = NOT_FOUND_MESSAGE,
) -> None:
    """Let the actor see or act on one appointment, audited once; otherwise it does not exist for them (404).

    Its patient; a clinician on the patient's care team, or the appointment's own clinician; the front desk (an
    administrator) for booking data only, audited under :data:`FRONT_DESK_REASON`.
    """
    reason: str | None = None
    if actor.role == Role.PATIENT:
        allowed = (
            session.scalar(select(Patient.id).where(Patient.id == patient_id, Patient.user_id == actor.id))
            is not None
        )
    elif actor.role == Role.CLINICIAN:
        allowed = clinician_id == actor.id or is_on_care_team(session, actor, patient_id)
    elif actor.role == Role.ADMIN:
        allowed, reason = True, FRONT_DESK_REASON
    else:
        allowed = False
    if not allowed:
        raise NotFound(not_found)
    audit.record(
        session, actor, action, "appointment", resource_id=resource_id, patient_id=patient_id, reason=reason
    )
