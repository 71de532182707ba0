"""Thinking traps counted per week, and the gap between the fear predicted and the fear felt."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from painrewire.programs.cbt.trends import ExposureGap, distortions_by_week, gap_trend, mean_gap, most_common


def test_traps_are_counted_per_monday_week_with_empty_weeks_kept() -> None:
    records = [
        (date(2026, 1, 5), ["catastrophising", "labelling"]),  # Monday
        (date(2026, 1, 11), ["catastrophising"]),  # Sunday of the same week
        (date(2026, 1, 21), ["mind_reading"]),  # two weeks on
    ]
    weeks = distortions_by_week(records)
    assert [w.week for w in weeks] == [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)]
    assert [w.records for w in weeks] == [2, 0, 1]
    assert weeks[0].counts == {"catastrophising": 2, "labelling": 1}
    assert weeks[1].count("catastrophising") == 0


def test_a_trap_ticked_twice_in_one_record_counts_once_and_weeks_run_until_today() -> None:
    weeks = distortions_by_week([(date(2026, 1, 7), ["labelling", "labelling"])], until=date(2026, 1, 20))
    assert weeks[0].counts == {"labelling": 1}
    assert [w.week for w in weeks] == [date(2026, 1, 5), date(2026, 1, 12), date(2026, 1, 19)]
    assert distortions_by_week([]) == []


def test_most_common_traps_come_first_ties_by_name() -> None:
    weeks = distortions_by_week(
        [(date(2026, 1, 5), ["b", "a", "c"]), (date(2026, 1, 6), ["c"]), (date(2026, 1, 14), ["c", "a"])]
    )
    assert most_common(weeks, 2) == ["c", "a"]


def _gap(day: int, predicted: int, felt: int) -> ExposureGap:
    return ExposureGap(datetime(2026, 2, day, 18, tzinfo=UTC), "bending", predicted, felt)


def test_the_gap_is_predicted_minus_felt_and_its_trend_compares_halves() -> None:
    gaps = [_gap(10, 50, 60), _gap(1, 80, 40), _gap(3, 70, 40), _gap(7, 60, 50)]
    assert [g.gap for g in gaps] == [-10, 40, 30, 10]
    assert mean_gap(gaps) == pytest.approx(17.5)
    # oldest first: 40, 30 | 10, -10
    assert gap_trend(gaps) == (pytest.approx(35), pytest.approx(0))
    assert gap_trend(gaps[:1]) == (None, None)
    assert mean_gap([]) is None
