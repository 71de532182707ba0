"""What a live session says, and on which channel: the patient's screen, the practitioner's console, commands.

Channels of session ``S`` (``channel(S, kind)``):

* ``feedback`` -- to the patient's screen: ``state`` (checking / ready / baseline / feedback / paused /
  ended) and ``feedback`` (0..1 value, reward). It never says whether the session is sham.
* ``console`` -- to the practitioner's screen: ``status`` (state, connection, lost samples, latency, reward
  and inhibited shares), ``check`` (per channel pass or fail), ``hop`` (band powers, metric, threshold,
  reward, each inhibit band against its threshold: the newest hop twice a second; a blinded series session
  leaves out the metric, threshold and inhibits, which a sham reward ignores), ``raw`` (traces twice a
  second, with each channel's signal quality once a second), ``note``, ``ended``.
  The periodic ones (``status``, ``hop``, ``raw``) due at the same step go out as one ``batch`` message
  (``parts``, in that order): two console messages a second instead of five.
* ``commands`` / ``replies`` -- the practitioner's commands and the runner's answers.

Numbers that may be NaN or infinite go out as null (``finite``): JSON has neither.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from painrewire.neurofeedback.signal.engine import HopResult, Phase
from painrewire.neurofeedback.signal.protocols import Inhibit

PREFIX = "painrewire:nfb"
FEEDBACK, CONSOLE, COMMANDS, REPLIES = "feedback", "console", "commands", "replies"

#: The order of a batch's parts: the status first (the state the hop and traces belong to).
PART_ORDER = {"status": 0, "hop": 1, "raw": 2}


def channel(session_id: uuid.UUID | str, kind: str) -> str:
    return f"{PREFIX}:{session_id}:{kind}"


def finite(value: float | None) -> float | None:
    """``value`` rounded to 4 decimals, or None if it is missing, NaN or infinite."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 4)


def state_message(name: str) -> dict[str, Any]:
    """Where the session is, for the patient's screen."""
    return {"type": "state", "state": name}


def ended_message(status: str, reason: str, **extra: Any) -> dict[str, Any]:
    """The console's last message: ``completed`` or ``aborted``, and why."""
    return {"type": "ended", "status": status, "reason": reason, **extra}


def feedback_message(hop: HopResult, *, baseline_progress: float) -> dict[str, Any]:
    """One hop for the patient's screen: the feedback value and the reward (the baseline's progress while it
    runs)."""
    message: dict[str, Any] = {
        "type": "feedback",
        "hop": hop.index,
        "phase": hop.phase.value,
        "value": round(float(hop.feedback), 4),
        "reward": bool(hop.reward),
        "t": hop.timestamp,
    }
    if hop.phase is Phase.BASELINE:
        message["progress"] = round(baseline_progress, 3)
    return message


def inhibit_status(
    hop: HopResult, protocol_inhibits: Sequence[Inhibit], thresholds: dict[str, float], rows: list[int]
) -> list[dict[str, Any]]:
    """Each inhibit band of the protocol: its power now (mean over the protocol's channels, ``rows``), the
    threshold the baseline set (None before), and whether it is over."""
    over = set(hop.inhibits_over)
    status = []
    for inhibit in protocol_inhibits:
        column = hop.band_names.index(inhibit.band)
        power = float(hop.band_powers[rows, column].mean()) if rows else math.nan
        status.append(
            {
                "band": inhibit.band,
                "label": inhibit.label,
                "power": finite(power),
                "threshold": finite(thresholds.get(inhibit.band)),
                "over": inhibit.band in over,
            }
        )
    return status


def hop_message(
    hop: HopResult,
    *,
    channels: list[str],
    rows: list[int],
    bands: list[str],
    inhibit_status: list[dict[str, Any]],
    latency_s: float,
    baseline_progress: float,
    recent_rewards: Sequence[bool],
    blinded: bool,
) -> dict[str, Any]:
    """One hop for the console: band powers of every channel, the metric against its threshold, the inhibits.

    A blinded session's hop leaves out the metric, the threshold, the inhibits and bad windows: a sham reward
    ignores them, so shown beside them it would tell. (The patient's screen, which shows none of them, gets
    the reward as it is.)
    """
    message = {
        "type": "hop",
        "index": hop.index,
        "phase": hop.phase.value,
        "time_s": round(hop.time_s, 3),
        "metric": finite(hop.metric),
        "threshold": finite(hop.threshold),
        "reward": bool(hop.reward),
        "feedback": round(float(hop.feedback), 4),
        "bad": bool(hop.bad),
        "reasons": list(hop.bad_reasons),
        "inhibited": bool(hop.inhibited),
        "inhibits": inhibit_status,
        "blinded": False,
        "latency_ms": round(latency_s * 1e3, 2),
        "baseline_progress": round(baseline_progress, 3),
        "recent_reward_rate": (
            round(sum(recent_rewards) / len(recent_rewards), 3) if recent_rewards else None
        ),
        "channels": channels,
        "protocol_rows": rows,
        "bands": bands,
        "power": hop.band_powers.round(3).tolist(),
    }
    if blinded:
        message.update(metric=None, threshold=None, inhibited=False, inhibits=[], blinded=True)
        if hop.bad:
            message.update(reward=False, feedback=0.0)
    return message


def status_message(
    *,
    state: str,
    phase: str | None,
    loss: str,
    paused: bool,
    source: str,
    source_description: str,
    reconnects: int,
    lost_samples: int,
    seconds_without_data: float | None,
    recorded_seconds: float,
    training_seconds: float,
    planned_seconds: float,
    figures: Mapping[str, float | None],
    target_reward_rate: float,
    blinded: bool,
) -> dict[str, Any]:
    """The session's state for the console: the connection, what was lost, recorded and trained, the reward
    and inhibited shares and the latency (``FeedbackEngine.running_figures``). A blinded session leaves out
    the inhibited share."""
    return {
        "type": "status",
        "state": state,
        "phase": phase,
        "loss": loss,
        "paused": paused,
        "source": source,
        "source_description": source_description,
        "reconnects": reconnects,
        "lost_samples": lost_samples,
        "seconds_without_data": finite(seconds_without_data),
        "recorded_seconds": round(recorded_seconds, 2),
        "training_seconds": round(training_seconds, 2),
        "planned_seconds": planned_seconds,
        "reward_rate": finite(figures.get("reward_rate")),
        "inhibited_share": None if blinded else finite(figures.get("inhibited_share")),
        "target_reward_rate": target_reward_rate,
        "latency_p50_ms": finite(figures.get("latency_p50_ms")),
        "latency_p99_ms": finite(figures.get("latency_p99_ms")),
        "bad_share": finite(figures.get("bad_share")),
    }


def batch_message(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The console's periodic messages of one step, in ``PART_ORDER``: one as it is, several as a ``batch``."""
    parts.sort(key=lambda part: PART_ORDER[part["type"]])
    return parts[0] if len(parts) == 1 else {"type": "batch", "parts": parts}
