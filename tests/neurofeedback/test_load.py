"""How loaded the live loop is: its recent lateness (the window, the quantile, too little to judge), its busy
share, and the share predicted once the sessions set up and one more all train."""

from __future__ import annotations

import pytest

from painrewire.neurofeedback.signal.load import MIN_TRAINING, LoopBusy, RecentLag, predicted_share


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
    with pytest.raises(ValueError, match="must be positive"):
        LoopBusy(samples=0)


def test_the_busy_share_is_cpu_over_wall_time_of_the_last_readings() -> None:
    busy = LoopBusy(samples=3)
    assert busy.share is None
    busy.add(0.2, 1.0)
    assert busy.share == pytest.approx(0.2)
    busy.add(0.5, 1.0)
    busy.add(0.8, 2.0)  # (0.2 + 0.5 + 0.8) / (1 + 1 + 2)
    assert busy.share == pytest.approx(1.5 / 4.0)
    busy.add(0.9, 1.0)  # the first reading drops out: (0.5 + 0.8 + 0.9) / 4
    assert busy.share == pytest.approx(2.2 / 4.0)
    busy.add(0.3, 0.0)  # no wall time passed: not a reading
    assert busy.share == pytest.approx(2.2 / 4.0)


def test_the_predicted_share_charges_every_starting_session_and_the_new_one_as_a_training_one() -> None:
    # 300 training sessions keep the loop 60 % busy: 0.2 % each. 40 more are in their signal check or wait
    # for the practitioner; with them and one more training: 0.6 + 41 * 0.002 = 0.682.
    assert predicted_share(0.6, training=300, starting=40) == pytest.approx(0.682)
    assert predicted_share(0.6, training=300, starting=0) == pytest.approx(0.602)
    # Nothing to judge from: no reading yet, or too few sessions training to tell what one costs.
    assert predicted_share(None, training=300, starting=0) is None
    assert predicted_share(0.6, training=MIN_TRAINING - 1, starting=50) is None


def test_the_starting_sessions_share_is_their_steps_over_the_same_wall_time() -> None:
    busy = LoopBusy(samples=2)
    assert busy.starting_share == 0.0
    busy.add(0.4, 1.0, starting_seconds=0.1)
    busy.add(0.6, 1.0, starting_seconds=0.3)  # (0.1 + 0.3) / 2 s
    assert busy.share == pytest.approx(0.5) and busy.starting_share == pytest.approx(0.2)
    busy.add(0.2, 1.0, starting_seconds=0.9)  # a step's clock outran the thread's: capped at its CPU time
    assert busy.starting_share == pytest.approx((0.3 + 0.2) / 2.0)


def test_measured_starting_sessions_are_charged_once_as_they_will_train() -> None:
    # A burst: 100 sessions train and 100 more are in their signal check. The loop is 50 % busy, 10 % of it
    # the starting sessions' own steps. What is left, 40 %, is 0.4 % per training session; once the 100 and one
    # more train: 0.4 + 101 * 0.004 = 0.804.
    assert predicted_share(0.5, training=100, starting=100, starting_share=0.1) == pytest.approx(0.804)
    # Not measured, they were charged twice (as they are, and as they will be): 0.5 + 101 * 0.005 = 1.005, and
    # the guard refused the burst well before the core was full.
    assert predicted_share(0.5, training=100, starting=100) == pytest.approx(1.005)
    # With no session starting, nothing changes.
    assert predicted_share(0.6, training=300, starting=0, starting_share=0.0) == pytest.approx(0.602)
