"""Free appointment times from weekly working hours, exceptions and bookings, across time zones and DST.

Working hours are wall-clock times in the calendar's IANA zone; everything else is an instant, held here as
whole seconds since the Unix epoch so a search over a clinic of fifty clinicians and eight weeks stays a few
integer loops (no datetime is made until a slot is returned).

Daylight saving: a block of working hours covers every moment from the first time the clock shows its start
to the last time it shows its end. A wall time the clock skips (01:30 on the last Sunday of March in
London) is read as the moment the clock jumps; a wall time it shows twice (01:30 on the last Sunday of
October) is its first showing for a start and its second showing for an end. Free times step through real
time from the start of each block, so no slot is lost or doubled when the clock changes.

A slot starting at ``s`` with length ``d`` and buffers ``bb``/``ba`` holds the clinician over
``[s - bb, s + d + ba)``; it is free when that range meets no other booking's held range, ``[s, s + d)``
meets no exception and none of the patient's own appointments, and ``[s, s + d)`` lies in working hours.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import bisect
from collections.abc import Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

EITHER = "either"

Span = tuple[int, int]


def to_epoch(moment: datetime) -> int:
    """Whole seconds since the epoch of a time-zone aware instant."""
    if moment.tzinfo is None:
        raise ValueError("naive datetimes have no instant; give a time-zone aware value")
    return int(moment.timestamp())


def from_epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _offset(seconds: int, zone: ZoneInfo) -> timedelta | None:
    return from_epoch(seconds).astimezone(zone).utcoffset()


@lru_cache(maxsize=65536)
def local_instant(day: date, clock: time, zone_name: str, *, end: bool = False) -> int:
    """The instant (epoch seconds) when the clock in ``zone_name`` shows ``clock`` on ``day``.

    A skipped wall time gives the moment the clock jumps; a repeated one gives its first showing, or its
    last when ``end`` is true (the end of a block of working hours).
    """
    zone = ZoneInfo(zone_name)
    naive = datetime.combine(day, clock)
    first = to_epoch(naive.replace(tzinfo=zone, fold=0))
    second = to_epoch(naive.replace(tzinfo=zone, fold=1))
    if first == second:
        return first
    if first < second:  # shown twice: fold 0 is the first showing
        return second if end else first
    # Skipped: fold 1 reads it with the offset after the change (earlier), fold 0 with the one before.
    low, high = second, first
    after = _offset(first, zone)
    while high - low > 1:
        middle = (low + high) // 2
        if _offset(middle, zone) == after:
            high = middle
        else:
            low = middle
    return high


@dataclass(frozen=True)
class WeeklyBlock:
    """Working hours on one weekday (0 = Monday), in wall-clock time, and how patients are seen then."""

    weekday: int
    starts: time
    ends: time
    mode: str = EITHER

    def allows(self, mode: str | None) -> bool:
        return mode is None or self.mode == EITHER or self.mode == mode


@dataclass
class CalendarData:
    """What the search needs of one clinician; ``bookings`` are held ranges, ``away`` exceptions."""

    clinician_id: Hashable
    zone: str
    blocks: Sequence[WeeklyBlock]
    bookings: list[Span] = field(default_factory=list)
    away: list[Span] = field(default_factory=list)


@dataclass(frozen=True)
class SlotQuery:
    """One search: the appointment's length and buffers (seconds), the window, and who is looking."""

    duration: int
    buffer_before: int
    buffer_after: int
    step: int
    window_start: int
    window_end: int
    earliest: int
    mode: str | None = None
    patient_busy: Sequence[Span] = ()


class FreeStart(NamedTuple):
    """One free start (a tuple: a clinic's search makes thousands of them)."""

    start: int
    clinician_id: Hashable
    mode: str


def working_spans(calendar: CalendarData, window_start: int, window_end: int) -> list[tuple[int, int, str]]:
    """The calendar's blocks of working hours as instants, oldest first, for each local day near the window."""
    key = tuple(sorted(calendar.blocks, key=lambda b: (b.weekday, b.starts, b.ends, b.mode)))
    return list(_spans(key, calendar.zone, window_start, window_end))


@lru_cache(maxsize=1024)
def _spans(
    blocks: tuple[WeeklyBlock, ...], zone_name: str, window_start: int, window_end: int
) -> tuple[tuple[int, int, str], ...]:
    """Worked out once per set of weekly hours: most clinicians of a clinic share theirs."""
    by_weekday: dict[int, list[WeeklyBlock]] = {}
    for block in blocks:
        by_weekday.setdefault(block.weekday, []).append(block)
    if not by_weekday:
        return ()
    zone = ZoneInfo(zone_name)
    first_day = from_epoch(window_start).astimezone(zone).date() - timedelta(days=1)
    last_day = from_epoch(window_end).astimezone(zone).date() + timedelta(days=1)
    spans = []
    day = first_day
    while day <= last_day:
        for block in by_weekday.get(day.weekday(), ()):
            start = local_instant(day, block.starts, zone_name)
            end = local_instant(day, block.ends, zone_name, end=True)
            if start < end and start < window_end and end > window_start:
                spans.append((start, end, block.mode))
        day += timedelta(days=1)
    spans.sort()
    return tuple(spans)


