"""Checks shared by every domain: time-zone names, dates in the range a record may hold, date-times with an
offset, and date arithmetic that cannot overflow.

Python's calendar ends at 0001-01-01 and 9999-12-31; a date near either end overflows as soon as a report
adds a week to it or a time zone moves it by an hour. So input is held to the years a record can mean
(``EARLIEST_DAY`` onwards), and code that reads stored dates (which a script or an older version may have
written) does its arithmetic with `add_days` and `shift_instant`, which stop at the calendar's ends.

Pure: the standard library and `painrewire.errors` only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from painrewire.errors import InvalidInput

#: The earliest day any record may hold: no patient was born, treated or seen before it.
EARLIEST_DAY = date(1900, 1, 1)
#: The longest time-zone name the database stores (``patients.timezone``); every IANA name is shorter.
MAX_ZONE_LENGTH = 64
_FIRST_INSTANT = datetime.min.replace(tzinfo=UTC)
_LAST_INSTANT = datetime.max.replace(tzinfo=UTC)


# --- time zones ------------------------------------------------------------------------------------------


#: Names of the time-zone folder that are not places: the server's own setting and a file of rules.
_NOT_ZONES = frozenset({"localtime", "posixrules"})


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(
        name for name in available_timezones() if len(name) <= MAX_ZONE_LENGTH and name not in _NOT_ZONES
    )


def is_zone(name: object) -> bool:
    """True when ``name`` is an IANA time-zone name this server knows (``Europe/London``, ``UTC``).

    Looked up in the list of known names before anything touches the file system, so no name -- too long,
    a folder such as ``Europe``, a path, a NUL byte -- can make `zoneinfo` fail with an OS error.
    """
    return isinstance(name, str) and name in _known_zones()


def zone_problem(name: object) -> str | None:
    """Why ``name`` is not a time zone, in words for the person who typed it; None when it is one."""
    if is_zone(name):
        return None
    shown = repr(name) if isinstance(name, str) and len(name) <= MAX_ZONE_LENGTH else "that"
    return f"{shown} is not a time zone; use an IANA name such as Europe/London"


def check_zone(name: str, *, field: str = "timezone") -> str:
    """Return ``name`` when it is a time zone; otherwise refuse (422) naming ``field``."""
    problem = zone_problem(name)
    if problem is not None:
        raise InvalidInput(f"{field}: {problem}.", field=field)
    return name


def zone(name: str, *, field: str = "timezone") -> ZoneInfo:
    """The time zone called ``name``, or a refusal (422) naming ``field``."""
    return ZoneInfo(check_zone(name, field=field))


# --- dates -----------------------------------------------------------------------------------------------


def check_day(
    day: date,
    *,
    field: str,
    earliest: date = EARLIEST_DAY,
    latest: date | None = None,
    earliest_reason: str = "",
    latest_reason: str = "",
) -> date:
    """Return ``day`` when it lies from ``earliest`` to ``latest`` (both included); otherwise refuse (422)
    naming ``field``. The reasons finish the sentence ("before {earliest_reason}"); without one, the bound's
    date is given."""
    earliest = max(earliest, EARLIEST_DAY)
    if day < earliest:
        why = earliest_reason or earliest.isoformat()
        raise InvalidInput(f"{field}: {day.isoformat()} is before {why}.", field=field)
    if latest is not None and day > latest:
        why = latest_reason or latest.isoformat()
        raise InvalidInput(f"{field}: {day.isoformat()} is after {why}.", field=field)
    return day


def birth_date_problem(day: date, *, today: date) -> str | None:
    """Why ``day`` cannot be a date of birth (before 1900, or after today); None when it can."""
    if day < EARLIEST_DAY:
        return f"{day.isoformat()} is before {EARLIEST_DAY.year}; give the real date of birth"
    if day > today:
        return f"{day.isoformat()} is in the future; give the real date of birth"
    return None


def parse_day(value: str | None, *, field: str) -> date | None:
    """A ``YYYY-MM-DD`` form value as a date (None when blank), or a refusal (422) naming ``field``."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"{field}: {text[:40]!r} is not a date (YYYY-MM-DD).", field=field) from exc


def parse_instant(value: str | None, *, field: str) -> datetime | None:
    """An ISO 8601 date-time with its offset (``2026-03-02T09:00:00+00:00`` or ``...Z``) as an aware UTC
    instant (None when blank), or a refusal (422) naming ``field``."""
    text = (value or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(
            f"{field}: {text[:40]!r} is not a date-time; give one such as 2026-03-02T09:00:00+00:00.",
            field=field,
        ) from exc
    return check_instant(moment, field=field)


def check_instant(moment: datetime, *, field: str) -> datetime:
    """An aware date-time from ``EARLIEST_DAY`` on, as UTC; a naive one (no offset) is refused (422)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(
            f"{field}: give the time with its offset, such as 2026-03-02T09:00:00+00:00 or ...Z.", field=field
        )
    try:
        utc = moment.astimezone(UTC)
    except OverflowError as exc:
        raise InvalidInput(f"{field}: {moment.isoformat()} is out of range.", field=field) from exc
    check_day(utc.date(), field=field)
    return utc


# --- arithmetic on stored values -------------------------------------------------------------------------


def add_days(day: date, days: int) -> date:
    """``day`` plus ``days`` (negative: earlier), stopping at the calendar's first or last day."""
    ordinal = day.toordinal() + days
    return date.fromordinal(min(max(ordinal, date.min.toordinal()), date.max.toordinal()))


def shift_instant(moment: datetime, delta: timedelta) -> datetime:
    """An aware ``moment`` plus ``delta``, stopping at the calendar's first or last instant (in UTC)."""
    try:
        return moment + delta
    except OverflowError:
        return _FIRST_INSTANT if delta < timedelta(0) else _LAST_INSTANT


def local_date(moment: datetime, where: ZoneInfo) -> date:
    """The calendar day of an aware ``moment`` in ``where``; at the calendar's ends, its UTC day."""
    try:
        return moment.astimezone(where).date()
    except OverflowError:
        return moment.astimezone(UTC).date()
