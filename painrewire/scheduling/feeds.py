"""Calendars outside PainRewire: one appointment as an .ics file, and each user's private feed behind a secret
address."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts import audit
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.accounts.security import new_token, token_digest
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.errors import NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.scheduling.appointments import (
    AppointmentView,
    appointment_views,
    appointments_for,
    load_appointment,
)
from painrewire.scheduling.core import ical
from painrewire.scheduling.core.catalogue import catalogue
from painrewire.scheduling.models import (
    Appointment,
    AppointmentMode,
    AppointmentStatus,
    CalendarFeed,
)

FEED_HISTORY_DAYS = 180


def feed_url(settings: Settings, token: str) -> str:
    return f"{settings.base_url.rstrip('/')}/calendar/{token}.ics"


def feed_of(session: Session, user: User) -> CalendarFeed | None:
    feed = session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))
    return feed if feed is not None and feed.revoked_at is None else None


def create_feed(session: Session, user: User, *, now: datetime | None = None) -> str:
    """A new secret feed address for the user; any older address stops working. Returns the token once."""
    access.require_role(
        user, Role.PATIENT, Role.CLINICIAN, message="Calendar feeds are for patients and clinicians."
    )
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
    view = load_appointment(session, actor, appointment_id, AuditAction.EXPORT)
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
        views = appointment_views(
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
