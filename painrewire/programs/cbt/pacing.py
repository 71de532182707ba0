"""Activity pacing arithmetic: a baseline from measured days, a start below it, and steady weekly increments.

Pure functions (no database, no web) so a clinician can check every number by hand.

The method is quota-based pacing as pain-management programs teach it:

1. Measure how much of the activity the patient can do (minutes, metres, repetitions) on a few ordinary days
   without a flare; the **baseline** is the mean of those days (three days is the usual advice).
2. Start **below** the baseline, so that good days do not tempt a "boom and bust" cycle: week 1 is 80% of the
   baseline by default.
3. Increase by a fixed share of the baseline each week (10% by default; 10-20% is the usual range), doing the
   planned amount on good and bad days alike.

So with a baseline of 200 m, a start of 80% and 10% a week, the plan is 160 m, 180 m, 200 m, ... and reaches
300 m in week 8: ``target(week) = baseline * (start_percent + (week - 1) * increment_percent) / 100``.

References
----------
Therapeutic Guidelines. Pain and Analgesia: "Activity scheduling and pacing" (start at a threshold lower than
tolerance, e.g. 80% of baseline; increase by about 10-20% of the baseline each week; the 200 m worked example).
Nielson WR, Jensen MP, Karsdorp PA, Vlaeyen JWS. Activity pacing in chronic pain: concepts, evidence, and
future directions. Clin J Pain. 2013;29(5):461-468 (quotas set below tolerance, after Fordyce and Sternbach).
Pain-management patient guides (e.g. I-Engage "How do I pace?"): average three measured days, take 80%.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from painrewire.validation import add_days

DEFAULT_START_PERCENT = 80.0
DEFAULT_INCREMENT_PERCENT = 10.0
#: Doing more or less than planned by up to this share of the week's target still counts as "on plan".
ON_PLAN_TOLERANCE = 0.10
MAX_WEEKS = 52


def _finite(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    return float(value)


def baseline(measurements: Sequence[float]) -> float:
    """Return the baseline: the mean of what was managed on each measured day.

    Parameters
    ----------
    measurements : sequence of float
        One amount per measured day, in the activity's unit; each more than 0.

    Returns
    -------
    baseline : float
        Their arithmetic mean.
    """
    if not measurements:
        raise ValueError("measurements must hold at least one measured day, got none")
    values = [_finite("each measurement", m) for m in measurements]
    for value in values:
        if value <= 0:
            raise ValueError(f"each measurement must be more than 0, got {value:g}")
    return sum(values) / len(values)


def weekly_targets(
    baseline_value: float,
    *,
    weeks: int,
    start_percent: float = DEFAULT_START_PERCENT,
    increment_percent: float = DEFAULT_INCREMENT_PERCENT,
) -> list[float]:
    """Return the planned amount for weeks 1 to ``weeks``.

    Parameters
    ----------
    baseline_value : float
        The baseline (`baseline`), more than 0.
    weeks : int
        Length of the plan, 1 to 52.
    start_percent : float
        Week 1 as a percentage of the baseline, more than 0 and at most 100.
    increment_percent : float
        What each later week adds, as a percentage of the baseline, 0 to 100.

    Returns
    -------
    targets : list of float
        ``targets[k - 1] = baseline * (start_percent + (k - 1) * increment_percent) / 100``, unrounded.
    """
    base = _finite("baseline", baseline_value)
    if base <= 0:
        raise ValueError(f"baseline must be more than 0, got {base:g}")
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must be a whole number from 1 to {MAX_WEEKS}, got {weeks!r}")
    start = _finite("start_percent", start_percent)
    if not 0 < start <= 100:
        raise ValueError(f"start_percent must be more than 0 and at most 100, got {start:g}")
    step = _finite("increment_percent", increment_percent)
    if not 0 <= step <= 100:
        raise ValueError(f"increment_percent must be from 0 to 100, got {step:g}")
    return [base * (start + k * step) / 100 for k in range(weeks)]


def weeks_to_goal(
    baseline_value: float, goal: float, *, start_percent: float, increment_percent: float
) -> int | None:
    """Return the first plan week whose target reaches ``goal``, or None if the plan never gets there.

    With baseline 200, goal 300, start 80% and 10% a week: week 8 (160 + 7 x 20 = 300).
    """
    base = _finite("baseline", baseline_value)
    target = _finite("goal", goal)
    if base <= 0 or target <= 0:
        raise ValueError(f"baseline and goal must be more than 0, got {base:g} and {target:g}")
    first = base * start_percent / 100
    if target <= first:
        return 1
    if increment_percent <= 0:
        return None
    step = base * increment_percent / 100
    # round() first, so float noise in (goal - first) / step (7.0000000001) does not add a week
    return 1 + math.ceil(round((target - first) / step, 9))


def plan_week(starts_on: date, day: date) -> int:
    """Return the plan week a day falls in: week 1 is the 7 days from ``starts_on``; 0 before the start."""
    if day < starts_on:
        return 0
    return (day - starts_on).days // 7 + 1


@dataclass(frozen=True)
class WeekProgress:
    """One plan week: what was planned, what was done, and how they compare."""

    week: int
    starts_on: date
    target: float
    actual: float | None
    #: "on plan", "more than planned", "less than planned", or "not logged".
    status: str

    @property
    def percent_of_target(self) -> float | None:
        return None if self.actual is None else 100 * self.actual / self.target


def compare(target: float, actual: float | None, *, tolerance: float = ON_PLAN_TOLERANCE) -> str:
    """Say how a week's actual amount compares with its target.

    Within ``tolerance`` (a share of the target, 10% by default) is "on plan". Doing much more than planned
    is called out too: in pacing, overdoing on a good day is what sets off the next bust.
    """
    if actual is None:
        return "not logged"
    if actual > target * (1 + tolerance):
        return "more than planned"
    if actual < target * (1 - tolerance):
        return "less than planned"
    return "on plan"


def progress(targets: Sequence[float], actuals: dict[int, float], *, starts_on: date) -> list[WeekProgress]:
    """Return each plan week with its target, the logged actual (by week number) and the comparison."""
    return [
        WeekProgress(
            week=k,
            starts_on=add_days(starts_on, 7 * (k - 1)),
            target=target,
            actual=actuals.get(k),
            status=compare(target, actuals.get(k)),
        )
        for k, target in enumerate(targets, start=1)
    ]
