"""Offline band-power analysis of an EEG recording: a fixed contract other tools rely on.

``painrewire nfb analyze FILE --json`` prints one JSON object::

    {"sfreq": float, "n_samples": int, "channels": [names], "bands": {name: [lo, hi]},
     "absolute_uv2": {channel: {band: float}}, "relative": {channel: {band: float}},
     "bad_fraction": {channel: float}}

* Absolute band power comes from the Welch PSD of the whole recording in uV**2/Hz -- 2-second periodic Hann
  segments, 50 % overlap, constant (mean) detrend, one-sided density, mean over segments -- summed over the
  bins with ``lo <= f < hi`` and multiplied by the bin width.
* Relative power is that divided by the same sum over 1-45 Hz (0 for a channel with no power there).
* Artifacts are reported, never removed, so the figures can be reproduced from the file alone:
  ``bad_fraction`` is the share of the 2-second Welch segments of a channel that fail an artifact test on the
  raw signal (missing values, flat, saturated, peak-to-peak above ``ArtifactLimits.max_ptp_uv``, 30-45 Hz
  share of 1-45 Hz power above ``max_high_frequency_share``). Missing values (NaN, possible in FIF) count
  as 0 in the PSD.

The file is read through MNE (EDF, BDF, FIF); only EEG channels are analysed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from painrewire.neurofeedback.signal.artifacts import ArtifactLimits, flag_segments, segments_touching
from painrewire.neurofeedback.signal.bands import (
    BANDS,
    TOTAL_RANGE,
    band_matrix,
    check_bands,
    relative_powers,
)
from painrewire.neurofeedback.signal.dsp import (
    density_weights,
    hann_window,
    iter_squared_spectra,
    rfft_frequencies,
)
from painrewire.neurofeedback.signal.validation import check_number

FloatArray = NDArray[np.float64]

#: Welch segment length of the analysis contract, in seconds.
SEGMENT_SECONDS = 2.0

#: File types the analysis reads, by suffix.
READABLE_SUFFIXES = (".edf", ".bdf", ".fif", ".fif.gz")


class RecordingError(ValueError):
    """A file cannot be analysed; the message says why in plain words."""


@dataclass(frozen=True, slots=True)
class EEGData:
    """EEG read from a file: microvolts, (n_channels, n_times)."""

    data_uv: FloatArray
    sfreq: float
    channel_names: list[str]


def read_eeg(path: str | Path) -> EEGData:
    """Read the EEG channels of an EDF, BDF or FIF file through MNE, in microvolts.

    Raises
    ------
    RecordingError
        The file is missing, of another type, unreadable, or holds no EEG channel.
    """
    path = Path(path)
    if not path.exists():
        raise RecordingError(f"No such file: {path}")
    if not path.is_file():
        raise RecordingError(f"Not a file: {path}")
    name = path.name.lower()
    if not name.endswith(READABLE_SUFFIXES):
        raise RecordingError(
            f"{path.name} is not an EEG recording this tool reads; use one of {', '.join(READABLE_SUFFIXES)}"
        )
    import mne

    try:
        raw = mne.io.read_raw(str(path), preload=False, verbose="error")
    except Exception as exc:  # MNE raises many types for a damaged file; all mean the same here.
        raise RecordingError(f"Could not read {path.name}: {exc}") from exc
    picks = mne.pick_types(raw.info, eeg=True, exclude=[])
    if len(picks) == 0:
        types = sorted(set(raw.get_channel_types()))
        raise RecordingError(
            f"{path.name} has no EEG channels (its channels are of type {', '.join(types) or 'none'})"
        )
    try:
        data = raw.get_data(picks=picks, units="uV")
    except Exception as exc:
        raise RecordingError(f"Could not read the samples of {path.name}: {exc}") from exc
    return EEGData(
        data_uv=np.ascontiguousarray(data, dtype=np.float64),
        sfreq=float(raw.info["sfreq"]),
        channel_names=[raw.ch_names[i] for i in picks],
    )


@dataclass(frozen=True, slots=True)
class BandPowerReport:
    """The result of the analysis contract (see the module docstring)."""

    sfreq: float
    n_samples: int
    channels: list[str]
    bands: dict[str, tuple[float, float]]
    absolute_uv2: dict[str, dict[str, float]]
    relative: dict[str, dict[str, float]]
    bad_fraction: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of the contract, keys in contract order."""
        return {
            "sfreq": self.sfreq,
            "n_samples": self.n_samples,
            "channels": list(self.channels),
            "bands": {name: [lo, hi] for name, (lo, hi) in self.bands.items()},
            "absolute_uv2": self.absolute_uv2,
            "relative": self.relative,
            "bad_fraction": self.bad_fraction,
        }


