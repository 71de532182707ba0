"""How each person wants to be reminded; the outbox's tables live in ``painrewire.outbox.models``."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, time

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from painrewire.db import Base, utcnow
from painrewire.outbox.models import (
    Category,
    JobStatus,
    OutboundEmail,
    OutboxStatus,
    ScheduledJob,
    enum_column,
)

__all__ = [
    "Category",
    "JobStatus",
    "NotificationPreference",
    "OutboundEmail",
    "OutboxStatus",
    "ReminderChannel",
    "ReminderKind",
    "ScheduledJob",
]


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
        enum_column(ReminderChannel, "reminder_channel"), default=ReminderChannel.EMAIL
    )
    diary_reminders: Mapped[ReminderChannel] = mapped_column(
        enum_column(ReminderChannel, "reminder_channel"), default=ReminderChannel.OFF
    )
    questionnaire_reminders: Mapped[ReminderChannel] = mapped_column(
        enum_column(ReminderChannel, "reminder_channel"), default=ReminderChannel.EMAIL
    )
    #: The diary reminder's time on the person's clock; None: the clinic's default (``diary_reminder_time``).
    diary_time: Mapped[time | None] = mapped_column(default=None)
    #: Quiet hours on the person's clock (22:00 to 07:00 spans midnight); both None: none.
    quiet_start: Mapped[time | None] = mapped_column(default=None)
    quiet_end: Mapped[time | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
