"""What the notification API reads and writes: a person's preferences, and the admin's view of the queue."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema

from painrewire.notifications.models import ReminderChannel

CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


def _clock(value: Any) -> Any:
    if isinstance(value, str) and not re.fullmatch(CLOCK, value):
        raise ValueError(f"give a time on the clock as HH:MM, such as 22:00; got {value!r}")
    if isinstance(value, time) and value.tzinfo is not None:
        raise ValueError("give a time on the clock without a zone; the person's own zone applies")
    return value


#: A time on a person's own clock, "22:00" (no zone, no seconds), read and written as such.
ClockTime = Annotated[
    time,
    BeforeValidator(_clock),
    PlainSerializer(lambda value: value.strftime("%H:%M"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": CLOCK, "examples": ["22:00"]}),
]


class PreferencesRead(BaseModel):
    """Each reminder kind by email, in the app only, or off; quiet hours on the person's own clock."""

    appointment: ReminderChannel
    diary: ReminderChannel
    questionnaire: ReminderChannel
    diary_time: ClockTime
    quiet_start: ClockTime | None
    quiet_end: ClockTime | None
    timezone: str


class PreferencesUpdate(BaseModel):
    """Only the fields given change; give both quiet-hour ends as null to have no quiet hours."""

    model_config = ConfigDict(extra="forbid")

    appointment: ReminderChannel | None = None
    diary: ReminderChannel | None = None
    questionnaire: ReminderChannel | None = None
    diary_time: ClockTime | None = None
    quiet_start: ClockTime | None = None
    quiet_end: ClockTime | None = None


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
