"""Clinicians' calendars (weekly hours, exceptions), appointments, in-app notices and private calendar feeds.

Times are stored as UTC instants; the IANA zone they were planned in is kept beside them. An appointment
holds its clinician from ``blocked_from`` to ``blocked_until`` (the appointment plus the type's buffers).

The database itself refuses two booked appointments of one clinician whose blocked ranges overlap, and two
booked appointments of one patient at the same time: on PostgreSQL with exclusion constraints
(``btree_gist``), on SQLite with triggers that run inside the writing transaction. Both are created by the
migration ``0009_scheduling`` (they have no portable SQLAlchemy form); the service catches the violation in
a savepoint and answers "That time was just taken".
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime, time

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from painrewire.db import Base, IdMixin, TimestampMixin, utcnow


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    return Enum(cls, name=name, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e])


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"

    @property
    def label(self) -> str:
        return {
            AppointmentStatus.BOOKED: "Booked",
            AppointmentStatus.CANCELLED: "Cancelled",
            AppointmentStatus.COMPLETED: "Attended",
            AppointmentStatus.NO_SHOW: "Did not attend",
        }[self]


class AppointmentMode(enum.StrEnum):
    IN_PERSON = "in_person"
    VIDEO = "video"

    @property
    def label(self) -> str:
        return "In person" if self is AppointmentMode.IN_PERSON else "Video call"


class AvailabilityMode(enum.StrEnum):
    """How a clinician sees patients in one block of working hours."""

    IN_PERSON = "in_person"
    VIDEO = "video"
    EITHER = "either"

    @property
    def label(self) -> str:
        return {
            AvailabilityMode.IN_PERSON: "In person",
            AvailabilityMode.VIDEO: "Video",
            AvailabilityMode.EITHER: "In person or video",
        }[self]

    def allows(self, mode: AppointmentMode) -> bool:
        return self is AvailabilityMode.EITHER or self.value == mode.value


class ExceptionKind(enum.StrEnum):
    HOLIDAY = "holiday"
    SICK = "sick"
    AWAY = "away"
    OTHER = "other"

    @property
    def label(self) -> str:
        return {
            ExceptionKind.HOLIDAY: "Holiday",
            ExceptionKind.SICK: "Sick",
            ExceptionKind.AWAY: "Away",
            ExceptionKind.OTHER: "Not available",
        }[self]


class ChangeKind(enum.StrEnum):
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


class ClinicianCalendar(Base):
    """One clinician's booking settings: the zone their hours are written in, and whether patients book online."""

    __tablename__ = "clinician_calendars"

    clinician_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    timezone: Mapped[str] = mapped_column(String(64))
    accepts_online_booking: Mapped[bool] = mapped_column(default=True)
    location: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkingHours(IdMixin, Base):
    """A weekly block of working hours, as wall-clock times in the calendar's zone (0 = Monday)."""

    __tablename__ = "working_hours"
    __table_args__ = (
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint("starts < ends", name="starts_before_ends"),
    )

    clinician_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int]
    starts: Mapped[time]
    ends: Mapped[time]
    mode: Mapped[AvailabilityMode] = mapped_column(
        _enum(AvailabilityMode, "availability_mode"), default=AvailabilityMode.EITHER
    )


class CalendarException(IdMixin, TimestampMixin, Base):
    """Time a clinician is not available although their weekly hours say so: a holiday, a sick day, an hour off."""

    __tablename__ = "calendar_exceptions"
    __table_args__ = (
        Index("ix_calendar_exceptions_clinician_starts", "clinician_id", "starts_at"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
    )

    clinician_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[ExceptionKind] = mapped_column(_enum(ExceptionKind, "exception_kind"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str] = mapped_column(String(200), default="")
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )


class Appointment(IdMixin, TimestampMixin, Base):
    """A booked (or once booked) appointment of one patient with one clinician.

    ``appointment_type`` is a key of ``appointment_types.yaml`` (``initial_assessment``, ``prt_session``,
    ...). ``sequence`` counts changes that calendar apps must pick up (iCalendar SEQUENCE); ``course_id``
    groups the sessions of a course booked in one step.
    """

    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_clinician_starts", "clinician_id", "starts_at"),
        Index("ix_appointments_patient_starts", "patient_id", "starts_at"),
        CheckConstraint("starts_at < ends_at", name="starts_before_ends"),
        CheckConstraint("blocked_from <= starts_at AND blocked_until >= ends_at", name="blocks_cover"),
    )

    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("patients.id", ondelete="CASCADE"))
    clinician_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    appointment_type: Mapped[str] = mapped_column(String(64))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    blocked_from: Mapped[datetime]
    blocked_until: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64))
    status: Mapped[AppointmentStatus] = mapped_column(
        _enum(AppointmentStatus, "appointment_status"), default=AppointmentStatus.BOOKED
    )
    mode: Mapped[AppointmentMode] = mapped_column(
        _enum(AppointmentMode, "appointment_mode"), default=AppointmentMode.IN_PERSON
    )
    course_id: Mapped[uuid.UUID | None] = mapped_column(default=None, index=True)
    booked_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    sequence: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    cancelled_at: Mapped[datetime | None] = mapped_column(default=None)
    cancelled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    cancel_reason: Mapped[str] = mapped_column(Text, default="")


class AppointmentChange(IdMixin, Base):
    """The history of an appointment: booked, moved (from when to when), cancelled, attended, missed."""

    __tablename__ = "appointment_changes"

    appointment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[ChangeKind] = mapped_column(_enum(ChangeKind, "appointment_change"))
    previous_starts_at: Mapped[datetime | None] = mapped_column(default=None)
    starts_at: Mapped[datetime | None] = mapped_column(default=None)
    note: Mapped[str] = mapped_column(Text, default="")


class AppointmentNotice(IdMixin, TimestampMixin, Base):
    """A message to a patient in the app (the clinic cancelled or moved an appointment), shown until read."""

    __tablename__ = "appointment_notices"
    __table_args__ = (Index("ix_appointment_notices_user_read", "user_id", "read_at"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    appointment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), default=None
    )
    kind: Mapped[str] = mapped_column(String(32))
    message: Mapped[str] = mapped_column(Text)
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class CalendarFeed(IdMixin, TimestampMixin, Base):
    """A user's private calendar feed: the secret URL's token is random and only its SHA-256 is stored."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    last_fetched_at: Mapped[datetime | None] = mapped_column(default=None)
