"""Booking one appointment, moving, cancelling and marking it.

A booking takes the clinician's lock, is checked against the same search as the pages show and then written
inside a savepoint; the database's own constraint (see ``models``) settles any race, and the loser is told
"That time was just taken"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from painrewire.accounts import audit
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.errors import Forbidden, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients import signup as signups
from painrewire.patients.models import CareTeamMember, Patient
from painrewire.patients.schemas import SignUp
from painrewire.scheduling import email_reminders
from painrewire.scheduling.appointments import (
    AppointmentView,
    load_appointment,
    notice_deadline,
)
from painrewire.scheduling.core import slots as core
from painrewire.scheduling.core.catalogue import AppointmentType, catalogue
from painrewire.scheduling.errors import AppointmentClosed, NotBookable, NoticePeriodPassed, SlotTaken
from painrewire.scheduling.models import (
    Appointment,
    AppointmentChange,
    AppointmentMode,
    AppointmentStatus,
    AvailabilityMode,
    CalendarException,
    ChangeKind,
    ClinicianCalendar,
    WorkingHours,
)
from painrewire.scheduling.notices import notify_patient
from painrewire.scheduling.queries import between, epoch_seconds
from painrewire.scheduling.search import (
    appointment_type,
    booking_floor,
    find_slots,
    free_slot,
    horizon,
)
from painrewire.scheduling.times import (
    aware,
    local_label,
)


@dataclass
class Booking:
    appointment: Appointment
    clinician: User
    patient: Patient
    joined_care_team: bool = False
    location: str = ""

    @property
    def view(self) -> AppointmentView:
        """The new appointment as people see it, without reading it again (its access is already audited)."""
        return AppointmentView(
            self.appointment,
            catalogue().types.get(self.appointment.appointment_type),
            self.patient.user.full_name,
            self.patient.timezone,
            self.clinician.full_name,
            str(self.clinician.discipline or ""),
            self.location,
        )


@dataclass(frozen=True)
class SignUpSent:
    """A visitor's booking waits for their account: what to tell them (the same for any email)."""

    message: str


def patient_for_booking(
    session: Session, actor: User, patient_id: uuid.UUID | None, action: AuditAction
) -> Patient:
    if actor.role == Role.PATIENT:
        patient = access.own_patient(session, actor, action=action, resource_type="appointment")
        if patient_id is not None and patient_id != patient.id:
            raise NotFound(access.NOT_FOUND_MESSAGE)
        return patient
    if patient_id is None:
        raise InvalidInput("Say which patient the appointment is for.", field="patient_id")
    reason = access.FRONT_DESK_REASON if actor.role == Role.ADMIN else None
    return access.patient_for(
        session, actor, patient_id, action=action, resource_type="appointment", reason=reason
    )


def _bookable_clinician(
    session: Session, kind: AppointmentType, clinician_id: uuid.UUID
) -> tuple[User, ClinicianCalendar]:
    clinician = session.get(User, clinician_id)
    if clinician is None or clinician.role != Role.CLINICIAN or not clinician.is_active:
        raise NotBookable("No such clinician.", field="clinician_id")
    if str(clinician.discipline) not in kind.disciplines:
        raise NotBookable(
            f"{clinician.full_name} does not offer {kind.label.lower()}.", field="appointment_type"
        )
    calendar = session.get(ClinicianCalendar, clinician.id)
    if calendar is None:
        raise NotBookable(f"{clinician.full_name} has no calendar for bookings yet.", field="clinician_id")
    return clinician, calendar


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
    floor = booking_floor(now, staff=staff)
    if starts_at < floor:
        hours = catalogue().booking.min_lead_minutes / 60
        raise NotBookable(
            f"Online bookings start at least {hours:g} hours ahead; please call the clinic for sooner.",
            field="starts_at",
        )
    if not staff and starts_at > horizon(now):
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
            between(
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
    patient = patient_for_booking(session, actor, patient_id, AuditAction.CREATE)
    kind = appointment_type(type_key)
    starts_at = aware(starts_at, "starts_at")
    clinician, calendar = _bookable_clinician(session, kind, clinician_id)
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
        zone=calendar.timezone or settings.clinic_timezone,
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
    return Booking(appointment, clinician, patient, joined, calendar.location or "")


def sign_up_and_book(
    session: Session,
    actor: User | None,
    settings: Settings,
    *,
    type_key: str,
    clinician_id: uuid.UUID,
    starts_at: datetime,
    mode: str | None = None,
    sign_up: SignUp | None = None,
    client: str | None = None,
    next_path: str | None = None,
    now: datetime | None = None,
) -> Booking | SignUpSent:
    """The public "Book now" step: a patient books the time; a visitor signs up for it by email.

    A visitor's time is checked first, so nobody signs up for a time that has gone; the link in the email
    brings them back (``next_path``), logged in, to book it. Staff book from the clinic's calendar instead.
    """
    if actor is not None:
        access.require_role(
            actor,
            Role.PATIENT,
            message="Clinic staff book for a patient from the clinic's calendar, not from this page.",
        )
        return book(
            session,
            actor,
            settings,
            type_key=type_key,
            clinician_id=clinician_id,
            starts_at=starts_at,
            mode=mode,
            now=now,
        )
    kind = appointment_type(type_key)
    if not kind.new_patients:
        raise InvalidInput(
            f"{kind.label} is booked by patients already in our care; please log in.", field="type"
        )
    starts_at = aware(starts_at, "starts_at")
    free_slot(
        session,
        kind=kind,
        clinician_id=clinician_id,
        starts_at=starts_at,
        clinic_zone=settings.clinic_timezone,
        now=now,
    )
    if sign_up is None:
        raise InvalidInput("Give your name, email and a password to book.", field="email")
    message = signups.request_sign_up(session, settings, sign_up, client=client, next_path=next_path)
    return SignUpSent(message)


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


def _changeable(
    session: Session, actor: User, settings: Settings, appointment_id: uuid.UUID, when: datetime
) -> AppointmentView:
    """The appointment ``actor`` may move or cancel now: still open, theirs to change, outside the notice period."""
    view = load_appointment(session, actor, appointment_id, AuditAction.UPDATE)
    _check_open(view.appointment, settings.clinic_timezone)
    _check_staff_may_change(actor, view.appointment)
    _check_notice(actor, view.appointment, settings, when)
    return view


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
    view = _changeable(session, actor, settings, appointment_id, when)
    appointment = view.appointment
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
    notify_patient(
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
    view = _changeable(session, actor, settings, appointment_id, when)
    appointment = view.appointment
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
    notify_patient(
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
    access.require_role(actor, Role.CLINICIAN, Role.ADMIN, message="Only the clinic records attendance.")
    if status not in (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW):
        raise InvalidInput("Mark an appointment completed or no_show.", field="status")
    view = load_appointment(session, actor, appointment_id, AuditAction.UPDATE)
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
