"""The diary reminder for patients who opted in: an email at the time they chose (19:00 unless they said),
on their own clock, on days whose diary they have not written yet.

A sweep of the worker plans each opted-in patient's next reminder as a job keyed
``diary-reminder:{patient}:{local date}``. The key is unique, so however many workers sweep, and across
restarts, a day has one reminder; when the patient changes the time, the sweep moves the day's job that has not
run yet. The job checks again when it is due: nothing is sent if the day's entry exists by then, or if the day
is over on the patient's clock (a worker that was stopped past midnight sends no stale reminder).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.config import Settings
from painrewire.diary.models import DiaryEntry
from painrewire.notifications import preferences
from painrewire.notifications import service as notifications
from painrewire.notifications.in_app import InAppReminder
from painrewire.notifications.models import (
    Category,
    JobStatus,
    NotificationPreference,
    ReminderChannel,
    ReminderKind,
    ScheduledJob,
)
from painrewire.patients.models import Patient

JOB_KIND = "diary_reminder"
EMAIL_KIND = "diary_reminder"
SUBJECT = "Your diary for today"
LINK = "/patient/diary"
_KEYS_PER_QUERY = 500


def job_key(patient_id: uuid.UUID, day: date) -> str:
    return f"diary-reminder:{patient_id}:{day.isoformat()}"


def plan_diary_reminders(session: Session, settings: Settings, now: datetime) -> int:
    """The worker's sweep: plan each opted-in patient's next reminder; returns how many jobs it planned or moved."""
    rows = session.execute(
        select(Patient.id, Patient.timezone, NotificationPreference.diary_time)
        .join(NotificationPreference, NotificationPreference.user_id == Patient.user_id)
        .join(User, User.id == Patient.user_id)
        .where(NotificationPreference.diary_reminders == ReminderChannel.EMAIL, User.is_active.is_(True))
    ).all()
    wanted: dict[str, tuple[uuid.UUID, date, datetime]] = {}
    for patient_id, zone_name, chosen in rows:
        zone = ZoneInfo(zone_name)
        today = now.astimezone(zone).date()
        for day in (today, today + timedelta(days=1)):
            due = preferences.local_instant(day, chosen or settings.diary_reminder_time, zone)
            wanted[job_key(patient_id, day)] = (patient_id, day, due)
    keys = list(wanted)
    existing: dict[str, tuple[uuid.UUID, JobStatus, datetime]] = {}
    for i in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = keys[i : i + _KEYS_PER_QUERY]
        for job_id, key, status, due_at in session.execute(
            select(ScheduledJob.id, ScheduledJob.key, ScheduledJob.status, ScheduledJob.due_at).where(
                ScheduledJob.key.in_(chunk)
            )
        ):
            existing[key] = (job_id, status, due_at)
    planned = 0
    next_planned: set[uuid.UUID] = set()
    for key, (patient_id, day, due) in wanted.items():
        found = existing.get(key)
        if found is None:
            if due <= now or patient_id in next_planned:
                continue  # only the next one ahead; none late for a day whose time passed unplanned
            payload = {"patient_id": str(patient_id), "day": day.isoformat()}
            if notifications.schedule_job(session, kind=JOB_KIND, key=key, due_at=due, payload=payload):
                planned += 1
            next_planned.add(patient_id)
            continue
        job_id, status, due_at = found
        if due > now:
            next_planned.add(patient_id)
        if status == JobStatus.PENDING and due_at != due:  # the patient chose another time
            session.execute(
                update(ScheduledJob)
                .where(ScheduledJob.id == job_id, ScheduledJob.status == JobStatus.PENDING)
                .values(due_at=due)
                .execution_options(synchronize_session=False)
            )
            planned += 1
    return planned


def send_diary_reminder(session: Session, job: ScheduledJob, now: datetime) -> None:
    """The job's handler: email the patient unless the day's entry exists or the day is over."""
    patient = session.get(Patient, uuid.UUID(str(job.payload["patient_id"])))
    if patient is None:
        return
    day = date.fromisoformat(str(job.payload["day"]))
    zone = ZoneInfo(patient.timezone)
    if now.astimezone(zone).date() != day or _written(session, patient.id, day):
        return
    user = session.get(User, patient.user_id)
    if user is None or not user.is_active:
        return
    arrives = preferences.delivery_time(
        session, user, kind=EMAIL_KIND, category=Category.REMINDER, urgent=False, at=now
    )
    if arrives is None or arrives.astimezone(zone).date() != day:
        return  # off, in the app only, or quiet hours would hold it into tomorrow
    notifications.enqueue_email(
        session,
        kind=EMAIL_KIND,
        category=Category.REMINDER,
        dedupe_key=job.key,
        subject=SUBJECT,
        body="You have not filled in today's diary yet. It takes about a minute.",
        link_path=LINK,
        recipient=user,
        send_after=arrives,
    )


def _written(session: Session, patient_id: uuid.UUID, day: date) -> bool:
    found = session.scalar(
        select(DiaryEntry.id).where(DiaryEntry.patient_id == patient_id, DiaryEntry.day == day)
    )
    return found is not None


def in_app(session: Session, patient: Patient, settings: Settings, now: datetime) -> list[InAppReminder]:
    """Today's diary, once the patient's reminder time has come on their clock and it is not written."""
    zone = ZoneInfo(patient.timezone)
    today = now.astimezone(zone).date()
    due = preferences.local_instant(
        today, preferences.diary_time_for(session, patient.user_id, settings), zone
    )
    if now < due or _written(session, patient.id, today):
        return []
    return [
        InAppReminder(
            ReminderKind.DIARY, "You have not filled in today's diary yet.", LINK, "Fill in today's diary"
        )
    ]
