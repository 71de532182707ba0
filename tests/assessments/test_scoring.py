"""Worked examples for every instrument, computed by hand from each manual (arithmetic in the comments).

Each row: answers in item order (None = unanswered) -> total, band, subscales, flags, valid. Band boundaries
are tested on both sides; missing items under each manual's own rule; special items (STarT Back item 9,
PHQ-9 item 9); means that end in .x5 to prove rounding is half up, not Python's half-to-even.
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal
from typing import Any

import pytest

from painrewire.assessments.instruments import get_instrument, list_instruments
from painrewire.assessments.scoring import InvalidAnswers, UnknownInstrument, round_half_up, score

N = None

# (instrument, answers, total, band, subscales, flags, valid)
Row = tuple[str, list[Any], Any, Any, dict[str, Any], list[str], bool]

PEG: list[Row] = [
    ("peg", [0, 0, 0], 0.0, None, {}, [], True),  # 0/3 = 0.0
    ("peg", [10, 10, 10], 10.0, None, {}, [], True),  # 30/3 = 10.0
    ("peg", [5, 5, 6], 5.3, None, {}, [], True),  # 16/3 = 5.333 -> 5.3
    ("peg", [5, 6, 6], 5.7, None, {}, [], True),  # 17/3 = 5.667 -> 5.7
    ("peg", [7, 4, 2], 4.3, None, {}, [], True),  # 13/3 = 4.333 -> 4.3
    ("peg", [8, 7, 7], 7.3, None, {}, [], True),  # 22/3 = 7.333 -> 7.3
    ("peg", [1, N, 3], None, None, {}, [], False),  # all 3 required: item 2 missing -> invalid
]

BPI: list[Row] = [
    # severity = mean(items 1-4); interference = mean(items 5-11 answered), needs >= 4 of 7
    ("bpi", [0] * 11, None, None, {"severity": 0.0, "interference": 0.0}, [], True),
    ("bpi", [10] * 11, None, None, {"severity": 10.0, "interference": 10.0}, [], True),
    # severity (6+2+4+5)/4 = 17/4 = 4.25 -> 4.3 (half up; round() would say 4.2)
    # interference (5+6+4+7+3+5+6)/7 = 36/7 = 5.142 -> 5.1
    ("bpi", [6, 2, 4, 5, 5, 6, 4, 7, 3, 5, 6], None, None, {"severity": 4.3, "interference": 5.1}, [], True),
    # severity (7+3+5+6)/4 = 21/4 = 5.25 -> 5.3; interference 4 of 7 answered: (7+6+5+4)/4 = 22/4 = 5.5
    ("bpi", [7, 3, 5, 6, 7, 6, 5, 4, N, N, N], None, None, {"severity": 5.3, "interference": 5.5}, [], True),
    # exactly 4 of 7 (boundary, valid): (1+1+1+2)/4 = 5/4 = 1.25 -> 1.3; severity (2+0+1+1)/4 = 1.0
    ("bpi", [2, 0, 1, 1, 1, N, 1, N, 1, N, 2], None, None, {"severity": 1.0, "interference": 1.3}, [], True),
    # 3 of 7 (other side of the boundary): interference not scored -> invalid; severity (4+1+3+2)/4 = 2.5
    ("bpi", [4, 1, 3, 2, 5, N, 5, N, 5, N, N], None, None, {"severity": 2.5}, [], False),
    # 6 of 7: (2+3+4+5+6+7)/6 = 27/6 = 4.5; severity (8+3+5+6)/4 = 22/4 = 5.5
    ("bpi", [8, 3, 5, 6, 2, 3, 4, 5, 6, 7, N], None, None, {"severity": 5.5, "interference": 4.5}, [], True),
    # severity needs all four: item 2 missing -> severity not scored; interference 35/7 = 5.0
    ("bpi", [6, N, 4, 5, 5, 5, 5, 5, 5, 5, 5], None, None, {"interference": 5.0}, [], False),
    # severity 19/4 = 4.75 -> 4.8; interference 23/7 = 3.2857 -> 3.3
    ("bpi", [7, 2, 5, 5, 3, 3, 3, 3, 3, 4, 4], None, None, {"severity": 4.8, "interference": 3.3}, [], True),
]

ODI: list[Row] = [
    # score = sum / (5 x sections answered) x 100
    ("odi", [0] * 10, 0.0, "minimal disability", {}, [], True),
    ("odi", [1] * 10, 20.0, "minimal disability", {}, [], True),  # 10/50 = 20.0 (upper edge of minimal)
    ("odi", [2] + [1] * 9, 22.0, "moderate disability", {}, [], True),  # 11/50 = 22.0
    ("odi", [2] * 10, 40.0, "moderate disability", {}, [], True),  # 20/50 = 40.0
    ("odi", [3] + [2] * 9, 42.0, "severe disability", {}, [], True),  # 21/50 = 42.0
    ("odi", [3] * 10, 60.0, "severe disability", {}, [], True),  # 30/50 = 60.0
    ("odi", [4] + [3] * 9, 62.0, "crippled", {}, [], True),  # 31/50 = 62.0
    ("odi", [4] * 10, 80.0, "crippled", {}, [], True),  # 40/50 = 80.0
    ("odi", [5] + [4] * 9, 82.0, "bed-bound", {}, [], True),  # 41/50 = 82.0
    ("odi", [5] * 10, 100.0, "bed-bound", {}, [], True),  # 50/50
    # one section missing (section 8, sex life): over 9 sections, 45 possible
    ("odi", [1] * 7 + [N] + [1] * 2, 20.0, "minimal disability", {}, [], True),  # 9/45 = 20.0
    ("odi", [2] + [1] * 6 + [N] + [1] * 2, 22.2, "moderate disability", {}, [], True),  # 10/45 = 22.22
    ("odi", [3, 2, 2, 2, 2, 2, 2, N, 1, 1], 37.8, "moderate disability", {}, [], True),  # 17/45 = 37.78
    ("odi", [2] * 7 + [N] + [2] * 2, 40.0, "moderate disability", {}, [], True),  # 18/45 = 40.0
    ("odi", [3] + [2] * 6 + [N] + [2] * 2, 42.2, "severe disability", {}, [], True),  # 19/45 = 42.22
    # two missing (the most allowed): over 8 sections, 40 possible
    ("odi", [1, 1, 1, N, 1, 1, 1, N, 1, 1], 20.0, "minimal disability", {}, [], True),  # 8/40 = 20.0
    ("odi", [2, 1, 1, N, 1, 1, 1, N, 1, 1], 22.5, "moderate disability", {}, [], True),  # 9/40 = 22.5
    ("odi", [1, 2, 3, 4, 5, N, 1, N, 2, 1], 47.5, "severe disability", {}, [], True),  # 19/40 = 47.5
    ("odi", [4, 4, 4, N, 4, 4, 4, N, 4, 5], 82.5, "bed-bound", {}, [], True),  # 33/40 = 82.5
    # three missing: invalid
    ("odi", [1, 1, N, N, 1, 1, 1, N, 1, 1], None, None, {}, [], False),
]

RMDQ: list[Row] = [
    ("rmdq", [0] * 24, 0, None, {}, [], True),
    ("rmdq", [1] * 24, 24, None, {}, [], True),
    ("rmdq", [1, 0] * 12, 12, None, {}, [], True),  # 12 yes
    ("rmdq", [1, 1, 1, 0, 0, 1] + [0] * 18, 4, None, {}, [], True),  # 4 yes
    ("rmdq", [1] * 23 + [N], None, None, {}, [], False),  # no prorating: statement 24 unanswered
]

# PCS subscales: rumination 8-11, magnification 6, 7, 13, helplessness 1-5 and 12
RELEVANT = ["clinically_relevant"]


def pcs(rumination: int, magnification: int, helplessness: int) -> dict[str, int]:
    return {"rumination": rumination, "magnification": magnification, "helplessness": helplessness}


PCS: list[Row] = [
    ("pcs", [0] * 13, 0, None, pcs(0, 0, 0), [], True),
    ("pcs", [4] * 13, 52, None, pcs(16, 12, 24), RELEVANT, True),
    # helplessness 3+2+3+2+1+1 = 12, magnification 2+1+3 = 6, rumination 3+3+2+2 = 10; total 28
    ("pcs", [3, 2, 3, 2, 1, 2, 1, 3, 3, 2, 2, 1, 3], 28, None, pcs(10, 6, 12), [], True),
    # helplessness 3x5 + 3 = 18, magnification 2+2+0 = 4, rumination 2+2+2+1 = 7; total 29: not yet relevant
    ("pcs", [3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 1, 3, 0], 29, None, pcs(7, 4, 18), [], True),
    # rumination 2+2+2+2 = 8: total 18 + 4 + 8 = 30 -> clinically relevant
    ("pcs", [3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 3, 0], 30, None, pcs(8, 4, 18), RELEVANT, True),
    # item 11 missing: total and rumination invalid; magnification 3+3+2 = 8 and helplessness 3x5+2 = 17 still shown
    ("pcs", [3] * 10 + [N, 2, 2], None, None, {"magnification": 8, "helplessness": 17}, [], False),
]

TSK11: list[Row] = [
    ("tsk11", [1] * 11, 11, None, {}, [], True),
    ("tsk11", [4] * 11, 44, None, {}, [], True),
    ("tsk11", [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3], 26, None, {}, [], True),  # 3x(1+2+3+4) - 4 = 26
    ("tsk11", [3, 3, 2, 3, 3, 2, 3, 3, 2, 3, 3], 30, None, {}, [], True),  # 8x3 + 3x2 = 30 (no reverse items)
    ("tsk11", [2] * 10 + [N], None, None, {}, [], False),
]

PHQ9: list[Row] = [
    ("phq9", [0] * 9, 0, "minimal", {}, [], True),
    ("phq9", [1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal", {}, [], True),
    ("phq9", [1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild", {}, [], True),
    ("phq9", [2, 2, 2, 1, 1, 1, 0, 0, 0], 9, "mild", {}, [], True),
    ("phq9", [2, 2, 2, 2, 1, 1, 0, 0, 0], 10, "moderate", {}, [], True),
    ("phq9", [2, 2, 2, 2, 2, 2, 2, 0, 0], 14, "moderate", {}, [], True),
    ("phq9", [2, 2, 2, 2, 2, 2, 2, 1, 0], 15, "moderately severe", {}, [], True),
    ("phq9", [3, 3, 3, 2, 2, 2, 2, 2, 0], 19, "moderately severe", {}, [], True),  # 9 + 10 = 19
    ("phq9", [3, 3, 3, 3, 2, 2, 2, 2, 0], 20, "severe", {}, [], True),  # 12 + 8 = 20
    ("phq9", [3] * 8 + [0], 24, "severe", {}, [], True),
    ("phq9", [3] * 9, 27, "severe", {}, ["self_harm_risk"], True),
    # item 9 above 0 is flagged at any total, even a minimal one
    ("phq9", [0] * 8 + [1], 1, "minimal", {}, ["self_harm_risk"], True),
    ("phq9", [1, 1, 1, 1, 1, 1, 1, 1, 1], 9, "mild", {}, ["self_harm_risk"], True),
    # item 9 is flagged even when another item is missing and the total is invalid
    ("phq9", [2, N, 2, 2, 2, 2, 2, 2, 2], None, None, {}, ["self_harm_risk"], False),
    # item 9 unanswered: invalid, and no flag can be given (the message says to ask)
    ("phq9", [1] * 8 + [N], None, None, {}, [], False),
]

GAD7: list[Row] = [
    ("gad7", [0] * 7, 0, "minimal", {}, [], True),
    ("gad7", [1, 1, 1, 1, 0, 0, 0], 4, "minimal", {}, [], True),
    ("gad7", [1, 1, 1, 1, 1, 0, 0], 5, "mild", {}, [], True),
    ("gad7", [2, 2, 2, 1, 1, 1, 0], 9, "mild", {}, [], True),
    ("gad7", [2, 2, 2, 2, 1, 1, 0], 10, "moderate", {}, [], True),
    ("gad7", [2, 2, 2, 2, 2, 2, 2], 14, "moderate", {}, [], True),
    ("gad7", [3, 2, 2, 2, 2, 2, 2], 15, "severe", {}, [], True),
    ("gad7", [3] * 7, 21, "severe", {}, [], True),
    ("gad7", [3, 3, N, 3, 3, 3, 3], None, None, {}, [], False),
]

# STarT Back: items 1-8 agree = 1; item 9 counts 1 for very much (3) or extremely (4); psychosocial = items 5-9
STARTBACK: list[Row] = [
    ("startback", [0] * 9, 0, "low", {"psychosocial": 0}, [], True),
    ("startback", [1, 1, 1, 0, 0, 0, 0, 0, 0], 3, "low", {"psychosocial": 0}, [], True),  # total 3: low
    (
        "startback",
        [0, 0, 0, 0, 1, 1, 1, 0, 0],
        3,
        "low",
        {"psychosocial": 3},
        [],
        True,
    ),  # total 3 is low whatever
    ("startback", [1, 0, 0, 0, 1, 1, 1, 0, 0], 4, "medium", {"psychosocial": 3}, [], True),  # 4 with psych 3
    ("startback", [1, 1, 1, 1, 1, 1, 1, 0, 0], 7, "medium", {"psychosocial": 3}, [], True),  # 7 with psych 3
    ("startback", [0, 0, 0, 0, 1, 1, 1, 1, 0], 4, "high", {"psychosocial": 4}, [], True),  # psych 4: high
    # item 9 "very much" (3) counts 1: psych 1+1+1+0+1 = 4, total 4 -> high
    ("startback", [0, 0, 0, 0, 1, 1, 1, 0, 3], 4, "high", {"psychosocial": 4}, [], True),
    # item 9 "extremely" (4) counts 1 too
    ("startback", [0, 0, 0, 0, 1, 1, 1, 0, 4], 4, "high", {"psychosocial": 4}, [], True),
    # item 9 "moderately" (2) counts 0: psych 3, total 3 -> low
    ("startback", [0, 0, 0, 0, 1, 1, 1, 0, 2], 3, "low", {"psychosocial": 3}, [], True),
    # item 9 "slightly" (1) counts 0: total 1+3 = 4, psych 3 -> medium
    ("startback", [1, 0, 0, 0, 1, 1, 1, 0, 1], 4, "medium", {"psychosocial": 3}, [], True),
    ("startback", [1] * 8 + [4], 9, "high", {"psychosocial": 5}, [], True),  # 8 + 1 = 9
    ("startback", [1, 1, 1, 1, 0, 0, 0, 0, N], None, None, {}, [], False),  # item 9 missing: no risk group
]

PSEQ: list[Row] = [
    ("pseq", [0] * 10, 0, None, {}, [], True),
    ("pseq", [6] * 10, 60, None, {}, [], True),
    ("pseq", [0, 1, 2, 3, 4, 5, 6, 5, 4, 3], 33, None, {}, [], True),  # 21 + 12 = 33
    ("pseq", [4] * 9 + [N], None, None, {}, [], False),
]

CSI: list[Row] = [
    ("csi", [0] * 25, 0, "subclinical", {}, [], True),
    ("csi", [2] * 14 + [1] + [0] * 10, 29, "subclinical", {}, [], True),  # 28 + 1
    ("csi", [2] * 15 + [0] * 10, 30, "mild", {}, [], True),
    ("csi", [2] * 19 + [1] + [0] * 5, 39, "mild", {}, [], True),  # 38 + 1
    ("csi", [2] * 20 + [0] * 5, 40, "moderate", {}, [], True),
    ("csi", [2] * 24 + [1], 49, "moderate", {}, [], True),  # 48 + 1
    ("csi", [2] * 25, 50, "severe", {}, [], True),
    ("csi", [3] * 9 + [2] * 16, 59, "severe", {}, [], True),  # 27 + 32
    ("csi", [3] * 10 + [2] * 15, 60, "extreme", {}, [], True),  # 30 + 30
    ("csi", [4] * 25, 100, "extreme", {}, [], True),
    ("csi", [2] * 24 + [N], None, None, {}, [], False),
]

ALL_ROWS = PEG + BPI + ODI + RMDQ + PCS + TSK11 + PHQ9 + GAD7 + STARTBACK + PSEQ + CSI


@pytest.mark.parametrize(("instrument", "answers", "total", "band", "subscales", "flags", "valid"), ALL_ROWS)
def test_worked_example_scores_as_the_manual_says(
    instrument: str,
    answers: list[Any],
    total: Any,
    band: Any,
    subscales: dict[str, Any],
    flags: list[str],
    valid: bool,
) -> None:
    result = score(instrument, answers)
    assert result.total == total
    assert type(result.total) is type(total)  # sums are whole numbers, means and percentages one decimal
    assert result.band == band
    assert result.subscales == subscales
    assert result.flags == flags
    assert result.valid is valid
    assert result.version == f"{instrument}/1"
    if not valid:
        missing = [i + 1 for i, a in enumerate(answers) if a is None]
        assert result.messages, "an invalid score says why"
        joined = " ".join(result.messages)
        assert any(f"item {n}" in joined or f" {n} " in joined or f" {n}," in joined for n in missing)


def test_every_instrument_has_worked_examples() -> None:
    assert {row[0] for row in ALL_ROWS} == {i.id for i in list_instruments()}


def test_every_band_boundary_is_tested_on_both_sides() -> None:
    """The top of each band, and the smallest score the instrument can give above it (the next band)."""
    # The smallest step a total can take near a boundary: 1 for sums, 2.5 for the ODI (8 sections answered).
    step = {"odi": 2.5}
    for definition in list_instruments():
        rows = [row for row in ALL_ROWS if row[0] == definition.id and row[2] is not None]
        bands = [b for b in definition.bands if b.subscale is None]
        for band, following in itertools.pairwise(bands):
            assert band.high is not None
            top = float(band.high)
            assert any(r[2] == top and r[3] == band.label for r in rows), f"{definition.id}: nothing at {top}"
            above = [r for r in rows if top < r[2] <= top + step.get(definition.id, 1)]
            assert above and all(r[3] == following.label for r in above), (
                f"{definition.id}: nothing just above {top}"
            )


def test_missing_item_messages_name_the_items_and_the_rule() -> None:
    phq = score("phq9", [1, 1, 1, 1, None, 1, 1, 1, 0])
    assert phq.messages == [
        "PHQ-9 total not scored: item 5 not answered "
        "(the total needs all 9 items; the manual gives no rule for missing items)"
    ]
    odi = score("odi", [1, 1, None, None, 1, 1, 1, None, 1, 1])
    assert odi.messages == [
        "ODI total not scored: items 3, 4 and 8 not answered (at most 2 may be unanswered)"
    ]
    prorated = score("odi", [3, 2, 2, 2, 2, 2, 2, None, 1, 1])
    assert prorated.valid and prorated.messages == [
        "ODI scored over the 9 of 10 items answered (item 8 not answered; the manual allows up to 2)"
    ]
    bpi = score("bpi", [4, 1, 3, 2, 5, None, 5, None, 5, None, None])
    assert bpi.messages == [
        "BPI-SF pain interference not scored: items 6, 8, 10 and 11 not answered "
        "(it needs at least 4 of 7 items)"
    ]
    phq_item9 = score("phq9", [1] * 8 + [None])
    assert any("item 9 was not answered: ask about it directly" in m for m in phq_item9.messages)


def test_missing_items_are_listed_on_the_result() -> None:
    assert score("odi", [1, 1, 1, None, 1, 1, 1, None, 1, 1]).missing_items == (4, 8)
    assert score("peg", [1, 2, 3]).missing_items == ()


@pytest.mark.parametrize(
    ("instrument", "answers", "message"),
    [
        ("phq9", [0] * 8, "PHQ-9 has 9 items; 8 answers were given"),
        ("phq9", [0] * 10, "PHQ-9 has 9 items; 10 answers were given"),
        ("odi", [], "ODI has 10 items; 0 answers were given"),
        (
            "phq9",
            [0, 0, 4, 0, 0, 0, 0, 0, 0],
            "PHQ-9 item 3: 4 is not an answer to this item (allowed: 0, 1, 2, 3)",
        ),
        ("phq9", [0, 0, 0, 0, 0, 0, 0, 0, -1], "PHQ-9 item 9: -1 is not an answer"),
        ("tsk11", [0] + [1] * 10, "TSK-11 item 1: 0 is not an answer to this item (allowed: 1, 2, 3, 4)"),
        (
            "startback",
            [0] * 8 + [5],
            "STarT Back item 9: 5 is not an answer to this item (allowed: 0, 1, 2, 3, 4)",
        ),
        ("startback", [2] + [0] * 8, "STarT Back item 1: 2 is not an answer to this item (allowed: 0, 1)"),
        ("rmdq", [0] * 23 + [2], "RMDQ item 24: 2 is not an answer"),
        ("odi", [1] * 9 + [6], "ODI item 10: 6 is not an answer"),
        ("peg", [11, 0, 0], "PEG item 1: 11 is not an answer"),
        ("pseq", [7] + [0] * 9, "PSEQ item 1: 7 is not an answer"),
        ("csi", [0] * 24 + [5], "CSI item 25: 5 is not an answer"),
        ("pcs", [0] * 12 + [5], "PCS item 13: 5 is not an answer"),
        ("bpi", [0] * 10 + [11], "BPI-SF item 11: 11 is not an answer"),
        ("gad7", [0, 0, 0, 0, 0, 0, 3.0], "GAD-7 item 7: 3.0 is not an answer"),
        ("gad7", [0, "1", 0, 0, 0, 0, 0], "GAD-7 item 2: '1' is not an answer"),
        ("gad7", [True, 0, 0, 0, 0, 0, 0], "GAD-7 item 1: True is not an answer"),
    ],
)
def test_out_of_range_or_wrong_count_answers_are_refused_naming_the_item(
    instrument: str, answers: list[Any], message: str
) -> None:
    with pytest.raises(InvalidAnswers, match="^" + re.escape(message)):
        score(instrument, answers)


def test_refusal_carries_the_item_number() -> None:
    with pytest.raises(InvalidAnswers) as caught:
        score("phq9", [0, 0, 0, 0, 0, 0, 7, 0, 0])
    assert caught.value.item == 7


def test_unknown_instrument_is_refused_listing_the_known_ones() -> None:
    with pytest.raises(
        UnknownInstrument, match=re.escape("unknown instrument 'phq10' (known: peg, bpi, odi")
    ):
        score("phq10", [0])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5.25", "5.3"),
        ("4.75", "4.8"),
        ("1.25", "1.3"),
        ("37.777", "37.8"),
        ("5.333", "5.3"),
        ("0.05", "0.1"),
    ],
)
def test_rounding_is_half_up_to_one_decimal(value: str, expected: str) -> None:
    assert round_half_up(Decimal(value)) == Decimal(expected)


def test_score_ranges_follow_from_the_items() -> None:
    ranges = {i.id: (i.min_total, i.max_total) for i in list_instruments()}
    assert ranges == {
        "peg": (0, 10),
        "bpi": (None, None),
        "odi": (0, 100),
        "rmdq": (0, 24),
        "pcs": (0, 52),
        "tsk11": (11, 44),
        "phq9": (0, 27),
        "gad7": (0, 21),
        "startback": (0, 9),
        "pseq": (0, 60),
        "csi": (0, 100),
    }


def test_tsk11_has_no_reverse_scored_items_and_startback_item_9_is_mapped() -> None:
    assert not any(item.reverse for item in get_instrument("tsk11").items)
    item9 = get_instrument("startback").item(9)
    assert [item9.scored(v) for v in range(5)] == [0, 0, 0, 1, 1]


def test_json_shape_is_the_fixed_contract() -> None:
    assert score("startback", [1, 0, 0, 0, 1, 1, 1, 0, 0]).as_json() == {
        "instrument": "startback",
        "total": 4,
        "band": "medium",
        "subscales": {"psychosocial": 3},
        "flags": [],
        "valid": True,
        "messages": [],
    }
