"""The offline analysis contract: known band powers, files written by another tool, artifacts reported not removed."""

from __future__ import annotations

from pathlib import Path

import mne
import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import signal

from painrewire.neurofeedback.signal.analysis import RecordingError, analyze_array, analyze_file, read_eeg
from painrewire.neurofeedback.signal.bands import BANDS, band_powers

from .generated import GENERATOR_BDF, GENERATOR_EDF, red_noise, sine


def test_a_sine_gives_its_power_in_its_band_and_all_of_the_relative_power() -> None:
    report = analyze_array(sine(10.0, 20.0, 256.0, 30.0)[None, :], 256.0, ["Cz"])
    assert_allclose(report.absolute_uv2["Cz"]["alpha"], 20.0**2 / 2, rtol=1e-9)
    assert_allclose(report.relative["Cz"]["alpha"], 1.0, rtol=1e-9)
    assert_allclose(report.relative["Cz"]["theta"], 0.0, atol=1e-12)
    assert report.bad_fraction == {"Cz": 0.0}


def test_absolute_power_equals_band_sums_of_scipy_welch_with_2_second_hann_segments() -> None:
    data = red_noise(3, 250.0, 100.0, seed=0) + 40.0
    report = analyze_array(data, 250.0, ["C3", "Cz", "C4"])
    freqs, psd = signal.welch(data, 250.0, window="hann", nperseg=500, noverlap=250, detrend="constant")
    expected = band_powers(psd, freqs)
    got = np.array([[report.absolute_uv2[ch][b] for b in BANDS] for ch in ["C3", "Cz", "C4"]])
    assert_allclose(got, expected, rtol=1e-10)
    total = band_powers(psd, freqs, {"total": (1.0, 45.0)})[:, 0]
    assert_allclose(
        report.relative["Cz"]["beta"], expected[1, list(BANDS).index("beta")] / total[1], rtol=1e-10
    )


def test_the_edf_test_file_shipped_by_pyedflib_has_its_sines_in_their_bands() -> None:
    """An on-bin sine's power (its variance, by Parseval) lands whole in its band, or split 5:1 by Hann leakage."""
    report = analyze_file(GENERATOR_EDF)
    eeg = read_eeg(GENERATOR_EDF)
    variance = dict(zip(eeg.channel_names, eeg.data_uv.var(axis=1), strict=True))
    assert (report.sfreq, report.n_samples, len(report.channels)) == (200.0, 120000, 11)
    assert_allclose(report.absolute_uv2["sine 15 Hz"]["beta"], variance["sine 15 Hz"], rtol=1e-3)
    assert_allclose(report.absolute_uv2["sine 8.5 Hz"]["alpha"], variance["sine 8.5 Hz"], rtol=1e-3)
    assert_allclose(report.absolute_uv2["sine 8 Hz"]["alpha"], 5 / 6 * variance["sine 8 Hz"], rtol=1e-3)
    assert_allclose(report.absolute_uv2["sine 8 Hz"]["theta"], 1 / 6 * variance["sine 8 Hz"], rtol=1e-3)
    assert_allclose(report.relative["sine 15 Hz"]["smr"], 1 / 6, rtol=1e-3)
    assert report.bad_fraction["sine 1 Hz"] == 0.0


def test_the_bdf_test_file_shipped_by_pyedflib_is_read_and_analysed() -> None:
    report = analyze_file(GENERATOR_BDF)
    eeg = read_eeg(GENERATOR_BDF)
    variance = eeg.data_uv[eeg.channel_names.index("sine 5Hz")].var()
    assert report.sfreq == 1000.0 and report.n_samples == 30000
    assert_allclose(report.absolute_uv2["sine 5Hz"]["theta"], variance, rtol=1e-3)


def test_artifacts_injected_into_clean_data_are_reported_not_removed() -> None:
    """60 s in 2-s segments stepping 1 s: 59 segments; a blink inside second 20 falls in segments 19 and 20."""
    sfreq = 256.0
    clean = red_noise(4, sfreq, 60.0, seed=1, scale=2.0)
    data = clean.copy()
    start, length = int(20.2 * sfreq), int(0.2 * sfreq)
    data[0, start : start + length] += 400.0 * np.sin(np.pi * np.arange(length) / length)
    data[1] = 3.0
    data[2] = np.clip(clean[2] * 20.0, -50.0, 50.0)
    data[3, 5000:5010] = np.nan
    names = ["Fp1", "Fz", "Cz", "Pz"]
    report = analyze_array(data, sfreq, names)
    assert report.bad_fraction["Fp1"] == pytest.approx(2 / 59)
    assert report.bad_fraction["Fz"] == 1.0
    assert report.bad_fraction["Cz"] > 0.9
    assert report.bad_fraction["Pz"] == pytest.approx(2 / 59)
    clean_report = analyze_array(clean, sfreq, names)
    assert report.absolute_uv2["Fp1"]["delta"] > clean_report.absolute_uv2["Fp1"]["delta"]


def test_a_fif_recording_is_analysed_and_only_its_eeg_channels_count(tmp_path: Path) -> None:
    sfreq = 256.0
    data = np.vstack([sine(10.0, 20.0, sfreq, 10.0), sine(20.0, 10.0, sfreq, 10.0)]) * 1e-6
    info = mne.create_info(["Cz", "ECG"], sfreq, ["eeg", "ecg"])
    path = tmp_path / "session_raw.fif"
    mne.io.RawArray(data, info, verbose="error").save(path, verbose="error")
    report = analyze_file(path)
    assert report.channels == ["Cz"]
    assert_allclose(report.absolute_uv2["Cz"]["alpha"], 200.0, rtol=1e-6)


def test_a_missing_file_is_refused_with_its_name() -> None:
    with pytest.raises(RecordingError, match=r"No such file: /nonexistent/x\.edf"):
        analyze_file("/nonexistent/x.edf")


def test_a_file_without_eeg_channels_is_refused(tmp_path: Path) -> None:
    info = mne.create_info(["ECG"], 256.0, ["ecg"])
    path = tmp_path / "ecg_raw.fif"
    mne.io.RawArray(np.zeros((1, 1024)), info, verbose="error").save(path, verbose="error")
    with pytest.raises(RecordingError, match=r"has no EEG channels \(its channels are of type ecg\)"):
        analyze_file(path)


def test_a_damaged_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.edf"
    path.write_bytes(b"0       not an edf header" * 3)
    with pytest.raises(RecordingError, match=r"Could not read broken\.edf"):
        analyze_file(path)


def test_a_file_of_another_type_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    with pytest.raises(
        RecordingError, match=r"notes.txt is not an EEG recording this tool reads; use one of .edf"
    ):
        analyze_file(path)


def test_a_recording_shorter_than_one_segment_is_refused() -> None:
    with pytest.raises(
        RecordingError, match=r"The recording is 1.00 s long; the analysis needs at least 2 s"
    ):
        analyze_array(np.zeros((1, 256)), 256.0, ["Cz"])
