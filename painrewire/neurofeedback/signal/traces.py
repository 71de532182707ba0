"""What the practitioner's console shows of the raw signal: traces averaged down for drawing, and each
channel's signal quality over the last second.

The live loop hands over every chunk it reads (``hold``) and, twice a second, takes one ``raw`` message part
(``take``); the quality, which covers a second, comes with every part that completes a second. Chunks are
only held between traces and joined when they are taken, not at every step. Hundreds
of sessions share one process, so the usual case -- a clean signal -- takes a quick path: a few whole-array
reductions, no per-sample masks; only a window holding NaN or infinities is looked at value by value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from painrewire.neurofeedback.signal.artifacts import ArtifactLimits

FloatArray = NDArray[np.float64]

#: Traces are averaged down to about this many samples per second per channel (enough to draw).
TRACE_RATE = 64.0
#: Signal quality covers the last this many seconds.
QUALITY_SECONDS = 1.0


def signal_quality(
    window: FloatArray | None, channel_names: Sequence[str], limits: ArtifactLimits
) -> list[dict[str, Any]]:
    """Per channel: ``no_data``, ``flat``, ``saturated``, ``high_amplitude`` or ``ok``, with its raw
    peak-to-peak amplitude in uV (``ptp_uv``, None without data). Non-finite samples are ignored; a channel
    with fewer than two finite samples has no data."""
    if window is None or window.shape[1] < 2:
        return [{"channel": name, "state": "no_data", "ptp_uv": None} for name in channel_names]
    n_finite: list[int] | None = None
    if math.isfinite(float(window.sum())):
        high = np.maximum.reduce(window, axis=1)
        low = np.minimum.reduce(window, axis=1)
        peak = np.maximum(high, -low)
    else:
        finite = np.isfinite(window)
        n_finite = finite.sum(axis=1).tolist()
        with np.errstate(invalid="ignore"):
            high = np.where(finite, window, -np.inf).max(axis=1)
            low = np.where(finite, window, np.inf).min(axis=1)
            peak = np.where(finite, np.abs(window), 0.0).max(axis=1)
    out: list[dict[str, Any]] = []
    rail = limits.saturation_uv
    for i, (name, ptp, top) in enumerate(
        zip(channel_names, (high - low).tolist(), peak.tolist(), strict=True)
    ):
        if n_finite is not None and n_finite[i] < 2:
            out.append({"channel": name, "state": "no_data", "ptp_uv": None})
            continue
        state = "ok"
        if ptp < limits.flat_ptp_uv:
            state = "flat"
        elif rail is not None and top >= rail:
            state = "saturated"
        elif ptp > limits.max_ptp_uv:
            state = "high_amplitude"
        out.append({"channel": name, "state": state, "ptp_uv": round(ptp, 1)})
    return out


def average_down(data: FloatArray, factor: int) -> FloatArray:
    """Means of consecutive runs of ``factor`` samples per row (the length must be a multiple); a missing
    (non-finite) sample counts as 0 uV, so a gap draws as a flat line, not a hole in the whole trace."""
    rows = data.shape[0]
    reduced: FloatArray = np.add.reduce(data.reshape(rows, -1, factor), axis=2)
    if not math.isfinite(float(reduced.sum())):
        reduced = np.add.reduce(np.nan_to_num(data).reshape(rows, -1, factor), axis=2)
    reduced *= 1.0 / factor
    return reduced


class ConsoleTraces:
    """The raw signal of one session for its console: hold chunks as they come, take a ``raw`` part."""

    def __init__(
        self,
        sfreq: float,
        channel_names: Sequence[str],
        limits: ArtifactLimits,
        *,
        rate: float = TRACE_RATE,
        quality_seconds: float = QUALITY_SECONDS,
    ) -> None:
        self.factor = max(1, round(sfreq / rate))
        self.rate = sfreq / self.factor
        self.channel_names = list(channel_names)
        self.limits = limits
        self._keep = max(2, round(quality_seconds * sfreq))
        self._held: list[FloatArray] = []
        self._held_samples = 0
        self._carried = 0  # samples at the start of ``_held`` already in ``_quality``
        self._quality: FloatArray | None = None
        self._unjudged = self._keep  # samples since the quality was last given (the first part gives it)

    def hold(self, data: FloatArray) -> None:
        """A chunk just read (channels x samples, uV)."""
        self._held.append(data)
        self._held_samples += data.shape[1]

    @property
    def drawable(self) -> bool:
        """Enough samples are held for ``take`` to draw at least one point."""
        return self._held_samples >= self.factor

    def clear(self) -> None:
        """Forget everything (nobody watches): the next traces start afresh, without a stale quality."""
        self._held.clear()
        self._held_samples = 0
        self._carried = 0
        self._quality = None
        self._unjudged = self._keep

    def take(self) -> dict[str, Any] | None:
        """The ``raw`` part: the traces since the last one (``rate`` samples a second) and, once a second of
        signal has come since it was last given, the quality of the last second; None when too little came to
        draw. Samples that do not fill a run of ``factor`` wait for the next traces."""
        if not self._held:
            return None
        data = self._held[0] if len(self._held) == 1 else np.concatenate(self._held, axis=1)
        self._held.clear()
        new = data[:, self._carried :]
        self._unjudged += new.shape[1]
        recent = new if self._quality is None else np.concatenate([self._quality, new], axis=1)
        self._quality = recent[:, -self._keep :]
        factor = self.factor
        usable = data.shape[1] // factor * factor
        self._carried = self._held_samples = data.shape[1] - usable
        if self._carried:
            self._held.append(data[:, usable:])
        if usable == 0:
            return None
        part: dict[str, Any] = {
            "type": "raw",
            "rate": self.rate,
            "channels": self.channel_names,
            "data": average_down(data[:, :usable], factor).round(1).tolist(),
        }
        if self._unjudged >= self._keep:
            part["quality"] = signal_quality(self._quality, self.channel_names, self.limits)
            self._unjudged = 0
        return part
