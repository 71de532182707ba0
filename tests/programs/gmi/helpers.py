"""Shared helpers for the GMI tests: answers to a started block's plan."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from painrewire.programs.gmi import stimuli


def answers(
    plan: list[dict[str, Any]], *, rt_ms: float = 900.0, wrong: Callable[[int, str], bool] | None = None
) -> list[dict[str, Any]]:
    """One result per planned picture: the true side (or the other when ``wrong(index, side)``), at ``rt_ms``."""
    out = []
    for t in plan:
        side = stimuli.stimulus(t["stimulus_id"]).side
        if wrong is not None and wrong(t["index"], side):
            side = "right" if side == "left" else "left"
        out.append(
            {
                "index": t["index"],
                "stimulus_id": t["stimulus_id"],
                "answer": side,
                "rt_ms": rt_ms,
                "timed_out": False,
            }
        )
    return out
