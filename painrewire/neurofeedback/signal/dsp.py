"""Spectral estimation and filtering for EEG, shared by the live engine and the offline analysis.

Arrays follow MNE's shape: ``(n_channels, n_times)`` in microvolts, ``sfreq`` in Hz always explicit. The
Welch estimate here is the textbook one (Welch 1967) with scipy's conventions: periodic Hann window, constant
(mean) detrend per segment, one-sided density, mean over segments. It equals ``scipy.signal.welch`` with the
same segment length and overlap to rounding error, and the tests prove it.

Filtering is causal and stateful so that a signal filtered chunk by chunk, as it arrives from a headset, is
identical to the same signal filtered in one piece (``filter_signal``). This module uses numpy, and scipy only
for filter design and ``sosfilt``; it imports nothing from the web or the database.

References
----------
Welch P (1967). The use of fast Fourier transform for the estimation of power spectra. IEEE Trans Audio
Electroacoust 15(2):70-73. doi:10.1109/TAU.1967.1161901
"""

from __future__ import annotations

import functools
from collections.abc import Iterator

import numpy as np
from numpy.typing import NDArray
from scipy import signal

from painrewire.neurofeedback.signal.validation import check_number, ensure_int

FloatArray = NDArray[np.float64]

#: Segments transformed together by the offline Welch estimate: large enough to amortise numpy's call
#: overhead, small enough (8 channels x 32 x 512 samples = 1 MB) to stay in cache.
_SEGMENTS_PER_BATCH = 32


def hann_window(n_samples: int) -> FloatArray:
    """Return the periodic (DFT-even) Hann window of ``n_samples`` points, as ``scipy.signal.get_window``.

    Parameters
    ----------
    n_samples : int
        Window length in samples, at least 2.

    Returns
    -------
    window : ndarray, shape (n_samples,)
        ``0.5 - 0.5 cos(2 pi n / n_samples)``.
    """
    n = ensure_int(n_samples, "n_samples")
    if n < 2:
        raise ValueError(f"n_samples must be at least 2, got {n}")
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def rfft_frequencies(n_per_seg: int, sfreq: float) -> FloatArray:
    """Return the one-sided bin frequencies in Hz of a real FFT of ``n_per_seg`` samples."""
    return np.asarray(np.fft.rfftfreq(n_per_seg, d=1.0 / sfreq), dtype=np.float64)


