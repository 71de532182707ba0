"""Neurofeedback protocols (what is trained, where, and when it is rewarded) and the adaptive threshold.

The four protocols are the "conventional" ones of the chronic-pain trials (Hesam-Shariati 2022; Patel 2020;
clinical.md section 4.2). Each reduces the band powers of its channels to one number, the metric, and
rewards it being above (up-training) or below (down-training) a threshold. The threshold adapts so that the
reward comes about as often as the practitioner asks, typically 60-80 % of the time (clinical.md 4.3).

References
----------
Hesam-Shariati N et al. (2022). The analgesic effect of electroencephalographic neurofeedback for people with
chronic pain: a systematic review and meta-analysis. Eur J Neurol 29(3):921-936.
Patel K et al. (2020). Effects of neurofeedback in the management of chronic pain: a systematic review and
meta-analysis of clinical trials. Eur J Pain 24(8):1440-1457. doi:10.1002/ejp.1612
Allen JJB, Coan JA, Nazarian M (2004). Issues and assumptions on the road from raw signals to metrics of
frontal EEG asymmetry in emotion. Biol Psychol 67(1-2):183-218 (the ln F4 - ln F3 alpha index).
"""

from __future__ import annotations

import bisect
import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from painrewire.neurofeedback.bands import BANDS
from painrewire.neurofeedback.validation import check_number, check_option, ensure_int

#: Band power below this (uV**2) is treated as this in logarithms and ratios, so a flat window gives a
#: finite metric (it is marked bad anyway).
POWER_FLOOR_UV2 = 1e-12


class Direction(StrEnum):
    """Whether the metric is rewarded for being high (up-training) or low (down-training)."""

    UP = "up"
    DOWN = "down"


class MetricKind(StrEnum):
    """How a protocol reduces band powers to its metric."""

    POWER = "power"  # mean band power of the channels, uV**2
    LOG_RATIO = "log_ratio"  # mean over channels of ln(band 1) - ln(band 2)
    RATIO = "ratio"  # mean over channels of band 1 / band 2
    ASYMMETRY = "asymmetry"  # ln(band at channel 2) - ln(band at channel 1)


@dataclass(frozen=True, slots=True)
class Protocol:
    """One neurofeedback protocol.

    Parameters
    ----------
    name : str
        Short code used by the CLI, the web form and recordings.
    title : str
        What the practitioner reads.
    channels : tuple of str
        10-20 positions trained (for ``asymmetry``: left then right).
    kind : MetricKind
        How band powers become the metric.
    bands : tuple of str
        Bands the metric uses (for the ratios: numerator then denominator).
    direction : Direction
        Reward a high or a low metric.
    """

    name: str
    title: str
    channels: tuple[str, ...]
    kind: MetricKind
    bands: tuple[str, ...]
    direction: Direction

    def with_channels(self, channels: Sequence[str]) -> Protocol:
        """Return the same protocol trained at other positions (a headset without the usual site)."""
        wanted = 2 if self.kind is MetricKind.ASYMMETRY else None
        names = tuple(str(c) for c in channels)
        if not names or (wanted is not None and len(names) != wanted):
            need = "exactly 2 channels (left, right)" if wanted else "at least 1 channel"
            raise ValueError(f"Protocol {self.name!r} needs {need}, got {list(names)}")
        return replace(self, channels=names)

    def bind(self, channel_names: Sequence[str], band_names: Sequence[str]) -> BoundMetric:
        """Resolve channel and band names to row and column indices of a band-power array."""
        lookup = {str(n).lower(): i for i, n in enumerate(channel_names)}
        missing = [c for c in self.channels if c.lower() not in lookup]
        if missing:
            raise ValueError(
                f"Protocol {self.name!r} trains at {list(self.channels)} but the headset has no "
                f"{', '.join(missing)}; its channels are {list(channel_names)}. Choose other positions with "
                f"Protocol.with_channels()."
            )
        band_list = list(band_names)
        for band in self.bands:
            check_option(band, band_list, f"band of protocol {self.name!r}")
        return BoundMetric(
            kind=self.kind,
            rows=tuple(lookup[c.lower()] for c in self.channels),
            columns=tuple(band_list.index(b) for b in self.bands),
        )


@dataclass(frozen=True, slots=True)
class BoundMetric:
    """A protocol's metric tied to the rows (channels) and columns (bands) of a band-power array."""

    kind: MetricKind
    rows: tuple[int, ...]
    columns: tuple[int, ...]

    def __call__(self, powers: NDArray[np.float64]) -> float:
        """Return the metric of one window's band powers, shape (n_channels, n_bands) in uV**2."""
        floor = POWER_FLOOR_UV2
        log = math.log
        if self.kind is MetricKind.POWER:
            col = self.columns[0]
            return sum(float(powers[r, col]) for r in self.rows) / len(self.rows)
        if self.kind is MetricKind.ASYMMETRY:
            col = self.columns[0]
            left, right = self.rows
            return log(max(float(powers[right, col]), floor)) - log(max(float(powers[left, col]), floor))
        num, den = self.columns
        if self.kind is MetricKind.LOG_RATIO:
            values = [
                log(max(float(powers[r, num]), floor)) - log(max(float(powers[r, den]), floor))
                for r in self.rows
            ]
        else:
            values = [
                max(float(powers[r, num]), floor) / max(float(powers[r, den]), floor) for r in self.rows
            ]
        return sum(values) / len(values)


