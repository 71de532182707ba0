"""One appointment as people see it (with its patient's and clinician's names), read through the
appointment-viewer policy, and a patient's list of appointments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, Role, User
from painrewire.config import Settings
from painrewire.errors import InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.scheduling.core.catalogue import AppointmentType, catalogue
from painrewire.scheduling.models import (
    Appointment,
    AppointmentChange,
    AppointmentStatus,
    ClinicianCalendar,
)
from painrewire.validation import shift_instant

NOT_FOUND = "No such appointment, or it is not yours to see."
OPEN_STATUSES = (AppointmentStatus.BOOKED,)


@dataclass
class AppointmentView:
    appointment: Appointment
    kind: AppointmentType | None
    patient_name: str
    patient_timezone: str
    clinician_name: str
    clinician_discipline: str
    location: str

    @property
    def label(self) -> str:
        return (
            self.kind.label if self.kind else self.appointment.appointment_type.replace("_", " ").capitalize()
        )


def appointment_views(session: Session, stmt: Select[Any]) -> list[AppointmentView]:
    patient_user = User.__table__.alias("patient_user")
    clinician_user = User.__table__.alias("clinician_user")
    rows = session.execute(
        stmt.add_columns(
            patient_user.c.full_name,
            Patient.timezone,
            clinician_user.c.full_name,
            clinician_user.c.discipline,
            ClinicianCalendar.location,
        )
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(patient_user, patient_user.c.id == Patient.user_id)
        .join(clinician_user, clinician_user.c.id == Appointment.clinician_id)
        .outerjoin(ClinicianCalendar, ClinicianCalendar.clinician_id == Appointment.clinician_id)
    )
    types = catalogue().types
    return [
        AppointmentView(
            appointment,
            types.get(appointment.appointment_type),
            patient_name,
            patient_zone,
            clinician_name,
            str(discipline or ""),
            location or "",
        )
        for appointment, patient_name, patient_zone, clinician_name, discipline, location in rows
    ]


def load_appointment(
    session: Session, actor: User, appointment_id: uuid.UUID, action: AuditAction
) -> AppointmentView:
    """One appointment the actor may see or change (``access.appointment_viewer``), audited once.

    For a change the row is locked first (PostgreSQL), so a cancel and a move arriving together take turns
    and the second sees what the first did.
    """
    if action == AuditAction.UPDATE:
        session.execute(select(Appointment.id).where(Appointment.id == appointment_id).with_for_update())
    found = appointment_views(session, select(Appointment).where(Appointment.id == appointment_id))
    if not found:
        raise NotFound(NOT_FOUND)
    view = found[0]
    access.appointment_viewer(
        session,
        actor,
        patient_id=view.appointment.patient_id,
        clinician_id=view.appointment.clinician_id,
        resource_id=view.appointment.id,
        action=action,
        not_found=NOT_FOUND,
    )
    return view


def get_appointment(session: Session, actor: User, appointment_id: uuid.UUID) -> AppointmentView:
    return load_appointment(session, actor, appointment_id, AuditAction.READ)


def notice_deadline(appointment: Appointment, settings: Settings) -> datetime:
    """Until when the patient can move or cancel online."""
    return shift_instant(appointment.starts_at, -timedelta(hours=settings.booking_notice_hours))


def can_change_online(appointment: Appointment, settings: Settings, now: datetime) -> bool:
    return appointment.status == AppointmentStatus.BOOKED and now <= notice_deadline(appointment, settings)


def history(session: Session, appointment: Appointment) -> list[AppointmentChange]:
    return list(
        session.scalars(
            select(AppointmentChange)
            .where(AppointmentChange.appointment_id == appointment.id)
            .order_by(AppointmentChange.at)
        )
    )


# --- lists ------------------------------------------------------------------------------------------------


def appointments_for(
    session: Session, patient: Patient, *, start: datetime | None = None, end: datetime | None = None
) -> list[AppointmentView]:
    """A patient's appointments (access already checked), oldest first."""
    stmt = select(Appointment).where(Appointment.patient_id == patient.id).order_by(Appointment.starts_at)
    if start is not None:
        stmt = stmt.where(Appointment.ends_at > start)
    if end is not None:
        stmt = stmt.where(Appointment.starts_at < end)
    return appointment_views(session, stmt)


def patient_appointments(
    session: Session, actor: User, patient_id: uuid.UUID | None = None, *, reason: str | None = None
) -> tuple[Patient, list[AppointmentView]]:
    """Every appointment of a patient the actor may see (an administrator gives a reason, as for any record)."""
    if actor.role == Role.PATIENT:
        patient = access.own_patient(session, actor, resource_type="appointment")
        if patient_id is not None and patient_id != patient.id:
            raise NotFound(access.NOT_FOUND_MESSAGE)
    else:
        if patient_id is None:
            raise InvalidInput("Say which patient.", field="patient_id")
        patient = access.patient_for(session, actor, patient_id, resource_type="appointment", reason=reason)
    return patient, appointments_for(session, patient)
