"""Reviewing a recording in the browser: traces reduced to what a screen can show, band power over time, events.

A 20-minute, 16-channel recording at 250 Hz is 4.8 million samples; a screen shows about a thousand points
across. ``window`` reduces a stretch to the minimum and maximum of each of ``buckets`` equal slices, so a
blink or a spike stays visible however far out one zooms (plain decimation would drop it). ``overview``
gives the band power of the protocol's channels every second, from the same 2-second Hann periodograms as
the live feedback used, and the recording's annotations (baseline, feedback, rewards, bad segments, lost
samples, notes), so the practitioner can seek to any of them.
"""

from __future__ import annotations

import math
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from painrewire.neurofeedback.signal.bands import BANDS, band_matrix
from painrewire.neurofeedback.signal.dsp import density_weights, hann_window, rfft_frequencies
from painrewire.neurofeedback.signal.validation import check_number, ensure_int

FloatArray = NDArray[np.float64]

#: Widest stretch of traces one request may ask for, and the most slices it may be cut into.
MAX_WINDOW_SECONDS = 120.0
MAX_BUCKETS = 4000
_CACHE_SIZE = 4


@dataclass(frozen=True)
class Recording:
    """One recording, read back through MNE: EEG in microvolts, its annotations and its header flags."""

    sfreq: float
    channel_names: list[str]
    data_uv: FloatArray
    annotations: list[dict[str, Any]]
    sham: bool

    @property
    def duration_s(self) -> float:
        return self.data_uv.shape[1] / self.sfreq


def read_edf_bytes(data: bytes) -> Recording:
    """Read an EDF+ file held in memory (as the record stores it) through MNE."""
    from painrewire.neurofeedback.recording.edf import read_recording, recording_flags

    with tempfile.TemporaryDirectory(prefix="painrewire-review-") as folder:
        path = Path(folder) / "recording.edf"
        path.write_bytes(data)
        raw = read_recording(path)
        flags = recording_flags(path)
    end = next(
        (float(a["onset"]) for a in raw.annotations if a["description"] == "end_of_recording"), raw.times[-1]
    )
    n = min(raw.n_times, max(1, round(end * raw.info["sfreq"])))
    annotations: list[dict[str, Any]] = []
    for a in raw.annotations:
        text, onset, duration = str(a["description"]), float(a["onset"]), float(a["duration"])
        if text == "end_of_recording":
            continue
        previous = annotations[-1] if annotations else None
        # A text longer than EDF+ holds was split into pieces 0.1 ms apart (``edf.ANNOTATION_BYTES``).
        if (
            previous is not None
            and 0 < onset - previous["_onset"] < 1.5e-4
            and duration == previous["duration"]
        ):
            previous["text"] += text
            previous["_onset"] = onset
            continue
        annotations.append(
            {"onset": round(onset, 4), "duration": round(duration, 4), "text": text, "_onset": onset}
        )
    for item in annotations:
        del item["_onset"]
    return Recording(
        sfreq=float(raw.info["sfreq"]),
        channel_names=list(raw.ch_names),
        data_uv=np.ascontiguousarray(raw.get_data(units="uV")[:, :n]),
        annotations=annotations,
        sham=bool(flags["sham"]),
    )


_cache: OrderedDict[Any, Recording] = OrderedDict()
_cache_lock = threading.Lock()


def cached(key: Any) -> Recording | None:
    """A recording read recently (recordings never change once stored)."""
    with _cache_lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
        return found


def remember(key: Any, recording: Recording) -> Recording:
    with _cache_lock:
        _cache[key] = recording
        _cache.move_to_end(key)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return recording


def minmax_buckets(data: FloatArray, buckets: int) -> tuple[FloatArray, FloatArray]:
    """Minimum and maximum of each of ``buckets`` consecutive slices of ``data`` (n_channels, n_times).

    When there are fewer samples than buckets, each sample is its own slice (min = max = the sample).
    """
    n = data.shape[1]
    if n == 0:
        empty = np.zeros((data.shape[0], 0))
        return empty, empty
    if n <= buckets:
        return data.copy(), data.copy()
    edges = np.linspace(0, n, buckets + 1).round().astype(np.int64)
    starts = edges[:-1]
    return np.minimum.reduceat(data, starts, axis=1), np.maximum.reduceat(data, starts, axis=1)


