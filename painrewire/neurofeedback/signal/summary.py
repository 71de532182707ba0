"""The summary of a neurofeedback session that goes into the patient record."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any


def _finite(value: float | None) -> float | None:
    """JSON has no NaN or infinity: report those as missing."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


@dataclass(frozen=True, slots=True)
class MinuteBandPower:
    """Mean band power of the protocol's channels over one minute of feedback, against the baseline."""

    minute: int
    good_windows: int
    band_power_uv2: dict[str, float | None]
    ratio_to_baseline: dict[str, float | None]


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """What a clinician reads about a session, and what the record stores.

    Attributes
    ----------
    protocol : str
        Protocol code (``alpha``, ``smr_theta``, ``theta_beta``, ``asymmetry``).
    channels : list of str
        Positions trained.
    sham : bool
        Feedback replayed an earlier session instead of the live EEG.
    minutes_trained : float
        Minutes of feedback phase (baseline excluded).
    baseline_seconds : float
        Seconds of baseline (in the ``eyes`` condition, as the training).
    reward_rate : float | None
        Share of feedback hops rewarded (bad windows count as not rewarded).
    target_reward_rate : float
        The reward rate the adaptive threshold aimed at.
    final_threshold : float | None
        Threshold at the end of the session, in the protocol's metric units.
    bad_share : float | None
        Share of all hops whose window was unfit (artifact, flat, saturated, NaN or lost samples).
    lost_samples : int
        Samples that never arrived.
    latency_p50_ms, latency_p99_ms : float | None
        Time from the newest sample's acquisition to the feedback message being sent.
    latency_count : int
        Feedback messages the latency figures are taken over.
    clock_offset_s : float
        Offset added to the source's timestamps to bring them onto the session clock (LSL time correction).
    baseline_band_power_uv2 : dict
        Mean band power of the protocol channels during the baseline.
    band_power_per_minute : list of MinuteBandPower
        The same per minute of feedback, and its ratio to the baseline.
    signal_check_overrides : list of str
        Signal-check failures the practitioner proceeded over, with their reasons.
    hops : int
        Feedback updates computed.
    eyes : str
        ``open`` or ``closed``: the condition of the baseline and the training alike.
    inhibits : list of dict
        Each inhibit band: ``band``, ``label``, ``guards``, ``percentile`` and the ``threshold_uv2`` the baseline
        set (None when there was no baseline to set it from, and the inhibit was off).
    inhibited_share : float | None
        Share of feedback hops whose reward an inhibit withheld.
    """

    protocol: str
    channels: list[str]
    sham: bool
    minutes_trained: float
    baseline_seconds: float
    reward_rate: float | None
    target_reward_rate: float
    final_threshold: float | None
    bad_share: float | None
    lost_samples: int
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    latency_count: int
    clock_offset_s: float
    baseline_band_power_uv2: dict[str, float | None]
    band_power_per_minute: list[MinuteBandPower] = field(default_factory=list)
    signal_check_overrides: list[str] = field(default_factory=list)
    hops: int = 0
    eyes: str = "open"
    inhibits: list[dict[str, Any]] = field(default_factory=list)
    inhibited_share: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict (no NaN, no infinity, no numpy types)."""
        out = asdict(self)
        for key in ("minutes_trained", "baseline_seconds", "target_reward_rate", "clock_offset_s"):
            out[key] = _finite(out[key]) or 0.0
        for key in (
            "reward_rate",
            "final_threshold",
            "bad_share",
            "latency_p50_ms",
            "latency_p99_ms",
            "inhibited_share",
        ):
            out[key] = _finite(out[key])
        out["inhibits"] = [{**i, "threshold_uv2": _finite(i.get("threshold_uv2"))} for i in self.inhibits]
        out["baseline_band_power_uv2"] = {k: _finite(v) for k, v in self.baseline_band_power_uv2.items()}
        out["band_power_per_minute"] = [
            {
                "minute": m.minute,
                "good_windows": m.good_windows,
                "band_power_uv2": {k: _finite(v) for k, v in m.band_power_uv2.items()},
                "ratio_to_baseline": {k: _finite(v) for k, v in m.ratio_to_baseline.items()},
            }
            for m in self.band_power_per_minute
        ]
        return out
