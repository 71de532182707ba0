"""When each in-app reminder is due: before the next appointment, and for the day's practice.

Every due time is computed here from the appointment or the patient's own day, so it can be tested and shown
("reminder due at 09:00"); the calendar feed's alarms use the same offsets. This module is a pure core: it
imports no web, database or template code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from painrewire.scheduling.core.slots import from_epoch, local_instant


@dataclass(frozen=True)
class Reminder:
    kind: str  # "appointment" or "practice"
    due_at: datetime
    minutes_before: int | None = None


def appointment_reminders(starts_at: datetime, offsets_minutes: Sequence[int]) -> list[Reminder]:
    """The reminders of one appointment, earliest due first (e.g. 24 hours and 1 hour before)."""
    return [
        Reminder("appointment", starts_at - timedelta(minutes=m), m)
        for m in sorted(set(offsets_minutes), reverse=True)
    ]


def due_appointment_reminder(
    starts_at: datetime, offsets_minutes: Sequence[int], now: datetime
) -> Reminder | None:
    """The reminder showing now: the latest one already due, until the appointment starts."""
    if now >= starts_at:
        return None
    due = [r for r in appointment_reminders(starts_at, offsets_minutes) if r.due_at <= now]
    return due[-1] if due else None


def practice_reminder_due(day: date, zone_name: str, at: time) -> datetime:
    """When the practice reminder of the patient's ``day`` is due: ``at`` on their own clock."""
    return from_epoch(local_instant(day, at, zone_name))


def practice_reminder(
    now: datetime, zone_name: str, at: time, *, practised_today: bool, has_program: bool
) -> Reminder | None:
    """Today's practice reminder, once its time has come on the patient's clock and nothing is practised yet."""
    if practised_today or not has_program:
        return None
    today = now.astimezone(ZoneInfo(zone_name)).date()
    due = practice_reminder_due(today, zone_name, at)
    return Reminder("practice", due) if now >= due else None