def window(recording: Recording, *, start: float, seconds: float, buckets: int) -> dict[str, Any]:
    """The traces from ``start`` for ``seconds`` as min/max per bucket, in microvolts."""
    seconds = check_number(
        seconds, "seconds", low=0.0, high=MAX_WINDOW_SECONDS, low_inclusive=False, unit="s"
    )
    buckets = ensure_int(buckets, "buckets")
    if not 10 <= buckets <= MAX_BUCKETS:
        raise ValueError(f"buckets must be from 10 to {MAX_BUCKETS}, got {buckets}")
    duration = recording.duration_s
    start = check_number(start, "start", low=0.0, unit="s")
    if start >= duration:
        raise ValueError(f"start must be before the end of the recording ({duration:.1f} s), got {start:g} s")
    first = round(start * recording.sfreq)
    last = min(recording.data_uv.shape[1], first + round(seconds * recording.sfreq))
    low, high = minmax_buckets(recording.data_uv[:, first:last], buckets)
    return {
        "sfreq": recording.sfreq,
        "duration_s": round(duration, 4),
        "start_s": round(first / recording.sfreq, 4),
        "seconds": round((last - first) / recording.sfreq, 4),
        "channels": recording.channel_names,
        "buckets": int(low.shape[1]),
        "minimum": np.round(low, 2).tolist(),
        "maximum": np.round(high, 2).tolist(),
    }


def band_power_series(
    data: FloatArray, sfreq: float, *, window_seconds: float = 2.0, step_seconds: float = 1.0
) -> tuple[FloatArray, dict[str, FloatArray]]:
    """Band power (uV**2) of the mean of ``data``'s channels' periodograms, one value per ``step_seconds``.

    Each value is the one-sided Hann-windowed periodogram density of the ``window_seconds`` ending at that
    time, summed over the band's bins (lo <= f < hi) and multiplied by the bin width, like the feedback.

    Returns
    -------
    times : ndarray
        End of each window, in seconds from the start.
    powers : dict of band name to ndarray
    """
    n_win = round(window_seconds * sfreq)
    n_step = max(1, round(step_seconds * sfreq))
    n = data.shape[1]
    if n < n_win:
        return np.zeros(0), {band: np.zeros(0) for band in BANDS}
    ends = np.arange(n_win, n + 1, n_step)
    idx = ends[:, None] - n_win + np.arange(n_win)[None, :]
    taper = hann_window(n_win)
    segments = data[:, idx]  # (channels, windows, n_win)
    segments = segments - segments.mean(axis=2, keepdims=True)
    squared = np.abs(np.fft.rfft(segments * taper, axis=2)) ** 2
    density = squared * density_weights(taper, sfreq)
    freqs = rfft_frequencies(n_win, sfreq)
    matrix = band_matrix(freqs, BANDS) * (freqs[1] - freqs[0])
    powers = density.mean(axis=0) @ matrix  # (windows, bands)
    return ends / sfreq, {band: powers[:, j] for j, band in enumerate(BANDS)}


def overview(recording: Recording, protocol_channels: list[str]) -> dict[str, Any]:
    """Band power of the protocol channels each second, and every annotation, for the whole recording."""
    rows = [
        i
        for i, name in enumerate(recording.channel_names)
        if name.lower() in {c.lower() for c in protocol_channels}
    ] or list(range(len(recording.channel_names)))
    times, powers = band_power_series(recording.data_uv[rows], recording.sfreq)

    def finite(values: FloatArray) -> list[float | None]:
        return [round(float(v), 4) if math.isfinite(float(v)) else None for v in values]

    return {
        "sfreq": recording.sfreq,
        "duration_s": round(recording.duration_s, 4),
        "channels": recording.channel_names,
        "protocol_channels": [recording.channel_names[i] for i in rows],
        "step_s": 1.0,
        "times": [round(float(t), 3) for t in times],
        "band_power_uv2": {band: finite(values) for band, values in powers.items()},
        "annotations": recording.annotations,
        "sham": recording.sham,
    }
