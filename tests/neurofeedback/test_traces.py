"""The console's raw view: per-channel signal quality and traces averaged down for drawing."""

from __future__ import annotations

import numpy as np
import pytest

from painrewire.neurofeedback.signal.artifacts import ArtifactLimits
from painrewire.neurofeedback.signal.traces import ConsoleTraces, average_down, signal_quality

NAMES = ["Fz", "C3", "Cz", "C4"]
LIMITS = ArtifactLimits(max_ptp_uv=200.0, flat_ptp_uv=1.0, saturation_uv=1000.0)


def _sine(amplitude_uv: float, n: int = 256, sfreq: float = 256.0) -> np.ndarray:
    return amplitude_uv * np.sin(2 * np.pi * 10.0 * np.arange(n) / sfreq)


def _states(window: np.ndarray | None) -> dict[str, str]:
    return {q["channel"]: q["state"] for q in signal_quality(window, NAMES, LIMITS)}


def test_each_channel_is_judged_on_its_own_peak_to_peak_and_rail() -> None:
    window = np.vstack(
        [
            _sine(20.0),  # ptp 40 uV: ok
            np.full(256, 7.0) + np.r_[0.0, 0.5, np.zeros(254)],  # ptp 0.5 uV: flat
            np.r_[_sine(20.0)[:-1], 1000.0],  # touches the 1000 uV rail: saturated
            _sine(150.0),  # ptp 300 uV: high amplitude
        ]
    )
    quality = signal_quality(window, NAMES, LIMITS)
    assert [q["state"] for q in quality] == ["ok", "flat", "saturated", "high_amplitude"]
    assert quality[0]["ptp_uv"] == pytest.approx(40.0, abs=0.1)
    assert quality[1]["ptp_uv"] == 0.5
    assert quality[3]["ptp_uv"] == pytest.approx(300.0, abs=0.1)


def test_a_negative_excursion_to_the_rail_saturates_too() -> None:
    window = np.vstack([_sine(20.0)] * 4)
    window[1, 100] = -1000.0
    assert _states(window)["C3"] == "saturated"


def test_missing_samples_are_ignored_and_a_channel_without_two_is_no_data() -> None:
    window = np.vstack([_sine(20.0)] * 4)
    window[0, :200] = np.nan  # Fz keeps 56 samples: still judged on them
    window[1, :] = np.nan  # C3 has nothing
    window[2, 1:] = np.inf  # Cz one finite sample
    quality = signal_quality(window, NAMES, LIMITS)
    assert [q["state"] for q in quality] == ["ok", "no_data", "no_data", "ok"]
    finite_fz = _sine(20.0)[200:]
    assert quality[0]["ptp_uv"] == round(float(finite_fz.max() - finite_fz.min()), 1)
    assert quality[1]["ptp_uv"] is None


def test_too_short_a_window_is_no_data_for_every_channel() -> None:
    assert set(_states(None).values()) == {"no_data"}
    assert set(_states(np.zeros((4, 1))).values()) == {"no_data"}


def test_traces_are_means_of_runs_and_a_gap_draws_as_zero() -> None:
    data = np.array([[1.0, 2.0, 3.0, 5.0], [np.nan, 2.0, 4.0, 4.0]])
    np.testing.assert_allclose(average_down(data, 2), [[1.5, 4.0], [1.0, 4.0]])
    np.testing.assert_allclose(average_down(data, 1), np.nan_to_num(data))


def test_chunks_that_do_not_fill_a_run_carry_over_to_the_next_traces() -> None:
    """256 Hz is drawn at 64 Hz (runs of 4); chunks of 10 samples leave 2 over each time, and the next traces
    start with them, so the drawn line is the signal's, run for run."""
    signal = np.vstack([np.arange(60, dtype=float)] * 4)
    raw = ConsoleTraces(256.0, NAMES, LIMITS)
    drawn: list[float] = []
    for start in range(0, 60, 10):
        raw.hold(signal[:, start : start + 10])
        part = raw.take()
        assert part is not None and part["type"] == "raw" and part["rate"] == 64.0
        assert part["channels"] == NAMES
        drawn.extend(part["data"][0])
    assert drawn == [4 * k + 1.5 for k in range(15)]


def test_traces_are_drawable_once_a_run_is_held_counting_what_carried_over() -> None:
    """The live loop spends a console turn only when it can draw: a step a command woke early may read fewer
    samples than one run (4 at 256 Hz), and those wait, with what carried over, for the next turn."""
    raw = ConsoleTraces(256.0, NAMES, LIMITS)
    assert not raw.drawable
    raw.hold(np.zeros((4, 3)))
    assert not raw.drawable  # 3 samples: no point to draw yet
    raw.hold(np.zeros((4, 6)))
    assert raw.drawable
    part = raw.take()
    assert part is not None and len(part["data"][0]) == 2  # 9 samples: 2 runs, 1 carried over
    assert not raw.drawable
    raw.hold(np.zeros((4, 3)))
    assert raw.drawable  # the carried sample and 3 new make a run
    raw.clear()
    assert not raw.drawable


def test_quality_covers_the_last_second_only() -> None:
    raw = ConsoleTraces(256.0, NAMES, LIMITS)
    blink = np.vstack([_sine(20.0, 128)] * 4)
    blink[0, 10] = 500.0
    raw.hold(blink)
    first = raw.take()
    assert first is not None and first["quality"][0]["state"] == "high_amplitude"
    parts = []
    for _ in range(2):  # one more second of clean signal pushes the blink out
        raw.hold(np.vstack([_sine(20.0, 128)] * 4))
        part = raw.take()
        assert part is not None
        parts.append(part)
    assert "quality" not in parts[0]  # given once a second, not with every half second of traces
    assert parts[1]["quality"][0]["state"] == "ok"


def test_clearing_forgets_the_held_signal_and_its_quality() -> None:
    raw = ConsoleTraces(256.0, NAMES, LIMITS)
    noisy = np.vstack([_sine(150.0, 64)] * 4)
    raw.hold(noisy)
    assert raw.take() is not None
    raw.hold(noisy)
    raw.clear()
    assert raw.take() is None
    raw.hold(np.vstack([_sine(20.0, 64)] * 4))
    part = raw.take()
    assert part is not None and len(part["data"][0]) == 16
    assert {q["state"] for q in part["quality"]} == {"ok"}
