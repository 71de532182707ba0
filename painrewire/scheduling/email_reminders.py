"""Appointment reminders by email: planned when a visit is booked, dropped when it is cancelled, planned anew
when it is moved, and checked again when each one is due.

When: ``appointment_reminder_hours`` (24 and 2 by default) *elapsed* hours before the visit's start instant,
computed on the aware UTC instant. "24 hours before" is therefore not always the same clock time the day
before: for a visit at 10:00 on the Sunday the clocks go forward in London (2027-03-28, 09:00 UTC) the
24-hour reminder goes at 09:00 UTC on Saturday, which the patient's clock shows as 09:00; on the Sunday they go
back (2027-10-31, 10:00 UTC) it goes at 10:00 UTC on Saturday, 11:00 on their clock. Either way it comes a full
day ahead, and the 2-hour one two real hours ahead, which is what a person travelling to the clinic needs.

Each reminder is a scheduled job keyed ``appt-reminder:{appointment}:{start}:{hours}``: a job runs once per
key, and a moved visit's new start makes new keys. The email says only that there is a visit and when, on the
patient's clock ("tomorrow at 10:00"); not with whom, of which discipline or for what.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.config import Settings
from painrewire.notifications import preferences
from painrewire.notifications import service as notifications
from painrewire.notifications.in_app import InAppReminder
from painrewire.notifications.models import Category, JobStatus, ReminderKind, ScheduledJob
from painrewire.patients.models import Patient
from painrewire.scheduling.models import Appointment, AppointmentMode, AppointmentStatus

JOB_KIND = "appointment_reminder"
EMAIL_KIND = "appointment_reminder"
SUBJECT = "Reminder: your appointment with the clinic"
LINK = "/patient/appointments"


def key_prefix(appointment_id: uuid.UUID) -> str:
    return f"appt-reminder:{appointment_id}:"


def job_key(appointment_id: uuid.UUID, starts_at: datetime, hours: float) -> str:
    return f"{key_prefix(appointment_id)}{starts_at.astimezone(UTC).isoformat()}:{hours:g}"


def reminder_instants(starts_at: datetime, hours: Sequence[float]) -> list[tuple[float, datetime]]:
    """Each reminder's hours and instant, earliest first: ``hours`` elapsed hours before the start instant."""
    start = starts_at.astimezone(UTC)
    return [(h, start - timedelta(hours=h)) for h in sorted(set(hours), reverse=True)]


def visit_words(starts_at: datetime, zone: str, at: datetime) -> str:
    """ "today at 14:00", "tomorrow at 10:00" or "on Friday 11 December at 10:00", as seen at ``at``."""
    tz = ZoneInfo(zone)
    local, today = starts_at.astimezone(tz), at.astimezone(tz).date()
    if local.date() == today:
        return f"today at {local:%H:%M}"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow at {local:%H:%M}"
    return f"on {local:%A} {local.day} {local:%B} at {local:%H:%M}"


def _schedule(session: Session, key: str, due_at: datetime, payload: dict[str, object]) -> None:
    if (
        notifications.schedule_job(session, kind=JOB_KIND, key=key, due_at=due_at, payload=payload)
        is not None
    ):
        return
    # The visit was moved away from this start and back again: its cancelled job is due once more.
    job = session.scalar(select(ScheduledJob).where(ScheduledJob.key == key))
    if job is not None and job.status == JobStatus.CANCELLED:
        session.execute(
            update(ScheduledJob)
            .where(ScheduledJob.id == job.id, ScheduledJob.status == JobStatus.CANCELLED)
            .values(
                status=JobStatus.PENDING,
                due_at=due_at,
                payload={**payload, "round": int(job.payload.get("round", 0)) + 1},
                attempts=0,
                last_error=None,
                done_at=None,
                claimed_by=None,
                claimed_until=None,
            )
            .execution_options(synchronize_session=False)
        )


def plan(session: Session, settings: Settings, appointment: Appointment, *, now: datetime) -> int:
    """Schedule the reminders of a booked visit that are still ahead (none for a time already past)."""
    planned = 0
    for hours, due in reminder_instants(appointment.starts_at, settings.appointment_reminder_hours):
        if due <= now:
            continue
        payload = {
            "appointment_id": str(appointment.id),
            "starts_at": appointment.starts_at.astimezone(UTC).isoformat(),
            "hours": hours,
        }
        _schedule(session, job_key(appointment.id, appointment.starts_at, hours), due, payload)
        planned += 1
    return planned


def drop(session: Session, appointment: Appointment) -> None:
    """A cancelled (or moved) visit: its reminders not yet sent will not be, nor those waiting in the outbox."""
    prefix = key_prefix(appointment.id)
    notifications.cancel_jobs(session, key_prefix=prefix)
    notifications.cancel_emails(session, dedupe_prefix=prefix)


def replan(session: Session, settings: Settings, appointment: Appointment, *, now: datetime) -> int:
    """A moved visit reminds at its new time only."""
    drop(session, appointment)
    return plan(session, settings, appointment, now=now)


def send_reminder(session: Session, job: ScheduledJob, now: datetime) -> None:
    """The job's handler: email the patient if the visit is still booked at that start (and still ahead)."""
    appointment = session.get(Appointment, uuid.UUID(str(job.payload["appointment_id"])))
    starts_at = datetime.fromisoformat(str(job.payload["starts_at"]))
    if (
        appointment is None
        or appointment.status != AppointmentStatus.BOOKED
        or appointment.starts_at != starts_at
        or appointment.starts_at <= now
    ):
        return
    patient = session.get(Patient, appointment.patient_id)
    user = session.get(User, patient.user_id) if patient is not None else None
    if patient is None or user is None or not user.is_active:
        return
    # Worded for when it will arrive: quiet hours may hold it back past midnight.
    arrives = preferences.delivery_time(
        session, user, kind=EMAIL_KIND, category=Category.REMINDER, urgent=False, at=now
    )
    if arrives is None or arrives >= appointment.starts_at:
        return
    what = "a video appointment" if appointment.mode == AppointmentMode.VIDEO else "an appointment"
    words = visit_words(appointment.starts_at, patient.timezone, arrives)
    body = (
        f"You have {what} with the clinic {words}.\n\n"
        "If you cannot come, please move or cancel it in the app, or call the clinic, as soon as you can."
    )
    notifications.enqueue_email(
        session,
        kind=EMAIL_KIND,
        category=Category.REMINDER,
        dedupe_key=f"{job.key}#{job.payload.get('round', 0)}",
        subject=SUBJECT,
        body=body,
        link_path=LINK,
        recipient=user,
        send_after=arrives,
    )


def in_app(session: Session, patient: Patient, settings: Settings, now: datetime) -> list[InAppReminder]:
    """The next booked visit, once its first reminder is due, until it starts."""
    window = max(settings.appointment_reminder_hours, default=0)
    starts_at = session.scalar(
        select(Appointment.starts_at)
        .where(
            Appointment.patient_id == patient.id,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at > now,
            Appointment.starts_at <= now + timedelta(hours=window),
        )
        .order_by(Appointment.starts_at)
        .limit(1)
    )
    if starts_at is None:
        return []
    words = visit_words(starts_at, patient.timezone, now)
    return [
        InAppReminder(
            ReminderKind.APPOINTMENT,
            f"You have an appointment with the clinic {words}.",
            LINK,
            "Your appointments",
        )
    ]
