"""Visits booked through the real booking service, preferences, and running the clinic's worker at a given time."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.config import Settings
from painrewire.notifications import preferences
from painrewire.notifications.models import OutboundEmail, ScheduledJob
from painrewire.notifications.schemas import PreferencesUpdate
from painrewire.notifications.worker import TickResult, Worker, wait_until_idle
from painrewire.patients.models import Patient
from painrewire.scheduling import service as scheduling
from painrewire.scheduling.models import Appointment
from tests.fixtures.smtp import Received, SmtpServer
from tests.scheduling.builders import london, open_calendar

EVERY_DAY = [(d, "08:00", "18:00") for d in range(7)]


def open_every_day(session: Session, clinician: User) -> None:
    """The clinician sees patients every day, Sundays too (so a visit can fall on the day the clocks change)."""
    open_calendar(session, clinician, hours=EVERY_DAY)


def book(
    session: Session,
    settings: Settings,
    clinician: User,
    patient: Patient,
    *,
    day: date,
    clock: str,
    now: datetime,
) -> Appointment:
    """The clinician books the patient in (staff may book any future time), at ``now``."""
    booking = scheduling.book(
        session,
        clinician,
        settings,
        type_key="initial_assessment",
        clinician_id=clinician.id,
        starts_at=london(day, clock),
        patient_id=patient.id,
        now=now,
    )
    session.commit()
    return booking.appointment


def prefer(session: Session, user: User, **changes: Any) -> None:
    preferences.update_preferences(session, user, PreferencesUpdate.model_validate(changes))
    session.commit()


def run_at(worker: Worker, moment: datetime) -> TickResult:
    """Run the clinic's worker until idle with its clock at ``moment``."""
    worker.clock = lambda: moment
    return wait_until_idle(worker)


def mail_to(smtp: SmtpServer, user: User) -> list[Received]:
    return smtp.mailbox.to(user.email)


def jobs(session: Session, prefix: str) -> list[ScheduledJob]:
    return list(
        session.scalars(
            select(ScheduledJob)
            .where(ScheduledJob.key.startswith(prefix))
            .order_by(ScheduledJob.due_at)
            .execution_options(populate_existing=True)
        )
    )


def outbox(session: Session, user: User) -> list[OutboundEmail]:
    return list(
        session.scalars(
            select(OutboundEmail)
            .where(OutboundEmail.recipient_id == user.id)
            .order_by(OutboundEmail.created_at)
        )
    )
