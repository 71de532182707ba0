"""What every EEG source offers the training session: the ``Source`` protocol, its ``Chunk`` of samples, its
status and errors, and 10-20 channel positions.

Every source has the same small interface (``Source``): ``start()``, ``read()`` -- non-blocking, everything
that arrived since the last call, or None -- ``stop()``, the channel names and 10-20 positions, the sampling
rate, a status, and ``now()``, the clock its timestamps are on (so the delay from a sample to the feedback
it produced can be measured). Data are microvolts, shaped (n_channels, n_samples). A source never hands out a
growing backlog, and one whose headset stops sending notices it and reconnects by itself, without a restart.
The adapters: ``brainflow`` (headsets through BrainFlow, its synthetic board included), ``lsl`` (Lab Streaming
Layer inlets), ``playback`` (recordings and arrays at real speed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Clock = Callable[[], float]


class SourceError(RuntimeError):
    """A source cannot start or has failed for good; the message says what to check."""


class SourceStatus(StrEnum):
    """Where a source is in its life."""

    IDLE = "idle"
    STREAMING = "streaming"
    RECONNECTING = "reconnecting"
    ENDED = "ended"  # a playback reached the end of its file
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class Chunk:
    """Samples that arrived together.

    Attributes
    ----------
    data : ndarray, shape (n_channels, n_samples)
        EEG in microvolts.
    timestamps : ndarray, shape (n_samples,)
        Acquisition time of each sample, seconds on the source's clock (``Source.now``).
    counters : ndarray, shape (n_samples,) | None
        The headset's packet counter, when it has one (for exact counts of lost samples).
    """

    data: FloatArray
    timestamps: FloatArray
    counters: FloatArray | None = None

    @property
    def n_samples(self) -> int:
        return int(self.timestamps.size)


@runtime_checkable
class Source(Protocol):
    """What the training session needs from any EEG source."""

    sfreq: float
    channel_names: tuple[str, ...]
    counter_modulus: int | None
    clock_offset: float
    timestamp_jitter: float
    description: str

    @property
    def status(self) -> SourceStatus: ...

    @property
    def positions(self) -> dict[str, tuple[float, float, float] | None]: ...

    def start(self) -> None: ...

    def read(self) -> Chunk | None: ...

    def stop(self) -> None: ...

    def now(self) -> float: ...


@lru_cache(maxsize=1)
def _standard_1020() -> dict[str, tuple[float, float, float]]:
    import mne

    # MNE 1.13 renamed "standard_1020" (the Colin27 head) to "colin27_1020".
    name = "colin27_1020" if "colin27_1020" in mne.channels.get_builtin_montages() else "standard_1020"
    montage = mne.channels.make_standard_montage(name)
    return {
        name.lower(): (float(x), float(y), float(z))
        for name, (x, y, z) in montage.get_positions()["ch_pos"].items()
    }


def channel_positions(names: Sequence[str]) -> dict[str, tuple[float, float, float] | None]:
    """Head positions (metres, MNE's head frame) of 10-20 channel names; None for names that are not 10-20."""
    table = _standard_1020()
    return {name: table.get(name.lower()) for name in names}
