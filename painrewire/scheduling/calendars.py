"""Clinicians' calendars: settings, weekly hours, time off, and the schedules drawn from them."""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts import audit
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.db import utcnow
from painrewire.errors import Forbidden, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.scheduling.appointments import (
    AppointmentView,
    appointment_views,
)
from painrewire.scheduling.core import slots as core
from painrewire.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AvailabilityMode,
    CalendarException,
    ClinicianCalendar,
    ExceptionKind,
    WorkingHours,
)
from painrewire.scheduling.queries import between
from painrewire.scheduling.times import (
    check_day,
    check_zone,
    local_days,
)


def _staff_calendar_access(session: Session, actor: User, clinician_id: uuid.UUID) -> User:
    """A clinician manages and sees only their own calendar; an administrator any clinician's."""
    access.require_role(actor, Role.CLINICIAN, Role.ADMIN, message="Calendars are managed by the clinic.")
    if actor.role == Role.CLINICIAN and actor.id != clinician_id:
        raise Forbidden("You can only see and change your own calendar.")
    clinician = session.get(User, clinician_id)
    if clinician is None or clinician.role != Role.CLINICIAN:
        raise NotFound("No such clinician.")
    return clinician


def clinician_schedule(
    session: Session, actor: User, clinician_id: uuid.UUID, *, start: datetime, end: datetime
) -> list[AppointmentView]:
    """A clinician's appointments in a window (their own, or any for the front desk), audited as one read."""
    _staff_calendar_access(session, actor, clinician_id)
    if end <= start or end - start > timedelta(days=62):
        raise InvalidInput("Ask for up to 62 days at a time.", field="end")
    views = appointment_views(
        session,
        select(Appointment)
        .where(
            Appointment.clinician_id == clinician_id, Appointment.starts_at < end, Appointment.ends_at > start
        )
        .order_by(Appointment.starts_at),
    )
    _audit_schedule(session, actor, "clinician_schedule", views, resource_id=clinician_id)
    return views


def clinic_schedule(
    session: Session, actor: User, *, start: datetime, end: datetime
) -> list[AppointmentView]:
    """Every clinician's appointments in a window: the front desk's view of the clinic."""
    access.require_role(actor, Role.ADMIN, message="The clinic's whole calendar is for the front desk.")
    if end <= start or end - start > timedelta(days=31):
        raise InvalidInput("Ask for up to 31 days at a time.", field="end")
    views = appointment_views(
        session,
        select(Appointment)
        .where(Appointment.starts_at < end, Appointment.ends_at > start)
        .order_by(Appointment.starts_at),
    )
    _audit_schedule(session, actor, "clinic_schedule", views)
    return views


def _audit_schedule(
    session: Session,
    actor: User,
    resource_type: str,
    views: list[AppointmentView],
    *,
    resource_id: uuid.UUID | None = None,
) -> None:
    """A schedule names its patients: one read row per patient shown, or one row for an empty schedule."""
    shown = [v.appointment.patient_id for v in views]
    if not audit.record_shown(
        session, actor, resource_type, shown, resource_id=resource_id, reason="schedule"
    ):
        audit.record(session, actor, AuditAction.READ, resource_type, resource_id=resource_id)


@dataclass
class CalendarView:
    clinician: User
    calendar: ClinicianCalendar
    hours: list[WorkingHours]
    exceptions: list[CalendarException]
    saved: bool


def calendar_for(
    session: Session, actor: User, clinician_id: uuid.UUID, *, clinic_zone: str, now: datetime | None = None
) -> CalendarView:
    """A clinician's calendar settings, weekly hours and coming exceptions (defaults if never set up)."""
    clinician = _staff_calendar_access(session, actor, clinician_id)
    calendar = session.get(ClinicianCalendar, clinician.id)
    saved = calendar is not None
    if calendar is None:
        calendar = ClinicianCalendar(
            clinician_id=clinician.id, timezone=clinic_zone, accepts_online_booking=True, location=""
        )
    hours = list(
        session.scalars(
            select(WorkingHours)
            .where(WorkingHours.clinician_id == clinician.id)
            .order_by(WorkingHours.weekday, WorkingHours.starts)
        )
    )
    when = now or utcnow()
    exceptions = list(
        session.scalars(
            select(CalendarException)
            .where(
                CalendarException.clinician_id == clinician.id,
                CalendarException.ends_at > when - timedelta(days=30),
            )
            .order_by(CalendarException.starts_at)
        )
    )
    return CalendarView(clinician, calendar, hours, exceptions, saved)


@dataclass
class ClinicianOverview:
    clinician: User
    calendar: ClinicianCalendar | None
    hours: list[WorkingHours]
    exceptions: list[CalendarException]


def calendar_overview(
    session: Session, actor: User, *, clinic_zone: str, day: date | None = None
) -> list[ClinicianOverview]:
    """Every clinician with their calendar and weekly hours (and a day's exceptions): the front desk's list."""
    access.require_role(
        actor, Role.ADMIN, message="The list of every clinician's hours is for the front desk."
    )
    clinicians = list(
        session.scalars(
            select(User).where(User.role == Role.CLINICIAN, User.is_active.is_(True)).order_by(User.full_name)
        )
    )
    ids = [c.id for c in clinicians]
    calendars = {
        c.clinician_id: c
        for c in session.scalars(select(ClinicianCalendar).where(ClinicianCalendar.clinician_id.in_(ids)))
    }
    hours: dict[uuid.UUID, list[WorkingHours]] = defaultdict(list)
    for h in session.scalars(
        select(WorkingHours)
        .where(WorkingHours.clinician_id.in_(ids))
        .order_by(WorkingHours.weekday, WorkingHours.starts)
    ):
        if day is None or h.weekday == day.weekday():
            hours[h.clinician_id].append(h)
    away: dict[uuid.UUID, list[CalendarException]] = defaultdict(list)
    if day is not None:
        start, end = local_days(day, 1, clinic_zone)
        for e in session.scalars(
            select(CalendarException).where(
                CalendarException.clinician_id.in_(ids),
                between(CalendarException.starts_at, CalendarException.ends_at, start, end),
            )
        ):
            away[e.clinician_id].append(e)
    return [
        ClinicianOverview(c, calendars.get(c.id), hours.get(c.id, []), away.get(c.id, [])) for c in clinicians
    ]


