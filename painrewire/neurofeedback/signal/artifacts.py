"""What makes EEG unfit to reward: blinks and movement, muscle, a flat or saturated channel, missing values,
lost samples; and the signal check a practitioner sees before a session.

Each test is a plain threshold a practitioner can read and change (``ArtifactLimits``), so a flagged window
can always be explained: "Cz: amplitude 312 uV peak-to-peak over 200". Artifacts are marked, never
repaired, so figures computed from a recording can be reproduced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
from numpy.typing import NDArray

from painrewire.neurofeedback.signal.dsp import design_filter, filter_signal, welch_psd
from painrewire.neurofeedback.signal.validation import check_number, validate_type

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


class BadReason(StrEnum):
    """Why a window of EEG gave no reward (the codes stored in recordings and hop records)."""

    AMPLITUDE = "amplitude"  # blinks and movement: large slow deflections
    MUSCLE = "muscle"  # jaw, forehead or neck tension: broadband high-frequency power
    FLAT = "flat"  # electrode off or amplifier dead
    SATURATED = "saturated"  # amplifier at its rail
    NAN = "nan"  # the source sent missing values
    LOST = "lost_samples"  # samples never arrived


@dataclass(frozen=True, slots=True)
class ArtifactLimits:
    """Thresholds of the artifact tests.

    Parameters
    ----------
    max_ptp_uv : float
        Band-passed (1-45 Hz) peak-to-peak amplitude above which a window holds a blink or movement, in uV.
        Eye blinks reach 100-200 uV at frontal sites; resting EEG stays well under 100 uV.
    flat_ptp_uv : float
        Raw peak-to-peak amplitude below which a channel is flat, in uV.
    saturation_uv : float | None
        The amplifier's rail in uV when known (e.g. 187500 for an OpenBCI Cyton at gain 24): any raw sample
        at or beyond it saturates the window. None when the rail is unknown.
    max_clipped_fraction : float
        Share of samples sitting exactly at the window's maximum or minimum above which the channel is
        clipped (saturated); used by the signal check and offline analysis, where the rail is often unknown.
    max_high_frequency_share : float
        Share of 1-45 Hz power in 30-45 Hz above which a window holds muscle activity. Resting EEG has a few
        percent there; white noise has 34 %; scalp EMG more.
    """

    max_ptp_uv: float = 200.0
    flat_ptp_uv: float = 1.0
    saturation_uv: float | None = None
    max_clipped_fraction: float = 0.05
    max_high_frequency_share: float = 0.4

    def __post_init__(self) -> None:
        check_number(self.max_ptp_uv, "max_ptp_uv", low=0.0, low_inclusive=False, unit="uV")
        check_number(self.flat_ptp_uv, "flat_ptp_uv", low=0.0, unit="uV")
        if self.flat_ptp_uv >= self.max_ptp_uv:
            raise ValueError(
                f"flat_ptp_uv must be below max_ptp_uv, got flat_ptp_uv={self.flat_ptp_uv:g} uV and "
                f"max_ptp_uv={self.max_ptp_uv:g} uV"
            )
        if self.saturation_uv is not None:
            check_number(self.saturation_uv, "saturation_uv", low=0.0, low_inclusive=False, unit="uV")
        check_number(
            self.max_clipped_fraction, "max_clipped_fraction", low=0.0, high=1.0, low_inclusive=False
        )
        check_number(
            self.max_high_frequency_share, "max_high_frequency_share", low=0.0, high=1.0, low_inclusive=False
        )


def flag_segments(
    data: FloatArray,
    *,
    n_per_seg: int,
    step: int,
    high_frequency_share: FloatArray,
    limits: ArtifactLimits,
) -> BoolArray:
    """Flag bad Welch segments of raw EEG (the offline analysis's ``bad_fraction``).

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_times)
        Raw EEG in uV, without missing values.
    n_per_seg, step : int
        Segment ``i`` covers samples ``[i * step, i * step + n_per_seg)``.
    high_frequency_share : ndarray, shape (n_channels, n_segments)
        30-45 Hz power over 1-45 Hz power of each segment.
    limits : ArtifactLimits
        Thresholds.

    Returns
    -------
    bad : ndarray of bool, shape (n_channels, n_segments)
        True where a segment is flat, saturated (at the rail, or clipped), has a raw peak-to-peak amplitude
        above ``max_ptp_uv`` (blinks, movement) or muscle activity. The amplitude is taken on the raw signal,
        unfiltered, so the figure can be reproduced from the file alone.
    """
    n_segments = (data.shape[1] - n_per_seg) // step + 1
    if n_per_seg == 2 * step:
        return _flag_segments_paired(
            data,
            n_per_seg=n_per_seg,
            step=step,
            n_segments=n_segments,
            high_share=high_frequency_share,
            limits=limits,
        )
    return _bad_segments_direct(
        data,
        n_per_seg=n_per_seg,
        step=step,
        n_segments=n_segments,
        high_share=high_frequency_share,
        limits=limits,
    )


def _half_blocks(data: FloatArray, step: int, n_blocks: int) -> FloatArray:
    return data[:, : n_blocks * step].reshape(data.shape[0], n_blocks, step)


def _flag_segments_paired(
    data: FloatArray,
    *,
    n_per_seg: int,
    step: int,
    n_segments: int,
    high_share: FloatArray,
    limits: ArtifactLimits,
) -> NDArray[np.bool_]:
    """Flag segments from statistics of half-segment blocks: each 50 %-overlapping segment is two
    consecutive blocks (when the segment length is even), so every sample is scanned once, not twice."""
    blocks = _half_blocks(data, step, n_segments + 1)
    block_max = blocks.max(axis=2)
    block_min = blocks.min(axis=2)
    seg_max = np.maximum(block_max[:, :-1], block_max[:, 1:])
    seg_min = np.minimum(block_min[:, :-1], block_min[:, 1:])
    ptp = seg_max - seg_min
    flat = ptp < limits.flat_ptp_uv
    bad = flat | (ptp > limits.max_ptp_uv) | (high_share > limits.max_high_frequency_share)
    if limits.saturation_uv is not None:
        bad |= np.maximum(np.abs(seg_max), np.abs(seg_min)) >= limits.saturation_uv
    bad |= _clipped_segments(blocks, block_max, block_min, seg_max, seg_min, n_per_seg, limits) & ~flat
    return np.asarray(bad)


def _clipped_segments(
    blocks: FloatArray,
    block_max: FloatArray,
    block_min: FloatArray,
    seg_max: FloatArray,
    seg_min: FloatArray,
    n_per_seg: int,
    limits: ArtifactLimits,
) -> NDArray[np.bool_]:
    """Segments with a share of samples at their extreme value of at least ``max_clipped_fraction``.

    A clipping amplifier sits at the most extreme value of the whole channel, so a channel whose global
    extremes are held by fewer samples than one segment would need cannot clip anywhere; only the channels
    that fail this cheap screen (which looks only at the blocks holding the extremes) are counted segment by
    segment.
    """
    needed = limits.max_clipped_fraction * n_per_seg
    clipped = np.zeros(seg_max.shape, dtype=bool)
    for row in range(blocks.shape[0]):
        values = blocks[row]
        top = block_max[row].max()
        bottom = block_min[row].min()
        at_top = np.count_nonzero(values[block_max[row] == top] == top)
        at_bottom = np.count_nonzero(values[block_min[row] == bottom] == bottom)
        if at_top < needed and at_bottom < needed:
            continue
        clipped[row] = (_pair_counts(values, seg_max[row]) >= needed) | (
            _pair_counts(values, seg_min[row]) >= needed
        )
    return clipped


def _pair_counts(values: FloatArray, extremes: FloatArray) -> FloatArray:
    """Samples of each two-block segment equal to that segment's extreme."""
    left = np.count_nonzero(values[:-1] == extremes[:, None], axis=1)
    right = np.count_nonzero(values[1:] == extremes[:, None], axis=1)
    return (left + right).astype(np.float64)


