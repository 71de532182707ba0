"""Block scores by hand: accuracy and median time per side and per movement, the left/right flag, the norms
and the patient's own history."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from painrewire.programs.gmi import content, scoring
from painrewire.programs.gmi.scoring import TrialOutcome


def _t(
    side: str, movement: str, answer: str | None, rt: float | None, *, practice: bool = False
) -> TrialOutcome:
    return TrialOutcome(side, movement, "front", answer, rt, answer is None, practice)


#: Ten scored pictures and one practice picture (left out of every score).
TRIALS = [
    _t("left", "rotation", "left", 300, practice=True),
    _t("left", "rotation", "left", 800),
    _t("left", "rotation", "left", 1000),
    _t("left", "rotation", "right", 600),
    _t("left", "rotation", None, None),  # timed out
    _t("left", "side_bend", "left", 1200),
    _t("right", "rotation", "right", 500),
    _t("right", "rotation", "right", 700),
    _t("right", "side_bend", "right", 100),  # correct but faster than anticipation: not in the median
    _t("right", "side_bend", "right", 900),
    _t("right", "side_bend", "left", 1500),
]


@pytest.fixture
def norms() -> content.Norms:
    """The clinic's norms, with the flag needing only 4 answers per side (this example is small)."""
    return dataclasses.replace(content.norms(), left_right_min_answers=4)


def test_scores_match_the_hand_computed_example(norms: content.Norms) -> None:
    s = scoring.score_block(TRIALS, norms)
    assert s.practice_trials == 1
    # overall: 7 of 10 correct; times 500 700 800 900 1000 1200 -> (800 + 900) / 2
    assert (s.overall.trials, s.overall.correct, s.overall.timed_out) == (10, 7, 1)
    assert s.overall.accuracy == pytest.approx(0.7)
    assert s.overall.median_rt_ms == pytest.approx(850.0)
    assert s.overall.too_fast == 1
    # left: 3 of 5 (800 1000 1200) -> median 1000
    assert (s.left.correct, s.left.trials) == (3, 5)
    assert s.left.accuracy == pytest.approx(0.6)
    assert s.left.median_rt_ms == pytest.approx(1000.0)
    # right: 4 of 5, the 100 ms answer left out of the time -> 500 700 900
    assert s.right.accuracy == pytest.approx(0.8)
    assert s.right.median_rt_ms == pytest.approx(700.0)
    # rotation: 4 of 6 (500 700 800 1000 -> 750); side-bending: 3 of 4 (900 1200 -> 1050)
    assert s.rotation.accuracy == pytest.approx(4 / 6)
    assert s.rotation.median_rt_ms == pytest.approx(750.0)
    assert s.side_bend.accuracy == pytest.approx(0.75)
    assert s.side_bend.median_rt_ms == pytest.approx(1050.0)
    assert s.by_movement_side["rotation_left"].accuracy == pytest.approx(0.5)
    assert s.by_movement_side["side_bend_right"].median_rt_ms == pytest.approx(900.0)  # 100 ms left out
    # left/right: accuracy 20 points lower on the left (the threshold), time 300 ms slower (under 400)
    assert s.difference.accuracy_gap == pytest.approx(-0.2)
    assert s.difference.rt_gap_ms == pytest.approx(300.0)
    assert s.left_right_flag
    assert s.difference.weaker_side == "left"
    assert len(s.difference.reasons) == 1 and "accuracy" in s.difference.reasons[0]


def test_stored_scores_read_back_the_same(norms: content.Norms) -> None:
    s = scoring.score_block(TRIALS, norms)
    again = scoring.BlockScores.from_json(s.as_json())
    assert again.overall == s.overall and again.left == s.left and again.difference == s.difference
    assert s.as_json()["left_right_flag"] is True


def test_a_time_difference_alone_is_flagged(norms: content.Norms) -> None:
    trials = [_t("left", "rotation", "left", 1500) for _ in range(5)] + [
        _t("right", "rotation", "right", 1000) for _ in range(5)
    ]
    s = scoring.score_block(trials, norms)
    assert s.difference.accuracy_gap == 0
    assert s.difference.rt_gap_ms == pytest.approx(500.0)
    assert s.left_right_flag and s.difference.weaker_side == "left"
    assert "slower" in s.difference.reasons[0]


def test_no_flag_with_too_few_answers_or_small_differences() -> None:
    default = content.norms()  # 8 answers per side needed
    assert not scoring.score_block(TRIALS, default).left_right_flag
    even = [_t("left", "rotation", "left", 900 + i) for i in range(10)] + [
        _t("right", "rotation", "right", 1000 + i) for i in range(10)
    ]
    assert not scoring.score_block(even, default).left_right_flag


def test_an_empty_group_has_no_accuracy_and_no_time(norms: content.Norms) -> None:
    s = scoring.score_block([_t("left", "rotation", None, None)], norms)
    assert s.left.accuracy == 0.0 and s.left.median_rt_ms is None
    assert s.right.accuracy is None and s.right.median_rt_ms is None
    assert not s.left_right_flag


def test_norm_checks_say_which_side_meets_the_target(norms: content.Norms) -> None:
    checks = {c.what: c for c in scoring.compare_with_norms(scoring.score_block(TRIALS, norms), norms)}
    assert checks["Overall: accuracy"].status == "below"  # 70% < 80%
    assert checks["Movements to the left: accuracy"].status == "below"  # 60%
    assert checks["Movements to the right: accuracy"].status == "meets"  # 80% exactly
    assert checks["Movements to the left: median time"].status == "meets"  # 1.0 s <= 2.1 s
    assert checks["Overall: accuracy"].confirmed  # NOI's 80% is confirmed
    assert not checks["Overall: median time"].confirmed  # the 1.6 s for backs is not
    slow = scoring.score_block([_t("left", "rotation", "left", 2500)], norms)
    assert {c.what: c.status for c in scoring.compare_with_norms(slow, norms)}[
        "Overall: median time"
    ] == "slower"


def test_history_compares_with_the_first_and_previous_block(norms: content.Norms) -> None:
    s = scoring.score_block(TRIALS, norms)

    def point(day: int, acc: float, rt: float) -> scoring.HistoryPoint:
        return scoring.HistoryPoint(datetime(2026, 3, day, tzinfo=UTC), 1, acc, rt, acc, acc, rt, rt, False)

    current = scoring.HistoryPoint.of(datetime(2026, 3, 10, tzinfo=UTC), 1, s)
    found = scoring.compare_with_history(current, [point(5, 0.6, 1000), point(1, 0.5, 1500)])
    assert found.earlier_blocks == 2
    assert found.first is not None and found.first.accuracy == 0.5
    assert found.accuracy_since_first == pytest.approx(0.2)
    assert found.rt_since_first_ms == pytest.approx(-650.0)
    assert found.accuracy_since_previous == pytest.approx(0.1)
    assert found.best_accuracy == pytest.approx(0.7) and found.fastest_rt_ms == pytest.approx(850.0)
    assert found.sentences() == [
        "Accuracy is up 20 percentage points since your first block.",
        "You answer 650 ms faster than in your first block.",
    ]
    assert "first block" in scoring.compare_with_history(current, []).sentences()[0]
