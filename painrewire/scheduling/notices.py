"""What the clinic tells a patient in the app: notices about changed appointments, and the home page's
reminders (the next visit, today's practice)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments.service import safety_hold
from painrewire.db import utcnow
from painrewire.errors import NotFound
from painrewire.patients.models import Patient
from painrewire.plans.models import PlanVersion, VersionStatus
from painrewire.practice.models import PracticeLog
from painrewire.scheduling.appointments import (
    AppointmentView,
    appointments_for,
)
from painrewire.scheduling.core import reminders
from painrewire.scheduling.core.catalogue import catalogue
from painrewire.scheduling.models import (
    AppointmentNotice,
    AppointmentStatus,
)


def notify_patient(session: Session, actor: User, view: AppointmentView, kind: str, message: str) -> None:
    patient = session.get(Patient, view.appointment.patient_id)
    if patient is None or patient.user_id == actor.id:
        return
    session.add(
        AppointmentNotice(
            user_id=patient.user_id, appointment_id=view.appointment.id, kind=kind, message=message
        )
    )


def unread_notices(session: Session, user: User) -> list[AppointmentNotice]:
    return list(
        session.scalars(
            select(AppointmentNotice)
            .where(AppointmentNotice.user_id == user.id, AppointmentNotice.read_at.is_(None))
            .order_by(AppointmentNotice.created_at.desc())
        )
    )


def mark_notice_read(
    session: Session, user: User, notice_id: uuid.UUID, *, now: datetime | None = None
) -> AppointmentNotice:
    notice = session.get(AppointmentNotice, notice_id)
    if notice is None or notice.user_id != user.id:
        raise NotFound("No such message.")
    if notice.read_at is None:
        notice.read_at = now or utcnow()
        session.flush()
    return notice


@dataclass
class HomeReminders:
    next_appointment: AppointmentView | None
    appointment_reminder: reminders.Reminder | None
    practice_reminder: reminders.Reminder | None
    notices: list[AppointmentNotice]
    upcoming: list[AppointmentView]


def home_reminders(session: Session, patient: Patient, *, now: datetime | None = None) -> HomeReminders:
    """What the patient's home page reminds them of: the next visit, today's practice, messages from the clinic."""
    when = now or utcnow()
    upcoming = [
        v
        for v in appointments_for(session, patient, start=when, end=when + timedelta(days=60))
        if v.appointment.status == AppointmentStatus.BOOKED and v.appointment.starts_at > when
    ]
    nxt = upcoming[0] if upcoming else None
    rules = catalogue().reminders
    appointment_reminder = (
        reminders.due_appointment_reminder(nxt.appointment.starts_at, rules.before_appointment_minutes, when)
        if nxt
        else None
    )
    today = patient.local_today(when)
    practised = session.scalar(
        select(func.count())
        .select_from(PracticeLog)
        .where(PracticeLog.patient_id == patient.id, PracticeLog.day == today)
    )
    has_program = (
        session.scalar(
            select(func.count())
            .select_from(PlanVersion)
            .where(PlanVersion.patient_id == patient.id, PlanVersion.status == VersionStatus.SIGNED)
        )
        or 0
    ) > 0 and not safety_hold(session, patient.id)
    practice = reminders.practice_reminder(
        when, patient.timezone, rules.practice_time, practised_today=bool(practised), has_program=has_program
    )
    return HomeReminders(
        nxt, appointment_reminder, practice, unread_notices(session, patient.user), upcoming[:5]
    )
