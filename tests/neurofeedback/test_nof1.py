"""The n-of-1 randomisation and its exact randomisation test, against scipy and against hand-counted cases."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats

from painrewire.neurofeedback.signal.nof1 import block_randomisation_test, randomise_blocks


def _scipy(real: list[float], sham: list[float], alternative: str) -> Any:
    """scipy's exact paired permutation test of the mean difference (every within-pair swap)."""
    return stats.permutation_test(
        (np.asarray(real, dtype=float), np.asarray(sham, dtype=float)),
        lambda x, y, axis: np.mean(x - y, axis=axis),
        permutation_type="samples",
        alternative=alternative,
        n_resamples=np.inf,
    )


class TestRandomisation:
    def test_each_block_holds_one_real_and_one_sham_session(self) -> None:
        arms = randomise_blocks(5, seed=11)
        assert len(arms) == 10
        assert all(sorted(arms[i : i + 2]) == ["real", "sham"] for i in range(0, 10, 2))

    def test_the_same_seed_gives_the_same_sequence_and_seeds_differ(self) -> None:
        assert randomise_blocks(4, seed=7) == randomise_blocks(4, seed=7)
        sequences = {tuple(randomise_blocks(4, seed=s)) for s in range(40)}
        assert len(sequences) > 8  # of the 16 possible

    def test_both_orders_come_up_about_equally_often(self) -> None:
        firsts = [a for s in range(400) for a in randomise_blocks(3, seed=s)[::2]]
        assert abs(firsts.count("real") / len(firsts) - 0.5) < 0.05

    def test_a_bad_number_of_blocks_is_refused(self) -> None:
        with pytest.raises(ValueError, match="blocks must be 1 to 10, got 11"):
            randomise_blocks(11, seed=1)


class TestBlockRandomisationTest:
    def test_three_blocks_all_in_favour_give_the_smallest_p_of_one_eighth(self) -> None:
        """Block differences (real - sham) -2, -1, -3: the observed sum -6 is the lowest of the 8 sums
        +-2 +-1 +-3, so one-sided p = 1/8; 1/8 is also the smallest p any 3-block series can give."""
        result = block_randomisation_test([-3, -2, -4], [-1, -1, -1])
        assert result.p_value == 1 / 8 == result.smallest_p
        assert result.assignments == 8 and result.blocks == 3
        assert result.mean_real == -3.0 and result.mean_sham == -1.0 and result.difference == -2.0

    def test_a_hand_counted_case(self) -> None:
        """Differences -2, +1, -3 (sum -4). The 8 sign patterns give sums -4, 0, -6, -2, 2, 6, 0, 4: two are
        at most -4, so p(less) = 2/8; seven are at least -4, so p(greater) = 7/8; two-sided = 2 * 2/8."""
        real, sham = [-2, 1, -3], [0, 0, 0]
        assert block_randomisation_test(real, sham, alternative="less").p_value == 0.25
        assert block_randomisation_test(real, sham, alternative="greater").p_value == 0.875
        assert block_randomisation_test(real, sham, alternative="two-sided").p_value == 0.5

    @pytest.mark.parametrize("alternative", ["less", "greater", "two-sided"])
    @pytest.mark.parametrize(
        ("real", "sham"),
        [
            ([-3, -2, -1], [0, -1, 1]),
            ([-3, -2, -1, 0, -2], [0, -1, 0, 1, 1]),
            ([0, 0, -1, 2], [0, 1, -1, 0]),  # ties: blocks whose swap changes nothing
            ([-1.5, 2.0, -0.5, -3.0, 1.0, -2.0], [0.5, -1.0, 0.0, 1.0, 1.0, 0.0]),
        ],
    )
    def test_the_p_value_equals_scipys_exact_permutation_test(
        self, real: list[float], sham: list[float], alternative: Any
    ) -> None:
        ours = block_randomisation_test(real, sham, alternative=alternative)
        theirs = _scipy(real, sham, alternative)
        assert ours.p_value == pytest.approx(theirs.pvalue, abs=1e-12)
        assert ours.difference == pytest.approx(theirs.statistic, abs=1e-12)

    def test_unequal_lengths_and_too_many_blocks_are_refused(self) -> None:
        with pytest.raises(ValueError, match="equal length"):
            block_randomisation_test([1, 2], [1])
        with pytest.raises(ValueError, match="1 to 10 blocks, got 11"):
            block_randomisation_test([0] * 11, [0] * 11)
        with pytest.raises(ValueError, match="Allowed values are 'less', 'greater', 'two-sided'"):
            block_randomisation_test([1], [0], alternative="sideways")  # type: ignore[arg-type]
