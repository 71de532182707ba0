"""The streaming engine: band powers equal to a direct Welch estimate, artifacts found, rewards at the target rate."""

from __future__ import annotations

import gc
import json

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import signal

from painrewire.neurofeedback.signal import dsp
from painrewire.neurofeedback.signal.artifacts import ArtifactLimits
from painrewire.neurofeedback.signal.bands import band_powers
from painrewire.neurofeedback.signal.engine import FeedbackEngine, HopResult, Phase
from painrewire.neurofeedback.signal.protocols import get_protocol
from painrewire.neurofeedback.signal.sham import ShamReplay

from .generated import red_noise, sine

NAMES = ["Fz", "C3", "Cz", "C4", "Pz", "O1", "O2", "F4"]
CZ = NAMES.index("Cz")


def _run(engine: FeedbackEngine, data: np.ndarray, chunk: int = 64) -> list[HopResult]:
    timestamps = np.arange(data.shape[1]) / engine.sfreq
    hops: list[HopResult] = []
    for start in range(0, data.shape[1], chunk):
        hops += engine.push(data[:, start : start + chunk], timestamps[start : start + chunk])
    return hops


def _hop_at(hops: list[HopResult], end_s: float) -> HopResult:
    return min(hops, key=lambda h: abs(h.time_s - end_s))


@pytest.mark.parametrize(("sfreq", "chunk"), [(256.0, 64), (256.0, 37), (250.0, 25)])
def test_band_powers_equal_a_direct_welch_estimate_on_the_same_window(sfreq: float, chunk: int) -> None:
    """Reusing earlier hops' segments gives the Welch estimate of the filtered window to rounding error."""
    data = red_noise(len(NAMES), sfreq, 20.0, seed=0) + 500.0
    engine = FeedbackEngine(sfreq, NAMES, get_protocol("alpha"), baseline_seconds=5.0)
    hops = _run(engine, data, chunk)
    filtered = dsp.filter_signal(dsp.design_filter(sfreq), data)
    for hop in hops[::7]:
        end = hop.sample_index + 1
        window = filtered[:, end - engine.window_samples : end]
        freqs, psd = signal.welch(
            window, sfreq, window="hann", nperseg=engine.segment_samples, noverlap=engine.segment_samples // 2
        )
        assert_allclose(hop.band_powers, band_powers(psd, freqs, engine.bands), rtol=1e-9, atol=1e-12)


def test_effective_lengths_are_whole_hops_at_250_hz() -> None:
    engine = FeedbackEngine(250.0, NAMES, get_protocol("alpha"))
    assert (engine.hop_samples, engine.segment_samples, engine.window_samples) == (62, 248, 496)


def test_a_10_hz_sine_gives_half_its_amplitude_squared_times_the_filter_gain() -> None:
    sfreq = 256.0
    amplitude = 30.0
    data = np.zeros((len(NAMES), int(sfreq * 20)))
    data[CZ] = sine(10.0, amplitude, sfreq, 20.0)
    engine = FeedbackEngine(sfreq, NAMES, get_protocol("alpha"), baseline_seconds=2.0)
    hops = _run(engine, data)
    _, response = signal.sosfreqz(dsp.design_filter(sfreq), worN=[10.0], fs=sfreq)
    expected = amplitude**2 / 2 * np.abs(response[0]) ** 2
    alpha = engine.band_names.index("alpha")
    assert_allclose(hops[-1].band_powers[CZ, alpha], expected, rtol=1e-3)


@pytest.mark.parametrize("target", [0.6, 0.8])
def test_reward_rate_converges_to_the_target_on_a_stationary_signal(target: float) -> None:
    engine = FeedbackEngine(
        256.0, NAMES, get_protocol("alpha"), baseline_seconds=10.0, target_reward_rate=target
    )
    hops = _run(engine, red_noise(len(NAMES), 256.0, 330.0, seed=1))
    feedback = [h for h in hops if h.phase is Phase.FEEDBACK]
    assert len(feedback) > 1200
    assert not any(h.bad for h in feedback)
    # The threshold judges the windows no inhibit withheld; those withheld are never rewarded.
    judged = [h for h in feedback if not h.inhibited]
    assert abs(np.mean([h.reward for h in judged]) - target) < 0.05
    assert not any(h.reward for h in feedback if h.inhibited)


