"""Counting lost samples from packet counters and timestamps, and the ok / notice / alarm states."""

from __future__ import annotations

import numpy as np
import pytest

from painrewire.neurofeedback.signal.loss import LossMonitor, LossState

SFREQ = 250.0


def _stream(n: int, *, start: int = 0) -> tuple[np.ndarray, np.ndarray]:
    index = np.arange(start, start + n)
    return index / SFREQ, (index % 256).astype(float)


def test_a_gap_in_the_packet_counter_is_counted_exactly() -> None:
    monitor = LossMonitor(SFREQ)
    times, counters = _stream(100)
    keep = np.r_[0:40, 43:100]
    lost = monitor.observe(times[keep], counters=counters[keep], now=0.0)
    assert lost.sum() == 3 and lost[40] == 3
    assert monitor.lost_total == 3


def test_the_counter_wrapping_past_255_is_not_a_loss() -> None:
    monitor = LossMonitor(SFREQ)
    times, counters = _stream(600)
    lost = np.concatenate(
        [
            monitor.observe(times[i : i + 50], counters=counters[i : i + 50], now=0.0)
            for i in range(0, 600, 50)
        ]
    )
    assert lost.sum() == 0


def test_losses_across_chunk_boundaries_are_counted() -> None:
    monitor = LossMonitor(SFREQ)
    times, counters = _stream(100)
    monitor.observe(times[:50], counters=counters[:50], now=0.0)
    lost = monitor.observe(times[55:], counters=counters[55:], now=0.1)
    assert lost[0] == 5


def test_without_a_counter_timestamps_tell_the_gap() -> None:
    monitor = LossMonitor(SFREQ, counter_modulus=None)
    times, _ = _stream(100)
    lost = monitor.observe(np.delete(times, [10, 11]), now=0.0)
    assert lost[10] == 2 and lost.sum() == 2


def test_a_gap_longer_than_the_counter_range_is_timed_by_the_clock() -> None:
    """1000 lost samples wrap a 256 counter ambiguously; the timestamps still say 1000."""
    monitor = LossMonitor(SFREQ)
    times, counters = _stream(2000)
    keep = np.r_[0:500, 1500:2000]
    lost = monitor.observe(times[keep], counters=counters[keep], now=0.0)
    assert lost[500] == 1000


def test_timestamp_jitter_below_the_tolerance_is_not_a_loss() -> None:
    monitor = LossMonitor(SFREQ, counter_modulus=None, jitter_seconds=0.05)
    times, _ = _stream(100)
    jittered = times + np.random.default_rng(0).uniform(-0.01, 0.01, 100)
    assert monitor.observe(np.sort(jittered), now=0.0).sum() == 0


def test_a_counter_that_counts_packets_not_samples_is_ignored() -> None:
    """Boards that send several samples per packet repeat the counter; only the clock can count their losses."""
    monitor = LossMonitor(SFREQ)
    times, _ = _stream(60)
    packets = np.repeat(np.arange(20.0), 3)
    assert monitor.observe(times, counters=packets, now=0.0).sum() == 0


def test_state_goes_from_ok_to_notice_to_alarm_and_back() -> None:
    monitor = LossMonitor(SFREQ, alarm_seconds=2.0, notice_seconds=10.0)
    monitor.start(100.0)
    times, counters = _stream(1000)
    monitor.observe(times[:100], counters=counters[:100], now=100.4)
    assert monitor.state(100.5) is LossState.OK
    monitor.observe(times[103:200], counters=counters[103:200], now=100.8)
    assert monitor.state(101.0) is LossState.NOTICE
    assert monitor.state(102.9) is LossState.ALARM
    assert monitor.seconds_without_data(102.9) == pytest.approx(2.1)
    monitor.observe(times[900:1000], counters=counters[900:1000], now=103.5)
    assert monitor.state(103.6) is LossState.NOTICE
    monitor.observe(times[1000:1000], now=104.0)
    assert monitor.state(113.4) is LossState.ALARM


def test_no_data_after_start_raises_the_alarm() -> None:
    monitor = LossMonitor(SFREQ)
    monitor.start(10.0)
    assert monitor.state(11.0) is LossState.OK
    assert monitor.state(12.0) is LossState.ALARM


def test_monitor_refuses_a_counter_modulus_of_one() -> None:
    with pytest.raises(ValueError, match="counter_modulus must be at least 2, got 1"):
        LossMonitor(SFREQ, counter_modulus=1)


def test_after_many_clean_chunks_a_counter_gap_with_regular_timestamps_is_still_found() -> None:
    """Boards that stamp samples on arrival give regular timestamps across a lost packet: only the counter
    tells (the quick path for clean chunks must not hide it)."""
    monitor = LossMonitor(SFREQ, jitter_seconds=0.05)
    times, counters = _stream(1000)
    for i in range(0, 800, 50):
        assert monitor.observe(times[i : i + 50], counters=counters[i : i + 50], now=0.0).sum() == 0
    chunk = counters[800:850].copy()
    chunk[20:] += 2  # two samples lost in the middle; the timestamps do not show it
    lost = monitor.observe(times[800:850], counters=chunk % 256, now=0.0)
    assert lost[20] == 2 and lost.sum() == 2
    assert monitor.lost_total == 2
