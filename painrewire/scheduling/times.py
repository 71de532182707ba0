"""Days, instants and zones as the booking pages and services read them: refusals name the field."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from painrewire import validation
from painrewire.db import utcnow
from painrewire.errors import InvalidInput
from painrewire.scheduling.core import slots as core


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
