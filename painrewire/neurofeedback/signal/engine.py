"""The live neurofeedback engine: EEG chunks in, one feedback update per hop out.

``FeedbackEngine`` is a streaming processor (validated once, at construction). Fed chunks of raw EEG as they
arrive, it keeps a ring buffer per channel, filters causally (band-pass and mains notch, state carried across
chunks), and every hop (0.25 s) computes the band powers of the newest window (2 s), checks it for
artifacts, evaluates the protocol's metric, and decides the reward against an adaptive threshold -- withheld
while any of the protocol's inhibit bands is above its threshold (``protocols``: both thresholds come from the
session's baseline, recorded in the same eyes condition as the training). Each hop's record is kept for the
session summary and for sham replay.

What is reused between hops, and why it is exact
------------------------------------------------
Band powers are Welch estimates over the window: the mean of the periodograms of 1-second Hann segments at
50 % overlap, the segments aligned to end at the newest sample. The hop divides the segment step, so the
segments of the window at hop ``t`` are the segments ending at blocks ``t, t - s, t - 2s, ...`` (``s`` =
segment step in hops) -- and all but the newest were already the newest segment of an earlier hop. Each
segment's periodogram is computed once, when its last block arrives, reduced at once to band powers (a sum
over bins, which is linear, so averaging band powers equals taking band powers of the averaged PSD), and
kept in a small ring. The inhibit bands are columns of the same band map, so they cost no transform of their
own. A hop therefore transforms one segment instead of all of them, and the result equals
``scipy.signal.welch`` on the filtered window to rounding error, as the tests prove. Window amplitude
statistics (peak-to-peak of the raw and filtered signal) are likewise kept per block and combined by max/min.

The engine knows nothing of sockets, databases or files; ``training.TrainingSession`` wires it to a source,
a loss monitor and a recorder.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from painrewire.neurofeedback.signal.artifacts import ArtifactLimits, BadReason
from painrewire.neurofeedback.signal.bands import LIVE_BANDS, TOTAL_RANGE, band_matrix, check_bands
from painrewire.neurofeedback.signal.dsp import (
    StreamingFilter,
    density_weights,
    design_filter,
    hann_window,
    rfft_frequencies,
)
from painrewire.neurofeedback.signal.protocols import INHIBIT_MIN_WINDOWS, AdaptiveThreshold, Protocol
from painrewire.neurofeedback.signal.sham import ShamReplay
from painrewire.neurofeedback.signal.summary import MinuteBandPower, SessionSummary
from painrewire.neurofeedback.signal.validation import check_number, check_option, validate_type

FloatArray = NDArray[np.float64]


class Phase(StrEnum):
    """Where the session is: the baseline that sets the thresholds (in the training's eyes condition), then
    feedback."""

    BASELINE = "baseline"
    FEEDBACK = "feedback"


@dataclass(slots=True)
class HopResult:
    """One feedback update.

    Attributes
    ----------
    index : int
        Hop number from 0.
    phase : Phase
        Baseline or feedback.
    sample_index : int
        Index of the window's newest sample on the engine's timeline (lost samples count, so it matches the
        recording's sample index when the recording fills gaps).
    time_s : float
        ``(sample_index + 1) / sfreq``: seconds of signal since the engine started.
    timestamp : float
        Acquisition time of the newest sample (session clock).
    band_powers : ndarray, shape (n_channels, n_bands)
        Welch band power of the window per channel, in uV**2.
    metric : float
        The protocol's metric of this window.
    threshold : float | None
        Threshold the metric was judged against (None in baseline).
    reward : bool
        Rewarded (never in baseline, never for a bad or inhibited window of a live session).
    feedback : float
        0..1 value for the display and the tone (0 while an inhibit withholds the reward).
    bad : bool
        The window is unfit on a protocol channel.
    bad_reasons : tuple of str
        ``"<reason>:<channel>"`` for each failed test, e.g. ``"amplitude:Cz"``; ``"lost_samples"``.
    sham : bool
        The reward came from a replayed earlier session.
    sent_at, latency_s : float | None
        When the feedback message was sent (session clock), and how long after the newest sample.
    inhibited : bool
        An inhibit band was above its threshold, so the reward was withheld (feedback phase, good windows).
    inhibits_over : tuple of str
        The inhibit bands that were above their thresholds.
    """

    index: int
    phase: Phase
    sample_index: int
    time_s: float
    timestamp: float
    band_powers: FloatArray
    metric: float
    threshold: float | None
    reward: bool
    feedback: float
    bad: bool
    bad_reasons: tuple[str, ...]
    sham: bool
    channel_names: tuple[str, ...]
    band_names: tuple[str, ...]
    sent_at: float | None = None
    latency_s: float | None = None
    inhibited: bool = False
    inhibits_over: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict: the feedback message, and the per-hop record."""
        powers = self.band_powers
        return {
            "index": self.index,
            "phase": self.phase.value,
            "sample_index": self.sample_index,
            "time_s": self.time_s,
            "timestamp": self.timestamp,
            "metric": self.metric if math.isfinite(self.metric) else None,
            "threshold": self.threshold,
            "reward": self.reward,
            "feedback": self.feedback,
            "bad": self.bad,
            "bad_reasons": list(self.bad_reasons),
            "sham": self.sham,
            "inhibited": self.inhibited,
            "inhibits_over": list(self.inhibits_over),
            "band_powers": {
                ch: {band: float(powers[i, j]) for j, band in enumerate(self.band_names)}
                for i, ch in enumerate(self.channel_names)
            },
            "sent_at": self.sent_at,
            "latency_s": self.latency_s,
        }


class _Column:
    """One column of a ``HopLog``: the hops so far (a view)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, log: HopLog, owner: type | None = None) -> NDArray[Any]:
        return log._data[self.name][: len(log)]


class HopLog:
    """Every hop of a session, kept in columns for the summary, sham replay and latency figures (the latencies
    themselves, in the order hops were sent, are the engine's ``_latencies``).

    A live server runs hundreds of sessions of thousands of hops each (a 30-minute session has 7,200), so the
    hops are kept as a few numpy arrays per session, grown by doubling, not as one object per hop that every
    full garbage collection would walk.

    Attributes (views of the hops so far)
    ----------
    feedback_phase, reward, bad, inhibited : ndarray of bool
    time_s, timestamp, feedback : ndarray of float
        As in ``HopResult``.
    protocol_power : ndarray, shape (n_hops, n_bands)
        Band power averaged over the protocol's channels (what the summary reports per minute).
    """

    def __init__(self, n_bands: int, capacity: int = 512) -> None:
        self._n = 0
        self._capacity = capacity
        self._data: dict[str, NDArray[Any]] = {
            "feedback_phase": np.zeros(capacity, dtype=np.bool_),
            "reward": np.zeros(capacity, dtype=np.bool_),
            "bad": np.zeros(capacity, dtype=np.bool_),
            "inhibited": np.zeros(capacity, dtype=np.bool_),
            "time_s": np.zeros(capacity),
            "timestamp": np.zeros(capacity),
            "feedback": np.zeros(capacity),
            "protocol_power": np.zeros((capacity, n_bands)),
        }

    def __len__(self) -> int:
        return self._n

    def append(self, hop: HopResult, protocol_power: FloatArray) -> None:
        """Keep ``hop`` (its index must be ``len(self)``)."""
        n = self._n
        if hop.index != n:
            raise ValueError(f"hop {hop.index} is not the next one ({n})")
        if n == self._capacity:
            self._grow()
        data = self._data
        data["feedback_phase"][n] = hop.phase is Phase.FEEDBACK
        data["reward"][n] = hop.reward
        data["bad"][n] = hop.bad
        data["inhibited"][n] = hop.inhibited
        data["time_s"][n] = hop.time_s
        data["timestamp"][n] = hop.timestamp
        data["feedback"][n] = hop.feedback
        data["protocol_power"][n] = protocol_power
        self._n = n + 1

    def _grow(self) -> None:
        self._capacity *= 2
        for name, column in self._data.items():
            grown = np.zeros((self._capacity, *column.shape[1:]), dtype=column.dtype)
            grown[: self._n] = column[: self._n]
            self._data[name] = grown

    def latency(self, index: int, sent_at: float) -> float:
        """Seconds from hop ``index``'s newest sample to ``sent_at`` (the same clock)."""
        if not 0 <= index < self._n:
            raise IndexError(f"no hop {index}: {self._n} so far")
        return float(sent_at) - float(self._data["timestamp"][index])

    feedback_phase = _Column()
    reward = _Column()
    bad = _Column()
    inhibited = _Column()
    time_s = _Column()
    timestamp = _Column()
    feedback = _Column()
    protocol_power = _Column()


class FeedbackEngine:
    """Streaming neurofeedback processor for one session.

    Parameters
    ----------
    sfreq : float
        Sampling frequency of the headset in Hz.
    channel_names : sequence of str
        Names (10-20 positions) of the rows of each chunk.
    protocol : Protocol
        What is trained (``protocols.get_protocol``): the metric, its inhibits, the eyes condition.
    hop_seconds : float
        Time between feedback updates (0.25 s); rounded to whole samples.
    window_seconds : float
        Length of the window band power is computed over (2 s); a whole number of hops.
    segment_seconds : float
        Welch segment length (1 s); an even number of hops, segments overlap by half.
    l_freq, h_freq : float | None
        Band-pass edges in Hz.
    line_freq : float | None
        Mains frequency to notch (50 or 60 Hz); None for none.
    baseline_seconds : float
        Baseline before feedback (60 s), in the protocol's eyes condition: it seeds the reward threshold and
        sets the inhibit thresholds. 0 starts feedback at once, with the reward threshold set by the first
        windows and the inhibits off.
    target_reward_rate : float
        Share of windows to reward, 0.05 to 0.95 (typically 0.6-0.8).
    threshold_seconds : float
        History the adaptive threshold is taken over.
    limits : ArtifactLimits | None
        Artifact thresholds.
    bands : mapping
        Band name to (lo, hi) Hz; the protocol's inhibit bands are added when missing.
    sham : ShamReplay | None
        Replay an earlier session's rewards instead of the live EEG's.
    reset_gap_seconds : float | None
        A gap of lost samples this long restarts the filter and the window (the signal before and after is
        not continuous); None means ``window_seconds``.

    Attributes
    ----------
    hop_samples, segment_samples, window_samples : int
        The effective lengths in samples.
    log : HopLog
        Every hop so far, in columns.
    last_hop : HopResult | None
        The newest hop.
    inhibit_thresholds : dict of str to float | None
        Each inhibit band's threshold in uV**2 (mean over the protocol's channels), once the baseline set them
        (None with no baseline, or one shorter than ``protocols.INHIBIT_MIN_WINDOWS`` good windows).
    """

    def __init__(
        self,
        sfreq: float,
        channel_names: Sequence[str],
        protocol: Protocol,
        *,
        hop_seconds: float = 0.25,
        window_seconds: float = 2.0,
        segment_seconds: float = 1.0,
        l_freq: float | None = 1.0,
        h_freq: float | None = 45.0,
        line_freq: float | None = 50.0,
        baseline_seconds: float = 60.0,
        target_reward_rate: float = 0.7,
        threshold_seconds: float = 30.0,
        limits: ArtifactLimits | None = None,
        bands: Mapping[str, tuple[float, float]] = LIVE_BANDS,
        sham: ShamReplay | None = None,
        reset_gap_seconds: float | None = None,
    ) -> None:
        self.sfreq = check_number(sfreq, "sfreq", low=0.0, low_inclusive=False, unit="Hz")
        self.channel_names = tuple(str(c) for c in channel_names)
        n_channels = len(self.channel_names)
        if n_channels == 0:
            raise ValueError("channel_names must name at least one channel, got none")
        if len({c.lower() for c in self.channel_names}) != n_channels:
            raise ValueError(f"channel_names must be unique, got {list(self.channel_names)}")
        validate_type(protocol, Protocol, "protocol")
        self.protocol = protocol
        self.limits = ArtifactLimits() if limits is None else limits
        validate_type(self.limits, ArtifactLimits, "limits")
        if sham is not None:
            validate_type(sham, ShamReplay, "sham")
        self.sham = sham
        nyquist = self.sfreq / 2.0
        bands = dict(bands)
        for inhibit in protocol.inhibits:
            if inhibit.band not in bands and inhibit.band in LIVE_BANDS:
                bands[inhibit.band] = LIVE_BANDS[inhibit.band]
        self.bands = check_bands(bands, nyquist=nyquist)
        self.band_names = tuple(self.bands)
        if "gamma" not in self.bands:
            raise ValueError(f"bands must include 'gamma' (the muscle test uses it), got {list(self.bands)}")
        if TOTAL_RANGE[1] > nyquist:
            raise ValueError(
                f"sfreq must exceed {2 * TOTAL_RANGE[1]:g} Hz to measure 1-45 Hz power, got {self.sfreq:g}"
            )

        hop_seconds = check_number(hop_seconds, "hop_seconds", low=0.0, low_inclusive=False, unit="s")
        self.hop_samples = round(hop_seconds * self.sfreq)
        if self.hop_samples < 1:
            raise ValueError(
                f"hop_seconds must be at least one sample (1/{self.sfreq:g} s), got {hop_seconds:g}"
            )
        hop = self.hop_samples / self.sfreq
        segment_seconds = check_number(
            segment_seconds, "segment_seconds", low=0.0, low_inclusive=False, unit="s"
        )
        window_seconds = check_number(
            window_seconds, "window_seconds", low=0.0, low_inclusive=False, unit="s"
        )
        self._hops_per_segment = round(segment_seconds / hop)
        if self._hops_per_segment < 2 or self._hops_per_segment % 2:
            raise ValueError(
                f"segment_seconds must be an even number (at least 2) of hops so half-overlapping segments "
                f"line up with hops; got segment_seconds={segment_seconds:g} with a hop of {hop:g} s"
            )
        self._segment_step = self._hops_per_segment // 2
        self._hops_per_window = round(window_seconds / hop)
        if (
            self._hops_per_window < self._hops_per_segment
            or (self._hops_per_window - self._hops_per_segment) % self._segment_step
        ):
            raise ValueError(
                f"window_seconds must be segment_seconds plus a whole number of half segments; got "
                f"window_seconds={window_seconds:g} with segment_seconds={segment_seconds:g} and a hop of {hop:g} s"
            )
        self.segment_samples = self._hops_per_segment * self.hop_samples
        self.window_samples = self._hops_per_window * self.hop_samples
        self.hop_seconds = hop
        self.window_seconds = self.window_samples / self.sfreq

        self.baseline_seconds = check_number(baseline_seconds, "baseline_seconds", low=0.0, unit="s")
        self._baseline_hops = math.ceil(self.baseline_seconds / hop - 1e-9)
        threshold_seconds = check_number(
            threshold_seconds, "threshold_seconds", low=0.0, low_inclusive=False, unit="s"
        )
        self.threshold = AdaptiveThreshold(
            protocol.direction,
            target_rate=target_reward_rate,
            history=max(2, round(threshold_seconds / hop)),
        )
        self._metric = protocol.bind(self.channel_names, self.band_names)
        self._rows = self._metric.rows
        for inhibit in protocol.inhibits:
            check_option(inhibit.band, self.band_names, f"inhibit band of protocol {protocol.name!r}")
        self._inhibit_columns = tuple(self.band_names.index(i.band) for i in protocol.inhibits)
        self.inhibit_thresholds: dict[str, float] | None = None
        # (band, column, threshold) per inhibit once the baseline set them: what a feedback hop checks.
        self._inhibit_checks: tuple[tuple[str, int, float], ...] = ()
        # The mean over the protocol's channels as one product (a hop's record for the summary).
        self._row_weights = np.zeros(len(self.channel_names))
        self._row_weights[list(self._rows)] = 1.0 / len(self._rows)
        self.line_freq = line_freq
        sos = design_filter(self.sfreq, l_freq=l_freq, h_freq=h_freq, line_freq=line_freq)
        self._filter = StreamingFilter(sos, n_channels, block_samples=self.hop_samples)
        reset = self.window_seconds if reset_gap_seconds is None else reset_gap_seconds
        reset = check_number(reset, "reset_gap_seconds", low=0.0, low_inclusive=False, unit="s")
        self._reset_samples = max(1, round(reset * self.sfreq))

        # Spectral constants (window, rfft parts to band powers), shared by every engine of the same design.
        n_in_window = (self._hops_per_window - self._hops_per_segment) // self._segment_step + 1
        self._window_fn, self._band_weights = _spectral_constants(
            self.segment_samples, self.sfreq, tuple(self.bands.items()), n_in_window
        )
        self._gamma = self.band_names.index("gamma")
        self._total = len(self.band_names)

        n_bp = len(self.band_names) + 1
        self._ring_segments = self._hops_per_window - self._hops_per_segment + 1
        self._segment_powers = np.zeros((self._ring_segments, n_channels, n_bp))
        self._window_segment_slots = np.array(
            [
                [(r - k * self._segment_step) % self._ring_segments for k in range(n_in_window)]
                for r in range(self._ring_segments)
            ]
        )
        self._maxima = np.zeros((self._hops_per_window, 2, n_channels))
        self._minima = np.zeros((self._hops_per_window, 2, n_channels))
        self._buffer = np.zeros((n_channels, self.segment_samples))
        self._inverse_segment_samples = 1.0 / self.segment_samples
        self._mean = np.zeros((n_channels, 1))
        self._centred = np.zeros((n_channels, self.segment_samples))
        self._spectrum = np.zeros((n_channels, self.segment_samples // 2 + 1), dtype=np.complex128)
        self._spectrum_parts = self._spectrum.view(np.float64)
        self._stage = np.zeros((n_channels, self.hop_samples))
        self._block_flags: list[tuple[str, ...]] = [()] * self._hops_per_window
        self._flagged_blocks = 0

        self.log = HopLog(len(self.band_names))
        self.last_hop: HopResult | None = None
        self.phase = Phase.BASELINE if self._baseline_hops > 0 else Phase.FEEDBACK
        self.lost_samples = 0
        self.clock_offset = 0.0
        self._fill = 0
        self._stage_flags: set[str] = set()
        self._blocks = 0
        self._samples_seen = 0
        self._baseline_count = 0
        self._baseline_metrics: list[float] = []
        self._baseline_good = 0
        self._feedback_hops = 0
        self._rewarded = 0
        self._inhibited_hops = 0
        self._bad_hops = 0
        self._latencies: list[float] = []

    # -- feeding ---------------------------------------------------------------------------------------------

    def push(self, data: FloatArray, timestamps: FloatArray, *, lost_before: int = 0) -> list[HopResult]:
        """Feed the next chunk and return the hops it completed (often none, sometimes several).

        Parameters
        ----------
        data : ndarray, shape (n_channels, n_samples)
            Raw EEG in microvolts, rows in ``channel_names`` order; NaN marks a missing value.
        timestamps : ndarray, shape (n_samples,)
            Acquisition time of each sample, on the clock feedback send times are read from.
        lost_before : int
            Samples lost just before this chunk (from ``LossMonitor``); the windows spanning the gap are bad,
            and a gap of ``reset_gap_seconds`` or more restarts the filter and the window.

        Returns
        -------
        hops : list of HopResult
            In time order; when several come at once only the last one is current (send that one).
        """
        if data.shape[0] != len(self.channel_names):
            raise ValueError(
                f"data must have {len(self.channel_names)} rows (channels), got shape {data.shape}"
            )
        n = data.shape[1]
        if n == self.hop_samples and not self._fill and not lost_before:
            # The usual case when the source delivers hop by hop: one block, no staging.
            index = self._samples_seen + n - 1
            self._samples_seen += n
            hop = self._process_block(data, float(timestamps[-1]), index)
            return [] if hop is None else [hop]
        if lost_before:
            self.lost_samples += lost_before
            self._samples_seen += lost_before
            if lost_before >= self._reset_samples:
                self._restart()
            else:
                self._stage_flags.add(BadReason.LOST.value)
        hops: list[HopResult] = []
        base = self._samples_seen
        length = self.hop_samples
        pos = 0
        while pos < n:
            if self._fill == 0 and n - pos >= length:
                block = data[:, pos : pos + length]
                pos += length
            else:
                take = min(length - self._fill, n - pos)
                self._stage[:, self._fill : self._fill + take] = data[:, pos : pos + take]
                self._fill += take
                pos += take
                if self._fill < length:
                    break
                block = self._stage
                self._fill = 0
            hop = self._process_block(block, float(timestamps[pos - 1]), base + pos - 1)
            if hop is not None:
                hops.append(hop)
        self._samples_seen = base + n
        return hops

    def _restart(self) -> None:
        """Start the filter and the window afresh after a long gap; thresholds and totals carry on."""
        self._filter.reset()
        self._blocks = 0
        self._fill = 0
        self._stage_flags.clear()
        self._block_flags = [()] * self._hops_per_window
        self._flagged_blocks = 0

    def _clean(self, block: FloatArray) -> FloatArray:
        """Replace non-finite values by the channel's last finite value and flag the block."""
        previous = self._filter.last_input()
        cleaned = np.array(block, dtype=np.float64)
        for row in np.flatnonzero(~np.isfinite(cleaned).all(axis=1)):
            values = cleaned[row]
            good = np.isfinite(values)
            last = 0.0 if previous is None else float(previous[row])
            index = np.where(good, np.arange(values.size), -1)
            np.maximum.accumulate(index, out=index)
            values[:] = np.where(index >= 0, values[np.maximum(index, 0)], last)
            if row in self._rows:
                self._stage_flags.add(f"{BadReason.NAN.value}:{self.channel_names[row]}")
        return cleaned

    def _process_block(self, block: FloatArray, timestamp: float, sample_index: int) -> HopResult | None:
        if not math.isfinite(float(block.sum())):
            block = self._clean(block)
        pair, raw_row = self._filter.process_block_pair(block)
        blocks = self._blocks
        slot = blocks % self._hops_per_window
        # (ufunc reductions called directly: ndarray.max goes through a Python wrapper, per call)
        if raw_row == 0:
            np.maximum.reduce(pair, axis=2, out=self._maxima[slot])
            np.minimum.reduce(pair, axis=2, out=self._minima[slot])
        else:
            np.maximum.reduce(pair, axis=2, out=self._maxima[slot, ::-1])
            np.minimum.reduce(pair, axis=2, out=self._minima[slot, ::-1])
        flags = tuple(self._stage_flags) if self._stage_flags else ()
        if self._block_flags[slot]:
            self._flagged_blocks -= 1
        self._block_flags[slot] = flags
        if flags:
            self._flagged_blocks += 1
            self._stage_flags.clear()
        length = self.hop_samples
        buffer = self._buffer
        buffer[:, :-length] = buffer[:, length:]
        buffer[:, -length:] = pair[1 - raw_row]
        blocks += 1
        self._blocks = blocks
        if blocks >= self._hops_per_segment:
            mean = self._mean
            centred = self._centred
            np.add.reduce(buffer, axis=1, keepdims=True, out=mean)
            mean *= self._inverse_segment_samples
            np.subtract(buffer, mean, out=centred)
            centred *= self._window_fn
            np.fft.rfft(centred, axis=1, out=self._spectrum)
            spectrum = self._spectrum_parts
            np.square(spectrum, out=spectrum)
            ring = blocks % self._ring_segments
            np.dot(spectrum, self._band_weights, out=self._segment_powers[ring])
        if blocks < self._hops_per_window:
            return None
        slots = self._window_segment_slots[blocks % self._ring_segments]
        powers = np.add.reduce(self._segment_powers[slots], axis=0)
        return self._decide(powers, timestamp, sample_index)

    # -- deciding --------------------------------------------------------------------------------------------

    def _window_reasons(self, powers: FloatArray) -> tuple[str, ...]:
        limits = self.limits
        maxima = np.maximum.reduce(self._maxima, axis=0)
        minima = np.minimum.reduce(self._minima, axis=0)
        reasons: list[str] = []
        names = self.channel_names
        for row in self._rows:
            raw_max = float(maxima[0, row])
            raw_min = float(minima[0, row])
            if raw_max - raw_min < limits.flat_ptp_uv:
                reasons.append(f"{BadReason.FLAT.value}:{names[row]}")
                continue
            if limits.saturation_uv is not None and max(abs(raw_max), abs(raw_min)) >= limits.saturation_uv:
                reasons.append(f"{BadReason.SATURATED.value}:{names[row]}")
            if float(maxima[1, row] - minima[1, row]) > limits.max_ptp_uv:
                reasons.append(f"{BadReason.AMPLITUDE.value}:{names[row]}")
            if float(powers[row, self._gamma]) > limits.max_high_frequency_share * float(
                powers[row, self._total]
            ):
                reasons.append(f"{BadReason.MUSCLE.value}:{names[row]}")
        if self._flagged_blocks:
            for flags in self._block_flags:
                for flag in flags:
                    if flag not in reasons:
                        reasons.append(flag)
        return tuple(reasons)

    def _decide(self, powers: FloatArray, timestamp: float, sample_index: int) -> HopResult:
        reasons = self._window_reasons(powers)
        bad = bool(reasons)
        metric = self._metric(powers)
        phase = self.phase
        threshold: float | None = None
        reward = False
        feedback = 0.0
        inhibited = False
        over: tuple[str, ...] = ()
        band_powers = powers[:, :-1]
        protocol_power = self._row_weights @ band_powers
        baseline_done = False
        if phase is Phase.BASELINE:
            self._baseline_count += 1
            if not bad:
                self._baseline_metrics.append(metric)
                self._baseline_good += 1
            if self._baseline_count >= self._baseline_hops and self._baseline_good >= 2:
                self.threshold.seed(self._baseline_metrics)
                self.phase = Phase.FEEDBACK
                baseline_done = True
        else:
            if not bad:
                for band, column, limit in self._inhibit_checks:
                    if protocol_power[column] > limit:
                        over += (band,)
                if over:
                    # Withheld: no reward, no feedback, and the window stays out of the threshold's history.
                    inhibited = True
                    threshold = self.threshold.threshold
                else:
                    reward, feedback, threshold = self.threshold.evaluate(metric)
            else:
                threshold = self.threshold.threshold
            if self.sham is not None:
                reward, feedback = self.sham.next()
            self._feedback_hops += 1
            self._rewarded += reward
            self._inhibited_hops += inhibited
        if bad:
            self._bad_hops += 1
        hop = HopResult(
            index=len(self.log),
            phase=phase,
            sample_index=sample_index,
            time_s=(sample_index + 1) / self.sfreq,
            timestamp=timestamp,
            band_powers=band_powers,
            metric=metric,
            threshold=threshold,
            reward=reward,
            feedback=feedback,
            bad=bad,
            bad_reasons=reasons,
            sham=self.sham is not None,
            channel_names=self.channel_names,
            band_names=self.band_names,
            inhibited=inhibited,
            inhibits_over=over,
        )
        self.log.append(hop, protocol_power)
        self.last_hop = hop
        if baseline_done:
            self._set_inhibits()
        return hop

    def _set_inhibits(self) -> None:
        """Fix each inhibit's threshold at its percentile of the baseline's good windows (then kept); too short a
        baseline sets none."""
        inhibits = self.protocol.inhibits
        if not inhibits or self._baseline_good < INHIBIT_MIN_WINDOWS:
            return
        log = self.log
        good = ~log.feedback_phase & ~log.bad
        values = log.protocol_power[good][:, list(self._inhibit_columns)]
        limits = [
            float(np.percentile(values[:, k], inhibit.percentile)) for k, inhibit in enumerate(inhibits)
        ]
        self.inhibit_thresholds = {i.band: limit for i, limit in zip(inhibits, limits, strict=True)}
        self._inhibit_checks = tuple(
            (i.band, column, limit)
            for i, column, limit in zip(inhibits, self._inhibit_columns, limits, strict=True)
        )

    # -- controls and results -------------------------------------------------------------------------------

    def set_target_reward_rate(self, rate: float) -> None:
        """Change the reward rate the threshold aims at (the practitioner's slider), 0.05 to 0.95."""
        self.threshold.target_rate = check_number(rate, "target_reward_rate", low=0.05, high=0.95)

    def record_sent(self, hop_index: int, sent_at: float) -> float:
        """Record when hop ``hop_index``'s feedback message was sent; return its latency in seconds.

        ``sent_at`` must be read from the clock the chunk timestamps are on (``Source.now()``).
        """
        latency = self.log.latency(hop_index, float(sent_at))
        self._latencies.append(latency)
        return latency

    def reward_sequence(self) -> list[bool]:
        """The reward of every feedback hop so far, in order: what a later sham session replays
        (``ShamReplay(engine.reward_sequence())``)."""
        return [bool(r) for r in self.log.reward[self.log.feedback_phase]]

    def feedback_sequence(self) -> list[float]:
        """The 0..1 feedback value of every feedback hop so far, in order (stored with the session so a sham
        session can replay what the patient saw)."""
        return [round(float(v), 4) for v in self.log.feedback[self.log.feedback_phase]]

    @property
    def samples_to_next_hop(self) -> int:
        """Samples still to come before the next hop completes (a live loop sleeps until they are due)."""
        return self.hop_samples - self._fill

    @property
    def samples_seen(self) -> int:
        """Samples on the engine's timeline so far, lost ones included."""
        return self._samples_seen

    @property
    def baseline_progress(self) -> float:
        """0..1 share of the baseline done."""
        if self._baseline_hops == 0:
            return 1.0
        return min(1.0, self._baseline_count / self._baseline_hops)

    def running_figures(self, *, recent: int = 1200) -> dict[str, float | None]:
        """Reward rate, inhibited share (of feedback hops) and bad-window share so far, and the latency (ms)
        median and p99 of the last ``recent`` hops sent: what a live console shows every second, at a cost that
        does not grow with the session (``summary`` walks every hop)."""
        latencies = np.sort(self._latencies[-recent:])
        n_hops = len(self.log)
        return {
            "reward_rate": self._rewarded / self._feedback_hops if self._feedback_hops else None,
            "inhibited_share": self._inhibited_hops / self._feedback_hops if self._feedback_hops else None,
            "bad_share": self._bad_hops / n_hops if n_hops else None,
            "latency_p50_ms": _sorted_percentile(latencies, 50) * 1e3 if latencies.size else None,
            "latency_p99_ms": _sorted_percentile(latencies, 99) * 1e3 if latencies.size else None,
        }

    def summary(self, *, signal_check_overrides: Sequence[str] = ()) -> SessionSummary:
        """Summarise the session so far for the patient record."""
        latencies = np.asarray(self._latencies)
        p50 = float(np.percentile(latencies, 50)) * 1e3 if latencies.size else None
        p99 = float(np.percentile(latencies, 99)) * 1e3 if latencies.size else None
        n_bands = len(self.band_names)
        log = self.log
        power = log.protocol_power
        in_feedback = log.feedback_phase
        # Sums in hop order (np.add.at is unbuffered), as a running total over the hops would give.
        baseline_hops = np.flatnonzero(~in_feedback & ~log.bad)
        baseline_good = int(baseline_hops.size)
        baseline_sum = np.cumsum(power[baseline_hops], axis=0)[-1] if baseline_good else np.zeros(n_bands)
        minute_sums: dict[int, FloatArray] = {}
        minute_counts: dict[int, int] = {}
        feedback_hops = np.flatnonzero(in_feedback)
        if feedback_hops.size:
            feedback_start = float(log.time_s[feedback_hops[0]]) - self.hop_seconds
            good = np.flatnonzero(in_feedback & ~log.bad)
            numbers = ((log.time_s[good] - feedback_start - 1e-9) // 60.0).astype(np.int64) + 1
            if good.size:
                first = int(numbers.min())
                sums = np.zeros((int(numbers.max()) - first + 1, n_bands))
                np.add.at(sums, numbers - first, power[good])
                counts = np.bincount(numbers - first)
                for offset in np.flatnonzero(counts):
                    minute_sums[first + int(offset)] = sums[offset]
                    minute_counts[first + int(offset)] = int(counts[offset])
        baseline = baseline_sum / baseline_good if baseline_good else np.full(n_bands, np.nan)
        minutes: list[MinuteBandPower] = []
        for minute in sorted(minute_sums):
            count = minute_counts[minute]
            mean = minute_sums[minute] / count
            minutes.append(
                MinuteBandPower(
                    minute=minute,
                    good_windows=count,
                    band_power_uv2={b: float(mean[j]) for j, b in enumerate(self.band_names)},
                    ratio_to_baseline={
                        b: (float(mean[j] / baseline[j]) if baseline[j] > 0 else None)
                        for j, b in enumerate(self.band_names)
                    },
                )
            )
        n_hops = len(self.log)
        return SessionSummary(
            protocol=self.protocol.name,
            channels=list(self.protocol.channels),
            sham=self.sham is not None,
            minutes_trained=self._feedback_hops * self.hop_seconds / 60.0,
            baseline_seconds=self._baseline_count * self.hop_seconds,
            reward_rate=self._rewarded / self._feedback_hops if self._feedback_hops else None,
            target_reward_rate=self.threshold.target_rate,
            eyes=self.protocol.eyes.value,
            inhibits=[
                {
                    "band": inhibit.band,
                    "label": inhibit.label,
                    "guards": inhibit.guards,
                    "percentile": inhibit.percentile,
                    "threshold_uv2": (
                        self.inhibit_thresholds.get(inhibit.band) if self.inhibit_thresholds else None
                    ),
                }
                for inhibit in self.protocol.inhibits
            ],
            inhibited_share=self._inhibited_hops / self._feedback_hops if self._feedback_hops else None,
            final_threshold=self.threshold.threshold,
            bad_share=self._bad_hops / n_hops if n_hops else None,
            lost_samples=int(self.lost_samples),
            latency_p50_ms=p50,
            latency_p99_ms=p99,
            latency_count=int(latencies.size),
            clock_offset_s=float(self.clock_offset),
            baseline_band_power_uv2={b: float(baseline[j]) for j, b in enumerate(self.band_names)},
            band_power_per_minute=minutes,
            signal_check_overrides=list(signal_check_overrides),
            hops=n_hops,
        )


@functools.lru_cache(maxsize=16)
def _spectral_constants(
    segment_samples: int, sfreq: float, bands: tuple[tuple[str, tuple[float, float]], ...], n_in_window: int
) -> tuple[FloatArray, FloatArray]:
    """The segment window, and the (2 * n_bins, n_bands + 1) matrix that turns the interleaved real/imaginary
    parts of a segment's rfft, squared, straight into band powers (last column: 1-45 Hz).

    Each segment's band powers come out already divided by the number of segments in a window, so the window's
    Welch mean is a plain sum. Both are the same for every engine of the same design: made once and shared,
    read-only, so hundreds of live sessions keep one copy in the processor's cache instead of hundreds.
    """
    window = hann_window(segment_samples)
    freqs = rfft_frequencies(segment_samples, sfreq)
    weights = density_weights(window, sfreq) * (freqs[1] - freqs[0])
    columns = band_matrix(freqs, {**dict(bands), "__total__": TOTAL_RANGE}) * (weights / n_in_window)[:, None]
    band_weights = np.ascontiguousarray(np.repeat(columns, 2, axis=0))
    window.flags.writeable = False
    band_weights.flags.writeable = False
    return window, band_weights


def _sorted_percentile(values: FloatArray, q: float) -> float:
    """``np.percentile(values, q)`` (linear interpolation) of already sorted values, without its overhead
    (a live console asks every second for every session)."""
    position = q / 100.0 * (values.size - 1)
    low = math.floor(position)
    high = min(low + 1, values.size - 1)
    return float(values[low] + (values[high] - values[low]) * (position - low))