def density_weights(window: FloatArray, sfreq: float) -> FloatArray:
    """Return the per-bin factor turning ``|rfft(window * x)|**2`` into a one-sided PSD (units**2/Hz).

    Every bin is doubled for the negative frequencies it stands for, except DC and, for even lengths, the
    Nyquist bin, which have no mirror; all are divided by ``sfreq * sum(window**2)`` (Welch's normalisation).

    Parameters
    ----------
    window : ndarray, shape (n_per_seg,)
        The window applied to each segment.
    sfreq : float
        Sampling frequency in Hz.

    Returns
    -------
    weights : ndarray, shape (n_per_seg // 2 + 1,)
        Factor per bin.
    """
    n = window.size
    weights = np.full(n // 2 + 1, 2.0 / (sfreq * float(np.sum(window**2))))
    weights[0] /= 2.0
    if n % 2 == 0:
        weights[-1] /= 2.0
    return weights


def _check_segments(n_times: int, sfreq: float, n_per_seg: int, n_overlap: int | None) -> tuple[int, int]:
    n_per_seg = ensure_int(n_per_seg, "n_per_seg")
    if n_per_seg < 2:
        raise ValueError(f"n_per_seg must be at least 2 samples, got {n_per_seg}")
    if n_per_seg > n_times:
        raise ValueError(
            f"n_per_seg is {n_per_seg} samples ({n_per_seg / sfreq:g} s) but the signal has only {n_times} "
            f"samples ({n_times / sfreq:g} s)"
        )
    overlap = n_per_seg // 2 if n_overlap is None else ensure_int(n_overlap, "n_overlap")
    if not 0 <= overlap < n_per_seg:
        raise ValueError(
            f"Got n_overlap of {overlap} while n_per_seg is {n_per_seg}; need 0 <= n_overlap < n_per_seg"
        )
    return n_per_seg, n_per_seg - overlap


def iter_squared_spectra(
    data: FloatArray, sfreq: float, *, n_per_seg: int, step: int
) -> Iterator[tuple[int, FloatArray]]:
    """Yield ``(first_segment_index, squares)`` batch by batch over the Welch segments of ``data``.

    Segment ``i`` covers samples ``[i * step, i * step + n_per_seg)``. ``squares`` has shape
    (n_channels, n_segments_in_batch, n_freqs, 2): the squared real and imaginary parts of the rfft of each
    Hann-windowed, mean-removed segment. Their sum times ``density_weights`` is the segment's one-sided
    periodogram; keeping the two parts apart lets callers sum over segments or bands first (everything
    after the square is linear), which saves a pass. The mean is removed after the FFT, on the only bins
    the mean leaks into (0 and 1 for Hann): equal to detrending first, by linearity of the DFT.
    """
    n_channels, n_times = data.shape
    n_segments = (n_times - n_per_seg) // step + 1
    window = hann_window(n_per_seg)
    window_spectrum = np.fft.rfft(window)
    leak_bins = np.flatnonzero(np.abs(window_spectrum) > 1e-9 * np.abs(window_spectrum[0]))
    leak = window_spectrum[leak_bins]
    contiguous = np.ascontiguousarray(data, dtype=np.float64)
    strides = contiguous.strides
    segments = np.lib.stride_tricks.as_strided(
        contiguous,
        shape=(n_channels, n_segments, n_per_seg),
        strides=(strides[0], strides[1] * step, strides[1]),
        writeable=False,
    )
    batch = np.empty((n_channels, min(_SEGMENTS_PER_BATCH, n_segments), n_per_seg))
    for first in range(0, n_segments, _SEGMENTS_PER_BATCH):
        chunk = segments[:, first : first + _SEGMENTS_PER_BATCH]
        windowed = batch[:, : chunk.shape[1]]
        np.multiply(chunk, window, out=windowed)
        spectrum = np.fft.rfft(windowed, axis=-1)
        means = np.add.reduce(chunk, axis=-1) * (1.0 / n_per_seg)
        spectrum[..., leak_bins] -= means[..., None] * leak
        parts = spectrum.view(np.float64)
        np.square(parts, out=parts)
        yield first, parts.reshape(*spectrum.shape, 2)


def welch_psd(
    data: FloatArray, sfreq: float, *, n_per_seg: int, n_overlap: int | None = None
) -> tuple[FloatArray, FloatArray]:
    """Estimate the power spectral density with Welch's method.

    Parameters
    ----------
    data : ndarray, shape (n_channels, n_times)
        Signal, e.g. in microvolts.
    sfreq : float
        Sampling frequency in Hz.
    n_per_seg : int
        Segment length in samples (e.g. ``2 * sfreq`` for 2-second segments).
    n_overlap : int | None
        Samples shared by consecutive segments; None means half a segment.

    Returns
    -------
    psd : ndarray, shape (n_channels, n_freqs)
        One-sided density in units**2/Hz (uV**2/Hz for microvolts).
    freqs : ndarray, shape (n_freqs,)
        Bin frequencies in Hz, spaced ``sfreq / n_per_seg``.

    Notes
    -----
    Equals ``scipy.signal.welch(data, sfreq, window="hann", nperseg=n_per_seg, noverlap=n_overlap)``.
    """
    sfreq = check_number(sfreq, "sfreq", low=0.0, low_inclusive=False, unit="Hz")
    data = np.atleast_2d(np.asarray(data, dtype=np.float64))
    if data.ndim != 2:
        raise ValueError(f"data must have shape (n_channels, n_times), got {data.shape}")
    n_per_seg, step = _check_segments(data.shape[1], sfreq, n_per_seg, n_overlap)
    total = np.zeros((data.shape[0], n_per_seg // 2 + 1, 2))
    n_segments = 0
    for _, squares in iter_squared_spectra(data, sfreq, n_per_seg=n_per_seg, step=step):
        total += squares.sum(axis=1)
        n_segments += squares.shape[1]
    weights = density_weights(hann_window(n_per_seg), sfreq)
    return total.sum(axis=-1) * weights / n_segments, rfft_frequencies(n_per_seg, sfreq)


def design_filter(
    sfreq: float,
    *,
    l_freq: float | None = 1.0,
    h_freq: float | None = 45.0,
    line_freq: float | None = 50.0,
    order: int = 4,
    notch_quality: float = 30.0,
) -> FloatArray:
    """Design the causal IIR filter applied to live EEG: a Butterworth band-pass and a mains notch.

    Parameters
    ----------
    sfreq : float
        Sampling frequency in Hz.
    l_freq, h_freq : float | None
        Band-pass edges in Hz (-3 dB); None leaves that side open.
    line_freq : float | None
        Mains frequency to notch out (50 Hz in Europe, 60 Hz in the Americas); None for no notch.
    order : int
        Butterworth order of each side.
    notch_quality : float
        Quality factor of the notch (centre frequency over -3 dB width).

    Returns
    -------
    sos : ndarray, shape (n_sections, 6)
        Second-order sections for ``scipy.signal.sosfilt``.
    """
    sfreq = check_number(sfreq, "sfreq", low=0.0, low_inclusive=False, unit="Hz")
    nyquist = sfreq / 2.0
    order = ensure_int(order, "order")
    if not 1 <= order <= 10:
        raise ValueError(f"order must be in [1, 10], got {order}")
    if l_freq is not None:
        l_freq = check_number(
            l_freq, "l_freq", low=0.0, high=nyquist, low_inclusive=False, high_inclusive=False, unit="Hz"
        )
    if h_freq is not None:
        h_freq = check_number(
            h_freq, "h_freq", low=0.0, high=nyquist, low_inclusive=False, high_inclusive=False, unit="Hz"
        )
    if l_freq is not None and h_freq is not None and l_freq >= h_freq:
        raise ValueError(f"l_freq must be below h_freq, got l_freq={l_freq:g} Hz and h_freq={h_freq:g} Hz")
    sections: list[FloatArray] = []
    if l_freq is not None and h_freq is not None:
        sections.append(signal.butter(order, [l_freq, h_freq], btype="bandpass", fs=sfreq, output="sos"))
    elif l_freq is not None:
        sections.append(signal.butter(order, l_freq, btype="highpass", fs=sfreq, output="sos"))
    elif h_freq is not None:
        sections.append(signal.butter(order, h_freq, btype="lowpass", fs=sfreq, output="sos"))
    if line_freq is not None:
        line_freq = check_number(
            line_freq,
            "line_freq",
            low=0.0,
            high=nyquist,
            low_inclusive=False,
            high_inclusive=False,
            unit="Hz",
        )
        notch_quality = check_number(notch_quality, "notch_quality", low=0.0, low_inclusive=False)
        b, a = signal.iirnotch(line_freq, notch_quality, fs=sfreq)
        sections.append(signal.tf2sos(b, a))
    if not sections:
        raise ValueError("Nothing to design: l_freq, h_freq and line_freq are all None")
    return np.vstack(sections)


def steady_state(sos: FloatArray, first_sample: FloatArray) -> FloatArray:
    """Return ``zi`` (n_sections, n_channels, 2) that starts ``sosfilt`` as if each channel had always held
    its first sample, so a DC offset of the headset does not ring through the high-pass."""
    return signal.sosfilt_zi(sos)[:, None, :] * np.asarray(first_sample, dtype=float)[None, :, None]


def filter_signal(sos: FloatArray, data: FloatArray) -> FloatArray:
    """Filter a whole recording causally, starting in the same state a ``StreamingFilter`` starts in.

    Parameters
    ----------
    sos : ndarray, shape (n_sections, 6)
        From ``design_filter``.
    data : ndarray, shape (n_channels, n_times)
        Signal.

    Returns
    -------
    filtered : ndarray, shape (n_channels, n_times)
    """
    data = np.atleast_2d(np.asarray(data, dtype=np.float64))
    out, _ = signal.sosfilt(sos, data, axis=-1, zi=steady_state(sos, data[:, 0]))
    return np.asarray(out)


def block_gain(sos: FloatArray, length: int) -> FloatArray:
    """Return the exact linear map ``[x | z] @ G -> [y | z']`` that ``sosfilt`` applies to a block of ``length``
    samples ``x`` from state ``z`` (scipy's state convention, sections in order).

    ``G`` is built by running ``sosfilt`` on unit impulses and unit states. It is the same for every filter of
    the same design, so it is made once per design and shared, read-only: a live server runs hundreds of
    filters of one design, and one shared matrix stays in the processor's cache where hundreds of copies
    (44 kB each for the default filter) would not.
    """
    sos = np.ascontiguousarray(sos, dtype=np.float64)
    return _block_gain(sos.tobytes(), sos.shape[0], ensure_int(length, "length"))


@functools.lru_cache(maxsize=16)
def _block_gain(sos_bytes: bytes, n_sections: int, length: int) -> FloatArray:
    sos = np.frombuffer(sos_bytes, dtype=np.float64).reshape(n_sections, 6).copy()
    n_state = 2 * n_sections
    size = length + n_state
    impulses = np.zeros((size, length))
    impulses[:length] = np.eye(length)
    states = np.zeros((n_sections, size, 2))
    for m in range(n_state):
        states[m // 2, length + m, m % 2] = 1.0
    out, final = signal.sosfilt(sos, impulses, axis=-1, zi=states)
    gain = np.empty((size, size))
    gain[:, :length] = out
    gain[:, length:] = np.transpose(final, (1, 0, 2)).reshape(size, n_state)
    gain.flags.writeable = False
    return gain


class StreamingFilter:
    """Causal IIR filter with a per-channel state, fed chunk by chunk.

    Chunks of exactly ``block_samples`` (the engine's hop) take a fast path: one matrix product
    ``[x | z] @ G`` gives the filtered block and the next state at once. ``G`` is built at construction by
    running ``sosfilt`` on unit impulses and unit states, so it is the exact linear map ``sosfilt`` applies to
    a block, in scipy's own state convention; any other chunk length goes through ``sosfilt`` with that same
    state. Either way the output equals ``filter_signal`` on the concatenated input.

    Parameters
    ----------
    sos : ndarray, shape (n_sections, 6)
        From ``design_filter``.
    n_channels : int
        Channels per chunk.
    block_samples : int | None
        Chunk length that takes the fast path.
    """

    def __init__(self, sos: FloatArray, n_channels: int, *, block_samples: int | None = None) -> None:
        self.sos = np.ascontiguousarray(sos, dtype=np.float64)
        if self.sos.ndim != 2 or self.sos.shape[1] != 6:
            raise ValueError(f"sos must have shape (n_sections, 6), got {self.sos.shape}")
        self.n_channels = ensure_int(n_channels, "n_channels")
        if self.n_channels < 1:
            raise ValueError(f"n_channels must be at least 1, got {self.n_channels}")
        self.block_samples = 0 if block_samples is None else ensure_int(block_samples, "block_samples")
        if self.block_samples < 0:
            raise ValueError(f"block_samples must be positive or None, got {self.block_samples}")
        self._n_state = 2 * self.sos.shape[0]
        self._zi_unit = signal.sosfilt_zi(self.sos).ravel()
        if self.block_samples:
            self._gain = block_gain(self.sos, self.block_samples)
        # Two buffers of [block | state] swap roles each block: the product of one, [input | state in] @ G,
        # lands in the other as [output | state out], whose state part is then already where the next block's
        # input needs it. The state always lives in self._pair[self._parity, :, block_samples:].
        self._pair = np.zeros((2, self.n_channels, self.block_samples + self._n_state))
        self._parity = 0
        self._started = False

    @property
    def _state(self) -> FloatArray:
        return self._pair[self._parity, :, self.block_samples :]

    def _start(self, first: FloatArray) -> None:
        self._state[:] = self._zi_unit[None, :] * first[:, :1]
        self._started = True

    def reset(self) -> None:
        """Forget the state; the next chunk starts the filter afresh from its first sample."""
        self._started = False

    def process(self, chunk: FloatArray) -> FloatArray:
        """Filter the next chunk (n_channels, n_samples) and return it filtered (a new array)."""
        chunk = np.asarray(chunk, dtype=np.float64)
        if chunk.ndim != 2 or chunk.shape[0] != self.n_channels:
            raise ValueError(f"chunk must have shape ({self.n_channels}, n_samples), got {chunk.shape}")
        n = chunk.shape[1]
        if n == 0:
            return chunk.copy()
        if n == self.block_samples:
            pair, raw_row = self.process_block_pair(chunk)
            return pair[1 - raw_row].copy()
        if not self._started:
            self._start(chunk)
        state = self._state
        zi = state.reshape(self.n_channels, -1, 2).transpose(1, 0, 2)
        out, zf = signal.sosfilt(self.sos, chunk, axis=-1, zi=zi)
        state[:] = np.transpose(zf, (1, 0, 2)).reshape(self.n_channels, self._n_state)
        return np.asarray(out)

    def process_block_pair(self, block: FloatArray) -> tuple[FloatArray, int]:
        """Filter exactly ``block_samples`` samples without copying.

        Returns
        -------
        pair : ndarray, shape (2, n_channels, block_samples)
            The input block and the filtered block; a view overwritten by the next call.
        raw_row : int
            Which of the two rows of ``pair`` is the input (the other is the output).
        """
        if not self._started:
            self._start(block)
        length = self.block_samples
        raw_row = self._parity
        inp = self._pair[raw_row]
        inp[:, :length] = block
        np.dot(inp, self._gain, out=self._pair[1 - raw_row])
        self._parity = 1 - raw_row
        return self._pair[:, :, :length], raw_row

    def last_input(self) -> FloatArray | None:
        """The last sample of the last block that took the fast path (None before any)."""
        if not self._started or not self.block_samples:
            return None
        return self._pair[1 - self._parity, :, self.block_samples - 1].copy()
