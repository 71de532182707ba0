"""Scheduling: clinicians' calendars, free times, booking (one visit or the PRT course), moving and cancelling,
the patient's in-app notices and reminders, and each user's private calendar feed.

A free-time search costs a fixed number of queries whatever the clinic's size (clinicians with their
calendars, working hours, exceptions, bookings, and the patient's own appointments: one query each); the
arithmetic happens in :mod:`painrewire.scheduling.slots`. A booking takes the clinician's lock, is checked
against the same search and then written inside a savepoint; the database's own constraint (see ``models``)
settles any race, and the loser is told "That time was just taken".
"""

from __future__ import annotations

import itertools
import uuid
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import BigInteger, ColumnElement, Select, Text, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from painrewire import validation
from painrewire.accounts import audit
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.accounts.security import new_token, token_digest
from painrewire.assessments.service import safety_hold
from painrewire.config import Settings
from painrewire.dashboard.service import next_appointment_source
from painrewire.db import utcnow
from painrewire.diary.service import local_today
from painrewire.errors import Forbidden, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import CareTeamMember, Patient
from painrewire.plans.models import PlanVersion, VersionStatus
from painrewire.practice.models import PracticeLog
from painrewire.scheduling import email_reminders, ical, reminders
from painrewire.scheduling import slots as core
from painrewire.scheduling.catalogue import AppointmentType, catalogue
from painrewire.scheduling.errors import AppointmentClosed, NotBookable, NoticePeriodPassed, SlotTaken
from painrewire.scheduling.models import (
    Appointment,
    AppointmentChange,
    AppointmentMode,
    AppointmentNotice,
    AppointmentStatus,
    AvailabilityMode,
    CalendarException,
    CalendarFeed,
    ChangeKind,
    ClinicianCalendar,
    ExceptionKind,
    WorkingHours,
)
from painrewire.validation import shift_instant

#: The audited reason when the front desk (an administrator) handles a patient's appointments.
FRONT_DESK_REASON = "front desk: appointments"
FEED_HISTORY_DAYS = 180
NOT_FOUND = "No such appointment, or it is not yours to see."
OPEN_STATUSES = (AppointmentStatus.BOOKED,)


# --- instants in SQL ------------------------------------------------------------------------------------


class epoch_seconds(FunctionElement[int]):  # noqa: N801 - reads as the SQL function it renders
    """Seconds since the epoch of a stored UTC instant, computed by the database (no datetime parsing)."""

    type = BigInteger()
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS BIGINT)"


class epoch_ranges(FunctionElement[str]):  # noqa: N801 - reads as the SQL aggregate it renders
    """A group's ranges as one text ``"from,until,from,until,..."`` in epoch seconds (an aggregate).

    The free-time search reads a clinic's bookings as one row per clinician rather than one per booking:
    thousands of rows each turned into Python objects cost more than the search's arithmetic.
    """

    type = Text()
    inherit_cache = True


