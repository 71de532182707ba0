"""How late a server's live loop runs: the server's own share of every session's feedback latency.

Each live session sleeps until the samples of its next hop are due. When the process has more sessions than
its core can step on time, every session wakes later than it asked to, and every patient's feedback lags
(peers.md: silent lag). ``RecentLag`` keeps how late the recent wakes were, so the hub can refuse a new
session instead of letting it slow everyone down. Lateness is the process's own: a headset that delivers its
samples in bursts makes the feedback latency of its session high, but not the loop late.
"""

from __future__ import annotations

import numpy as np

#: Wakes looked at, at most (at 500 sessions stepping four times a second: about 8 s of them).
CAPACITY = 16_384


class RecentLag:
    """The lateness of the live loop's recent wakes (seconds), over the last ``seconds``."""

    def __init__(self, seconds: float = 10.0, *, capacity: int = CAPACITY, min_wakes: int = 200) -> None:
        if seconds <= 0 or capacity < 1 or min_wakes < 1:
            raise ValueError("seconds, capacity and min_wakes must be positive")
        self.seconds = seconds
        #: Fewer wakes than this in the window say nothing (a few sessions, or a moment after start).
        self.min_wakes = min_wakes
        self._late = np.zeros(capacity)
        self._at = np.full(capacity, -np.inf)
        self._next = 0

    def add(self, lateness: float, now: float) -> None:
        """One wake, ``lateness`` seconds after it was due, at ``now`` (a monotonic clock)."""
        i = self._next
        self._late[i] = lateness
        self._at[i] = now
        self._next = (i + 1) % self._late.shape[0]

    def wakes(self, now: float) -> int:
        """How many wakes fall in the window ending at ``now``."""
        return int(np.count_nonzero(self._at >= now - self.seconds))

    def quantile(self, q: float, now: float) -> float | None:
        """The ``q`` quantile (0..1) of the lateness in the window ending at ``now``; None with fewer than
        ``min_wakes`` wakes in it."""
        recent = self._late[self._at >= now - self.seconds]
        if recent.shape[0] < self.min_wakes:
            return None
        return float(np.quantile(recent, q))
