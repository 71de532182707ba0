"""Proportions with their 95% Wilson score intervals.

This module is a pure core: it imports no web, database or template code.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

# --- cohorts ------------------------------------------------------------------------------------------

#: The two-sided 95% normal quantile, scipy.stats.norm.ppf(0.975).
Z_95 = 1.959963984540054


def wilson_interval(successes: int, n: int, *, z: float = Z_95) -> tuple[float, float]:
    """Return the Wilson score interval for a proportion.

    Parameters
    ----------
    successes : int
        Patients with the outcome, 0 to ``n``.
    n : int
        Patients counted, 1 or more.
    z : float
        Normal quantile; the default gives a two-sided 95% interval.

    Returns
    -------
    low, high : float
        Interval bounds between 0 and 1.

    Notes
    -----
    With :math:`\\hat p = k/n`, the interval is
    :math:`\\frac{\\hat p + z^2/2n \\pm z\\sqrt{\\hat p(1-\\hat p)/n + z^2/4n^2}}{1 + z^2/n}`. Unlike the
    Wald interval it stays inside 0-1 and keeps its coverage for small caseloads and proportions near 0 or 1
    (Newcombe 1998), which is what a clinic's cohorts look like.

    References
    ----------
    Wilson EB. Probable inference, the law of succession, and statistical inference. J Am Stat Assoc
    1927;22(158):209-212.
    Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven methods.
    Stat Med 1998;17(8):857-872.
    """
    for name, value in (("successes", successes), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{name} must be a whole number, got {value!r}")
    if n < 1:
        raise ValueError(f"n must be 1 or more for a proportion, got {n}")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be from 0 to n ({n}), got {successes}")
    if not (math.isfinite(z) and z > 0):
        raise ValueError(f"z must be a positive number, got {z!r}")
    p = successes / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass(frozen=True)
class Proportion:
    """``count`` of ``n`` patients, with the proportion and its 95% Wilson interval (None when n is 0)."""

    count: int
    n: int
    proportion: float | None
    ci_low: float | None
    ci_high: float | None


def proportion(count: int, n: int) -> Proportion:
    if n == 0:
        return Proportion(0, 0, None, None, None)
    low, high = wilson_interval(count, n)
    return Proportion(count, n, count / n, low, high)


def count_true(values: Iterable[bool | None]) -> int:
    return sum(1 for v in values if v)