def _pair_sql(element: epoch_ranges, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = list(element.clauses)
    first = compiler.process(epoch_seconds(start), **kw)
    second = compiler.process(epoch_seconds(end), **kw)
    return f"CAST({first} AS TEXT) || ',' || CAST({second} AS TEXT)"


@compiles(epoch_ranges, "sqlite")
def _ranges_sqlite(element: epoch_ranges, compiler: SQLCompiler, **kw: Any) -> str:
    return f"group_concat({_pair_sql(element, compiler, **kw)}, ',')"


@compiles(epoch_ranges, "postgresql")
def _ranges_postgresql(element: epoch_ranges, compiler: SQLCompiler, **kw: Any) -> str:
    return f"string_agg({_pair_sql(element, compiler, **kw)}, ',')"


def _unpack_ranges(packed: str | None) -> list[core.Span]:
    if not packed:
        return []
    numbers = [int(n) for n in packed.split(",")]
    return list(zip(numbers[::2], numbers[1::2], strict=True))


def _between(start_col: Any, end_col: Any, start: datetime, end: datetime) -> ColumnElement[bool]:
    """Rows whose range [start_col, end_col) meets [start, end)."""
    result: ColumnElement[bool] = (start_col < end) & (end_col > start)
    return result


# --- types, clinicians, zones ------------------------------------------------------------------------------


def appointment_type(key: str) -> AppointmentType:
    """The clinic's appointment type with this key, or a readable refusal naming the known ones."""
    kind = catalogue().get(key)
    if kind is None:
        known = ", ".join(catalogue().types)
        raise NotBookable(
            f"Unknown appointment type {key!r}; choose one of {known}.", field="appointment_type"
        )
    return kind


def check_zone(name: str, *, field: str = "timezone") -> str:
    """``name`` when it is a time zone; otherwise a refusal (422) naming ``field`` (`validation.check_zone`)."""
    return validation.check_zone(name, field=field)


#: Dates a calendar works with; anything outside is a typing slip, refused before any arithmetic overflows.
FIRST_DAY = date(1970, 1, 2)
LAST_DAY = date(2199, 12, 31)


def check_day(day: date, field: str) -> date:
    """Refuse a date outside the years a calendar can mean (1970-2199) with the field's name."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InvalidInput(f"{field}: {day.isoformat()} is out of range.", field=field)
    return day


def aware(moment: datetime, field: str) -> datetime:
    if moment.tzinfo is None:
        raise InvalidInput(
            "Give the time with its time zone, e.g. 2026-03-02T09:00:00+00:00 or ...Z.", field=field
        )
    check_day(moment.date(), field)
    return moment.astimezone(UTC)


def zone_info(name: str) -> ZoneInfo:
    return ZoneInfo(check_zone(name))


def today_in(zone_name: str, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(zone_info(zone_name)).date()


def local_days(first: date, days: int, zone_name: str) -> tuple[datetime, datetime]:
    """The instants where ``days`` local days from ``first`` begin and end in ``zone_name`` (23 or 25 hours on
    the days the clock changes)."""
    check_day(first, "week")
    start = core.from_epoch(core.local_instant(first, time(0, 0), zone_name))
    end = core.from_epoch(core.local_instant(first + timedelta(days=days), time(0, 0), zone_name))
    return start, end


def patient_of(session: Session, user: User | None) -> Patient | None:
    """The logged-in patient's record for booking (their zone and id only), or None for anyone else."""
    if user is None or user.role != Role.PATIENT:
        return None
    return session.scalar(select(Patient).where(Patient.user_id == user.id))


def viewer_zone(session: Session, user: User | None, settings: Settings) -> str:
    """The zone to show times in: the patient's own, else the clinic's."""
    patient = patient_of(session, user)
    return patient.timezone if patient is not None else settings.clinic_timezone


def feed_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/calendar/{token}.ics"


@dataclass(frozen=True)
class BookableClinician:
    id: uuid.UUID
    full_name: str
    discipline: str
    timezone: str
    location: str


def bookable_clinicians(
    session: Session, kind: AppointmentType, *, clinic_zone: str, online_only: bool = True
) -> list[BookableClinician]:
    """Active clinicians who offer this type and have a calendar open for booking, by name (one query)."""
    stmt = (
        select(
            User.id, User.full_name, User.discipline, ClinicianCalendar.timezone, ClinicianCalendar.location
        )
        .join(ClinicianCalendar, ClinicianCalendar.clinician_id == User.id)
        .where(
            User.role == Role.CLINICIAN,
            User.is_active.is_(True),
            User.discipline.in_(kind.disciplines),
        )
        .order_by(User.full_name)
    )
    if online_only:
        stmt = stmt.where(ClinicianCalendar.accepts_online_booking.is_(True))
    return [
        BookableClinician(cid, name, str(discipline), zone or clinic_zone, location or "")
        for cid, name, discipline, zone, location in session.execute(stmt)
    ]


# --- free times -------------------------------------------------------------------------------------------


class Slot(NamedTuple):
    """One free time to offer (a tuple: a clinic's search makes thousands of them)."""

    starts_at: datetime
    ends_at: datetime
    clinician_id: uuid.UUID
    clinician_name: str
    mode: str  # in_person, video or either (the patient chooses)
    zone: str  # the calendar's zone


@dataclass
class SearchResult:
    kind: AppointmentType
    start: datetime
    end: datetime
    slots: list[Slot]
    clinicians: list[BookableClinician]


def _booking_floor(now: datetime, *, staff: bool) -> datetime:
    """The earliest bookable start: the clinic's lead time for patients, any future time for staff."""
    if staff:
        return now
    return now + timedelta(minutes=catalogue().booking.min_lead_minutes)


def _horizon(now: datetime) -> datetime:
    return now + timedelta(weeks=catalogue().booking.horizon_weeks)


def _calendars_data(
    session: Session,
    clinicians: Sequence[BookableClinician],
    *,
    start: datetime,
    end: datetime,
    margin: timedelta,
    ignore_appointment_id: uuid.UUID | None = None,
) -> list[core.CalendarData]:
    """Working hours, exceptions and held ranges of these clinicians around the window: three queries."""
    ids = [c.id for c in clinicians]
    data = {c.id: core.CalendarData(c.id, c.timezone, []) for c in clinicians}
    if not ids:
        return []
    blocks: dict[uuid.UUID, list[core.WeeklyBlock]] = defaultdict(list)
    for cid, weekday, starts, ends, mode in session.execute(
        select(
            WorkingHours.clinician_id,
            WorkingHours.weekday,
            WorkingHours.starts,
            WorkingHours.ends,
            WorkingHours.mode,
        ).where(WorkingHours.clinician_id.in_(ids))
    ):
        blocks[cid].append(core.WeeklyBlock(weekday, starts, ends, str(mode)))
    low, high = start - margin, end + margin
    for cid, a, b in session.execute(
        select(
            CalendarException.clinician_id,
            epoch_seconds(CalendarException.starts_at),
            epoch_seconds(CalendarException.ends_at),
        ).where(
            CalendarException.clinician_id.in_(ids),
            _between(CalendarException.starts_at, CalendarException.ends_at, low, high),
        )
    ):
        data[cid].away.append((a, b))
    bookings = (
        select(Appointment.clinician_id, epoch_ranges(Appointment.blocked_from, Appointment.blocked_until))
        .where(
            Appointment.clinician_id.in_(ids),
            Appointment.status == AppointmentStatus.BOOKED,
            _between(Appointment.blocked_from, Appointment.blocked_until, low, high),
        )
        .group_by(Appointment.clinician_id)
    )
    if ignore_appointment_id is not None:
        bookings = bookings.where(Appointment.id != ignore_appointment_id)
    for cid, packed in session.execute(bookings):
        data[cid].bookings.extend(_unpack_ranges(packed))
    for cid, calendar in data.items():
        calendar.blocks = blocks.get(cid, [])
    return list(data.values())


def _patient_busy(
    session: Session,
    patient_id: uuid.UUID,
    start: datetime,
    end: datetime,
    margin: timedelta,
    ignore_appointment_id: uuid.UUID | None = None,
) -> list[core.Span]:
    stmt = select(epoch_seconds(Appointment.starts_at), epoch_seconds(Appointment.ends_at)).where(
        Appointment.patient_id == patient_id,
        Appointment.status == AppointmentStatus.BOOKED,
        _between(Appointment.starts_at, Appointment.ends_at, start - margin, end + margin),
    )
    if ignore_appointment_id is not None:
        stmt = stmt.where(Appointment.id != ignore_appointment_id)
    return [(a, b) for a, b in session.execute(stmt)]


def _care_team_ids(session: Session, patient_id: uuid.UUID | None) -> set[uuid.UUID]:
    if patient_id is None:
        return set()
    return set(
        session.scalars(select(CareTeamMember.clinician_id).where(CareTeamMember.patient_id == patient_id))
    )


def find_slots(
    session: Session,
    *,
    type_key: str,
    start: datetime,
    end: datetime,
    clinic_zone: str,
    clinician_id: uuid.UUID | None = None,
    mode: str | None = None,
    patient_id: uuid.UUID | None = None,
    ignore_appointment_id: uuid.UUID | None = None,
    staff: bool = False,
    every_clinician: bool = False,
    now: datetime | None = None,
) -> SearchResult:
    """Free times of one type from ``start`` to ``end``, oldest first.

    With a ``clinician_id``, that clinician's; otherwise "first available": one slot per time, from the
    patient's care team first, then the clinician with the fewest bookings in the window. With
    ``every_clinician`` each clinician's free times are listed (the benchmark's and the course planner's
    view). A patient's own appointments are kept clear when ``patient_id`` is given.
    """
    kind = appointment_type(type_key)
    rules = catalogue().booking
    start, end = aware(start, "start"), aware(end, "end")
    if end <= start:
        raise InvalidInput("The end of the search is before its start.", field="end")
    if end - start > timedelta(days=rules.max_search_days):
        raise InvalidInput(f"Search at most {rules.max_search_days} days at a time.", field="end")
    if mode is not None and mode not in kind.modes:
        raise NotBookable(f"{kind.label} is not offered as {mode.replace('_', ' ')}.", field="mode")
    when = now or utcnow()
    clinicians = bookable_clinicians(session, kind, clinic_zone=clinic_zone, online_only=not staff)
    if clinician_id is not None:
        clinicians = [c for c in clinicians if c.id == clinician_id]
        if not clinicians:
            raise NotBookable(
                f"That clinician does not offer {kind.label.lower()} online.", field="clinician_id"
            )
    window_end = min(end, _horizon(when)) if not staff else end
    margin = kind.duration + kind.buffer_before + kind.buffer_after
    calendars = _calendars_data(
        session,
        clinicians,
        start=start,
        end=window_end,
        margin=margin,
        ignore_appointment_id=ignore_appointment_id,
    )
    busy = (
        _patient_busy(session, patient_id, start, window_end, margin, ignore_appointment_id)
        if patient_id is not None
        else []
    )
    query = core.SlotQuery(
        duration=int(kind.duration.total_seconds()),
        buffer_before=int(kind.buffer_before.total_seconds()),
        buffer_after=int(kind.buffer_after.total_seconds()),
        step=rules.slot_step_minutes * 60,
        window_start=core.to_epoch(start),
        window_end=max(core.to_epoch(window_end), core.to_epoch(start)),
        earliest=core.to_epoch(_booking_floor(when, staff=staff)),
        mode=_availability(kind, mode),
        patient_busy=busy,
    )
    names: dict[Hashable, BookableClinician] = {c.id: c for c in clinicians}
    if every_clinician or clinician_id is not None:
        free = [f for calendar in calendars for f in core.free_starts(calendar, query)]
        free.sort(key=lambda f: (f.start, names[f.clinician_id].full_name))
    else:
        team = _care_team_ids(session, patient_id)
        calendars.sort(
            key=lambda c: (c.clinician_id not in team, len(c.bookings), names[c.clinician_id].full_name)
        )
        free = core.first_available(calendars, query)
    duration = kind.duration
    # Clinicians share start times and modes: build each instant and mode once, not once per slot.
    instants: dict[int, tuple[datetime, datetime]] = {}
    modes = {m.value: _slot_mode(kind, m.value) for m in AvailabilityMode}
    found = []
    for f in free:
        clinician = names[f.clinician_id]
        span = instants.get(f.start)
        if span is None:
            starts_at = core.from_epoch(f.start)
            span = instants[f.start] = (starts_at, starts_at + duration)
        found.append(
            Slot(
                span[0],
                span[1],
                clinician.id,
                clinician.full_name,
                modes.get(f.mode) or _slot_mode(kind, f.mode),
                clinician.timezone,
            )
        )
    return SearchResult(kind, start, end, found, clinicians)


def _availability(kind: AppointmentType, mode: str | None) -> str | None:
    """The block mode a search needs: the asked-for mode, or the type's only mode."""
    if mode is not None:
        return mode
    return kind.modes[0] if len(kind.modes) == 1 else None


def _slot_mode(kind: AppointmentType, block_mode: str) -> str:
    if block_mode == AvailabilityMode.EITHER and len(kind.modes) == 1:
        return kind.modes[0]
    return block_mode


# --- booking ----------------------------------------------------------------------------------------------


@dataclass
class Booking:
    appointment: Appointment
    clinician: User
    patient: Patient
    joined_care_team: bool = False


def _patient_for_booking(
    session: Session, actor: User, patient_id: uuid.UUID | None, action: AuditAction
) -> Patient:
    if actor.role == Role.PATIENT:
        patient = access.own_patient(session, actor, action=action, resource_type="appointment")
        if patient_id is not None and patient_id != patient.id:
            raise NotFound(access.NOT_FOUND_MESSAGE)
        return patient
    if patient_id is None:
        raise InvalidInput("Say which patient the appointment is for.", field="patient_id")
    reason = FRONT_DESK_REASON if actor.role == Role.ADMIN else None
    return access.patient_for(
        session, actor, patient_id, action=action, resource_type="appointment", reason=reason
    )


def _bookable_clinician(session: Session, kind: AppointmentType, clinician_id: uuid.UUID) -> User:
    clinician = session.get(User, clinician_id)
    if clinician is None or clinician.role != Role.CLINICIAN or not clinician.is_active:
        raise NotBookable("No such clinician.", field="clinician_id")
    if str(clinician.discipline) not in kind.disciplines:
        raise NotBookable(
            f"{clinician.full_name} does not offer {kind.label.lower()}.", field="appointment_type"
        )
    if session.get(ClinicianCalendar, clinician.id) is None:
        raise NotBookable(f"{clinician.full_name} has no calendar for bookings yet.", field="clinician_id")
    return clinician


def _mode_for(kind: AppointmentType, slot_mode: str, asked: str | None) -> AppointmentMode:
    if asked is not None:
        if asked not in kind.modes:
            raise NotBookable(f"{kind.label} is not offered as {asked.replace('_', ' ')}.", field="mode")
        if slot_mode not in (AvailabilityMode.EITHER, asked):
            raise NotBookable(
                f"At that time this clinician sees patients {slot_mode.replace('_', ' ')}.", field="mode"
            )
        return AppointmentMode(asked)
    if slot_mode in kind.modes:
        return AppointmentMode(slot_mode)
    return AppointmentMode(kind.modes[0])


def _check_free(
    session: Session,
    *,
    kind: AppointmentType,
    clinician: User,
    patient: Patient,
    starts_at: datetime,
    mode: str | None,
    staff: bool,
    clinic_zone: str,
    now: datetime,
    ignore_appointment_id: uuid.UUID | None = None,
) -> str:
    """Refuse a start that is not free, with the reason a person can act on; return the slot's mode."""
    if starts_at <= now:
        raise NotBookable("That time is in the past.", field="starts_at")
    floor = _booking_floor(now, staff=staff)
    if starts_at < floor:
        hours = catalogue().booking.min_lead_minutes / 60
        raise NotBookable(
            f"Online bookings start at least {hours:g} hours ahead; please call the clinic for sooner.",
            field="starts_at",
        )
    if not staff and starts_at > _horizon(now):
        weeks = catalogue().booking.horizon_weeks
        raise NotBookable(f"Bookings open {weeks} weeks ahead; choose an earlier time.", field="starts_at")
    window_start = starts_at
    window_end = starts_at + timedelta(seconds=1)
    result = find_slots(
        session,
        type_key=kind.key,
        start=window_start,
        end=window_end,
        clinic_zone=clinic_zone,
        clinician_id=clinician.id,
        patient_id=patient.id,
        ignore_appointment_id=ignore_appointment_id,
        staff=staff,
        now=now,
    )
    match = next((s for s in result.slots if s.starts_at == starts_at), None)
    if match is not None:
        return match.mode
    # Not free: say why. A start on the grid of working hours is taken (by another booking, or by the
    # patient's own other appointment); anything else is not a time this clinician offers.
    if not _would_fit_hours(session, kind, clinician, starts_at, clinic_zone):
        raise NotBookable(
            f"{clinician.full_name} is not working then, or it is not one of the offered start times.",
            field="starts_at",
        )
    without_patient = find_slots(
        session,
        type_key=kind.key,
        start=window_start,
        end=window_end,
        clinic_zone=clinic_zone,
        clinician_id=clinician.id,
        ignore_appointment_id=ignore_appointment_id,
        staff=staff,
        now=now,
    )
    if any(s.starts_at == starts_at for s in without_patient.slots):
        raise SlotTaken("You already have another appointment at that time.")
    raise SlotTaken()


def _would_fit_hours(
    session: Session, kind: AppointmentType, clinician: User, starts_at: datetime, clinic_zone: str
) -> bool:
    """Whether the start is on the grid of working hours, leaving bookings aside (to tell "taken" from "closed")."""
    calendar = session.get(ClinicianCalendar, clinician.id)
    zone = calendar.timezone if calendar else clinic_zone
    hours = session.execute(
        select(WorkingHours.weekday, WorkingHours.starts, WorkingHours.ends, WorkingHours.mode).where(
            WorkingHours.clinician_id == clinician.id
        )
    ).all()
    data = core.CalendarData(clinician.id, zone, [core.WeeklyBlock(w, s, e, str(m)) for w, s, e, m in hours])
    away = session.execute(
        select(epoch_seconds(CalendarException.starts_at), epoch_seconds(CalendarException.ends_at)).where(
            CalendarException.clinician_id == clinician.id,
            _between(
                CalendarException.starts_at, CalendarException.ends_at, starts_at, starts_at + kind.duration
            ),
        )
    ).all()
    data.away = [(a, b) for a, b in away]
    moment = core.to_epoch(starts_at)
    query = core.SlotQuery(
        duration=int(kind.duration.total_seconds()),
        buffer_before=0,
        buffer_after=0,
        step=catalogue().booking.slot_step_minutes * 60,
        window_start=moment,
        window_end=moment + 1,
        earliest=moment,
    )
    return any(f.start == moment for f in core.free_starts(data, query))


def _new_appointment(
    *,
    patient: Patient,
    clinician: User,
    kind: AppointmentType,
    starts_at: datetime,
    mode: AppointmentMode,
    zone: str,
    actor: User,
    course_id: uuid.UUID | None,
    now: datetime,
) -> Appointment:
    ends_at = starts_at + kind.duration
    return Appointment(
        id=uuid.uuid4(),
        patient_id=patient.id,
        clinician_id=clinician.id,
        appointment_type=kind.key,
        starts_at=starts_at,
        ends_at=ends_at,
        blocked_from=starts_at - kind.buffer_before,
        blocked_until=ends_at + kind.buffer_after,
        timezone=zone,
        status=AppointmentStatus.BOOKED,
        mode=mode,
        course_id=course_id,
        booked_by_id=actor.id,
        sequence=0,
        created_at=now,
        updated_at=now,
        cancel_reason="",
    )


def _hold_clinician(session: Session, clinician_id: uuid.UUID) -> None:
    """Take the clinician's booking lock until this transaction ends, before checking a time is free.

    On PostgreSQL a transaction-scoped advisory lock keyed on the clinician makes bookings of one clinician
    take turns, so the check sees every earlier booking and concurrent inserts never wait on each other
    inside the exclusion constraint (where they could deadlock). SQLite needs nothing: every transaction
    already begins with ``BEGIN IMMEDIATE`` and holds the only write lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        key = int.from_bytes(clinician_id.bytes[:8], "big", signed=True)
        session.execute(select(func.pg_advisory_xact_lock(key)))


def _insert(session: Session, appointment: Appointment) -> None:
    """Write the booking; the database's overlap constraint turns a lost race into :class:`SlotTaken`."""
    try:
        with session.begin_nested():
            session.add(appointment)
            session.flush()
    except IntegrityError as exc:
        raise SlotTaken() from exc


def _join_care_team(session: Session, actor: User, patient: Patient, clinician: User) -> bool:
    if access.is_on_care_team(session, clinician, patient.id):
        return False
    try:
        with session.begin_nested():
            session.add(
                CareTeamMember(patient_id=patient.id, clinician_id=clinician.id, added_by_id=actor.id)
            )
            session.flush()
    except IntegrityError:
        return False  # added at the same moment by another request
    audit.record(
        session, actor, AuditAction.UPDATE, "care_team", resource_id=clinician.id, patient_id=patient.id
    )
    return True


def calendar_zone(session: Session, clinician_id: uuid.UUID, clinic_zone: str) -> str:
    """The zone a clinician's hours are written in (the clinic's until their calendar says otherwise)."""
    calendar = session.get(ClinicianCalendar, clinician_id)
    return calendar.timezone if calendar is not None else clinic_zone


def book(
    session: Session,
    actor: User,
    settings: Settings,
    *,
    type_key: str,
    clinician_id: uuid.UUID,
    starts_at: datetime,
    patient_id: uuid.UUID | None = None,
    mode: str | None = None,
    course_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Booking:
    """Book one appointment; the clinician joins the patient's care team if not on it yet (the result says)."""
    when = now or utcnow()
    patient = _patient_for_booking(session, actor, patient_id, AuditAction.CREATE)
    kind = appointment_type(type_key)
    starts_at = aware(starts_at, "starts_at")
    clinician = _bookable_clinician(session, kind, clinician_id)
    staff = actor.role != Role.PATIENT
    _hold_clinician(session, clinician.id)
    slot_mode = _check_free(
        session,
        kind=kind,
        clinician=clinician,
        patient=patient,
        starts_at=starts_at,
        mode=mode,
        staff=staff,
        clinic_zone=settings.clinic_timezone,
        now=when,
    )
    appointment = _new_appointment(
        patient=patient,
        clinician=clinician,
        kind=kind,
        starts_at=starts_at,
        mode=_mode_for(kind, slot_mode, mode),
        zone=calendar_zone(session, clinician.id, settings.clinic_timezone),
        actor=actor,
        course_id=course_id,
        now=when,
    )
    _insert(session, appointment)
    session.add(
        AppointmentChange(
            appointment_id=appointment.id,
            at=when,
            actor_id=actor.id,
            kind=ChangeKind.BOOKED,
            starts_at=starts_at,
            note="",
        )
    )
    joined = _join_care_team(session, actor, patient, clinician)
    email_reminders.plan(session, settings, appointment, now=when)
    session.flush()
    return Booking(appointment, clinician, patient, joined)


# --- the PRT course ---------------------------------------------------------------------------------------


@dataclass
class CourseProposal:
    kind: AppointmentType
    clinician: BookableClinician
    first_day: date
    mode: str | None
    starts: list[datetime]

    @property
    def sessions(self) -> list[tuple[int, datetime, datetime]]:
        return [(i + 1, s, s + self.kind.duration) for i, s in enumerate(self.starts)]


def propose_course(
    session: Session,
    actor: User,
    settings: Settings,
    *,
    first_day: date,
    patient_id: uuid.UUID | None = None,
    clinician_id: uuid.UUID | None = None,
    mode: str | None = None,
    preferred: time | None = None,
    now: datetime | None = None,
) -> CourseProposal:
    """The whole course found automatically: same clinician, two sessions a week for four weeks.

    Without a clinician, each one who offers the course is tried (the patient's care team first) and the
    course that ends soonest wins. Nothing is booked: the patient sees the dates first.
    """
    when = now or utcnow()
    patient = _patient_for_booking(session, actor, patient_id, AuditAction.READ)
    rules = catalogue().course
    kind = appointment_type(rules.appointment_type)
    clinic_zone = settings.clinic_timezone
    start, end = local_days(first_day, 7 * rules.weeks, clinic_zone)
    if end <= when:
        raise InvalidInput("That course would be over already; choose a later first week.", field="first_day")
    result = find_slots(
        session,
        type_key=kind.key,
        start=max(start, when),
        end=end,
        clinic_zone=clinic_zone,
        clinician_id=clinician_id,
        mode=mode,
        patient_id=patient.id,
        staff=actor.role != Role.PATIENT,
        every_clinician=True,
        now=when,
    )
    team = _care_team_ids(session, patient.id)
    by_clinician: dict[uuid.UUID, list[int]] = defaultdict(list)
    for slot in result.slots:
        by_clinician[slot.clinician_id].append(core.to_epoch(slot.starts_at))
    best: tuple[tuple[int, bool, str], BookableClinician, list[int]] | None = None
    for clinician in result.clinicians:
        plan = core.plan_course(
            by_clinician.get(clinician.id, []),
            clinician.timezone,
            first_day=first_day,
            weeks=rules.weeks,
            per_week=rules.per_week,
            min_days_apart=rules.min_days_apart,
            preferred=preferred,
        )
        if plan is None:
            continue
        rank = (plan[-1], clinician.id not in team, clinician.full_name)
        if best is None or rank < best[0]:
            best = (rank, clinician, plan)
    if best is None:
        who = "this clinician" if clinician_id else "any clinician"
        raise SlotTaken(
            f"There is not enough free time with {who} for the whole course starting that week. "
            "Try a later week, or call the clinic."
        )
    _, clinician, plan = best
    return CourseProposal(kind, clinician, first_day, mode, [core.from_epoch(m) for m in plan])


def _check_course_pattern(starts: Sequence[datetime], first_day: date, zone: str) -> None:
    rules = catalogue().course
    if len(starts) != rules.sessions:
        raise InvalidInput(
            f"A course has {rules.sessions} sessions; {len(starts)} were given.", field="starts"
        )
    tz = ZoneInfo(zone)
    days = [s.astimezone(tz).date() for s in sorted(starts)]
    per_week: dict[int, int] = defaultdict(int)
    for day in days:
        week = (day - first_day).days // 7
        if not 0 <= week < rules.weeks:
            raise InvalidInput(
                f"{day.isoformat()} is outside the course's {rules.weeks} weeks.", field="starts"
            )
        per_week[week] += 1
    if any(per_week[w] != rules.per_week for w in range(rules.weeks)):
        raise InvalidInput(
            f"A course has {rules.per_week} sessions in each of its {rules.weeks} weeks.", field="starts"
        )
    for earlier, later in itertools.pairwise(days):
        if (later - earlier).days < max(rules.min_days_apart, 1):
            raise InvalidInput(
                f"Sessions must be at least {rules.min_days_apart} days apart "
                f"({earlier.isoformat()} and {later.isoformat()} are not).",
                field="starts",
            )


def book_course(
    session: Session,
    actor: User,
    settings: Settings,
    *,
    clinician_id: uuid.UUID,
    first_day: date,
    starts: Sequence[datetime],
    patient_id: uuid.UUID | None = None,
    mode: str | None = None,
    now: datetime | None = None,
) -> list[Booking]:
    """Book every session of the course, or none: if one time was taken meanwhile, nothing is kept."""
    when = now or utcnow()
    moments = sorted(aware(s, "starts") for s in starts)
    _check_course_pattern(moments, first_day, settings.clinic_timezone)
    course_id = uuid.uuid4()
    kind = appointment_type(catalogue().course.appointment_type)
    bookings: list[Booking] = []
    with session.begin_nested():  # one savepoint around all sessions: any refusal undoes every one
        for number, moment in enumerate(moments, start=1):
            try:
                bookings.append(
                    book(
                        session,
                        actor,
                        settings,
                        type_key=kind.key,
                        clinician_id=clinician_id,
                        starts_at=moment,
                        patient_id=patient_id,
                        mode=mode,
                        course_id=course_id,
                        now=when,
                    )
                )
            except SlotTaken as exc:
                raise SlotTaken(
                    f"Session {number} ({local_label(moment, settings.clinic_timezone)}) was just taken, "
                    "so nothing was booked. Please look at the new proposal."
                ) from exc
    if bookings:
        bookings[0].joined_care_team = any(b.joined_care_team for b in bookings)
    return bookings


# --- one appointment: read, move, cancel, mark ------------------------------------------------------------


@dataclass
class AppointmentView:
    appointment: Appointment
    kind: AppointmentType | None
    patient_name: str
    patient_timezone: str
    clinician_name: str
    clinician_discipline: str
    location: str

    @property
    def label(self) -> str:
        return (
            self.kind.label if self.kind else self.appointment.appointment_type.replace("_", " ").capitalize()
        )


def _views(session: Session, stmt: Select[Any]) -> list[AppointmentView]:
    patient_user = User.__table__.alias("patient_user")
    clinician_user = User.__table__.alias("clinician_user")
    rows = session.execute(
        stmt.add_columns(
            patient_user.c.full_name,
            Patient.timezone,
            clinician_user.c.full_name,
            clinician_user.c.discipline,
            ClinicianCalendar.location,
        )
        .join(Patient, Patient.id == Appointment.patient_id)
        .join(patient_user, patient_user.c.id == Patient.user_id)
        .join(clinician_user, clinician_user.c.id == Appointment.clinician_id)
        .outerjoin(ClinicianCalendar, ClinicianCalendar.clinician_id == Appointment.clinician_id)
    )
    types = catalogue().types
    return [
        AppointmentView(
            appointment,
            types.get(appointment.appointment_type),
            patient_name,
            patient_zone,
            clinician_name,
            str(discipline or ""),
            location or "",
        )
        for appointment, patient_name, patient_zone, clinician_name, discipline, location in rows
    ]


def _load(session: Session, actor: User, appointment_id: uuid.UUID, action: AuditAction) -> AppointmentView:
    """One appointment the actor may see (its patient, the patient's care team, its clinician, the front desk).

    For a change the row is locked first (PostgreSQL), so a cancel and a move arriving together take turns
    and the second sees what the first did.
    """
    if action == AuditAction.UPDATE:
        session.execute(select(Appointment.id).where(Appointment.id == appointment_id).with_for_update())
    found = _views(session, select(Appointment).where(Appointment.id == appointment_id))
    if not found:
        raise NotFound(NOT_FOUND)
    view = found[0]
    appointment = view.appointment
    if actor.role == Role.PATIENT:
        patient = access.own_patient(session, actor, action=action, resource_type="appointment")
        if patient.id != appointment.patient_id:
            raise NotFound(NOT_FOUND)
    elif actor.role == Role.CLINICIAN and appointment.clinician_id == actor.id:
        audit.record(
            session,
            actor,
            action,
            "appointment",
            resource_id=appointment.id,
            patient_id=appointment.patient_id,
        )
    else:
        reason = FRONT_DESK_REASON if actor.role == Role.ADMIN else None
        try:
            access.patient_for(
                session,
                actor,
                appointment.patient_id,
                action=action,
                resource_type="appointment",
                resource_id=appointment.id,
                reason=reason,
            )
        except NotFound as exc:
            raise NotFound(NOT_FOUND) from exc
    return view


def get_appointment(session: Session, actor: User, appointment_id: uuid.UUID) -> AppointmentView:
    return _load(session, actor, appointment_id, AuditAction.READ)


def _check_open(appointment: Appointment, zone: str) -> None:
    """An old link must not change an appointment that was cancelled or has happened (calcom #11669)."""
    if appointment.status == AppointmentStatus.CANCELLED:
        when = appointment.cancelled_at.astimezone(ZoneInfo(zone)) if appointment.cancelled_at else None
        on = f" on {when:%a %d %b %Y}" if when else ""
        raise AppointmentClosed(
            f"This appointment was cancelled{on} and cannot be changed. You can book a new time."
        )
    if appointment.status != AppointmentStatus.BOOKED:
        raise AppointmentClosed(
            f"This appointment is marked {appointment.status.label.lower()} and cannot be changed."
        )


def notice_deadline(appointment: Appointment, settings: Settings) -> datetime:
    """Until when the patient can move or cancel online."""
    return shift_instant(appointment.starts_at, -timedelta(hours=settings.booking_notice_hours))


def can_change_online(appointment: Appointment, settings: Settings, now: datetime) -> bool:
    return appointment.status == AppointmentStatus.BOOKED and now <= notice_deadline(appointment, settings)


def _check_notice(actor: User, appointment: Appointment, settings: Settings, now: datetime) -> None:
    if actor.role != Role.PATIENT:
        return
    if now > notice_deadline(appointment, settings):
        raise NoticePeriodPassed(
            f"Your appointment is less than {settings.booking_notice_hours:g} hours away, so it can no longer be "
            f"changed online. Please call us on {settings.clinic_phone}."
        )


def _check_staff_may_change(actor: User, appointment: Appointment) -> None:
    if actor.role == Role.CLINICIAN and appointment.clinician_id != actor.id:
        raise Forbidden("Only the clinician of this appointment, or the front desk, can change it.")


def _notify_patient(session: Session, actor: User, view: AppointmentView, kind: str, message: str) -> None:
    patient = session.get(Patient, view.appointment.patient_id)
    if patient is None or patient.user_id == actor.id:
        return
    session.add(
        AppointmentNotice(
            user_id=patient.user_id, appointment_id=view.appointment.id, kind=kind, message=message
        )
    )


def local_label(moment: datetime, zone: str) -> str:
    """ "Tue 14 Apr 2026, 10:00 BST": the abbreviation tells the two 01:30s of the October change apart."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %d %b %Y, %H:%M} {local.tzname()}"


def when_words(moment: datetime, zone: str, now: datetime) -> str:
    """ "in 40 minutes", "today at 14:00", "tomorrow at 09:30" or "on Friday 11 December at 10:00"."""
    tz = zone_info(zone)
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    minutes = int((moment - now).total_seconds() // 60)
    if 0 <= minutes < 60:
        return f"in {max(minutes, 1)} minute{'s' if minutes != 1 else ''}"
    if local.date() == today:
        return f"today at {local:%H:%M}"
    if local.date() == today + timedelta(days=1):
        return f"tomorrow at {local:%H:%M}"
    return f"on {local:%A %d %B} at {local:%H:%M}"


def reschedule(
    session: Session,
    actor: User,
    settings: Settings,
    appointment_id: uuid.UUID,
    *,
    starts_at: datetime,
    mode: str | None = None,
    now: datetime | None = None,
) -> AppointmentView:
    """Move an appointment to another free time of the same clinician (the calendar event keeps its UID)."""
    when = now or utcnow()
    view = _load(session, actor, appointment_id, AuditAction.UPDATE)
    appointment = view.appointment
    _check_open(appointment, settings.clinic_timezone)
    _check_staff_may_change(actor, appointment)
    _check_notice(actor, appointment, settings, when)
    if view.kind is None:
        raise AppointmentClosed(
            "This kind of appointment is no longer offered; please call the clinic to move it."
        )
    starts_at = aware(starts_at, "starts_at")
    if starts_at == appointment.starts_at and (mode is None or mode == appointment.mode):
        return view
    clinician = session.get(User, appointment.clinician_id)
    patient = session.get(Patient, appointment.patient_id)
    assert clinician is not None and patient is not None
    _hold_clinician(session, clinician.id)
    slot_mode = _check_free(
        session,
        kind=view.kind,
        clinician=clinician,
        patient=patient,
        starts_at=starts_at,
        mode=mode or str(appointment.mode),
        staff=actor.role != Role.PATIENT,
        clinic_zone=settings.clinic_timezone,
        now=when,
        ignore_appointment_id=appointment.id,
    )
    previous = appointment.starts_at
    try:
        with session.begin_nested():
            appointment.starts_at = starts_at
            appointment.ends_at = starts_at + view.kind.duration
            appointment.blocked_from = starts_at - view.kind.buffer_before
            appointment.blocked_until = appointment.ends_at + view.kind.buffer_after
            appointment.mode = _mode_for(view.kind, slot_mode, mode or str(appointment.mode))
            appointment.sequence += 1
            appointment.updated_at = when
            session.flush()
    except IntegrityError as exc:
        session.refresh(appointment)
        raise SlotTaken() from exc
    session.add(
        AppointmentChange(
            appointment_id=appointment.id,
            at=when,
            actor_id=actor.id,
            kind=ChangeKind.RESCHEDULED,
            previous_starts_at=previous,
            starts_at=starts_at,
            note="",
        )
    )
    if starts_at != previous:
        email_reminders.replan(session, settings, appointment, now=when)
    zone = view.patient_timezone
    _notify_patient(
        session,
        actor,
        view,
        "moved",
        f"The clinic moved your {view.label.lower()} with {view.clinician_name} from "
        f"{local_label(previous, zone)} to {local_label(starts_at, zone)}.",
    )
    session.flush()
    return view


def cancel(
    session: Session,
    actor: User,
    settings: Settings,
    appointment_id: uuid.UUID,
    *,
    reason: str = "",
    now: datetime | None = None,
) -> AppointmentView:
    """Cancel: the patient within the notice period, the clinician or front desk at any time before it."""
    when = now or utcnow()
    view = _load(session, actor, appointment_id, AuditAction.UPDATE)
    appointment = view.appointment
    _check_open(appointment, settings.clinic_timezone)
    _check_staff_may_change(actor, appointment)
    _check_notice(actor, appointment, settings, when)
    if appointment.starts_at <= when:
        raise AppointmentClosed("This appointment has already started; mark it attended or missed instead.")
    reason = reason.strip()[:500]
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = when
    appointment.cancelled_by_id = actor.id
    appointment.cancel_reason = reason
    appointment.sequence += 1
    appointment.updated_at = when
    session.add(
        AppointmentChange(
            appointment_id=appointment.id, at=when, actor_id=actor.id, kind=ChangeKind.CANCELLED, note=reason
        )
    )
    email_reminders.drop(session, appointment)
    because = f" The clinic says: {reason}" if reason else ""
    _notify_patient(
        session,
        actor,
        view,
        "cancelled",
        f"The clinic cancelled your {view.label.lower()} with {view.clinician_name} on "
        f"{local_label(appointment.starts_at, view.patient_timezone)}.{because} "
        f"Please book a new time, or call us on {settings.clinic_phone}.",
    )
    session.flush()
    return view


def mark(
    session: Session,
    actor: User,
    appointment_id: uuid.UUID,
    status: AppointmentStatus,
    *,
    now: datetime | None = None,
) -> AppointmentView:
    """The clinician (or front desk) records that the patient came, or did not."""
    when = now or utcnow()
    if actor.role == Role.PATIENT:
        raise Forbidden("Only the clinic records attendance.")
    if status not in (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW):
        raise InvalidInput("Mark an appointment completed or no_show.", field="status")
    view = _load(session, actor, appointment_id, AuditAction.UPDATE)
    appointment = view.appointment
    _check_staff_may_change(actor, appointment)
    if appointment.status == AppointmentStatus.CANCELLED:
        raise AppointmentClosed("This appointment was cancelled; it cannot be marked attended or missed.")
    if appointment.starts_at > when:
        raise AppointmentClosed("This appointment has not started yet.")
    if appointment.status != status:
        appointment.status = status
        appointment.updated_at = when
        appointment.sequence += 1
        kind = ChangeKind.COMPLETED if status == AppointmentStatus.COMPLETED else ChangeKind.NO_SHOW
        session.add(
            AppointmentChange(appointment_id=appointment.id, at=when, actor_id=actor.id, kind=kind, note="")
        )
        session.flush()
    return view


def history(session: Session, appointment: Appointment) -> list[AppointmentChange]:
    return list(
        session.scalars(
            select(AppointmentChange)
            .where(AppointmentChange.appointment_id == appointment.id)
            .order_by(AppointmentChange.at)
        )
    )


# --- lists ------------------------------------------------------------------------------------------------


def appointments_for(
    session: Session, patient: Patient, *, start: datetime | None = None, end: datetime | None = None
) -> list[AppointmentView]:
    """A patient's appointments (access already checked), oldest first."""
    stmt = select(Appointment).where(Appointment.patient_id == patient.id).order_by(Appointment.starts_at)
    if start is not None:
        stmt = stmt.where(Appointment.ends_at > start)
    if end is not None:
        stmt = stmt.where(Appointment.starts_at < end)
    return _views(session, stmt)


def patient_appointments(
    session: Session, actor: User, patient_id: uuid.UUID | None = None, *, reason: str | None = None
) -> tuple[Patient, list[AppointmentView]]:
    """Every appointment of a patient the actor may see (an administrator gives a reason, as for any record)."""
    if actor.role == Role.PATIENT:
        patient = access.own_patient(session, actor, resource_type="appointment")
        if patient_id is not None and patient_id != patient.id:
            raise NotFound(access.NOT_FOUND_MESSAGE)
    else:
        if patient_id is None:
            raise InvalidInput("Say which patient.", field="patient_id")
        patient = access.patient_for(session, actor, patient_id, resource_type="appointment", reason=reason)
    return patient, appointments_for(session, patient)


def _staff_calendar_access(session: Session, actor: User, clinician_id: uuid.UUID) -> User:
    """A clinician manages and sees only their own calendar; an administrator any clinician's."""
    if actor.role == Role.CLINICIAN and actor.id != clinician_id:
        raise Forbidden("You can only see and change your own calendar.")
    if actor.role not in (Role.CLINICIAN, Role.ADMIN):
        raise Forbidden("Calendars are managed by the clinic.")
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
    views = _views(
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
    if actor.role != Role.ADMIN:
        raise Forbidden("The clinic's whole calendar is for the front desk.")
    if end <= start or end - start > timedelta(days=31):
        raise InvalidInput("Ask for up to 31 days at a time.", field="end")
    views = _views(
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


# --- calendars --------------------------------------------------------------------------------------------


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
    if actor.role != Role.ADMIN:
        raise Forbidden("The list of every clinician's hours is for the front desk.")
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
                _between(CalendarException.starts_at, CalendarException.ends_at, start, end),
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
    clashes = _views(
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


# --- notices and reminders --------------------------------------------------------------------------------


def unread_notices(session: Session, user: User) -> list[AppointmentNotice]:
    return list(
        session.scalars(
            select(AppointmentNotice)
            .where(AppointmentNotice.user_id == user.id, AppointmentNotice.read_at.is_(None))
            .order_by(AppointmentNotice.created_at.desc())
        )
    )


def mark_notice_read(
    session: Session, user: User, notice_id: uuid.UUID, *, now: datetime | None = None
) -> AppointmentNotice:
    notice = session.get(AppointmentNotice, notice_id)
    if notice is None or notice.user_id != user.id:
        raise NotFound("No such message.")
    if notice.read_at is None:
        notice.read_at = now or utcnow()
        session.flush()
    return notice


@dataclass
class HomeReminders:
    next_appointment: AppointmentView | None
    appointment_reminder: reminders.Reminder | None
    practice_reminder: reminders.Reminder | None
    notices: list[AppointmentNotice]
    upcoming: list[AppointmentView]


def home_reminders(session: Session, patient: Patient, *, now: datetime | None = None) -> HomeReminders:
    """What the patient's home page reminds them of: the next visit, today's practice, messages from the clinic."""
    when = now or utcnow()
    upcoming = [
        v
        for v in appointments_for(session, patient, start=when, end=when + timedelta(days=60))
        if v.appointment.status == AppointmentStatus.BOOKED and v.appointment.starts_at > when
    ]
    nxt = upcoming[0] if upcoming else None
    rules = catalogue().reminders
    appointment_reminder = (
        reminders.due_appointment_reminder(nxt.appointment.starts_at, rules.before_appointment_minutes, when)
        if nxt
        else None
    )
    today = local_today(patient, when)
    practised = session.scalar(
        select(func.count())
        .select_from(PracticeLog)
        .where(PracticeLog.patient_id == patient.id, PracticeLog.day == today)
    )
    has_program = (
        session.scalar(
            select(func.count())
            .select_from(PlanVersion)
            .where(PlanVersion.patient_id == patient.id, PlanVersion.status == VersionStatus.SIGNED)
        )
        or 0
    ) > 0 and not safety_hold(session, patient.id)
    practice = reminders.practice_reminder(
        when, patient.timezone, rules.practice_time, practised_today=bool(practised), has_program=has_program
    )
    return HomeReminders(
        nxt, appointment_reminder, practice, unread_notices(session, patient.user), upcoming[:5]
    )


@next_appointment_source
def next_appointments(
    session: Session, patient_ids: Sequence[uuid.UUID], now: datetime
) -> dict[uuid.UUID, datetime]:
    """The dashboard's next appointment of each patient: one query for the whole caseload."""
    if not patient_ids:
        return {}
    rows = session.execute(
        select(Appointment.patient_id, func.min(Appointment.starts_at))
        .where(
            Appointment.patient_id.in_(list(patient_ids)),
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at >= now,
        )
        .group_by(Appointment.patient_id)
    )
    return {pid: when for pid, when in rows if when is not None}


# --- calendar feeds ---------------------------------------------------------------------------------------


def feed_of(session: Session, user: User) -> CalendarFeed | None:
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    return feed if feed is not None and feed.revoked_at is None else None


def create_feed(session: Session, user: User, *, now: datetime | None = None) -> str:
    """A new secret feed address for the user; any older address stops working. Returns the token once."""
    if user.role not in (Role.PATIENT, Role.CLINICIAN):
        raise Forbidden("Calendar feeds are for patients and clinicians.")
    token = new_token()
    when = now or utcnow()
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    if feed is None:
        session.add(CalendarFeed(user_id=user.id, token_hash=token_digest(token), created_at=when))
    else:
        feed.token_hash, feed.revoked_at, feed.created_at, feed.last_fetched_at = (
            token_digest(token),
            None,
            when,
            None,
        )
    session.flush()
    return token


def revoke_feed(session: Session, user: User, *, now: datetime | None = None) -> None:
    feed = feed_of(session, user)
    if feed is not None:
        feed.revoked_at = now or utcnow()
        session.flush()


def _entry(view: AppointmentView, *, for_patient: bool, settings: Settings) -> ical.CalendarEntry:
    appointment = view.appointment
    video = appointment.mode == AppointmentMode.VIDEO
    if for_patient:
        summary = f"{view.label} with {view.clinician_name}"
        description = (
            f"{settings.clinic_name}. "
            + ("Video call: join from your PainRewire page a few minutes before. " if video else "")
            + f"To change or cancel, use PainRewire or call {settings.clinic_phone}."
        )
        url = f"{settings.base_url.rstrip('/')}/book/appointments/{appointment.id}"
    else:
        initials = "".join(part[0] for part in view.patient_name.split() if part)[:3].upper()
        summary = f"{view.label} — {initials}"
        description = "Details in PainRewire."
        url = f"{settings.base_url.rstrip('/')}/clinic/appointments/{appointment.id}"
    location = "Video call" if video else (view.location or settings.clinic_name)
    return ical.CalendarEntry(
        uid=ical.appointment_uid(appointment.id),
        sequence=appointment.sequence,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        cancelled=appointment.status == AppointmentStatus.CANCELLED,
        summary=summary,
        description=description,
        location=location,
        url=url,
        updated_at=appointment.updated_at,
        created_at=appointment.created_at,
    )


def appointment_ics(
    session: Session,
    actor: User,
    settings: Settings,
    appointment_id: uuid.UUID,
    *,
    now: datetime | None = None,
) -> bytes:
    """One appointment as an .ics file to add to a calendar (the same UID as in the feed)."""
    view = _load(session, actor, appointment_id, AuditAction.EXPORT)
    entry = _entry(view, for_patient=actor.role == Role.PATIENT, settings=settings)
    return ical.build_calendar(
        [entry],
        name=settings.clinic_name,
        alarms=catalogue().reminders.before_appointment_minutes,
        stamp=now or utcnow(),
    )


def feed_calendar(session: Session, settings: Settings, token: str, *, now: datetime | None = None) -> bytes:
    """The private feed behind a secret address: every appointment of its owner, with alarms before each."""
    when = now or utcnow()
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == token_digest(token)))
    if feed is None or feed.revoked_at is not None:
        raise NotFound("No such calendar.")
    user = session.get(User, feed.user_id)
    if user is None or not user.is_active:
        raise NotFound("No such calendar.")
    since = when - timedelta(days=FEED_HISTORY_DAYS)
    if user.role == Role.PATIENT:
        patient = session.scalar(select(Patient).where(Patient.user_id == user.id))
        if patient is None:
            raise NotFound("No such calendar.")
        views = appointments_for(session, patient, start=since)
        audit.record(
            session, user, AuditAction.EXPORT, "calendar_feed", resource_id=feed.id, patient_id=patient.id
        )
        name = settings.clinic_name
    else:
        views = _views(
            session,
            select(Appointment)
            .where(Appointment.clinician_id == user.id, Appointment.ends_at > since)
            .order_by(Appointment.starts_at),
        )
        audit.record(session, user, AuditAction.EXPORT, "calendar_feed", resource_id=feed.id)
        audit.record_shown(
            session, user, "calendar_feed", [v.appointment.patient_id for v in views], resource_id=feed.id
        )
        name = f"{settings.clinic_name} — {user.full_name}"
    feed.last_fetched_at = when
    entries = [_entry(v, for_patient=user.role == Role.PATIENT, settings=settings) for v in views]
    return ical.build_calendar(
        entries, name=name, alarms=catalogue().reminders.before_appointment_minutes, stamp=when
    )
