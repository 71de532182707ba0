"""n-of-1 comparison of real and sham neurofeedback: the randomisation and its exact randomisation test.

Design: ``k`` blocks, each holding one real and one sham session in an order drawn at random (both orders
equally likely, independently per block), so there are ``2**k`` possible sequences. The outcome of a session is
the change in pain now (0-10) from before the session to after it (after minus before: negative is relief).

Test: under the null hypothesis that a session's pain change would have been the same had it been the other
arm, each possible sequence gives the same per-session changes with the labels swapped within some blocks. The
statistic is the mean change in real sessions minus the mean change in sham sessions, which equals the mean over
blocks of ``d_b = change(real_b) - change(sham_b)``; swapping block ``b``'s labels turns ``d_b`` into ``-d_b``.
The exact p-value is the share of the ``2**k`` sign patterns whose statistic is at least as extreme as the one
observed (Edgington ES, Onghena P. Randomization Tests, 4th ed. Chapman & Hall/CRC 2007, chapter on
single-case designs; the same test as ``scipy.stats.permutation_test`` with ``permutation_type="samples"`` on
the paired changes). The primary test is one-sided, fixed before the data: real sessions lower pain more than
sham ones (statistic below zero). Counting the observed sequence itself, the smallest p a series of ``k``
blocks can give is ``1 / 2**k``: 1/8 = 0.125 with 3 blocks, so a 3-block series can never reach p < 0.05;
5 blocks (1/32) are the fewest that can.

References
----------
Edgington ES, Onghena P (2007). Randomization Tests, 4th ed. Boca Raton: Chapman & Hall/CRC.
Kravitz RL, Duan N, eds, and the DEcIDE Methods Center N-of-1 Guidance Panel (2014). Design and Implementation
of N-of-1 Trials: A User's Guide. AHRQ Publication No. 13(14)-EHC122-EF.
Dworkin RH, Turk DC, Wyrwich KW, et al. (2008). Interpreting the clinical importance of treatment outcomes in
chronic pain clinical trials: IMMPACT recommendations. J Pain 9(2):105-121 (about 2 points, or 30 %, on a
0-10 scale as a moderately important change).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from painrewire.neurofeedback.signal.validation import check_option, ensure_int

REAL = "real"
SHAM = "sham"
#: Exact enumeration of 2**k sequences: 1,024 at most.
MAX_BLOCKS = 10
Alternative = Literal["less", "greater", "two-sided"]


def randomise_blocks(blocks: int, seed: int) -> list[str]:
    """The arm of each session: ``blocks`` blocks of one ``real`` and one ``sham`` in a random order each.

    Parameters
    ----------
    blocks : int
        Number of blocks, 1 to ``MAX_BLOCKS``.
    seed : int
        Seed of ``numpy.random.default_rng``; the same seed gives the same sequence.

    Returns
    -------
    arms : list of str, length ``2 * blocks``
    """
    blocks = ensure_int(blocks, "blocks")
    if not 1 <= blocks <= MAX_BLOCKS:
        raise ValueError(f"blocks must be 1 to {MAX_BLOCKS}, got {blocks}")
    rng = np.random.default_rng(seed)
    arms: list[str] = []
    for swap in rng.integers(0, 2, size=blocks):
        arms += [SHAM, REAL] if swap else [REAL, SHAM]
    return arms


@dataclass(frozen=True, slots=True)
class BlockTest:
    """The result of ``block_randomisation_test``.

    Attributes
    ----------
    blocks : int
        Blocks compared (each with one real and one sham change).
    mean_real, mean_sham : float
        Mean pain change of the real and of the sham sessions.
    difference : float
        ``mean_real - mean_sham``: the statistic.
    p_value : float
        Exact p-value for ``alternative``.
    smallest_p : float
        ``1 / 2**blocks``: the smallest one-sided p-value any data could give with this many blocks.
    assignments : int
        ``2**blocks``: the sequences the randomisation could have produced.
    alternative : str
    """

    blocks: int
    mean_real: float
    mean_sham: float
    difference: float
    p_value: float
    smallest_p: float
    assignments: int
    alternative: str


def block_randomisation_test(
    real: Sequence[float], sham: Sequence[float], *, alternative: Alternative = "less"
) -> BlockTest:
    """Exact randomisation test of real against sham over every within-block swap of the labels.

    Parameters
    ----------
    real, sham : sequence of float, same length k (1 to ``MAX_BLOCKS``)
        The outcome of the real and of the sham session of each block, block by block.
    alternative : {"less", "greater", "two-sided"}
        ``less``: real sessions have the lower outcome (more pain relief when the outcome is after minus before).
        ``two-sided`` is twice the smaller one-sided p-value, at most 1 (as ``scipy.stats.permutation_test``).

    Returns
    -------
    result : BlockTest
    """
    check_option(alternative, ["less", "greater", "two-sided"], "alternative")
    x = np.asarray(real, dtype=float)
    y = np.asarray(sham, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError(f"real and sham must be 1-D and of equal length, got {x.shape} and {y.shape}")
    k = x.size
    if not 1 <= k <= MAX_BLOCKS:
        raise ValueError(f"the test takes 1 to {MAX_BLOCKS} blocks, got {k}")
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("real and sham must be finite numbers")
    d = x - y
    observed = float(d.mean())
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=k)))
    null = signs @ d / k
    # Ties (identical sums reached in another order) are compared with a tolerance, as scipy does.
    tolerance = 1e-9 * max(1.0, abs(observed))
    n = null.size
    p_less = float(np.count_nonzero(null <= observed + tolerance)) / n
    p_greater = float(np.count_nonzero(null >= observed - tolerance)) / n
    p = {"less": p_less, "greater": p_greater, "two-sided": min(1.0, 2 * min(p_less, p_greater))}[alternative]
    return BlockTest(
        blocks=k,
        mean_real=float(x.mean()),
        mean_sham=float(y.mean()),
        difference=observed,
        p_value=p,
        smallest_p=1.0 / n,
        assignments=n,
        alternative=alternative,
    )
