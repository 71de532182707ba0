"""Judging a change in pain: responders (IMMPACT), worsening, pain-free or nearly, trial-comparable; and the
responder proportions of a group, written once for every summary.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from painrewire.diary.outcomes.measures import EPS, check_pain
from painrewire.diary.outcomes.stats import Proportion, count_true, proportion

#: IMMPACT thresholds (Dworkin 2008), and the points a responder also needs.
RESPONDER_PERCENT = 30.0
SUBSTANTIAL_PERCENT = 50.0
RESPONDER_POINTS = 2.0
#: Worsening: this many points or this percentage more pain.
WORSENING_POINTS = 2.0
WORSENING_PERCENT = 30.0
#: "Pain-free or nearly pain-free": a week's pain of this or less (Ashar 2022: 0 or 1 of 10).
PAIN_FREE_MAX = 1.0
#: Who the PRT trial enrolled (Ashar 2022): average pain 4/10 or more, pain for 6 months (26 weeks) or more.
TRIAL_MIN_PAIN = 4.0
TRIAL_MIN_WEEKS = 26


# --- judging a change ------------------------------------------------------------------------------------


def _half_up(value: float, places: int) -> Decimal:
    return Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Change:
    """A week's pain against the baseline: current minus baseline (negative: less pain), and the verdicts."""

    points: float
    percent: float | None
    responder_30: bool
    responder_50: bool
    worsening: bool


def judge_change(baseline: float, value: float) -> Change:
    """Judge a week's pain against the baseline with the responder and worsening rules.

    Parameters
    ----------
    baseline, value : float
        Pain before treatment and now, 0-10.

    Returns
    -------
    change : Change
        ``responder_30``: at least 30 % and at least 2 points less; ``responder_50``: at least 50 % and at least
        2 points less; ``worsening``: at least 2 points or at least 30 % more. Points are compared after
        rounding half up to two decimals, percentages to one decimal (see the module docstring). A baseline of
        0 has no percentage and cannot improve.

    References
    ----------
    Dworkin RH et al. J Pain 2008;9(2):105-121 (IMMPACT: 30 % moderately important, 50 % substantial, about
    2 points on a 0-10 scale).
    """
    for name, pain in (("baseline", baseline), ("value", value)):
        check_pain(pain, f"{name} pain")
    drop = _half_up(baseline - value, 2)
    percent = 100 * (value - baseline) / baseline if baseline > 0 else None
    drop_percent = _half_up(-percent, 1) if percent is not None else Decimal(0)
    enough_points = drop >= Decimal(repr(RESPONDER_POINTS))
    rise_percent = -drop_percent
    return Change(
        points=value - baseline,
        percent=percent,
        responder_30=baseline > 0 and enough_points and drop_percent >= Decimal(repr(RESPONDER_PERCENT)),
        responder_50=baseline > 0 and enough_points and drop_percent >= Decimal(repr(SUBSTANTIAL_PERCENT)),
        worsening=-drop >= Decimal(repr(WORSENING_POINTS))
        or (percent is not None and rise_percent >= Decimal(repr(WORSENING_PERCENT))),
    )


def pain_free_or_nearly(value: float) -> bool:
    """Return True for a week's pain of 1.0 or less (Ashar 2022: 0 or 1 of 10), not rounded."""
    return value <= PAIN_FREE_MAX + EPS


def trial_comparable(baseline: float | None, pain_duration_weeks: int | None) -> bool | None:
    """Return whether a patient resembles those the PRT trial enrolled, None when it cannot be told.

    True for a baseline of 4 or more (not rounded: 3.9 is below) and pain for 26 weeks or more at intake
    (Ashar 2022: back pain for at least 6 months, average pain of at least 4/10 over the last week). False as
    soon as either known value is outside; None when a value needed to tell is missing.
    """
    if baseline is not None and baseline < TRIAL_MIN_PAIN - EPS:
        return False
    if pain_duration_weeks is not None and pain_duration_weeks < TRIAL_MIN_WEEKS:
        return False
    if baseline is None or pain_duration_weeks is None:
        return None
    return True


# --- a group's responders ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Responders:
    """Of a group of judged changes: responders (30 % and 2 points less), substantial responders (50 % and 2
    points less) and those worse (2 points or 30 % more), each with its 95% Wilson interval."""

    responder_30: Proportion
    responder_50: Proportion
    worsening: Proportion


def group_responders(changes: Sequence[Change]) -> Responders:
    """Count the responders, substantial responders and worsening among judged changes (`judge_change`).

    Parameters
    ----------
    changes : sequence of Change
        One per patient with both a baseline and a measure; patients without one are left out by the caller
        and counted by what they miss, never as non-responders.

    Returns
    -------
    responders : Responders
        Each proportion is of ``len(changes)``; with no changes all three are 0 of 0, without a proportion.
    """
    n = len(changes)
    return Responders(
        responder_30=proportion(count_true(c.responder_30 for c in changes), n),
        responder_50=proportion(count_true(c.responder_50 for c in changes), n),
        worsening=proportion(count_true(c.worsening for c in changes), n),
    )
