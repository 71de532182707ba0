"""iCalendar (RFC 5545) for appointments: the one-off .ics download and each user's private feed.

Each appointment is one VEVENT whose UID never changes; a change bumps SEQUENCE, and a cancelled
appointment stays in the feed with STATUS:CANCELLED so calendar apps remove it instead of keeping a stale
copy. Times are written in UTC (``...Z``), which every calendar app reads the same way. Each booked
appointment carries display alarms before it.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event, vDuration

PRODUCT_ID = "-//PainRewire//Appointments//EN"
UID_DOMAIN = "painrewire"


@dataclass(frozen=True)
class CalendarEntry:
    """What a calendar app is told about one appointment."""

    uid: str
    sequence: int
    starts_at: datetime
    ends_at: datetime
    cancelled: bool
    summary: str
    description: str
    location: str
    url: str
    updated_at: datetime
    created_at: datetime


def appointment_uid(appointment_id: object) -> str:
    return f"{appointment_id}@{UID_DOMAIN}"


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)


def _event(entry: CalendarEntry, *, alarms: Sequence[int], stamp: datetime) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", _utc(stamp))
    event.add("created", _utc(entry.created_at))
    event.add("last-modified", _utc(entry.updated_at))
    event.add("sequence", entry.sequence)
    event.add("dtstart", _utc(entry.starts_at))
    event.add("dtend", _utc(entry.ends_at))
    event.add("summary", entry.summary)
    if entry.description:
        event.add("description", entry.description)
    if entry.location:
        event.add("location", entry.location)
    if entry.url:
        event.add("url", entry.url)
    event.add("status", "CANCELLED" if entry.cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT" if entry.cancelled else "OPAQUE")
    if not entry.cancelled:
        for minutes in alarms:
            alarm = Alarm()
            alarm.add("uid", f"{entry.uid}-alarm-{minutes}")
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"Reminder: {entry.summary}")
            alarm.add("trigger", timedelta(minutes=-minutes))
            event.add_component(alarm)
    return event


def build_calendar(
    entries: Iterable[CalendarEntry],
    *,
    name: str,
    alarms: Sequence[int],
    stamp: datetime,
    method: str | None = "PUBLISH",
    refresh_minutes: int = 60,
) -> bytes:
    """A VCALENDAR with one VEVENT per entry, as the bytes to serve with ``text/calendar``."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", timedelta(minutes=refresh_minutes), parameters={"VALUE": "DURATION"})
    # An X- property has no known value type, so icalendar would write a Python timedelta ("1:00:00");
    # the RFC 5545 duration (PT1H) is what calendar apps read.
    calendar.add("x-published-ttl", vDuration(timedelta(minutes=refresh_minutes)))
    for entry in entries:
        calendar.add_component(_event(entry, alarms=alarms, stamp=stamp))
    data: bytes = calendar.to_ical()
    return data