def test_baseline_sets_the_first_threshold_to_the_quantile_of_its_metrics() -> None:
    """With n baseline metrics and target r, up-training's threshold is the round((1-r)(n+1))-th smallest."""
    engine = FeedbackEngine(
        256.0, NAMES, get_protocol("alpha"), baseline_seconds=10.0, target_reward_rate=0.7
    )
    hops = _run(engine, red_noise(len(NAMES), 256.0, 15.0, seed=2))
    baseline = sorted(h.metric for h in hops if h.phase is Phase.BASELINE)
    first_feedback = next(h for h in hops if h.phase is Phase.FEEDBACK)
    assert len(baseline) == 40
    assert first_feedback.threshold == baseline[round(0.3 * 41) - 1]


def test_an_injected_blink_marks_the_windows_holding_it_and_withholds_their_rewards() -> None:
    sfreq = 256.0
    data = red_noise(len(NAMES), sfreq, 40.0, seed=3, scale=2.0)
    start = int(30.0 * sfreq)
    length = int(0.3 * sfreq)
    data[CZ, start : start + length] += 300.0 * np.sin(np.pi * np.arange(length) / length)
    engine = FeedbackEngine(sfreq, NAMES, get_protocol("alpha"), baseline_seconds=5.0)
    hops = _run(engine, data)
    peak = 30.15
    holding = [h for h in hops if peak < h.time_s <= peak + engine.window_seconds]
    assert holding and all("amplitude:Cz" in h.bad_reasons for h in holding)
    assert not any(h.reward for h in holding)
    assert not any(h.bad for h in hops if h.time_s <= 29.9)


def test_a_burst_of_high_frequency_activity_is_marked_as_muscle() -> None:
    sfreq = 256.0
    data = red_noise(len(NAMES), sfreq, 45.0, seed=4, scale=2.0)
    burst = sum(sine(f, 10.0, sfreq, 1.0) for f in (32.0, 35.0, 38.0, 41.0))
    data[CZ, int(40 * sfreq) : int(41 * sfreq)] += burst
    engine = FeedbackEngine(sfreq, NAMES, get_protocol("alpha"), baseline_seconds=5.0)
    hops = _run(engine, data)
    assert "muscle:Cz" in _hop_at(hops, 41.5).bad_reasons
    assert not _hop_at(hops, 39.0).bad


def test_a_flat_channel_is_marked_flat() -> None:
    sfreq = 256.0
    data = red_noise(len(NAMES), sfreq, 30.0, seed=5)
    data[CZ, int(20 * sfreq) : int(24 * sfreq)] = 12.5
    engine = FeedbackEngine(sfreq, NAMES, get_protocol("alpha"), baseline_seconds=5.0)
    hops = _run(engine, data)
    assert _hop_at(hops, 23.5).bad_reasons == ("flat:Cz",)


def test_a_channel_at_the_amplifier_rail_is_marked_saturated() -> None:
    sfreq = 256.0
    data = red_noise(len(NAMES), sfreq, 30.0, seed=6)
    data[CZ, int(20 * sfreq) : int(20.5 * sfreq)] = 1000.0
    limits = ArtifactLimits(max_ptp_uv=5000.0, saturation_uv=1000.0)
    engine = FeedbackEngine(sfreq, NAMES, get_protocol("alpha"), baseline_seconds=5.0, limits=limits)
    hops = _run(engine, data)
    assert "saturated:Cz" in _hop_at(hops, 21.0).bad_reasons


def test_missing_values_mark_the_window_and_the_filter_recovers() -> None:
    sfreq = 256.0
    data = red_noise(len(NAMES), sfreq, 30.0, seed=7)
    data[CZ, int(20 * sfreq) : int(20 * sfreq) + 10] = np.nan
    engine = FeedbackEngine(sfreq, NAMES, get_protocol("alpha"), baseline_seconds=5.0)
    hops = _run(engine, data)
    assert "nan:Cz" in _hop_at(hops, 21.0).bad_reasons
    later = [h for h in hops if h.time_s > 23.0]
    assert later and all(np.isfinite(h.band_powers).all() and not h.bad for h in later)


