"""What the notification API reads and writes: a person's preferences, and the admin's view of the queue."""

from __future__ import annotations

import uuid
from datetime import datetime, time

from pydantic import BaseModel, ConfigDict

from painrewire.notifications.models import ReminderChannel


class PreferencesRead(BaseModel):
    """Each reminder kind by email, in the app only, or off; quiet hours on the person's own clock."""

    appointment: ReminderChannel
    diary: ReminderChannel
    questionnaire: ReminderChannel
    diary_time: time
    quiet_start: time | None
    quiet_end: time | None
    timezone: str


class PreferencesUpdate(BaseModel):
    """Only the fields given change; give both quiet-hour ends as null to have no quiet hours."""

    model_config = ConfigDict(extra="forbid")

    appointment: ReminderChannel | None = None
    diary: ReminderChannel | None = None
    questionnaire: ReminderChannel | None = None
    diary_time: time | None = None
    quiet_start: time | None = None
    quiet_end: time | None = None


class FailedEmailRead(BaseModel):
    """A notification that could not be sent: who, what kind, how often tried, why. Never its content."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    to_address: str
    kind: str
    attempts: int
    last_error: str | None
    created_at: datetime


class FailedJobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    due_at: datetime
    attempts: int
    last_error: str | None


class QueueRead(BaseModel):
    """The admin's view: where mail goes, how much waits, what failed."""

    mail_configured: bool
    smtp_server: str | None
    mail_dir: str | None
    emails: dict[str, int]
    jobs: dict[str, int]
    oldest_pending: datetime | None
    failed: list[FailedEmailRead]
    failed_jobs: list[FailedJobRead]
