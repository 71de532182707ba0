"""Generated EEG-like signals with known properties, and a clock the tests move by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyedflib
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: Test recordings that pyedflib ships, written by its own generator (another tool than ours).
PYEDFLIB_DIR = Path(str(pyedflib.__file__)).parent
GENERATOR_EDF = PYEDFLIB_DIR / "data" / "test_generator.edf"
GENERATOR_BDF = PYEDFLIB_DIR / "tests" / "data" / "test_generator.bdf"


def sine(frequency: float, amplitude: float, sfreq: float, seconds: float, phase: float = 0.0) -> FloatArray:
    """``amplitude * sin(2 pi f t + phase)``: power ``amplitude**2 / 2`` (Parseval)."""
    t = np.arange(round(seconds * sfreq)) / sfreq
    return amplitude * np.sin(2 * np.pi * frequency * t + phase)


def red_noise(
    n_channels: int, sfreq: float, seconds: float, *, seed: int = 0, scale: float = 5.0
) -> FloatArray:
    """AR(1) noise (coefficient 0.9): falling spectrum like resting EEG, little power above 30 Hz."""
    rng = np.random.default_rng(seed)
    n = round(seconds * sfreq)
    innovations = rng.standard_normal((n_channels, n)) * scale
    out = np.empty_like(innovations)
    previous = np.zeros(n_channels)
    for i in range(n):
        previous = 0.9 * previous + innovations[:, i]
        out[:, i] = previous
    return out


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = 1000.0) -> None:
        self.time = start

    def __call__(self) -> float:
        return self.time

    def advance(self, seconds: float) -> None:
        self.time += seconds
