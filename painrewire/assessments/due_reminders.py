"""Questionnaires due: the patient is emailed once when a questionnaire asked of them falls due and is still open.

The path is generic: any open :class:`QuestionnaireAssignment` with a due date is announced, whoever or whatever
created it (a clinician's request, or a follow-up schedule that assigns questionnaires after treatment), and the
mail names neither the instrument nor the reason: "a questionnaire from your care team is waiting".

A sweep of the worker plans one job per assignment, keyed ``questionnaire-due:{assignment}`` (unique: once per
assignment, whatever the number of workers), due at ``questionnaire_reminder_time`` of the due day on the
patient's clock. The job checks again when it runs: nothing is sent for an assignment completed or withdrawn by
then. Assignments more than ``LOOKBACK_DAYS`` overdue when first seen are not announced (a first start of the
worker on an old database does not mail every patient about last year's requests).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments.models import AssignmentStatus, QuestionnaireAssignment
from painrewire.config import Settings
from painrewire.notifications import preferences
from painrewire.notifications import service as notifications
from painrewire.notifications.in_app import InAppReminder
from painrewire.notifications.models import Category, ReminderKind, ScheduledJob
from painrewire.patients.models import Patient

JOB_KIND = "questionnaire_due"
EMAIL_KIND = "questionnaire_due"
SUBJECT = "A questionnaire from your care team is waiting"
LINK = "/patient/questionnaires"
LOOKBACK_DAYS = 7


def job_key(assignment_id: uuid.UUID) -> str:
    return f"questionnaire-due:{assignment_id}"


def plan_questionnaire_reminders(session: Session, settings: Settings, now: datetime) -> int:
    """The worker's sweep: a job for each open assignment falling due by tomorrow that has none yet."""
    today = now.date()
    rows = session.execute(
        select(QuestionnaireAssignment.id, QuestionnaireAssignment.due_on, Patient.timezone)
        .join(Patient, Patient.id == QuestionnaireAssignment.patient_id)
        .where(
            QuestionnaireAssignment.status == AssignmentStatus.OPEN,
            QuestionnaireAssignment.due_on.is_not(None),
            QuestionnaireAssignment.due_on >= today - timedelta(days=LOOKBACK_DAYS),
            QuestionnaireAssignment.due_on <= today + timedelta(days=1),
        )
    ).all()
    if not rows:
        return 0
    keys = {
        job_key(assignment_id): (assignment_id, due_on, zone)
        for assignment_id, due_on, zone in rows
        if due_on is not None
    }
    planned_already = set(session.scalars(select(ScheduledJob.key).where(ScheduledJob.key.in_(list(keys)))))
    planned = 0
    for key, (assignment_id, due_on, zone) in keys.items():
        if key in planned_already:
            continue
        due = preferences.local_instant(due_on, settings.questionnaire_reminder_time, ZoneInfo(zone))
        job = notifications.schedule_job(
            session, kind=JOB_KIND, key=key, due_at=due, payload={"assignment_id": str(assignment_id)}
        )
        planned += job is not None
    return planned


def send_questionnaire_due(session: Session, job: ScheduledJob, now: datetime) -> None:
    """The job's handler: email the patient if the questionnaire is still open."""
    assignment = session.get(QuestionnaireAssignment, uuid.UUID(str(job.payload["assignment_id"])))
    if assignment is None or assignment.status != AssignmentStatus.OPEN:
        return
    patient = session.get(Patient, assignment.patient_id)
    user = session.get(User, patient.user_id) if patient is not None else None
    if user is None or not user.is_active:
        return
    notifications.enqueue_email(
        session,
        kind=EMAIL_KIND,
        category=Category.REMINDER,
        dedupe_key=job.key,
        subject=SUBJECT,
        body="A questionnaire from your care team is waiting for you. Please fill it in when you can.",
        link_path=LINK,
        recipient=user,
        send_after=now,
    )


def in_app(session: Session, patient: Patient, settings: Settings, now: datetime) -> list[InAppReminder]:
    """Open questionnaires whose due day has come on the patient's clock."""
    today = now.astimezone(ZoneInfo(patient.timezone)).date()
    waiting = session.scalar(
        select(func.count())
        .select_from(QuestionnaireAssignment)
        .where(
            QuestionnaireAssignment.patient_id == patient.id,
            QuestionnaireAssignment.status == AssignmentStatus.OPEN,
            QuestionnaireAssignment.due_on <= today,
        )
    )
    if not waiting:
        return []
    text = (
        "A questionnaire from your care team is waiting."
        if waiting == 1
        else f"{waiting} questionnaires from your care team are waiting."
    )
    label = "Fill it in" if waiting == 1 else "Fill them in"
    return [InAppReminder(ReminderKind.QUESTIONNAIRE, text, LINK, label)]