def test_lost_samples_mark_the_windows_across_the_gap_and_keep_the_timeline() -> None:
    sfreq = 256.0
    data = red_noise(len(NAMES), sfreq, 30.0, seed=8)
    engine = FeedbackEngine(sfreq, NAMES, get_protocol("alpha"), baseline_seconds=5.0)
    split = int(20 * sfreq)
    timestamps = np.arange(data.shape[1] + 5) / sfreq
    hops = engine.push(data[:, :split], timestamps[:split])
    hops += engine.push(data[:, split:], timestamps[split + 5 :], lost_before=5)
    assert engine.lost_samples == 5
    assert engine.samples_seen == data.shape[1] + 5
    assert "lost_samples" in _hop_at(hops, 21.0).bad_reasons
    assert not _hop_at(hops, 23.0).bad
    assert hops[-1].sample_index == data.shape[1] + 5 - 1


def test_a_gap_longer_than_the_window_restarts_it() -> None:
    sfreq = 256.0
    data = red_noise(len(NAMES), sfreq, 30.0, seed=9)
    engine = FeedbackEngine(sfreq, NAMES, get_protocol("alpha"), baseline_seconds=5.0)
    split = int(20 * sfreq)
    gap = int(3 * sfreq)
    timestamps = np.arange(data.shape[1] + gap) / sfreq
    before = engine.push(data[:, :split], timestamps[:split])
    after = engine.push(data[:, split:], timestamps[split + gap :], lost_before=gap)
    first_after = (split + gap + engine.window_samples - 1 + 1) / sfreq
    assert after[0].time_s == pytest.approx(first_after, abs=1e-9)
    assert not after[0].bad
    assert before[-1].time_s < 20.0 + 1e-9


def test_latency_statistics_are_the_percentiles_of_the_recorded_delays() -> None:
    engine = FeedbackEngine(256.0, NAMES, get_protocol("alpha"), baseline_seconds=1.0)
    hops = _run(engine, red_noise(len(NAMES), 256.0, 30.0, seed=10))
    delays = np.random.default_rng(0).uniform(0.001, 0.05, len(hops))
    for hop, delay in zip(hops, delays, strict=True):
        assert engine.record_sent(hop.index, hop.timestamp + delay) == pytest.approx(delay, abs=1e-12)
    summary = engine.summary()
    assert summary.latency_p50_ms == pytest.approx(np.percentile(delays, 50) * 1e3, rel=1e-9)
    assert summary.latency_p99_ms == pytest.approx(np.percentile(delays, 99) * 1e3, rel=1e-9)
    assert summary.latency_count == len(hops)


def test_the_running_figures_a_console_shows_agree_with_the_summary() -> None:
    engine = FeedbackEngine(256.0, NAMES, get_protocol("alpha"), baseline_seconds=1.0)
    hops = _run(engine, red_noise(len(NAMES), 256.0, 30.0, seed=12))
    delays = np.random.default_rng(1).uniform(0.001, 0.05, len(hops))
    for hop, delay in zip(hops, delays, strict=True):
        engine.record_sent(hop.index, hop.timestamp + delay)
    figures, summary = engine.running_figures(), engine.summary()
    assert figures["reward_rate"] == pytest.approx(summary.reward_rate, rel=1e-12)
    assert figures["bad_share"] == pytest.approx(summary.bad_share, rel=1e-12)
    assert figures["latency_p99_ms"] == pytest.approx(summary.latency_p99_ms, rel=1e-9)
    recent = engine.running_figures(recent=10)
    assert recent["latency_p50_ms"] == pytest.approx(np.percentile(delays[-10:], 50) * 1e3, rel=1e-9)


def test_a_sham_engine_replays_the_earlier_rewards_whatever_the_eeg() -> None:
    replay = ShamReplay([True, False, False, True])
    engine = FeedbackEngine(256.0, NAMES, get_protocol("alpha"), baseline_seconds=2.0, sham=replay)
    hops = _run(engine, red_noise(len(NAMES), 256.0, 20.0, seed=11))
    feedback = [h for h in hops if h.phase is Phase.FEEDBACK]
    expected = [[True, False, False, True][i % 4] for i in range(len(feedback))]
    assert [h.reward for h in feedback] == expected
    assert all(h.sham for h in hops)
    assert engine.summary().sham


