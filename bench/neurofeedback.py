"""Neurofeedback speed: one live hop of the engine against scipy's Welch, and offline analysis in real-time factors.

Run ``python bench/neurofeedback.py``; it prints one JSON line:

* ``update_p50_us`` / ``update_p99_us``: one hop of ``FeedbackEngine`` on 8 channels at 256 Hz -- a new 0.25 s
  chunk in, filtering, all band powers of the newest 2 s window, artifact checks and the reward out;
* ``scipy_update_p50_us`` / ``scipy_update_p99_us``: ``scipy.signal.welch`` (1 s Hann segments, 50 % overlap)
  on the same 2 s window each hop, the baseline a straightforward implementation would pay;
* ``speedup_vs_scipy``: scipy's median over ours (goal: at least 5);
* ``offline_rtf`` / ``scipy_offline_rtf``: seconds of EEG analysed per second of compute for one hour of
  8-channel data under the ``nfb analyze`` contract (ours: PSD, band powers, relative powers and artifact
  flags; scipy: ``welch`` plus the same band sums, no artifact flags) -- goal: at least 30,000;
* ``machine``: CPU model and cores; ``live_sessions``: measured once the web live loop exists.

The two live measurements take turns in blocks of hops, so both run warm and see the same machine load.
Garbage collection stays on: a pause it causes is part of a real session's p99.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np
import scipy
from scipy import signal

from painrewire.neurofeedback.analysis import analyze_array
from painrewire.neurofeedback.bands import BANDS, TOTAL_RANGE, band_matrix
from painrewire.neurofeedback.engine import FeedbackEngine
from painrewire.neurofeedback.protocols import get_protocol

SFREQ = 256.0
CHANNELS = ["Fz", "C3", "Cz", "C4", "Pz", "O1", "O2", "F4"]
HOP = 64
WINDOW = 512
WARM_HOPS = 200
MEASURED_HOPS = 4000


def _eeg_like(n_channels: int, n_times: int, seed: int = 0) -> np.ndarray:
    """AR(1) noise (coefficient 0.9), microvolt scale: a falling spectrum like resting EEG."""
    rng = np.random.default_rng(seed)
    return signal.lfilter([1.0], [1.0, -0.9], rng.standard_normal((n_channels, n_times)) * 5.0, axis=1)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def bench_live(block: int = 250) -> dict[str, float]:
    """Time each hop; ours and scipy's take turns in blocks of ``block`` hops over the same windows, so both
    run warm and see the same machine load."""
    n_hops = WARM_HOPS + MEASURED_HOPS
    first = WINDOW // HOP
    data = _eeg_like(len(CHANNELS), (n_hops + first) * HOP)
    timestamps = np.arange(data.shape[1]) / SFREQ
    engine = FeedbackEngine(SFREQ, CHANNELS, get_protocol("alpha"), baseline_seconds=10.0)
    clock = time.perf_counter_ns
    for hop in range(first):
        engine.push(data[:, hop * HOP : (hop + 1) * HOP], timestamps[hop * HOP : (hop + 1) * HOP])
    ours: list[float] = []
    theirs: list[float] = []
    for block_start in range(first, n_hops + first, block):
        hops = range(block_start, min(block_start + block, n_hops + first))
        for hop in hops:
            start = hop * HOP
            chunk = data[:, start : start + HOP]
            stamps = timestamps[start : start + HOP]
            t0 = clock()
            result = engine.push(chunk, stamps)
            t1 = clock()
            if hop >= WARM_HOPS + first:
                assert len(result) == 1
                ours.append((t1 - t0) / 1e3)
        for hop in hops:
            end = (hop + 1) * HOP
            window = data[:, end - WINDOW : end]
            t0 = clock()
            signal.welch(window, SFREQ, window="hann", nperseg=256, noverlap=128)
            t1 = clock()
            if hop >= WARM_HOPS + first:
                theirs.append((t1 - t0) / 1e3)
    feedback = [h for h in engine.hops if h.phase.value == "feedback"]
    assert feedback, "the engine never reached feedback"
    return {
        "update_p50_us": round(statistics.median(ours), 2),
        "update_p99_us": round(float(np.percentile(ours, 99)), 2),
        "scipy_update_p50_us": round(statistics.median(theirs), 2),
        "scipy_update_p99_us": round(float(np.percentile(theirs, 99)), 2),
        "speedup_vs_scipy": round(statistics.median(theirs) / statistics.median(ours), 2),
        "hops_measured": len(ours),
        "reward_rate": round(sum(h.reward for h in feedback) / len(feedback), 3),
    }


def _scipy_analysis(data: np.ndarray) -> np.ndarray:
    freqs, psd = signal.welch(data, SFREQ, window="hann", nperseg=512, noverlap=256, detrend="constant")
    matrix = band_matrix(freqs, {**BANDS, "total": TOTAL_RANGE}) * (freqs[1] - freqs[0])
    powers = psd @ matrix
    return powers[:, :-1] / powers[:, -1:]


def bench_offline(repeats: int = 3) -> dict[str, float]:
    seconds = 3600.0
    data = _eeg_like(len(CHANNELS), int(seconds * SFREQ), seed=1)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        analyze_array(data, SFREQ, CHANNELS)
        t1 = time.perf_counter()
        _scipy_analysis(data)
        t2 = time.perf_counter()
        ours.append(t1 - t0)
        theirs.append(t2 - t1)
    return {
        "offline_rtf": round(seconds / statistics.median(ours), 0),
        "scipy_offline_rtf": round(seconds / statistics.median(theirs), 0),
        "offline_seconds_per_hour": round(statistics.median(ours), 4),
    }


def main() -> None:
    live = bench_live()
    offline = bench_offline()
    result = {
        **live,
        **offline,
        "channels": len(CHANNELS),
        "sfreq": SFREQ,
        "live_sessions": None,
        "live_sessions_note": "simultaneous WebSocket sessions: measured once the web live loop exists",
        "machine": {
            "cpu": _cpu_model(),
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
