"""Spectral estimation and filtering: known powers of generated signals, equality with scipy, chunked filtering."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import signal

from painrewire.neurofeedback.signal import dsp
from painrewire.neurofeedback.signal.bands import (
    BANDS,
    band_matrix,
    band_powers,
    check_bands,
    relative_powers,
)

from .generated import sine

SFREQ = 256.0


def test_hann_window_is_scipys_periodic_hann() -> None:
    assert_allclose(dsp.hann_window(256), signal.get_window("hann", 256), rtol=0, atol=1e-15)


@pytest.mark.parametrize(("n_per_seg", "n_overlap"), [(512, None), (256, 128), (250, 0), (333, 100)])
def test_welch_psd_equals_scipy_welch(n_per_seg: int, n_overlap: int | None) -> None:
    rng = np.random.default_rng(0)
    data = rng.standard_normal((3, 5000)) * 10 + np.array([[0.0], [250.0], [-40.0]])
    psd, freqs = dsp.welch_psd(data, SFREQ, n_per_seg=n_per_seg, n_overlap=n_overlap)
    ref_freqs, ref = signal.welch(data, SFREQ, window="hann", nperseg=n_per_seg, noverlap=n_overlap)
    assert_allclose(freqs, ref_freqs, rtol=0, atol=1e-12)
    assert_allclose(psd, ref, rtol=1e-10, atol=1e-12 * ref.max())


def test_sine_inside_a_band_gives_half_its_amplitude_squared() -> None:
    """A 10 Hz sine on a bin of 0.5 Hz spacing leaks only to 9.5 and 10.5 Hz, all inside alpha."""
    amplitude = 20.0
    x = sine(10.0, amplitude, SFREQ, 60.0)[None, :]
    psd, freqs = dsp.welch_psd(x, SFREQ, n_per_seg=512)
    powers = band_powers(psd, freqs, BANDS)[0]
    alpha = list(BANDS).index("alpha")
    assert_allclose(powers[alpha], amplitude**2 / 2, rtol=1e-9)
    assert_allclose(np.delete(powers, alpha), 0.0, atol=1e-9)


def test_sine_on_a_band_edge_splits_as_hann_leakage_says() -> None:
    """Hann leakage of an on-bin sine: the bin itself holds A**2/3, each neighbour A**2/12.

    An 8 Hz sine puts its 7.5 Hz neighbour in theta (A**2/12) and 8 and 8.5 Hz in alpha (5 A**2/12).
    """
    amplitude = 10.0
    x = sine(8.0, amplitude, SFREQ, 60.0, phase=0.3)[None, :]
    psd, freqs = dsp.welch_psd(x, SFREQ, n_per_seg=512)
    powers = dict(zip(BANDS, band_powers(psd, freqs)[0], strict=True))
    assert_allclose(powers["theta"], amplitude**2 / 12, rtol=1e-9)
    assert_allclose(powers["alpha"], 5 * amplitude**2 / 12, rtol=1e-9)


def test_white_noise_band_power_is_its_share_of_the_variance() -> None:
    """White noise of variance s2 has one-sided density 2 s2 / sfreq: a band of width W holds 2 s2 W / sfreq."""
    rng = np.random.default_rng(0)
    sigma = 7.0
    x = rng.standard_normal((1, int(SFREQ * 600))) * sigma
    psd, freqs = dsp.welch_psd(x, SFREQ, n_per_seg=512)
    powers = band_powers(psd, freqs)[0]
    expected = [2 * sigma**2 * (hi - lo) / SFREQ for lo, hi in BANDS.values()]
    assert_allclose(powers, expected, rtol=0.05)


def test_streaming_filter_in_chunks_equals_filtering_the_whole_signal() -> None:
    rng = np.random.default_rng(0)
    data = rng.standard_normal((4, 6000)) * 20 + 3000.0
    sos = dsp.design_filter(SFREQ, l_freq=1.0, h_freq=45.0, line_freq=50.0)
    whole = dsp.filter_signal(sos, data)
    streaming = dsp.StreamingFilter(sos, 4, block_samples=64)
    pieces: list[np.ndarray] = []
    start = 0
    sizes = [64, 1, 64, 100, 64, 64, 7, 1000, 64, 3]
    while start < data.shape[1]:
        size = sizes[len(pieces) % len(sizes)]
        pieces.append(streaming.process(data[:, start : start + size]))
        start += size
    assert_allclose(np.concatenate(pieces, axis=1), whole, rtol=0, atol=1e-9)


def test_filters_of_one_design_share_one_block_map_that_no_session_can_change() -> None:
    """Hundreds of live sessions filter with the same design: they share its block map, read-only, so one
    session cannot alter another's filter."""
    sos = dsp.design_filter(256.0, l_freq=1.0, h_freq=45.0, line_freq=50.0)
    shared = dsp.block_gain(sos, 64)
    assert dsp.block_gain(sos.copy(), 64) is shared
    assert dsp.block_gain(sos, 32) is not shared
    with pytest.raises(ValueError, match="read-only"):
        shared[0, 0] = 2.0
    first, second = (
        dsp.StreamingFilter(sos, 2, block_samples=64),
        dsp.StreamingFilter(sos, 2, block_samples=64),
    )
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 10, (2, 640)), rng.normal(0, 10, (2, 640))
    out_a = np.concatenate([first.process(a[:, i : i + 64]) for i in range(0, 640, 64)], axis=1)
    out_b = np.concatenate([second.process(b[:, i : i + 64]) for i in range(0, 640, 64)], axis=1)
    assert_allclose(out_a, dsp.filter_signal(sos, a), atol=1e-9)
    assert_allclose(out_b, dsp.filter_signal(sos, b), atol=1e-9)