def _forbidden(calendar: CalendarData, query: SlotQuery) -> tuple[list[int], list[int]]:
    """Open intervals of start times ``(a, b)`` that would clash, merged, as two sorted lists."""
    duration = query.duration
    raw: list[Span] = [
        (start - duration - query.buffer_after, end + query.buffer_before) for start, end in calendar.bookings
    ]
    raw += [(start - duration, end) for start, end in calendar.away]
    raw += [(start - duration, end) for start, end in query.patient_busy]
    raw.sort()
    starts: list[int] = []
    ends: list[int] = []
    for a, b in raw:
        if starts and a < ends[-1]:
            if b > ends[-1]:
                ends[-1] = b
        else:
            starts.append(a)
            ends.append(b)
    return starts, ends


def _free_runs(calendar: CalendarData, query: SlotQuery) -> Iterator[tuple[range, str]]:
    """One calendar's free start times as runs on the step grid, each with its mode, oldest first."""
    starts, ends = _forbidden(calendar, query)
    step = query.step
    floor = max(query.window_start, query.earliest)
    key = tuple(sorted(calendar.blocks, key=lambda b: (b.weekday, b.starts, b.ends, b.mode)))
    for block_start, block_end, mode in _spans(key, calendar.zone, query.window_start, query.window_end):
        if query.mode is not None and mode != EITHER and mode != query.mode:
            continue
        low = max(block_start, floor)
        high = min(block_end - query.duration, query.window_end - 1)
        if high < low:
            continue
        slot_mode = query.mode or mode
        index = bisect.bisect_right(ends, low)
        cursor = low
        while cursor <= high:
            if index < len(starts) and starts[index] < high:
                segment_end = starts[index]
                next_cursor = ends[index]
                index += 1
            else:
                segment_end = high
                next_cursor = high + 1
            if segment_end >= cursor:
                first = block_start + -(-(cursor - block_start) // step) * step
                yield range(first, min(segment_end, high) + 1, step), slot_mode
            cursor = max(cursor, next_cursor)


def free_starts(calendar: CalendarData, query: SlotQuery) -> list[FreeStart]:
    """Every free start time of one clinician in the window, oldest first."""
    clinician = calendar.clinician_id
    return [FreeStart(moment, clinician, mode) for run, mode in _free_runs(calendar, query) for moment in run]


def first_available(calendars: Iterable[CalendarData], query: SlotQuery) -> list[FreeStart]:
    """One free start per time across clinicians, oldest first: at each time the first calendar given wins."""
    picker = FirstAvailable(query)
    for calendar in calendars:
        picker.add(calendar)
    return picker.slots()


def _blocks_key(blocks: Sequence[WeeklyBlock]) -> tuple[WeeklyBlock, ...]:
    return tuple(sorted(blocks, key=lambda b: (b.weekday, b.starts, b.ends, b.mode)))


def _merged(spans: list[Span]) -> tuple[list[int], list[int]]:
    """Open intervals ``(a, b)``, sorted and merged, as two lists (the ends increase with the starts)."""
    spans.sort()
    starts: list[int] = []
    ends: list[int] = []
    for a, b in spans:
        if starts and a < ends[-1]:
            if b > ends[-1]:
                ends[-1] = b
        else:
            starts.append(a)
            ends.append(b)
    return starts, ends


def _outside(starts: list[int], ends: list[int], moment: int) -> bool:
    """Whether ``moment`` lies in none of the open intervals."""
    i = bisect.bisect_left(starts, moment) - 1
    return i < 0 or ends[i] <= moment


@lru_cache(maxsize=1024)
def _grid(
    blocks: tuple[WeeklyBlock, ...],
    zone_name: str,
    window_start: int,
    window_end: int,
    duration: int,
    step: int,
    mode: str | None,
) -> tuple[tuple[int, str], ...]:
    """Every start time the weekly hours offer in the window, with its mode: the week's template laid out
    once per set of hours (clinicians of a clinic mostly share theirs), before anyone's bookings."""
    grid: list[tuple[int, str]] = []
    for block_start, block_end, block_mode in _spans(blocks, zone_name, window_start, window_end):
        if mode is not None and block_mode != EITHER and block_mode != mode:
            continue
        low = max(block_start, window_start)
        high = min(block_end - duration, window_end - 1)
        if high < low:
            continue
        first = block_start + -(-(low - block_start) // step) * step
        slot_mode = mode or block_mode
        grid += [(moment, slot_mode) for moment in range(first, high + 1, step)]
    grid.sort(key=lambda g: g[0])
    return tuple(grid)


class FirstAvailable:
    """The first-available search, one calendar at a time, in the order the clinic prefers its clinicians.

    Each set of weekly hours keeps the start times nobody has taken yet; a calendar is checked only at those,
    so the work shrinks as times fill, and :meth:`wants` says when a calendar could add nothing (its
    bookings need not even be read). The result is the same as listing every calendar's free times and
    keeping the first calendar at each time.
    """

    def __init__(self, query: SlotQuery) -> None:
        self.query = query
        self._chosen: dict[int, FreeStart] = {}
        self._open: dict[tuple[tuple[WeeklyBlock, ...], str], list[tuple[int, str]]] = {}
        self._seen: dict[tuple[tuple[WeeklyBlock, ...], str], int] = {}
        duration = query.duration
        self._busy = _merged([(start - duration, end) for start, end in query.patient_busy])

    def _candidates(
        self, calendar: CalendarData
    ) -> tuple[tuple[tuple[WeeklyBlock, ...], str], list[tuple[int, str]]]:
        key = (_blocks_key(calendar.blocks), calendar.zone)
        found = self._open.get(key)
        chosen = self._chosen
        if found is None:
            q = self.query
            grid = _grid(key[0], key[1], q.window_start, q.window_end, q.duration, q.step, q.mode)
            floor = max(q.window_start, q.earliest)
            first = bisect.bisect_left(grid, (floor, ""))
            busy_starts, busy_ends = self._busy
            found = [g for g in grid[first:] if g[0] not in chosen and _outside(busy_starts, busy_ends, g[0])]
        elif self._seen[key] != len(chosen):
            found = [g for g in found if g[0] not in chosen]
        self._open[key] = found
        self._seen[key] = len(chosen)
        return key, found

    def wants(self, calendar: CalendarData) -> bool:
        """Whether this calendar's hours still offer a time no earlier calendar took."""
        return bool(self._candidates(calendar)[1])

    def add(self, calendar: CalendarData) -> None:
        """Give this calendar the free times no earlier calendar took."""
        key, found = self._candidates(calendar)
        if not found:
            return
        duration, q = self.query.duration, self.query
        starts, ends = _merged(
            [(start - duration - q.buffer_after, end + q.buffer_before) for start, end in calendar.bookings]
            + [(start - duration, end) for start, end in calendar.away]
        )
        chosen = self._chosen
        clinician = calendar.clinician_id
        left: list[tuple[int, str]] = []
        for moment, mode in found:
            if not _outside(starts, ends, moment):
                left.append((moment, mode))
            elif moment not in chosen:
                chosen[moment] = FreeStart(moment, clinician, mode)
        self._open[key] = left
        self._seen[key] = len(chosen)

    def slots(self) -> list[FreeStart]:
        """The free times found, oldest first."""
        return [self._chosen[moment] for moment in sorted(self._chosen)]


def plan_course(
    free: Sequence[int],
    zone_name: str,
    *,
    first_day: date,
    weeks: int,
    per_week: int,
    min_days_apart: int,
    preferred: time | None = None,
) -> list[int] | None:
    """Pick ``weeks × per_week`` start times from ``free`` (one clinician's), or None if they do not fit.

    Week ``n`` is the seven local days from ``first_day + 7n``; each week gets ``per_week`` sessions on
    different days, and any two sessions in a row are at least ``min_days_apart`` calendar days apart. The
    earliest such course wins; on each day the time nearest the preferred clock time is taken (the first
    session's time when none is given), so sessions keep to one time of day where they can.
    """
    zone = ZoneInfo(zone_name)
    by_day: dict[date, list[int]] = {}
    for moment in sorted(free):
        local = from_epoch(moment).astimezone(zone)
        by_day.setdefault(local.date(), []).append(moment)
    total = weeks * per_week

    def clock_minutes(moment: int) -> int:
        local = from_epoch(moment).astimezone(zone)
        return local.hour * 60 + local.minute

    def pick(day: date, target: int | None) -> int:
        options = by_day[day]
        if target is None:
            return options[0]
        return min(options, key=lambda m: (abs(clock_minutes(m) - target), m))

    dead_ends: set[tuple[int, date | None, int | None]] = set()

    def search(chosen: list[tuple[date, int]], target: int | None) -> list[int] | None:
        index = len(chosen)
        if index == total:
            return [moment for _, moment in chosen]
        state = (index, chosen[-1][0] if chosen else None, target)
        if state in dead_ends:
            return None
        week = index // per_week
        week_first = first_day + timedelta(days=7 * week)
        week_last = week_first + timedelta(days=6)
        remaining_in_week = per_week - index % per_week - 1
        earliest = week_first
        if chosen:
            earliest = max(earliest, chosen[-1][0] + timedelta(days=max(min_days_apart, 1)))
        day = earliest
        latest = week_last - timedelta(days=remaining_in_week * max(min_days_apart, 1))
        while day <= latest:
            if day in by_day:
                moment = pick(day, target)
                result = search(
                    [*chosen, (day, moment)], target if target is not None else clock_minutes(moment)
                )
                if result is not None:
                    return result
            day += timedelta(days=1)
        dead_ends.add(state)
        return None

    start_target = preferred.hour * 60 + preferred.minute if preferred is not None else None
    return search([], start_target)
