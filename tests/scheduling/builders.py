"""Calendars and fixed clocks for scheduling tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.scheduling.core import slots as core
from painrewire.scheduling.models import AvailabilityMode, ClinicianCalendar, WorkingHours

LONDON = "Europe/London"


def open_calendar(
    session: Session,
    clinician: User,
    *,
    hours: list[tuple[int, str, str]] | None = None,
    mode: AvailabilityMode = AvailabilityMode.EITHER,
    zone: str = LONDON,
    online: bool = True,
) -> ClinicianCalendar:
    """A calendar open for booking: Monday to Friday 09:00-17:00 unless ``hours`` says otherwise."""
    calendar = ClinicianCalendar(
        clinician_id=clinician.id, timezone=zone, accepts_online_booking=online, location="Room 2"
    )
    session.add(calendar)
    for weekday, starts, ends in hours or [(d, "09:00", "17:00") for d in range(5)]:
        session.add(
            WorkingHours(
                clinician_id=clinician.id,
                weekday=weekday,
                starts=time.fromisoformat(starts),
                ends=time.fromisoformat(ends),
                mode=mode,
            )
        )
    session.flush()
    return calendar


def london(day: date, clock: str) -> datetime:
    """The instant a London clock shows ``clock`` on ``day``."""
    return core.from_epoch(core.local_instant(day, time.fromisoformat(clock), LONDON))


def next_monday(after: datetime | None = None) -> date:
    """A Monday at least a week ahead of now: far enough for any lead time, inside the booking horizon."""
    today = (after or datetime.now(UTC)).date()
    return today + timedelta(days=7 - today.weekday() + 7)
