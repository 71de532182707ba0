"""The outbox of outgoing mail and the table of scheduled jobs.

Both are rows written in the same transaction as the event that causes them (an alert, a booking, a message):
a rolled-back request sends nothing, and a committed one can never lose its notification. A worker claims due
rows (``worker.py``), so several workers share one queue without doing anything twice.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, time
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from painrewire.db import Base, IdMixin, TimestampMixin, utcnow


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    #: Gave up after ``notify_max_attempts`` tries; shown on the admin page.
    FAILED = "failed"
    #: No longer wanted before it was sent (the visit it reminded of was cancelled or moved).
    CANCELLED = "cancelled"


class Category(enum.StrEnum):
    """Clinical mail (safety, messages from the care team, sign-in) cannot be unsubscribed from; reminders can."""

    CLINICAL = "clinical"
    ACCOUNT = "account"
    REMINDER = "reminder"


class OutboundEmail(IdMixin, TimestampMixin, Base):
    """One email to one address: no health content, a link back to the app.

    The text is stored as written when the event happened; the worker wraps it (greeting, the link made
    absolute with the clinic's address, the footer, an HTML twin) when it sends.
    """

    __tablename__ = "outbound_emails"
    __table_args__ = (Index("ix_outbound_emails_due", "status", "send_after"),)

    #: Makes enqueueing idempotent: the same event never queues the same mail twice.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(48))
    category: Mapped[Category] = mapped_column(_enum(Category, "email_category"))
    recipient_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), default=None, index=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    #: The page the mail points to, as a path in the app (``/clinician/alerts``).
    link_path: Mapped[str] = mapped_column(Text)
    #: ``<...@domain>``: fixed when queued, so a retry after a crash carries the same id and can be recognised.
    message_id: Mapped[str] = mapped_column(String(200), unique=True)
    #: Urgent safety mail ignores the recipient's quiet hours.
    urgent: Mapped[bool] = mapped_column(default=False)
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    send_after: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)


class JobStatus(enum.StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ScheduledJob(IdMixin, TimestampMixin, Base):
    """Work due at a time: an alert's escalation, an appointment's reminder, a day's diary reminder.

    ``key`` is unique, so planning the same job twice (two workers, a restart) keeps one row, and a job runs
    once per due time. A job's handler runs in the same transaction that marks it done.
    """

    __tablename__ = "scheduled_jobs"
    __table_args__ = (Index("ix_scheduled_jobs_due", "status", "due_at"),)

    kind: Mapped[str] = mapped_column(String(48))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    due_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[JobStatus] = mapped_column(_enum(JobStatus, "job_status"), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)


class ReminderKind(enum.StrEnum):
    """The reminders a person may turn off or keep in the app; clinical and account mail is not among them."""

    APPOINTMENT = "appointment"
    DIARY = "diary"
    QUESTIONNAIRE = "questionnaire"

    @property
    def label(self) -> str:
        return {
            ReminderKind.APPOINTMENT: "Appointment reminders",
            ReminderKind.DIARY: "Diary reminders",
            ReminderKind.QUESTIONNAIRE: "Questionnaire reminders",
        }[self]


class ReminderChannel(enum.StrEnum):
    EMAIL = "email"
    #: Not emailed: listed under "Reminders" on the person's home page while it is current.
    IN_APP = "in_app"
    OFF = "off"

    @property
    def label(self) -> str:
        return {
            ReminderChannel.EMAIL: "By email",
            ReminderChannel.IN_APP: "In the app only",
            ReminderChannel.OFF: "Off",
        }[self]


class NotificationPreference(Base):
    """How one person wants to be reminded, and when mail may not arrive (quiet hours on their own clock).

    No row means the defaults: appointment and questionnaire reminders by email, no diary reminder (patients
    opt in), no quiet hours.
    """

    __tablename__ = "notification_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    appointment_reminders: Mapped[ReminderChannel] = mapped_column(
        _enum(ReminderChannel, "reminder_channel"), default=ReminderChannel.EMAIL
    )
    diary_reminders: Mapped[ReminderChannel] = mapped_column(
        _enum(ReminderChannel, "reminder_channel"), default=ReminderChannel.OFF
    )
    questionnaire_reminders: Mapped[ReminderChannel] = mapped_column(
        _enum(ReminderChannel, "reminder_channel"), default=ReminderChannel.EMAIL
    )
    #: The diary reminder's time on the person's clock; None: the clinic's default (``diary_reminder_time``).
    diary_time: Mapped[time | None] = mapped_column(default=None)
    #: Quiet hours on the person's clock (22:00 to 07:00 spans midnight); both None: none.
    quiet_start: Mapped[time | None] = mapped_column(default=None)
    quiet_end: Mapped[time | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
