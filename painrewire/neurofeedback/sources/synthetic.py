"""Generated EEG for demos and benchmarks, and whole sessions run on it faster than real time.

``eeg_like`` is resting-EEG-like noise (a falling spectrum), an alpha rhythm that waxes and wanes, strongest
over the back of the head, and a few blinks over the front: enough for the feedback, the artifact marks and
the review page to have something real to show. ``eyes_eeg`` and ``emg_like`` are the controlled signals the
tests use: alpha that follows the eyes (strong closed, weak open), and broadband muscle-like power to
inject. ``offline_session`` drives a ``TrainingSession`` over it on a
clock that moves by itself, so a demo clinic gets genuine recordings in a fraction of a second. Nothing here
claims to be a patient's brain: the demo says these sessions were generated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import signal

from painrewire.neurofeedback.signal.protocols import Eyes, Protocol
from painrewire.neurofeedback.signal.sham import ShamReplay
from painrewire.neurofeedback.signal.training import SessionResult, TrainingSession
from painrewire.neurofeedback.sources.playback import PlaybackSource

FloatArray = NDArray[np.float64]

#: A 10-20 montage of eight channels covering every protocol's positions.
DEMO_CHANNELS = ("Fz", "F3", "F4", "C3", "Cz", "C4", "Pz", "Oz")


def eeg_like(
    channel_names: Sequence[str],
    sfreq: float,
    seconds: float,
    *,
    seed: int = 0,
    alpha_uv: float = 12.0,
    blinks_per_minute: float = 3.0,
) -> FloatArray:
    """EEG-like microvolts, shape (n_channels, n_times): AR(1) background, a waxing alpha rhythm, blinks."""
    rng = np.random.default_rng(seed)
    names = [c.lower() for c in channel_names]
    n = round(seconds * sfreq)
    t = np.arange(n) / sfreq
    background = signal.lfilter([1.0], [1.0, -0.9], rng.standard_normal((len(names), n)) * 2.5, axis=1)
    envelope = 0.55 + 0.45 * np.sin(2 * np.pi * t / 23.0 + rng.uniform(0, 2 * np.pi)) ** 2
    alpha = alpha_uv * envelope * np.sin(2 * np.pi * 10.0 * t + rng.uniform(0, 2 * np.pi))
    weight = np.array(
        [1.0 if n_.startswith(("o", "p")) else 0.7 if n_.startswith("c") else 0.35 for n_ in names]
    )
    smr = 3.0 * np.sin(2 * np.pi * 13.5 * t + rng.uniform(0, 2 * np.pi))
    theta = 4.0 * np.sin(2 * np.pi * 6.0 * t + rng.uniform(0, 2 * np.pi))
    data = background + weight[:, None] * alpha[None, :] + 0.5 * smr[None, :] + 0.4 * theta[None, :]
    frontal = np.array([1.0 if n_.startswith(("fp", "f")) else 0.0 for n_ in names])
    n_blinks = rng.poisson(blinks_per_minute * seconds / 60.0)
    width = round(0.3 * sfreq)
    shape = np.hanning(width) * 150.0
    for start in rng.integers(0, max(1, n - width), size=n_blinks):
        data[:, start : start + width] += frontal[:, None] * shape[None, : min(width, n - start)]
    return np.asarray(data, dtype=np.float64)


def eyes_eeg(
    channel_names: Sequence[str],
    sfreq: float,
    conditions: Sequence[tuple[Eyes | str, float]],
    *,
    seed: int = 0,
    alpha_open_uv: float = 4.0,
    alpha_closed_uv: float = 20.0,
    noise_uv: float = 2.5,
) -> FloatArray:
    """Resting EEG whose alpha follows the eyes, shape (n_channels, n_times), in microvolts.

    AR(1) noise (coefficient 0.9, innovations of ``noise_uv``; a falling spectrum like resting EEG) on every
    channel, plus one continuous 10 Hz rhythm whose amplitude is ``alpha_closed_uv`` while the eyes are closed
    and ``alpha_open_uv`` while they are open (the Berger effect), the same on every channel. A sinusoid of
    amplitude A has power A**2 / 2: 200 uV**2 closed and 8 uV**2 open with the defaults.

    Parameters
    ----------
    channel_names : sequence of str
        Rows of the result.
    sfreq : float
        Sampling frequency in Hz.
    conditions : sequence of (eyes, seconds)
        The condition of each stretch, in order, e.g. ``[("open", 60), ("closed", 60)]``.
    seed : int
        Seed of ``numpy.random.default_rng`` for the noise and the rhythm's phase.
    """
    rng = np.random.default_rng(seed)
    lengths = [round(float(seconds) * sfreq) for _, seconds in conditions]
    n = sum(lengths)
    amplitude = np.concatenate(
        [
            np.full(length, alpha_closed_uv if Eyes(str(eyes)) is Eyes.CLOSED else alpha_open_uv)
            for (eyes, _), length in zip(conditions, lengths, strict=True)
        ]
    )
    t = np.arange(n) / sfreq
    rhythm = amplitude * np.sin(2 * np.pi * 10.0 * t + rng.uniform(0, 2 * np.pi))
    background = signal.lfilter(
        [1.0], [1.0, -0.9], rng.standard_normal((len(channel_names), n)) * noise_uv, axis=1
    )
    return np.asarray(background + rhythm[None, :], dtype=np.float64)


def emg_like(
    sfreq: float, seconds: float, *, rms_uv: float, band: tuple[float, float] = (20.0, 45.0), seed: int = 0
) -> FloatArray:
    """Muscle-like activity, shape (n_times,): white noise band-passed to ``band`` (Hz) with RMS ``rms_uv``.

    Scalp EMG is broadband from about 20 Hz up; what the EEG's 1-45 Hz pass keeps of it lies in high beta and
    the 30-45 Hz range. Its power, ``rms_uv**2``, is spread evenly over ``band`` (4th-order Butterworth edges).
    """
    rng = np.random.default_rng(seed)
    sos = signal.butter(4, band, btype="bandpass", fs=sfreq, output="sos")
    noise = signal.sosfiltfilt(sos, rng.standard_normal(round(seconds * sfreq)))
    return np.asarray(noise * (rms_uv / float(np.sqrt(np.mean(noise**2)))), dtype=np.float64)


class _StepClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = 0.0) -> None:
        self.time = start

    def __call__(self) -> float:
        return self.time


@dataclass(frozen=True)
class OfflineRun:
    """A session run on generated EEG: its result, and the rewards and feedback of every feedback hop."""

    result: SessionResult
    rewards: list[bool]
    feedback: list[float]
    overrides: list[str]


def offline_session(
    data_uv: FloatArray,
    sfreq: float,
    channel_names: Sequence[str],
    protocol: Protocol,
    *,
    recording_path: str | Path,
    training_seconds: float,
    baseline_seconds: float,
    check_seconds: float = 3.0,
    target_reward_rate: float = 0.7,
    line_freq: float = 50.0,
    sham: ShamReplay | None = None,
    notes: Sequence[tuple[float, str]] = (),
    start_time: datetime | None = None,
    patient_code: str = "X",
    step_seconds: float = 0.25,
) -> OfflineRun:
    """Run a whole session (check, baseline, feedback) over ``data_uv`` as fast as the computer allows.

    ``notes`` are ``(seconds into training, text)``. No latency is measured: nothing was sent to a screen.
    """
    clock = _StepClock()
    source = PlaybackSource(
        data_uv, sfreq, channel_names, clock=clock, loop=True, description="generated EEG"
    )
    session = TrainingSession(
        source,
        protocol,
        recording_path=recording_path,
        sham=sham,
        check_seconds=check_seconds,
        baseline_seconds=baseline_seconds,
        target_reward_rate=target_reward_rate,
        line_freq=line_freq,
        patient_code=patient_code,
        clock=clock,
        start_time=start_time,
    )
    session.start()
    while session.check_report is None and check_seconds > 0:
        clock.time += step_seconds
        session.step()
    session.begin_training(
        override_reason=None
        if session.check_report is None or session.check_report.passed(protocol.channels)
        else "generated demo data",
        practitioner="demo",
    )
    pending = sorted(notes)
    trained = 0.0
    while trained < training_seconds:
        clock.time += step_seconds
        trained += step_seconds
        session.step()
        while pending and pending[0][0] <= trained:
            session.add_note(pending.pop(0)[1])
    result = session.stop()
    assert session.engine is not None
    return OfflineRun(
        result=result,
        rewards=session.engine.reward_sequence(),
        feedback=session.engine.feedback_sequence(),
        overrides=list(session.overrides),
    )