def _bad_segments_direct(
    data: FloatArray,
    *,
    n_per_seg: int,
    step: int,
    n_segments: int,
    high_share: FloatArray,
    limits: ArtifactLimits,
) -> NDArray[np.bool_]:
    """The same tests on the segments themselves (odd segment lengths, where blocks do not pair up)."""
    bad = np.zeros((data.shape[0], n_segments), dtype=bool)
    for k in range(n_segments):
        segment = data[:, k * step : k * step + n_per_seg]
        top = segment.max(axis=1)
        bottom = segment.min(axis=1)
        ptp = top - bottom
        flat = ptp < limits.flat_ptp_uv
        clipped = (
            np.count_nonzero(segment == top[:, None], axis=1)
            + np.count_nonzero(segment == bottom[:, None], axis=1)
        ) >= limits.max_clipped_fraction * n_per_seg
        row_bad = (
            flat
            | (ptp > limits.max_ptp_uv)
            | (high_share[:, k] > limits.max_high_frequency_share)
            | (clipped & ~flat)
        )
        if limits.saturation_uv is not None:
            row_bad |= np.maximum(np.abs(top), np.abs(bottom)) >= limits.saturation_uv
        bad[:, k] = row_bad
    return bad


def segments_touching(
    mask: NDArray[np.bool_], *, n_per_seg: int, step: int, n_segments: int
) -> NDArray[np.bool_]:
    """Segments holding at least one True sample of ``mask`` (n_channels, n_times)."""
    counts = np.concatenate([np.zeros((mask.shape[0], 1)), np.cumsum(mask, axis=1)], axis=1)
    starts = np.arange(n_segments) * step
    return np.asarray((counts[:, starts + n_per_seg] - counts[:, starts]) > 0)


