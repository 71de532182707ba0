"""The live loop's recent lateness: the window, the quantile, and when there is too little to judge."""

from __future__ import annotations

import pytest

from painrewire.neurofeedback.lag import RecentLag


def test_too_few_wakes_say_nothing() -> None:
    lag = RecentLag(seconds=10.0, min_wakes=5)
    for i in range(4):
        lag.add(0.5, now=100.0 + i)
    assert lag.wakes(now=104.0) == 4
    assert lag.quantile(0.9, now=104.0) is None
    lag.add(0.5, now=104.0)
    assert lag.quantile(0.9, now=104.0) == pytest.approx(0.5)


def test_the_quantile_covers_only_the_window() -> None:
    lag = RecentLag(seconds=10.0, min_wakes=10)
    for i in range(50):  # a stall: 50 wakes 80 ms late, at 0.0-4.9 s
        lag.add(0.080, now=i / 10)
    for i in range(100):  # then on time, 1 ms late, at 5.0-14.9 s
        lag.add(0.001, now=5.0 + i / 10)
    # At 10 s the window (0.0-10.0 s) holds all 50 late wakes and 51 on time: the slowest tenth are late.
    assert lag.quantile(0.9, now=10.0) == pytest.approx(0.080)
    assert lag.quantile(0.4, now=10.0) == pytest.approx(0.001)
    # Just after 14.9 s the stall has left the window.
    assert lag.wakes(now=14.95) == 100
    assert lag.quantile(1.0, now=14.95) == pytest.approx(0.001)


def test_the_quantile_interpolates_between_wakes() -> None:
    lag = RecentLag(seconds=10.0, min_wakes=1)
    for i, late in enumerate([0.0, 0.010, 0.020, 0.030, 0.040]):
        lag.add(late, now=float(i))
    # Linear interpolation (numpy's default): the 0.9 quantile of 0, 10, 20, 30, 40 ms is 36 ms.
    assert lag.quantile(0.9, now=4.0) == pytest.approx(0.036)
    assert lag.quantile(0.5, now=4.0) == pytest.approx(0.020)


def test_a_full_ring_forgets_its_oldest_wakes() -> None:
    lag = RecentLag(seconds=100.0, capacity=8, min_wakes=1)
    for i in range(8):
        lag.add(1.0, now=float(i))
    for i in range(8):
        lag.add(0.002, now=8.0 + i)
    assert lag.wakes(now=16.0) == 8
    assert lag.quantile(1.0, now=16.0) == pytest.approx(0.002)


@pytest.mark.parametrize("kwargs", [{"seconds": 0.0}, {"capacity": 0}, {"min_wakes": 0}])
def test_nonsense_settings_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        RecentLag(**kwargs)  # type: ignore[arg-type]
