"""EEG frequency bands and the sums that turn a power spectral density into band power.

The bands are the ones the clinic trains and reports (Hz, lower edge included, upper edge excluded). Band power
is the PSD summed over the frequency bins inside the band times the bin width, so a sinusoid of amplitude A
whose spectral leakage stays inside one band contributes A**2 / 2 to it, as Parseval's theorem says.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from painrewire.neurofeedback.signal.validation import validate_type

#: Training and reporting bands in Hz, ``lo <= f < hi``.
BANDS: dict[str, tuple[float, float]] = {
    "delta": (1.0, 4.0),
    "theta": (4.0, 8.0),
    "alpha": (8.0, 13.0),
    "smr": (12.0, 15.0),
    "beta": (13.0, 30.0),
    "gamma": (30.0, 45.0),
}

#: Bands the live engine computes only as protocol inhibits (``protocols.Inhibit``), not reported by the offline
#: analysis: high beta, where scalp muscle (EMG) power and over-arousal show below the 30-45 Hz range.
INHIBIT_BANDS: dict[str, tuple[float, float]] = {
    "high_beta": (22.0, 30.0),
}

#: What the live engine computes every hop, in one pass over each segment's spectrum: the training and
#: reporting bands, then the inhibit-only ones.
LIVE_BANDS: dict[str, tuple[float, float]] = {**BANDS, **INHIBIT_BANDS}

#: The range relative band power is taken against, ``lo <= f < hi``.
TOTAL_RANGE: tuple[float, float] = (1.0, 45.0)


def check_bands(
    bands: Mapping[str, tuple[float, float]], *, nyquist: float | None = None
) -> dict[str, tuple[float, float]]:
    """Return ``bands`` as a plain dict after checking each edge pair (0 <= lo < hi, and hi <= Nyquist).

    Parameters
    ----------
    bands : mapping of str to (float, float)
        Band name to (lower edge, upper edge) in Hz.
    nyquist : float | None
        Half the sampling frequency in Hz; when given, no band may reach beyond it.

    Returns
    -------
    bands : dict of str to (float, float)
        The same bands, edges as floats.
    """
    validate_type(bands, Mapping, "bands", description="a mapping of band name to (lo, hi) in Hz")
    if not bands:
        raise ValueError("bands must name at least one band, got an empty mapping")
    checked: dict[str, tuple[float, float]] = {}
    for name, edges in bands.items():
        validate_type(name, str, "band name")
        try:
            lo, hi = (float(e) for e in edges)
        except (TypeError, ValueError):
            raise ValueError(f"band {name!r} must be a pair (lo, hi) in Hz, got {edges!r}") from None
        if not 0.0 <= lo < hi:
            raise ValueError(f"band {name!r} must satisfy 0 <= lo < hi, got ({lo:g}, {hi:g}) Hz")
        if nyquist is not None and hi > nyquist:
            raise ValueError(
                f"band {name!r} reaches {hi:g} Hz, above the Nyquist frequency {nyquist:g} Hz of this signal"
            )
        checked[name] = (lo, hi)
    return checked


def band_matrix(freqs: NDArray[np.float64], bands: Mapping[str, tuple[float, float]]) -> NDArray[np.float64]:
    """Return the (n_freqs, n_bands) 0/1 matrix whose column b marks the bins with ``lo_b <= f < hi_b``.

    Parameters
    ----------
    freqs : ndarray, shape (n_freqs,)
        Bin frequencies in Hz.
    bands : mapping of str to (float, float)
        Band name to edges in Hz, in column order.

    Returns
    -------
    matrix : ndarray, shape (n_freqs, n_bands)
        1.0 where a bin belongs to a band, else 0.0.
    """
    freqs = np.asarray(freqs, dtype=float)
    matrix = np.zeros((freqs.size, len(bands)))
    for column, (lo, hi) in enumerate(bands.values()):
        matrix[(freqs >= lo) & (freqs < hi), column] = 1.0
    return matrix


def band_powers(
    psd: NDArray[np.float64],
    freqs: NDArray[np.float64],
    bands: Mapping[str, tuple[float, float]] = BANDS,
) -> NDArray[np.float64]:
    """Sum a PSD over each band's bins and multiply by the bin width.

    Parameters
    ----------
    psd : ndarray, shape (..., n_freqs)
        Power spectral density, e.g. in uV**2/Hz, on equally spaced bins.
    freqs : ndarray, shape (n_freqs,)
        Bin frequencies in Hz.
    bands : mapping of str to (float, float)
        Band name to (lo, hi) in Hz; bins with ``lo <= f < hi`` count.

    Returns
    -------
    powers : ndarray, shape (..., n_bands)
        Band power, e.g. in uV**2, in the order of ``bands``.
    """
    freqs = np.asarray(freqs, dtype=float)
    if freqs.ndim != 1 or freqs.size < 2:
        raise ValueError(f"freqs must be 1-D with at least 2 bins, got shape {freqs.shape}")
    psd = np.asarray(psd, dtype=float)
    if psd.shape[-1] != freqs.size:
        raise ValueError(f"psd has {psd.shape[-1]} bins on its last axis but freqs has {freqs.size}")
    bin_width = float(freqs[1] - freqs[0])
    return (psd @ band_matrix(freqs, check_bands(bands))) * bin_width


def relative_powers(absolute: NDArray[np.float64], total: NDArray[np.float64]) -> NDArray[np.float64]:
    """Divide band powers (..., n_bands) by the total power (...,); where the total is 0 the result is 0.

    A flat channel has no power anywhere; reporting 0 instead of NaN keeps the figures JSON-safe.
    """
    absolute = np.asarray(absolute, dtype=float)
    total = np.asarray(total, dtype=float)[..., None]
    out = np.zeros_like(absolute)
    np.divide(absolute, total, out=out, where=total > 0)
    return out