@dataclass(frozen=True, slots=True)
class ChannelCheck:
    """The signal check of one channel: passed or not, and why."""

    channel: str
    passed: bool
    reasons: tuple[str, ...]
    ptp_uv: float
    line_noise_ratio: float | None
    clipped_fraction: float

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict."""
        return {
            "channel": self.channel,
            "passed": self.passed,
            "reasons": list(self.reasons),
            "ptp_uv": self.ptp_uv,
            "line_noise_ratio": self.line_noise_ratio,
            "clipped_fraction": self.clipped_fraction,
        }


@dataclass(frozen=True, slots=True)
class SignalCheckReport:
    """The signal check of every channel, shown as pass or fail before a session."""

    channels: tuple[ChannelCheck, ...]
    seconds: float
    line_freq: float | None
    failed_channels: tuple[str, ...] = field(default=())

    def passed(self, channels: Sequence[str] | None = None) -> bool:
        """True if every channel (or every channel named) passed."""
        wanted = None if channels is None else {c.lower() for c in channels}
        return all(c.passed for c in self.channels if wanted is None or c.channel.lower() in wanted)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict."""
        return {
            "seconds": self.seconds,
            "line_freq": self.line_freq,
            "passed": self.passed(),
            "failed_channels": list(self.failed_channels),
            "channels": [c.to_dict() for c in self.channels],
        }