def test_summary_reports_minutes_rate_and_band_power_per_minute_as_json() -> None:
    engine = FeedbackEngine(256.0, NAMES, get_protocol("smr_theta", channels=["Cz"]), baseline_seconds=10.0)
    hops = _run(engine, red_noise(len(NAMES), 256.0, 140.0, seed=12))
    summary = engine.summary()
    feedback = [h for h in hops if h.phase is Phase.FEEDBACK]
    assert summary.minutes_trained == pytest.approx(len(feedback) * 0.25 / 60, rel=1e-12)
    assert summary.reward_rate == pytest.approx(np.mean([h.reward for h in feedback]), rel=1e-12)
    assert [m.minute for m in summary.band_power_per_minute] == [1, 2, 3]
    first_minute = [h for h in feedback if h.time_s <= feedback[0].time_s - 0.25 + 60 + 1e-9]
    theta = engine.band_names.index("theta")
    assert summary.band_power_per_minute[0].band_power_uv2["theta"] == pytest.approx(
        np.mean([h.band_powers[CZ, theta] for h in first_minute]), rel=1e-9
    )
    json.dumps(summary.to_dict(), allow_nan=False)


def test_a_long_session_leaves_nothing_per_hop_for_the_garbage_collector() -> None:
    """Hundreds of live sessions of thousands of hops share a server: kept as objects, every full garbage
    collection walked them all and paused every session's feedback. The hop log is columns."""
    engine = FeedbackEngine(256.0, NAMES, get_protocol("alpha"), baseline_seconds=2.0)
    data = red_noise(len(NAMES), 256.0, 60.0, seed=3)
    timestamps = np.arange(data.shape[1]) / 256.0
    for start in range(0, data.shape[1], 64):  # warm: the log has grown past its first capacity
        engine.push(data[:, start : start + 64], timestamps[start : start + 64])
    gc.collect()
    before = len(gc.get_objects())
    for rep in range(1, 9):  # 8 more minutes: 1,920 hops
        for start in range(0, data.shape[1], 64):
            hops = engine.push(data[:, start : start + 64], timestamps[start : start + 64] + rep * 60.0)
            for hop in hops:
                engine.record_sent(hop.index, hop.timestamp + 0.01)
        del hops
    gc.collect()
    assert len(engine.log) == 240 + 1920 - 7
    assert len(gc.get_objects()) - before < 50
    summary = engine.summary()
    assert summary.hops == len(engine.log)
    assert summary.latency_p50_ms == pytest.approx(10.0, abs=1e-6)
    assert [m.minute for m in summary.band_power_per_minute] == list(range(1, 10))


def test_a_hop_never_computed_cannot_be_marked_sent() -> None:
    engine = FeedbackEngine(256.0, NAMES, get_protocol("alpha"), baseline_seconds=1.0)
    hops = _run(engine, red_noise(len(NAMES), 256.0, 3.0, seed=2))
    with pytest.raises(IndexError, match="no hop"):
        engine.record_sent(len(hops), 10.0)


def test_hop_message_is_json() -> None:
    engine = FeedbackEngine(256.0, NAMES, get_protocol("alpha"), baseline_seconds=1.0)
    hop = _run(engine, red_noise(len(NAMES), 256.0, 4.0, seed=13))[-1]
    message = json.loads(json.dumps(hop.to_dict(), allow_nan=False))
    assert set(message["band_powers"]) == set(NAMES)
    assert message["phase"] == hop.phase.value


def test_engine_refuses_a_headset_without_the_protocol_site() -> None:
    with pytest.raises(ValueError, match=r"trains at \['Cz'\] but the headset has no Cz"):
        FeedbackEngine(256.0, ["Fp1", "Fp2"], get_protocol("alpha"))


def test_engine_refuses_segments_of_an_odd_number_of_hops() -> None:
    with pytest.raises(ValueError, match="segment_seconds must be an even number"):
        FeedbackEngine(256.0, NAMES, get_protocol("alpha"), segment_seconds=0.75)


def test_engine_refuses_a_reward_target_outside_5_to_95_percent() -> None:
    with pytest.raises(ValueError, match=r"target_rate must be in \[0.05, 0.95\], got 0.99"):
        FeedbackEngine(256.0, NAMES, get_protocol("alpha"), target_reward_rate=0.99)


def test_engine_refuses_a_sampling_rate_too_low_for_gamma() -> None:
    with pytest.raises(ValueError, match=r"band 'gamma' reaches 45 Hz, above the Nyquist frequency 40 Hz"):
        FeedbackEngine(80.0, NAMES, get_protocol("alpha"), line_freq=None, h_freq=35.0)


def test_engine_refuses_a_chunk_with_the_wrong_number_of_channels() -> None:
    engine = FeedbackEngine(256.0, NAMES, get_protocol("alpha"))
    with pytest.raises(ValueError, match=r"data must have 8 rows \(channels\), got shape \(3, 64\)"):
        engine.push(np.zeros((3, 64)), np.zeros(64))
