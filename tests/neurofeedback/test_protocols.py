"""Protocol metrics (known formulas on known band powers) and the adaptive threshold's order statistics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from painrewire.neurofeedback.signal.bands import BANDS
from painrewire.neurofeedback.signal.protocols import AdaptiveThreshold, Direction, get_protocol

CHANNELS = ["F3", "F4", "Cz", "C4"]
BAND_NAMES = list(BANDS)


def _powers() -> np.ndarray:
    """Band powers (uV**2): channel i, band j holds (i + 1) * (j + 2)."""
    return np.array([[(i + 1.0) * (j + 2.0) for j in range(len(BAND_NAMES))] for i in range(len(CHANNELS))])


def _value(channel: str, band: str) -> float:
    return (CHANNELS.index(channel) + 1.0) * (BAND_NAMES.index(band) + 2.0)


def test_alpha_metric_is_alpha_power_at_cz() -> None:
    metric = get_protocol("alpha").bind(CHANNELS, BAND_NAMES)
    assert metric(_powers()) == _value("Cz", "alpha")


def test_smr_theta_metric_is_ln_smr_minus_ln_theta_at_c4() -> None:
    metric = get_protocol("smr_theta").bind(CHANNELS, BAND_NAMES)
    assert metric(_powers()) == pytest.approx(math.log(_value("C4", "smr")) - math.log(_value("C4", "theta")))


def test_theta_beta_metric_is_the_ratio_at_cz_and_is_down_trained() -> None:
    protocol = get_protocol("theta_beta")
    assert protocol.direction is Direction.DOWN
    assert protocol.bind(CHANNELS, BAND_NAMES)(_powers()) == pytest.approx(
        _value("Cz", "theta") / _value("Cz", "beta")
    )


def test_asymmetry_metric_is_ln_alpha_f4_minus_ln_alpha_f3() -> None:
    metric = get_protocol("asymmetry").bind(CHANNELS, BAND_NAMES)
    assert metric(_powers()) == pytest.approx(
        math.log(_value("F4", "alpha")) - math.log(_value("F3", "alpha"))
    )


def test_a_flat_window_gives_a_finite_metric() -> None:
    metric = get_protocol("asymmetry").bind(CHANNELS, BAND_NAMES)
    assert math.isfinite(metric(np.zeros((4, len(BAND_NAMES)))))


def test_protocol_at_other_channels_averages_them() -> None:
    metric = get_protocol("alpha", channels=["Cz", "C4"]).bind(CHANNELS, BAND_NAMES)
    assert metric(_powers()) == pytest.approx((_value("Cz", "alpha") + _value("C4", "alpha")) / 2)


def test_get_protocol_refuses_an_unknown_name() -> None:
    with pytest.raises(
        ValueError, match="Allowed values are 'alpha', 'smr_theta', 'theta_beta', 'asymmetry', got 'beta'"
    ):
        get_protocol("beta")


def test_asymmetry_needs_exactly_two_channels() -> None:
    with pytest.raises(ValueError, match=r"needs exactly 2 channels \(left, right\), got \['F3'\]"):
        get_protocol("asymmetry", channels=["F3"])


def test_up_threshold_is_the_order_statistic_that_the_target_share_exceeds() -> None:
    """For n values and target r, P(new > X_(k)) = (n - k + 1)/(n + 1) with k = round((1 - r)(n + 1))."""
    threshold = AdaptiveThreshold(Direction.UP, target_rate=0.7, history=100)
    threshold.seed(range(1, 10))
    assert threshold.threshold == 3
    reward, feedback, judged = threshold.evaluate(5.5)
    assert (reward, feedback, judged) == (True, 5 / 9, 3)


def test_down_threshold_is_the_order_statistic_that_the_target_share_stays_below() -> None:
    threshold = AdaptiveThreshold(Direction.DOWN, target_rate=0.7, history=100)
    threshold.seed(range(1, 10))
    assert threshold.threshold == 7
    reward, feedback, _ = threshold.evaluate(2.5)
    assert reward and feedback == 7 / 9


def test_threshold_history_forgets_the_oldest_values() -> None:
    threshold = AdaptiveThreshold(Direction.UP, target_rate=0.5, history=3)
    threshold.seed([100.0, 1.0, 2.0, 3.0])
    assert len(threshold) == 3
    assert threshold.threshold == 2.0


def test_threshold_without_history_rewards_nothing() -> None:
    threshold = AdaptiveThreshold(Direction.UP, target_rate=0.7, history=10)
    assert threshold.evaluate(1.0) == (False, 0.5, None)


def test_threshold_refuses_a_history_of_one() -> None:
    with pytest.raises(ValueError, match="history must be at least 2 windows, got 1"):
        AdaptiveThreshold(Direction.UP, target_rate=0.7, history=1)