@dataclass(frozen=True)
class HoursBlock:
    weekday: int
    starts: time
    ends: time
    mode: AvailabilityMode = AvailabilityMode.EITHER


WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _check_hours(blocks: Sequence[HoursBlock]) -> None:
    by_day: dict[int, list[HoursBlock]] = defaultdict(list)
    for block in blocks:
        if not 0 <= block.weekday <= 6:
            raise InvalidInput(
                f"weekday must be 0 (Monday) to 6 (Sunday), got {block.weekday}.", field="hours"
            )
        if block.starts >= block.ends:
            raise InvalidInput(
                f"{WEEKDAYS[block.weekday]}: the hours must end after they start "
                f"({block.starts:%H:%M}–{block.ends:%H:%M}).",
                field="hours",
            )
        by_day[block.weekday].append(block)
    for weekday, day_blocks in by_day.items():
        day_blocks.sort(key=lambda b: b.starts)
        for earlier, later in itertools.pairwise(day_blocks):
            if later.starts < earlier.ends:
                raise InvalidInput(f"{WEEKDAYS[weekday]}: two blocks of hours overlap.", field="hours")
    if len(blocks) > 70:
        raise InvalidInput("At most 70 blocks of working hours a week.", field="hours")


def update_calendar(
    session: Session,
    actor: User,
    clinician_id: uuid.UUID,
    *,
    clinic_zone: str,
    hours: Sequence[HoursBlock] | None = None,
    timezone: str | None = None,
    accepts_online_booking: bool | None = None,
    location: str | None = None,
) -> CalendarView:
    """Change a calendar's settings and/or replace its weekly hours (booked appointments stay as they are)."""
    clinician = _staff_calendar_access(session, actor, clinician_id)
    calendar = session.get(ClinicianCalendar, clinician.id)
    if calendar is None:
        calendar = ClinicianCalendar(
            clinician_id=clinician.id, timezone=clinic_zone, accepts_online_booking=True, location=""
        )
        session.add(calendar)
    if timezone is not None:
        calendar.timezone = check_zone(timezone)
    if accepts_online_booking is not None:
        calendar.accepts_online_booking = accepts_online_booking
    if location is not None:
        calendar.location = location.strip()[:200]
    if hours is not None:
        _check_hours(hours)
        for old in session.scalars(select(WorkingHours).where(WorkingHours.clinician_id == clinician.id)):
            session.delete(old)
        session.flush()
        for block in sorted(hours, key=lambda b: (b.weekday, b.starts)):
            session.add(
                WorkingHours(
                    clinician_id=clinician.id,
                    weekday=block.weekday,
                    starts=block.starts,
                    ends=block.ends,
                    mode=block.mode,
                )
            )
    calendar.updated_at = utcnow()
    session.flush()
    return calendar_for(session, actor, clinician.id, clinic_zone=clinic_zone)


@dataclass
class AddedException:
    exception: CalendarException
    clashes: list[AppointmentView] = field(default_factory=list)


def add_exception(
    session: Session,
    actor: User,
    clinician_id: uuid.UUID,
    *,
    kind: ExceptionKind,
    first_day: date,
    last_day: date | None = None,
    starts: time | None = None,
    ends: time | None = None,
    note: str = "",
    clinic_zone: str,
) -> AddedException:
    """Mark days (or part of a day) as not available, in the calendar's zone; say which bookings fall in it."""
    clinician = _staff_calendar_access(session, actor, clinician_id)
    calendar = session.get(ClinicianCalendar, clinician.id)
    zone = calendar.timezone if calendar else clinic_zone
    check_day(first_day, "first_day")
    last = check_day(last_day or first_day, "last_day")
    if last < first_day:
        raise InvalidInput("The last day is before the first day.", field="last_day")
    if (last - first_day).days > 366:
        raise InvalidInput("An exception can last at most a year.", field="last_day")
    start_at = core.from_epoch(core.local_instant(first_day, starts or time(0, 0), zone))
    if ends is not None:
        end_at = core.from_epoch(core.local_instant(last, ends, zone, end=True))
    else:
        end_at = core.from_epoch(core.local_instant(last + timedelta(days=1), time(0, 0), zone))
    if end_at <= start_at:
        raise InvalidInput("The time off must end after it starts.", field="ends")
    exception = CalendarException(
        clinician_id=clinician.id,
        kind=kind,
        starts_at=start_at,
        ends_at=end_at,
        note=note.strip()[:200],
        created_by_id=actor.id,
    )
    session.add(exception)
    session.flush()
    clashes = appointment_views(
        session,
        select(Appointment)
        .where(
            Appointment.clinician_id == clinician.id,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at < end_at,
            Appointment.ends_at > start_at,
        )
        .order_by(Appointment.starts_at),
    )
    return AddedException(exception, clashes)


def remove_exception(session: Session, actor: User, clinician_id: uuid.UUID, exception_id: uuid.UUID) -> None:
    clinician = _staff_calendar_access(session, actor, clinician_id)
    exception = session.get(CalendarException, exception_id)
    if exception is None or exception.clinician_id != clinician.id:
        raise NotFound("No such exception in this calendar.")
    session.delete(exception)
    session.flush()