def test_filter_keeps_alpha_and_removes_the_mains_frequency() -> None:
    sos = dsp.design_filter(SFREQ, l_freq=1.0, h_freq=45.0, line_freq=50.0)
    _, response = signal.sosfreqz(sos, worN=[10.0, 50.0], fs=SFREQ)
    assert_allclose(np.abs(response[0]), 1.0, atol=0.01)
    assert np.abs(response[1]) < 1e-6


def test_filter_started_at_the_first_sample_does_not_ring_on_a_dc_offset() -> None:
    """A headset's DC offset would ring through the high-pass for seconds if the state started at zero."""
    sos = dsp.design_filter(SFREQ)
    out = dsp.filter_signal(sos, np.full((1, 512), 5000.0))
    assert_allclose(out, 0.0, atol=1e-6)


def test_design_filter_refuses_a_mains_frequency_above_nyquist() -> None:
    with pytest.raises(ValueError, match=r"line_freq must be in \(0, 50\) Hz, got 60"):
        dsp.design_filter(100.0, h_freq=40.0, line_freq=60.0)


def test_design_filter_refuses_crossed_band_edges() -> None:
    with pytest.raises(ValueError, match="l_freq must be below h_freq, got l_freq=30 Hz and h_freq=20 Hz"):
        dsp.design_filter(SFREQ, l_freq=30.0, h_freq=20.0)


def test_welch_psd_refuses_overlap_as_long_as_the_segment() -> None:
    with pytest.raises(ValueError, match="Got n_overlap of 256 while n_per_seg is 256"):
        dsp.welch_psd(np.zeros((1, 1000)), SFREQ, n_per_seg=256, n_overlap=256)


def test_welch_psd_refuses_a_segment_longer_than_the_signal() -> None:
    with pytest.raises(
        ValueError, match=r"n_per_seg is 512 samples \(2 s\) but the signal has only 100 samples"
    ):
        dsp.welch_psd(np.zeros((1, 100)), SFREQ, n_per_seg=512)


def test_welch_psd_refuses_a_non_positive_sampling_rate() -> None:
    with pytest.raises(ValueError, match=r"sfreq must be in \(0, inf\] Hz, got -1"):
        dsp.welch_psd(np.zeros((1, 100)), -1, n_per_seg=50)


def test_welch_psd_refuses_a_float_segment_length() -> None:
    with pytest.raises(TypeError, match=r"n_per_seg must be an int, got float \(256.0\)"):
        dsp.welch_psd(np.zeros((1, 1000)), SFREQ, n_per_seg=256.0)  # type: ignore[arg-type]


def test_band_matrix_includes_the_lower_edge_and_excludes_the_upper() -> None:
    freqs = np.array([3.5, 4.0, 7.5, 8.0])
    matrix = band_matrix(freqs, {"theta": (4.0, 8.0)})
    assert_allclose(matrix[:, 0], [0.0, 1.0, 1.0, 0.0], rtol=0, atol=0)


def test_check_bands_refuses_a_band_above_nyquist() -> None:
    with pytest.raises(ValueError, match=r"band 'gamma' reaches 45 Hz, above the Nyquist frequency 40 Hz"):
        check_bands(BANDS, nyquist=40.0)


def test_check_bands_refuses_reversed_edges() -> None:
    with pytest.raises(ValueError, match=r"band 'odd' must satisfy 0 <= lo < hi, got \(8, 4\) Hz"):
        check_bands({"odd": (8.0, 4.0)})


def test_relative_power_of_a_channel_without_power_is_zero() -> None:
    out = relative_powers(np.array([[1.0, 3.0], [0.0, 0.0]]), np.array([4.0, 0.0]))
    assert_allclose(out, [[0.25, 0.75], [0.0, 0.0]], rtol=0, atol=0)
