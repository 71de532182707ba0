"""A patient's recent diary in a few numbers: what the clinician home reads instead of the whole diary.

The home's pain trend is the mean average pain of the 7 calendar days ending on the day it is looked at,
shown once at least 4 of those days have an entry (`painrewire.diary.outcomes.current_mean`). That window
moves with the calendar, not only when an entry is written, so a summary written with each entry keeps what
the window of any day near the last entry needs:

* the average pain of each of the `RECENT_DAYS` calendar days ending on the last entry's day (``None`` for
  a day without an entry), from which the window of any day from ``last_day - (RECENT_DAYS - 7)`` on is
  exact (entries are never later than the last entry);
* the window's mean as of the last entry's day and as of each of the `MEAN_DAYS_AFTER` days after it. Later
  than that, fewer than 4 of the window's 7 days can have an entry, so there is no mean to show. These are
  the only figures the home needs to find, in the database, the patients getting worse on a given day.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from painrewire.diary.outcomes import MIN_WINDOW_ENTRIES, WEEK_DAYS

#: Days of the diary a summary keeps, ending on the last entry's day (two weeks).
RECENT_DAYS = 14
#: The last day, counted from the last entry's day, whose 7-day window can still hold `MIN_WINDOW_ENTRIES`
#: entries (the window ending 3 days after the last entry holds 4 days of the diary).
MEAN_DAYS_AFTER = WEEK_DAYS - MIN_WINDOW_ENTRIES


@dataclass(frozen=True)
class RecentDiary:
    """The average pain of the `RECENT_DAYS` days ending on ``last_day``, newest first.

    ``pain[i]`` is the average pain (0-10) entered for ``last_day - i`` days, or None when that day has no
    entry; ``pain[0]`` is never None.
    """

    last_day: date
    pain: tuple[int | None, ...]

    @classmethod
    def from_entries(cls, entries: Iterable[tuple[date, int]]) -> RecentDiary | None:
        """The summary of a diary given as ``(day, average_pain)`` pairs, any order; None for no entries.

        Only the entries of the `RECENT_DAYS` days up to the latest one matter; earlier ones are ignored.
        """
        by_day = dict(entries)
        if not by_day:
            return None
        last = max(by_day)
        return cls(last, tuple(by_day.get(last - timedelta(days=i)) for i in range(RECENT_DAYS)))

    @classmethod
    def from_stored(cls, last_day: date, pain: Any) -> RecentDiary:
        """The summary as a database row holds it (a JSON list); anything that is not a whole number reads
        as a day without an entry, so a damaged row shows less, never an error."""
        values = [v if type(v) is int else None for v in pain] if isinstance(pain, list | tuple) else []
        if len(values) != RECENT_DAYS:
            values = (values + [None] * RECENT_DAYS)[:RECENT_DAYS]
        return cls(last_day, tuple(values))

    def stored_pain(self) -> list[int | None]:
        """``pain`` as the JSON list the database keeps."""
        return list(self.pain)

    def window(self, today: date) -> list[int]:
        """The average pain of the days with an entry among the 7 days ending on ``today`` (included)."""
        # pain[back] is the day last_day - back: the window is back = last_day - today ... that + 6.
        first = (self.last_day - today).days
        if first + WEEK_DAYS <= 0:
            return []
        return [v for v in self.pain[max(first, 0) : first + WEEK_DAYS] if v is not None]

    def entries_in_week(self, today: date) -> int:
        """How many of the 7 days ending on ``today`` have an entry."""
        return len(self.window(today))

    def mean_as_of(self, today: date) -> float | None:
        """The mean average pain of the 7 days ending on ``today``, or None with fewer than 4 entries."""
        values = self.window(today)
        if len(values) < MIN_WINDOW_ENTRIES:
            return None
        return sum(values) / len(values)

    def means_after_last(self) -> Sequence[float | None]:
        """`mean_as_of` the last entry's day and each of the `MEAN_DAYS_AFTER` days after it, in that order."""
        return [self.mean_as_of(self.last_day + timedelta(days=k)) for k in range(MEAN_DAYS_AFTER + 1)]
