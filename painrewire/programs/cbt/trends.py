"""How thought records and exposures change over time: thinking traps per week, and fear predicted vs felt.

Pure functions over plain values, so the numbers a clinician sees can be checked by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from painrewire.validation import add_days


def week_of(day: date) -> date:
    """The Monday of the week holding ``day`` (weeks run Monday to Sunday, as in the diary)."""
    return add_days(day, -day.weekday())


@dataclass(frozen=True)
class WeekCounts:
    """One week: how many thought records were written and how often each thinking trap was tagged."""

    week: date
    records: int
    counts: dict[str, int]

    def count(self, distortion_id: str) -> int:
        return self.counts.get(distortion_id, 0)


def distortions_by_week(
    records: Iterable[tuple[date, Sequence[str]]], *, until: date | None = None
) -> list[WeekCounts]:
    """Count thinking-trap tags per week.

    Parameters
    ----------
    records : iterable of (datetime.date, sequence of str)
        Each thought record's day and the ids it was tagged with (an id counts once per record).
    until : datetime.date | None
        Extend the weeks to the one holding this day (usually today), so recent weeks without records show 0.

    Returns
    -------
    weeks : list of WeekCounts
        Every week from the first week with a record, oldest first, weeks without records included with 0.
    """
    totals: dict[date, dict[str, int]] = {}
    written: dict[date, int] = {}
    for day, tags in records:
        monday = week_of(day)
        week = totals.setdefault(monday, {})
        written[monday] = written.get(monday, 0) + 1
        for tag in dict.fromkeys(tags):
            week[tag] = week.get(tag, 0) + 1
    if not totals:
        return []
    first = min(totals)
    last = max(max(totals), week_of(until)) if until is not None else max(totals)
    mondays = (add_days(first, 7 * k) for k in range((last - first).days // 7 + 1))
    return [WeekCounts(monday, written.get(monday, 0), dict(totals.get(monday, {}))) for monday in mondays]


def most_common(weeks: Sequence[WeekCounts], n: int = 4) -> list[str]:
    """The ``n`` thinking traps tagged most often over all weeks, most often first (ties by id)."""
    overall: dict[str, int] = {}
    for week in weeks:
        for tag, count in week.counts.items():
            overall[tag] = overall.get(tag, 0) + count
    return [tag for tag, _ in sorted(overall.items(), key=lambda kv: (-kv[1], kv[0]))[:n]]


@dataclass(frozen=True)
class ExposureGap:
    """One exposure: the fear the patient predicted before and the fear they actually felt, both 0-100.

    ``gap`` = predicted - actual: positive when the movement turned out less frightening than expected. That
    surprise (an expectation violated) is what exposure therapy works through, so it is the learning signal.
    """

    done_at: datetime
    movement: str
    predicted: int
    actual: int

    @property
    def gap(self) -> int:
        return self.predicted - self.actual


def mean_gap(gaps: Sequence[ExposureGap]) -> float | None:
    """The mean of ``gap`` over the exposures, or None without any."""
    if not gaps:
        return None
    return sum(g.gap for g in gaps) / len(gaps)


def gap_trend(gaps: Sequence[ExposureGap]) -> tuple[float | None, float | None]:
    """Mean gap of the earlier and the later half of the exposures (oldest first); (None, None) below two.

    With an odd count the middle exposure belongs to the later half.
    """
    ordered = sorted(gaps, key=lambda g: g.done_at)
    if len(ordered) < 2:
        return None, None
    half = len(ordered) // 2
    return mean_gap(ordered[:half]), mean_gap(ordered[half:])