def analyze_array(
    data_uv: FloatArray,
    sfreq: float,
    channel_names: Sequence[str],
    *,
    bands: Mapping[str, tuple[float, float]] = BANDS,
    limits: ArtifactLimits | None = None,
) -> BandPowerReport:
    """Compute the analysis contract's figures for an array of EEG.

    Parameters
    ----------
    data_uv : ndarray, shape (n_channels, n_times)
        EEG in microvolts.
    sfreq : float
        Sampling frequency in Hz (above 90 Hz, so 1-45 Hz is measurable).
    channel_names : sequence of str
        One name per row.
    bands : mapping of str to (float, float)
        Bands in Hz, ``lo <= f < hi``.
    limits : ArtifactLimits | None
        Artifact thresholds for ``bad_fraction``.

    Returns
    -------
    report : BandPowerReport
    """
    sfreq = check_number(sfreq, "sfreq", low=2 * TOTAL_RANGE[1], low_inclusive=False, unit="Hz")
    limits = ArtifactLimits() if limits is None else limits
    checked = check_bands(bands, nyquist=sfreq / 2.0)
    data = np.asarray(data_uv, dtype=np.float64)
    names = [str(n) for n in channel_names]
    if data.ndim != 2 or data.shape[0] != len(names):
        raise ValueError(f"data_uv must have shape ({len(names)}, n_times), got {data.shape}")
    n_channels, n_times = data.shape
    n_per_seg = round(SEGMENT_SECONDS * sfreq)
    if n_times < n_per_seg:
        raise RecordingError(
            f"The recording is {n_times / sfreq:.2f} s long; the analysis needs at least {SEGMENT_SECONDS:g} s"
        )
    step = n_per_seg // 2
    # A sum is NaN exactly when a value is (infinities aside), and costs no temporary array.
    has_nan = bool(np.isnan(np.add.reduce(data, axis=1)).any())
    if has_nan:
        nan_mask = ~np.isfinite(data)
        data = np.where(nan_mask, 0.0, data)
    freqs = rfft_frequencies(n_per_seg, sfreq)
    bin_width = float(freqs[1] - freqs[0])
    weights = density_weights(hann_window(n_per_seg), sfreq) * bin_width
    columns = {**checked, "__hf__": (30.0, TOTAL_RANGE[1]), "__total__": TOTAL_RANGE}
    matrix = band_matrix(freqs, columns) * weights[:, None]
    share_matrix = np.repeat(matrix[:, -2:], 2, axis=0)
    n_segments = (n_times - n_per_seg) // step + 1

    squares_sum = np.zeros((n_channels, freqs.size, 2))
    high_share = np.zeros((n_channels, n_segments))
    for first, squares in iter_squared_spectra(data, sfreq, n_per_seg=n_per_seg, step=step):
        squares_sum += squares.sum(axis=1)
        per_segment = squares.reshape(*squares.shape[:2], -1) @ share_matrix
        share = high_share[:, first : first + squares.shape[1]]
        np.divide(per_segment[..., 0], per_segment[..., 1], out=share, where=per_segment[..., 1] > 0)
    powers = (squares_sum.sum(axis=-1) @ matrix) / n_segments
    absolute = powers[:, : len(checked)]
    relative = relative_powers(absolute, powers[:, -1])

    bad = flag_segments(data, n_per_seg=n_per_seg, step=step, high_frequency_share=high_share, limits=limits)
    if has_nan:
        bad |= segments_touching(nan_mask, n_per_seg=n_per_seg, step=step, n_segments=n_segments)
    bad_fraction = bad.mean(axis=1)

    band_names = list(checked)
    return BandPowerReport(
        sfreq=float(sfreq),
        n_samples=int(n_times),
        channels=names,
        bands=checked,
        absolute_uv2={
            ch: {b: _json_float(absolute[i, j]) for j, b in enumerate(band_names)}
            for i, ch in enumerate(names)
        },
        relative={
            ch: {b: _json_float(relative[i, j]) for j, b in enumerate(band_names)}
            for i, ch in enumerate(names)
        },
        bad_fraction={ch: float(bad_fraction[i]) for i, ch in enumerate(names)},
    )


def _json_float(value: float) -> float:
    value = float(value)
    return value if math.isfinite(value) else 0.0


def analyze_file(
    path: str | Path,
    *,
    bands: Mapping[str, tuple[float, float]] = BANDS,
    limits: ArtifactLimits | None = None,
) -> BandPowerReport:
    """Read a recording (EDF, BDF or FIF) and compute the analysis contract's figures for its EEG channels."""
    eeg = read_eeg(path)
    if eeg.sfreq <= 2 * TOTAL_RANGE[1]:
        raise RecordingError(
            f"The recording is sampled at {eeg.sfreq:g} Hz; measuring 1-45 Hz needs more than {2 * TOTAL_RANGE[1]:g} Hz"
        )
    return analyze_array(eeg.data_uv, eeg.sfreq, eeg.channel_names, bands=bands, limits=limits)


__all__ = [
    "READABLE_SUFFIXES",
    "SEGMENT_SECONDS",
    "BandPowerReport",
    "EEGData",
    "RecordingError",
    "analyze_array",
    "analyze_file",
    "read_eeg",
]
