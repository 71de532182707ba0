"""Patients: register (by a clinician or by sign-up), read, and manage the care team."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from painrewire.accounts import audit
from painrewire.accounts import service as accounts
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.accounts.schemas import UserCreate
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import CareTeamMember, Patient
from painrewire.patients.schemas import ClinicianRead, PatientCreate, PatientRead, SignUp


def _clinician(session: Session, clinician_id: uuid.UUID) -> User:
    user = session.get(User, clinician_id)
    if user is None or user.role != Role.CLINICIAN or not user.is_active:
        raise InvalidInput(f"No active clinician with id {clinician_id}.", field="care_team")
    return user


def create_patient(session: Session, actor: User, data: PatientCreate, *, clinic_timezone: str) -> Patient:
    """A clinician (who joins the care team) or an admin registers a patient with an account; the patient
    lives in ``clinic_timezone`` unless ``data`` says otherwise."""
    access.require_role(
        actor, Role.CLINICIAN, Role.ADMIN, message="Only clinicians and administrators can register patients."
    )
    clinicians = [_clinician(session, cid) for cid in dict.fromkeys(data.care_team)]
    user = accounts.create_user(
        session,
        None,
        UserCreate(email=data.email, full_name=data.full_name, password=data.password, role=Role.PATIENT),
    )
    patient = Patient(
        user=user,
        user_id=user.id,
        date_of_birth=data.date_of_birth,
        phone=data.phone,
        timezone=data.timezone or clinic_timezone,
        created_by_id=actor.id,
    )
    session.add(patient)
    session.flush()
    team = {c.id: c for c in clinicians}
    if actor.role == Role.CLINICIAN:
        team.setdefault(actor.id, actor)
    for clinician in team.values():
        session.add(CareTeamMember(patient_id=patient.id, clinician_id=clinician.id, added_by_id=actor.id))
    audit.record(session, actor, AuditAction.CREATE, "patient", resource_id=patient.id, patient_id=patient.id)
    session.flush()
    return patient


def sign_up(session: Session, data: SignUp, *, clinic_timezone: str) -> Patient:
    """A new patient creates their own account; the clinic adds the care team (or booking does). The patient
    lives in ``clinic_timezone`` unless ``data`` says otherwise."""
    user = accounts.create_user(
        session,
        None,
        UserCreate(email=data.email, full_name=data.full_name, password=data.password, role=Role.PATIENT),
    )
    patient = Patient(
        user=user,
        user_id=user.id,
        date_of_birth=data.date_of_birth,
        timezone=data.timezone or clinic_timezone,
        created_by_id=user.id,
    )
    session.add(patient)
    session.flush()
    audit.record(session, user, AuditAction.CREATE, "patient", resource_id=patient.id, patient_id=patient.id)
    return patient


def list_patients(session: Session, actor: User, *, limit: int = 100, offset: int = 0) -> list[Patient]:
    """The actor's patients (a clinician's caseload; a patient's own record), by name; each one listed is
    audited as read."""
    stmt = (
        access.visible_patients(actor).join(Patient.user).order_by(User.full_name).limit(limit).offset(offset)
    )
    found = list(session.scalars(stmt).unique().all())
    audit.record_shown(session, actor, "patient", [p.id for p in found], reason="patient list")
    return found


def names_for_audit(
    session: Session, actor: User, *, matching: str | None = None, ids: Collection[uuid.UUID] = ()
) -> dict[uuid.UUID, str]:
    """Patient id -> "Name (email)", for the front desk's audit log only: the patients whose name or email
    contains ``matching`` (any case), or those in ``ids``. It answers "who opened Maria's record?" by name."""
    access.require_role(actor, Role.ADMIN, message="Only the front desk reads the audit log.")
    stmt = select(Patient.id, User.full_name, User.email).join(Patient.user)
    if matching is not None:
        text = matching.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        needle = f"%{text}%"
        stmt = stmt.where(
            or_(
                func.lower(User.full_name).like(needle, escape="\\"),
                func.lower(User.email).like(needle, escape="\\"),
            )
        )
    else:
        stmt = stmt.where(Patient.id.in_(list(ids)))
    return {pid: f"{name} ({email})" for pid, name, email in session.execute(stmt)}


def get_patient(
    session: Session, actor: User, patient_id: uuid.UUID, *, reason: str | None = None
) -> Patient:
    return access.patient_for(session, actor, patient_id, reason=reason)


def care_team(session: Session, patient: Patient) -> list[CareTeamMember]:
    stmt = (
        select(CareTeamMember)
        .where(CareTeamMember.patient_id == patient.id)
        .options(joinedload(CareTeamMember.clinician))
        .order_by(CareTeamMember.created_at)
    )
    return list(session.scalars(stmt))


def to_read(session: Session, patient: Patient) -> PatientRead:
    return PatientRead(
        id=patient.id,
        full_name=patient.user.full_name,
        email=patient.user.email,
        date_of_birth=patient.date_of_birth,
        phone=patient.phone,
        timezone=patient.timezone,
        created_at=patient.created_at,
        care_team=[ClinicianRead.model_validate(m.clinician) for m in care_team(session, patient)],
    )


def add_to_care_team(
    session: Session, actor: User, patient_id: uuid.UUID, clinician_id: uuid.UUID
) -> CareTeamMember:
    """A clinician on the team, or an admin, adds a clinician to a patient's care team."""
    if actor.role == Role.PATIENT:
        raise Forbidden("Patients cannot change their care team; ask the clinic.")
    reason = "care team change" if actor.role == Role.ADMIN else None
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.UPDATE, resource_type="care_team", reason=reason
    )
    clinician = _clinician(session, clinician_id)
    if access.is_on_care_team(session, clinician, patient.id):
        raise Conflict(f"{clinician.full_name} is already on this patient's care team.")
    member = CareTeamMember(patient_id=patient.id, clinician_id=clinician.id, added_by_id=actor.id)
    try:
        with session.begin_nested():
            session.add(member)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"{clinician.full_name} is already on this patient's care team.") from exc
    return member


def remove_from_care_team(
    session: Session, actor: User, patient_id: uuid.UUID, clinician_id: uuid.UUID
) -> None:
    """Take a clinician off a care team (a patient always keeps at least one clinician once assigned)."""
    if actor.role == Role.PATIENT:
        raise Forbidden("Patients cannot change their care team; ask the clinic.")
    reason = "care team change" if actor.role == Role.ADMIN else None
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.UPDATE, resource_type="care_team", reason=reason
    )
    members = care_team(session, patient)
    member = next((m for m in members if m.clinician_id == clinician_id), None)
    if member is None:
        raise NotFound("That clinician is not on this patient's care team.")
    if len(members) == 1:
        raise Conflict("A patient must keep at least one clinician on the care team.")
    session.delete(member)
    session.flush()


def patients_without_care_team(session: Session, actor: User) -> list[Patient]:
    """Self-registered patients waiting for the clinic to assign a care team (admin's view, no health data)."""
    access.require_role(actor, Role.ADMIN, message="Only administrators assign care teams to new patients.")
    stmt = (
        select(Patient)
        .where(access.without_care_team())
        .options(joinedload(Patient.user), selectinload(Patient.care_team))
        .order_by(Patient.created_at)
    )
    found = list(session.scalars(stmt).unique())
    audit.record_shown(session, actor, "patient", [p.id for p in found], reason="waiting for a care team")
    return found