def check_signal(
    data: FloatArray,
    sfreq: float,
    channel_names: Sequence[str],
    *,
    line_freq: float | None = 50.0,
    limits: ArtifactLimits | None = None,
    max_line_noise_ratio: float = 1.0,
) -> SignalCheckReport:
    """Check each channel before a session: flat, saturated, line noise and excessive amplitude.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_times)
        A few seconds of raw EEG in uV (at least 2 s).
    sfreq : float
        Sampling frequency in Hz.
    channel_names : sequence of str
        One name per row of ``data``.
    line_freq : float | None
        Mains frequency in Hz; None skips the line-noise test.
    limits : ArtifactLimits | None
        Thresholds; None for the defaults.
    max_line_noise_ratio : float
        Power within 1 Hz of the mains frequency over 1-45 Hz power above which the channel fails: a loose
        or dry electrode picks up mains hum first.

    Returns
    -------
    report : SignalCheckReport
        Per channel: passed, reasons among ``flat``, ``saturated``, ``line_noise``, ``amplitude``, ``nan``;
        the median 1-second band-passed peak-to-peak amplitude (robust to a single blink); the line-noise
        ratio; the clipped share of samples.
    """
    limits = ArtifactLimits() if limits is None else limits
    validate_type(limits, ArtifactLimits, "limits")
    sfreq = check_number(sfreq, "sfreq", low=0.0, low_inclusive=False, unit="Hz")
    data = np.atleast_2d(np.asarray(data, dtype=np.float64))
    names = [str(n) for n in channel_names]
    if data.ndim != 2 or data.shape[0] != len(names):
        raise ValueError(
            f"data must have shape ({len(names)}, n_times) for {len(names)} channel names, got {data.shape}"
        )
    n_times = data.shape[1]
    epoch = round(sfreq)
    if n_times < 2 * epoch:
        raise ValueError(f"The signal check needs at least 2 s of data, got {n_times / sfreq:.2f} s")
    check_number(max_line_noise_ratio, "max_line_noise_ratio", low=0.0, low_inclusive=False)
    nyquist = sfreq / 2.0
    has_nan = np.asarray(np.isnan(data).any(axis=1))
    clean = np.where(np.isnan(data), 0.0, data)
    raw_max = clean.max(axis=1)
    raw_min = clean.min(axis=1)
    raw_ptp = raw_max - raw_min
    clipped = ((clean == raw_max[:, None]).sum(axis=1) + (clean == raw_min[:, None]).sum(axis=1)) / n_times
    h_freq = 45.0 if nyquist > 45.0 else None
    filtered = filter_signal(design_filter(sfreq, l_freq=1.0, h_freq=h_freq, line_freq=None), clean)
    n_epochs = n_times // epoch
    epochs = filtered[:, : n_epochs * epoch].reshape(data.shape[0], n_epochs, epoch)
    epoch_ptp = np.median(epochs.max(axis=2) - epochs.min(axis=2), axis=1)
    line_ratio: FloatArray | None = None
    if line_freq is not None and line_freq + 1.0 < nyquist:
        psd, freqs = welch_psd(clean, sfreq, n_per_seg=2 * epoch)
        line = psd[:, (freqs >= line_freq - 1.0) & (freqs < line_freq + 1.0)].sum(axis=1)
        eeg = psd[:, (freqs >= 1.0) & (freqs < 45.0)].sum(axis=1)
        line_ratio = np.divide(line, eeg, out=np.full_like(line, np.inf), where=eeg > 0)
    checks: list[ChannelCheck] = []
    for i, name in enumerate(names):
        reasons: list[str] = []
        if has_nan[i]:
            reasons.append(BadReason.NAN.value)
        if raw_ptp[i] < limits.flat_ptp_uv:
            reasons.append(BadReason.FLAT.value)
        else:
            rail = (
                limits.saturation_uv is not None
                and max(abs(raw_max[i]), abs(raw_min[i])) >= limits.saturation_uv
            )
            if rail or clipped[i] >= limits.max_clipped_fraction:
                reasons.append(BadReason.SATURATED.value)
            if epoch_ptp[i] > limits.max_ptp_uv:
                reasons.append(BadReason.AMPLITUDE.value)
        ratio = None if line_ratio is None or raw_ptp[i] < limits.flat_ptp_uv else float(line_ratio[i])
        if ratio is not None and ratio > max_line_noise_ratio:
            reasons.append("line_noise")
        checks.append(
            ChannelCheck(
                channel=name,
                passed=not reasons,
                reasons=tuple(reasons),
                ptp_uv=float(epoch_ptp[i]),
                line_noise_ratio=None if ratio is None or not np.isfinite(ratio) else ratio,
                clipped_fraction=float(clipped[i]),
            )
        )
    return SignalCheckReport(
        channels=tuple(checks),
        seconds=n_times / sfreq,
        line_freq=line_freq,
        failed_channels=tuple(c.channel for c in checks if not c.passed),
    )