PROTOCOLS: dict[str, Protocol] = {
    "alpha": Protocol(
        name="alpha",
        title="Alpha up-training (8-13 Hz up)",
        channels=("Cz",),
        kind=MetricKind.POWER,
        bands=("alpha",),
        direction=Direction.UP,
    ),
    "smr_theta": Protocol(
        name="smr_theta",
        title="SMR up, theta down (ln SMR - ln theta up, C4)",
        channels=("C4",),
        kind=MetricKind.LOG_RATIO,
        bands=("smr", "theta"),
        direction=Direction.UP,
    ),
    "theta_beta": Protocol(
        name="theta_beta",
        title="Theta/beta ratio down (Cz)",
        channels=("Cz",),
        kind=MetricKind.RATIO,
        bands=("theta", "beta"),
        direction=Direction.DOWN,
    ),
    "asymmetry": Protocol(
        name="asymmetry",
        title="Frontal alpha asymmetry (ln alpha F4 - ln alpha F3 up)",
        channels=("F3", "F4"),
        kind=MetricKind.ASYMMETRY,
        bands=("alpha",),
        direction=Direction.UP,
    ),
}


def get_protocol(name: str, *, channels: Sequence[str] | None = None) -> Protocol:
    """Return the protocol called ``name`` (one of ``PROTOCOLS``), optionally at other channels."""
    protocol = PROTOCOLS[check_option(name, PROTOCOLS, "protocol")]
    for band in protocol.bands:
        check_option(band, BANDS, "band")
    return protocol if channels is None else protocol.with_channels(channels)


class AdaptiveThreshold:
    """A threshold that keeps the reward rate near a target: a quantile of the recent metric history.

    For up-training the threshold is the value that a fraction ``target_rate`` of the last ``history``
    good windows exceeded; for down-training the value that that fraction stayed below. If the metric is
    stationary, a new window beats the threshold with probability ``target_rate`` (to within 1/(n+1) for a
    history of n values), so the achieved reward rate converges to the target; if the patient learns and the
    metric drifts, the history follows it and the task stays equally hard (the "auto-threshold" of
    practitioner software).

    Parameters
    ----------
    direction : Direction
        Up- or down-training.
    target_rate : float
        Desired share of rewarded windows, in [0.05, 0.95].
    history : int
        Number of recent good windows the quantile is taken over.
    """

    def __init__(self, direction: Direction, *, target_rate: float, history: int) -> None:
        self.direction = Direction(check_option(direction, list(Direction), "direction"))
        self.target_rate = check_number(target_rate, "target_rate", low=0.05, high=0.95)
        self.history = ensure_int(history, "history")
        if self.history < 2:
            raise ValueError(f"history must be at least 2 windows, got {self.history}")
        self._order: deque[float] = deque()
        self._sorted: list[float] = []

    def __len__(self) -> int:
        return len(self._sorted)

    def seed(self, values: Iterable[float]) -> None:
        """Start the history from the baseline's metrics (the newest ``history`` of them)."""
        self._order.clear()
        self._sorted.clear()
        for value in values:
            self.add(value)

    def add(self, value: float) -> None:
        """Append a good window's metric, dropping the oldest beyond ``history``."""
        if len(self._order) == self.history:
            oldest = self._order.popleft()
            del self._sorted[bisect.bisect_left(self._sorted, oldest)]
        self._order.append(value)
        bisect.insort(self._sorted, value)

    @property
    def threshold(self) -> float | None:
        """The current threshold, or None before any history."""
        values = self._sorted
        n = len(values)
        if n == 0:
            return None
        if self.direction is Direction.UP:
            index = round((1.0 - self.target_rate) * (n + 1)) - 1
        else:
            index = round(self.target_rate * (n + 1)) - 1
        return values[min(max(index, 0), n - 1)]

    def evaluate(self, value: float) -> tuple[bool, float, float | None]:
        """Judge one good window's metric against the current history, then add it to the history.

        Returns
        -------
        reward : bool
            The metric beat the threshold.
        feedback : float
            0..1: the share of the history the metric beat (its percentile rank), which drives the
            brightness or volume of the feedback smoothly rather than on/off.
        threshold : float | None
            The threshold the metric was judged against.
        """
        threshold = self.threshold
        values = self._sorted
        n = len(values)
        if threshold is None:
            reward, feedback = False, 0.5
        elif self.direction is Direction.UP:
            reward = value > threshold
            feedback = bisect.bisect_left(values, value) / n
        else:
            reward = value < threshold
            feedback = (n - bisect.bisect_right(values, value)) / n
        self.add(value)
        return reward, feedback, threshold
