"""The outbox of outgoing mail and the table of scheduled jobs.

Both are rows written in the same transaction as the event that causes them (an alert, a booking, a message):
a rolled-back request sends nothing, and a committed one can never lose its notification. A worker claims due
rows (``painrewire.notifications.worker``), so several workers share one queue without doing anything twice.
The tables name no domain: who wants which mail, and when, is ``painrewire.notifications``'s to say.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from painrewire.db import Base, IdMixin, TimestampMixin, utcnow


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
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
    category: Mapped[Category] = mapped_column(enum_column(Category, "email_category"))
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
        enum_column(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
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
    status: Mapped[JobStatus] = mapped_column(enum_column(JobStatus, "job_status"), default=JobStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
