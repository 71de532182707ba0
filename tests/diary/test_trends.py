"""The recent-diary summary: the 7-day mean of any day near the last entry, from two weeks of stored values."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from painrewire.diary.outcomes import DiaryPoint, current_mean
from painrewire.diary.trends import MEAN_DAYS_AFTER, RECENT_DAYS, RecentDiary

LAST = date(2026, 11, 20)


def days_back(*pairs: tuple[int, int]) -> list[tuple[date, int]]:
    """``(days before LAST, average pain)`` pairs as diary entries."""
    return [(LAST - timedelta(days=back), pain) for back, pain in pairs]


def test_no_entries_no_summary() -> None:
    assert RecentDiary.from_entries([]) is None


def test_the_window_counts_the_7_days_ending_on_the_day_asked() -> None:
    # Nov 20: 6, Nov 19: 4, Nov 17: 5, Nov 14: 3 (6 days back: in Nov 20's window), Nov 13: 9 (7 back: out).
    recent = RecentDiary.from_entries(days_back((0, 6), (1, 4), (3, 5), (6, 3), (7, 9)))
    assert recent is not None
    assert recent.last_day == LAST
    assert recent.pain[:8] == (6, 4, None, 5, None, None, 3, 9)
    assert recent.mean_as_of(LAST) == pytest.approx((6 + 4 + 5 + 3) / 4)  # 4.5
    assert recent.entries_in_week(LAST) == 4
    # Nov 21: Nov 15-21 holds 6, 4, 5: 3 entries, no mean
    assert recent.mean_as_of(LAST + timedelta(days=1)) is None
    assert recent.entries_in_week(LAST + timedelta(days=1)) == 3
    # Nov 19 (a clinic behind the patient's time zone): Nov 13-19 holds 4, 5, 3, 9
    assert recent.mean_as_of(LAST - timedelta(days=1)) == pytest.approx(21 / 4)
    assert list(recent.means_after_last()) == [pytest.approx(4.5), None, None, None]


def test_a_full_week_keeps_a_mean_for_3_days_after_the_last_entry() -> None:
    # Nov 14 .. Nov 20 at 1 .. 7
    recent = RecentDiary.from_entries(days_back(*((6 - i, i + 1) for i in range(7))))
    assert recent is not None
    # Nov 20: 1..7 = 4.0; Nov 21: 2..7 = 4.5; Nov 22: 3..7 = 5.0; Nov 23: 4..7 = 5.5; Nov 24: 3 entries
    assert list(recent.means_after_last()) == [4.0, 4.5, 5.0, 5.5]
    assert len(recent.means_after_last()) == MEAN_DAYS_AFTER + 1
    assert recent.mean_as_of(LAST + timedelta(days=4)) is None
    assert recent.entries_in_week(LAST + timedelta(days=7)) == 0
    assert recent.entries_in_week(LAST + timedelta(days=400)) == 0


def test_only_the_two_weeks_up_to_the_last_entry_are_kept() -> None:
    recent = RecentDiary.from_entries(days_back((0, 2), (RECENT_DAYS - 1, 8), (RECENT_DAYS, 10)))
    assert recent is not None
    assert len(recent.pain) == RECENT_DAYS
    assert recent.pain[-1] == 8 and 10 not in recent.pain


def test_a_damaged_stored_row_reads_as_days_without_entries() -> None:
    recent = RecentDiary.from_stored(LAST, [5, "7", True, None, 6.5, 4, 4])
    assert recent.pain == (5, None, None, None, None, 4, 4) + (None,) * (RECENT_DAYS - 7)
    assert recent.entries_in_week(LAST) == 3
    assert RecentDiary.from_stored(LAST, {"not": "a list"}).pain == (None,) * RECENT_DAYS
    assert RecentDiary.from_stored(LAST, list(range(30))).pain == tuple(range(RECENT_DAYS))


def test_the_mean_is_the_outcomes_current_mean_for_any_day_the_summary_covers() -> None:
    """Against the reference (`outcomes.current_mean` over the whole diary), on random sparse diaries."""
    rng = random.Random(0)
    for _ in range(200):
        entries = [
            (LAST - timedelta(days=back), rng.randint(0, 10)) for back in range(40) if rng.random() < 0.6
        ] or [(LAST, 3)]
        recent = RecentDiary.from_entries(entries)
        assert recent is not None
        points = [DiaryPoint(day, float(pain)) for day, pain in entries]
        for offset in range(-(RECENT_DAYS - 7), 12):
            today = recent.last_day + timedelta(days=offset)
            assert recent.mean_as_of(today) == pytest.approx(current_mean(points, today=today), abs=1e-12)
