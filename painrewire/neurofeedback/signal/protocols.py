"""Neurofeedback protocols (what is rewarded, what is inhibited, where, eyes open or closed) and the thresholds.

Each protocol reduces the band powers of its channels to one number, the metric, and rewards it being above
(up-training) or below (down-training) a threshold that adapts so that the reward comes about as often as the
practitioner asks, typically 60-80 % of the time (practitioner convention: IMBR, "Setting the reward slider",
https://imbr.org/help/setting-the-reward-slider; Brain-Trainer, "Rewards", https://brain-trainer.com/answer/rewards).

Inhibit bands
-------------
Clinical protocols pair the reward with inhibits: bands whose power, when high, withholds the reward whatever
the metric does, so that what earns the reward is the trained rhythm and not eye movement, drowsiness or muscle
tension. An SMR protocol, for example, rewards 12-15 Hz while inhibiting theta and high beta (about 22-30 Hz,
where scalp muscle (EMG) power shows); without the inhibit, a theta/beta protocol whose beta band reaches 30 Hz
rewards a patient for clenching the jaw (Hammond DC, "What is neurofeedback: an update", J Neurotherapy
2011;15(4):305-336; the bands of the trials in Hesam-Shariati 2022 and Schuurman 2024, below). The defaults here:

* every inhibit's threshold is the ``INHIBIT_PERCENTILE`` (90th) percentile of that band's power in the
  session's own baseline (good windows only, mean over the protocol's channels), fixed for the session: in the
  baseline's own state the inhibit trips in about one window in ten. Practitioner software sets inhibit
  thresholds so that they cut off the highest bursts and then fixes them while the reward threshold keeps
  adapting (Brain-Trainer, "Thresholds", https://brain-trainer.com/answer/thresholds, and "Rewards and
  inhibits", https://brain-trainer.com/answer/rewards-and-inhibits, which also shows why few inhibits are
  used: each one multiplies the share of feedback by its own pass rate). These are practitioner conventions,
  not parameters any trial validated.
* a window an inhibit withholds is not rewarded, shows no feedback, and does not enter the reward threshold's
  history (muscle power in beta would otherwise move a theta/beta threshold).
* with no baseline (``baseline_seconds=0``), or one of fewer than ``INHIBIT_MIN_WINDOWS`` good windows (5 s),
  there is nothing to set an inhibit from (the 90th percentile of a handful of windows is little more than
  their largest), and the inhibits are off; the summary says so.

Eyes open or closed
-------------------
Alpha power is several times higher with the eyes closed than open (the Berger effect). A baseline recorded
with the eyes open and training done with them closed sets the threshold far below the training state, so an
alpha protocol then rewards the patient for closing their eyes. Each protocol states its usual condition
(``eyes``); a session may choose the other, and the baseline is recorded in that same condition, with the
patient's screen saying so.

Evidence
--------
Reviews rate the evidence for EEG neurofeedback in chronic pain as low quality: small trials, often
uncontrolled, of mixed conditions (mostly fibromyalgia, central neuropathic pain after spinal cord injury,
chemotherapy-induced neuropathy, migraine), none of chronic back pain on its own (Patel 2020; Hesam-Shariati
2022; Roy 2020). Each protocol's ``evidence`` says what it rests on, for the practitioner choosing it.

References
----------
Patel K, Sutherland H, Henshaw J, et al. (2020). Effects of neurofeedback in the management of chronic pain: a
systematic review and meta-analysis of clinical trials. Eur J Pain 24(8):1440-1457. doi:10.1002/ejp.1612
Hesam-Shariati N, Chang WJ, Wewege MA, et al. (2022). The analgesic effect of electroencephalographic
neurofeedback for people with chronic pain: a systematic review and meta-analysis. Eur J Neurol 29(3):921-936.
Roy R, de la Vega R, Jensen MP, Miro J (2020). Neurofeedback for pain management: a systematic review. Front
Neurosci 14:671.
Schuurman BB, et al. (2024). A scoping review of the effect of EEG neurofeedback on pain complaints in adults
with chronic pain. J Clin Med 13(10):2813.
Al-Taleb MKH, Purcell M, Fraser M, Petric-Gray N, Vuckovic A (2019). Home used, patient self-managed,
brain-computer interface for the management of central neuropathic pain post spinal cord injury: usability
study. J NeuroEng Rehabil 16:53.
Kayiran S, Dursun E, Dursun N, Ermutlu N, Karamursel S (2010). Neurofeedback intervention in fibromyalgia
syndrome; a randomized, controlled, rater blind clinical trial. Appl Psychophysiol Biofeedback 35(4):293-302.
Allen JJB, Coan JA, Nazarian M (2004). Issues and assumptions on the road from raw signals to metrics of
frontal EEG asymmetry in emotion. Biol Psychol 67(1-2):183-218 (the ln F4 - ln F3 alpha index).
Mennella R, Patron E, Palomba D (2017). Frontal alpha asymmetry neurofeedback for the reduction of negative
affect and anxiety. Behav Res Ther 92:32-40.
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

from painrewire.neurofeedback.signal.bands import BANDS, LIVE_BANDS
from painrewire.neurofeedback.signal.validation import check_number, check_option, ensure_int

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


class Eyes(StrEnum):
    """The condition the baseline and the training are both done in."""

    OPEN = "open"
    CLOSED = "closed"


class Purpose(StrEnum):
    """What a protocol is offered for: chronic pain, or something else a pain patient may also need."""

    PAIN = "pain"
    MOOD = "mood"


#: An inhibit's threshold is this percentile of its band's power over the baseline's good windows (see the
#: module's notes: a practitioner convention, about one baseline window in ten over it).
INHIBIT_PERCENTILE = 90.0
#: Fewer good baseline windows than this (5 s at 4 a second) set no inhibit threshold: the inhibits stay off.
INHIBIT_MIN_WINDOWS = 20


@dataclass(frozen=True, slots=True)
class Inhibit:
    """A band whose power, above its threshold, withholds the reward.

    Parameters
    ----------
    band : str
        A band of ``bands.LIVE_BANDS``.
    guards : str
        What a high value of it means, for the practitioner (e.g. "muscle tension (EMG)").
    percentile : float
        The threshold is this percentile of the band's power over the baseline's good windows.
    """

    band: str
    guards: str
    percentile: float = INHIBIT_PERCENTILE

    @property
    def label(self) -> str:
        """The band and its edges, e.g. ``high beta 22-30 Hz``."""
        lo, hi = LIVE_BANDS[self.band]
        return f"{self.band.replace('_', ' ')} {lo:g}-{hi:g} Hz"


THETA_INHIBIT = Inhibit("theta", "drowsiness and eye movement (theta 4-8 Hz)")
HIGH_BETA_INHIBIT = Inhibit("high_beta", "muscle tension (EMG) and over-arousal (high beta 22-30 Hz)")
EMG_INHIBIT = Inhibit("gamma", "muscle tension (EMG range 30-45 Hz)")


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
    inhibits : tuple of Inhibit
        Bands that withhold the reward while above their thresholds.
    eyes : Eyes
        The usual condition of baseline and training (a session may choose the other, for both).
    purpose : Purpose
        What the protocol is offered for.
    evidence : str
        What the protocol rests on, in a sentence or two, for the practitioner choosing it.
    """

    name: str
    title: str
    channels: tuple[str, ...]
    kind: MetricKind
    bands: tuple[str, ...]
    direction: Direction
    inhibits: tuple[Inhibit, ...] = ()
    eyes: Eyes = Eyes.OPEN
    purpose: Purpose = Purpose.PAIN
    evidence: str = ""

    def with_eyes(self, eyes: Eyes | str) -> Protocol:
        """Return the same protocol with its baseline and training in another eyes condition."""
        return replace(self, eyes=Eyes(check_option(str(eyes), [e.value for e in Eyes], "eyes")))

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
        inhibits=(THETA_INHIBIT, HIGH_BETA_INHIBIT),
        eyes=Eyes.CLOSED,
        evidence=(
            "Low-quality evidence for chronic pain: small studies without a control group, mostly of central "
            "neuropathic pain after spinal cord injury (e.g. Al-Taleb 2019, 15 people training at home: alpha "
            "up with theta 4-8 Hz and beta 20-30 Hz inhibited). Not studied in chronic back pain."
        ),
    ),
    "smr_theta": Protocol(
        name="smr_theta",
        title="SMR up, theta down (ln SMR - ln theta up, C4)",
        channels=("C4",),
        kind=MetricKind.LOG_RATIO,
        bands=("smr", "theta"),
        direction=Direction.UP,
        inhibits=(THETA_INHIBIT, HIGH_BETA_INHIBIT),
        evidence=(
            "Low-quality evidence for chronic pain: small trials in fibromyalgia (e.g. Kayiran 2010, a small "
            "randomised trial against a drug, not against sham; SMR 12-15 Hz up and theta 4-8 Hz down at C4) "
            "and uncontrolled series. Not studied in chronic back pain."
        ),
    ),
    "theta_beta": Protocol(
        name="theta_beta",
        title="Theta/beta ratio down (Cz)",
        channels=("Cz",),
        kind=MetricKind.RATIO,
        bands=("theta", "beta"),
        direction=Direction.DOWN,
        inhibits=(EMG_INHIBIT,),
        evidence=(
            "Very low evidence for chronic pain: a protocol from attention (ADHD) training, used in a few small "
            "uncontrolled pain studies; no controlled chronic-pain trial of it is known to us, and none in "
            "chronic back pain. Its beta band (13-30 Hz) takes up muscle tension, hence the EMG inhibit."
        ),
    ),
    # Frontal alpha asymmetry is studied for depression and negative affect, not for pain. It stays available
    # (low mood is common with chronic pain and may be a goal of its own, and earlier sessions used it) but is
    # offered apart from the pain protocols and says what it is for.
    "asymmetry": Protocol(
        name="asymmetry",
        title="Frontal alpha asymmetry (ln alpha F4 - ln alpha F3 up; for low mood, not pain)",
        channels=("F3", "F4"),
        kind=MetricKind.ASYMMETRY,
        bands=("alpha",),
        direction=Direction.UP,
        inhibits=(EMG_INHIBIT,),
        purpose=Purpose.MOOD,
        evidence=(
            "Studied for depression and negative affect, not for pain: small trials (e.g. Mennella 2017, "
            "adults with high negative affect). No chronic-pain trial. Frontal sites pick up forehead muscle "
            "and eye movement, hence the EMG inhibit."
        ),
    ),
}


def get_protocol(
    name: str, *, channels: Sequence[str] | None = None, eyes: Eyes | str | None = None
) -> Protocol:
    """Return the protocol called ``name`` (one of ``PROTOCOLS``), optionally at other channels or with the
    baseline and training in the other eyes condition."""
    protocol = PROTOCOLS[check_option(name, PROTOCOLS, "protocol")]
    for band in protocol.bands:
        check_option(band, BANDS, "band")
    for inhibit in protocol.inhibits:
        check_option(inhibit.band, LIVE_BANDS, "inhibit band")
    if eyes is not None:
        protocol = protocol.with_eyes(eyes)
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
