"""Free times: first available across the clinic, one clinician's, or every clinician's (the course planner).

A search costs a fixed number of queries whatever the clinic's size (clinicians with their calendars, working
hours, exceptions, bookings, and the patient's own appointments: one query each); the arithmetic happens in
:mod:`painrewire.scheduling.core.slots`."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import Role, User
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.errors import InvalidInput
from painrewire.patients import access
from painrewire.patients.models import CareTeamMember, Patient
from painrewire.scheduling.core import slots as core
from painrewire.scheduling.core.catalogue import AppointmentType, catalogue
from painrewire.scheduling.errors import NotBookable, SlotTaken
from painrewire.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AvailabilityMode,
    CalendarException,
    ClinicianCalendar,
    WorkingHours,
)
from painrewire.scheduling.queries import between, epoch_ranges, epoch_seconds, unpack_ranges
from painrewire.scheduling.times import (
    aware,
)


def appointment_type(key: str) -> AppointmentType:
    """The clinic's appointment type with this key, or a readable refusal naming the known ones."""
    kind = catalogue().get(key)
    if kind is None:
        known = ", ".join(catalogue().types)
        raise NotBookable(
            f"Unknown appointment type {key!r}; choose one of {known}.", field="appointment_type"
        )
    return kind


def searching_patient(session: Session, user: User | None) -> Patient | None:
    """The logged-in patient whose own appointments a search keeps clear (audited), or None for anyone else."""
    if user is None or user.role != Role.PATIENT:
        return None
    return access.own_patient(session, user, resource_type="appointment")


def viewer_zone(session: Session, user: User | None, settings: Settings) -> str:
    """The zone to show times in: the patient's own (a display setting, not their record), else the clinic's."""
    zone = None
    if user is not None and user.role == Role.PATIENT:
        zone = session.scalar(select(Patient.timezone).where(Patient.user_id == user.id))
    return zone or settings.clinic_timezone


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


def booking_floor(now: datetime, *, staff: bool) -> datetime:
    """The earliest bookable start: the clinic's lead time for patients, any future time for staff."""
    if staff:
        return now
    return now + timedelta(minutes=catalogue().booking.min_lead_minutes)


def horizon(now: datetime) -> datetime:
    return now + timedelta(weeks=catalogue().booking.horizon_weeks)


def _calendars_data(
    session: Session,
    clinicians: Sequence[BookableClinician],
    *,
    start: datetime,
    end: datetime,
    margin: timedelta,
    ignore_appointment_id: uuid.UUID | None = None,
    packed: dict[Hashable, str] | None = None,
) -> list[core.CalendarData]:
    """Working hours, exceptions and held ranges of these clinicians around the window: three queries.

    With ``packed``, each clinician's held ranges are left there as the database packed them, to be read
    only for the clinicians a search gets to (see ``unpack_ranges``).
    """
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
            between(CalendarException.starts_at, CalendarException.ends_at, low, high),
        )
    ):
        data[cid].away.append((a, b))
    bookings = (
        select(Appointment.clinician_id, epoch_ranges(Appointment.blocked_from, Appointment.blocked_until))
        .where(
            Appointment.clinician_id.in_(ids),
            Appointment.status == AppointmentStatus.BOOKED,
            between(Appointment.blocked_from, Appointment.blocked_until, low, high),
        )
        .group_by(Appointment.clinician_id)
    )
    if ignore_appointment_id is not None:
        bookings = bookings.where(Appointment.id != ignore_appointment_id)
    for cid, ranges in session.execute(bookings):
        if packed is None:
            data[cid].bookings.extend(unpack_ranges(ranges))
        elif ranges:
            packed[cid] = ranges
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
        between(Appointment.starts_at, Appointment.ends_at, start - margin, end + margin),
    )
    if ignore_appointment_id is not None:
        stmt = stmt.where(Appointment.id != ignore_appointment_id)
    return [(a, b) for a, b in session.execute(stmt)]


def care_team_ids(session: Session, patient_id: uuid.UUID | None) -> set[uuid.UUID]:
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
    window_end = min(end, horizon(when)) if not staff else end
    margin = kind.duration + kind.buffer_before + kind.buffer_after
    first_available = not every_clinician and clinician_id is None
    packed: dict[Hashable, str] = {}
    calendars = _calendars_data(
        session,
        clinicians,
        start=start,
        end=window_end,
        margin=margin,
        ignore_appointment_id=ignore_appointment_id,
        packed=packed if first_available else None,
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
        earliest=core.to_epoch(booking_floor(when, staff=staff)),
        mode=_availability(kind, mode),
        patient_busy=busy,
    )
    names: dict[Hashable, BookableClinician] = {c.id: c for c in clinicians}
    if not first_available:
        free = [f for calendar in calendars for f in core.free_starts(calendar, query)]
        free.sort(key=lambda f: (f.start, names[f.clinician_id].full_name))
    else:
        team = care_team_ids(session, patient_id)
        # The care team first, then whoever has the fewest bookings (counted in the packed text, unread).
        calendars.sort(
            key=lambda c: (
                c.clinician_id not in team,
                packed.get(c.clinician_id, "").count(","),
                names[c.clinician_id].full_name,
            )
        )
        picker = core.FirstAvailable(query)
        for calendar in calendars:
            if picker.wants(calendar):
                calendar.bookings = unpack_ranges(packed.get(calendar.clinician_id))
                picker.add(calendar)
        free = picker.slots()
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


def calendar_zone(session: Session, clinician_id: uuid.UUID, clinic_zone: str) -> str:
    """The zone a clinician's hours are written in (the clinic's until their calendar says otherwise)."""
    calendar = session.get(ClinicianCalendar, clinician_id)
    return calendar.timezone if calendar is not None else clinic_zone


def free_slot(
    session: Session,
    *,
    kind: AppointmentType,
    clinician_id: uuid.UUID,
    starts_at: datetime,
    clinic_zone: str,
    patient_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> Slot:
    """The free time a person picked from the list, or "no longer free" (one search of one instant)."""
    result = find_slots(
        session,
        type_key=kind.key,
        start=starts_at,
        end=starts_at + timedelta(seconds=1),
        clinic_zone=clinic_zone,
        clinician_id=clinician_id,
        patient_id=patient_id,
        now=now,
    )
    slot = next((s for s in result.slots if s.starts_at == starts_at), None)
    if slot is None:
        raise SlotTaken("That time is no longer free. Please choose another time.")
    return slot
