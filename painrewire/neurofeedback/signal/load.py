"""How loaded a server's live loop is, so it can refuse a session it cannot run on time.

Each live session sleeps until the samples of its next hop are due. A process with more sessions than its core
can step wakes every session late, and every patient's feedback lags, silently. Two measures, each kept here
without any web or database code:

* ``LoopBusy``: the share of the last few seconds the loop's thread spent computing, and the part of it the
  sessions still starting (signal check, waiting for the practitioner) spent on their own steps. With the
  number of sessions training and starting, it predicts the share once they all train and one more joins
  (``predicted_share``): a leading measure, so a burst of set-ups is refused before their training loads the
  core.
* ``RecentLag``: how late the recent wakes came. It catches what the share cannot see (the loop stalled by
  something else, other threads holding the interpreter) once it happens. Lateness is the process's own: a
  headset that delivers its samples in bursts makes its session's feedback latency high, not the loop late.
"""

from __future__ import annotations

import collections

import numpy as np

#: Wakes looked at, at most (at 500 sessions stepping four times a second: about 8 s of them).
CAPACITY = 16_384
#: The per-session cost is judged from at least this many training sessions (fewer say too little).
MIN_TRAINING = 3


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


class LoopBusy:
    """The share of wall time the loop's thread spent computing, over its last ``samples`` readings, and the
    share of it spent stepping the sessions that are still starting."""

    def __init__(self, samples: int = 5) -> None:
        if samples < 1:
            raise ValueError("samples must be positive")
        self._readings: collections.deque[tuple[float, float, float]] = collections.deque(maxlen=samples)

    def add(self, cpu_seconds: float, wall_seconds: float, starting_seconds: float = 0.0) -> None:
        """One reading: the thread's CPU time and the wall time since the last one, and how long the steps of
        the sessions still starting took in that time (part of the CPU time)."""
        if wall_seconds > 0:
            cpu = max(cpu_seconds, 0.0)
            self._readings.append((cpu, wall_seconds, min(max(starting_seconds, 0.0), cpu)))

    @property
    def share(self) -> float | None:
        """Busy share (0..1, a little above 1 with rounding); None before the first reading."""
        if not self._readings:
            return None
        return sum(c for c, _, _ in self._readings) / sum(w for _, w, _ in self._readings)

    @property
    def starting_share(self) -> float:
        """The part of ``share`` the starting sessions' own steps took (0 before the first reading)."""
        if not self._readings:
            return 0.0
        return sum(s for _, _, s in self._readings) / sum(w for _, w, _ in self._readings)


def predicted_share(
    share: float | None, training: int, starting: int, starting_share: float = 0.0
) -> float | None:
    """The loop's busy share once the ``starting`` sessions and one more train like the ``training`` ones.

    The starting sessions' own steps (``starting_share``, measured) come off the share; what is left, the
    loop's other work included (so the figure errs high), is charged to the training sessions, and every
    starting session and the new one are charged that average. Not measuring the starting sessions
    (``starting_share`` 0) charges them twice, once as they are and once as they will be: the figure then errs
    higher still, and a burst of set-ups is refused well before the core is full. None when there is nothing
    to judge from: no reading yet, or fewer than ``MIN_TRAINING`` sessions training.
    """
    if share is None or training < MIN_TRAINING:
        return None
    trained = max(share - starting_share, 0.0)
    return trained + trained / training * (starting + 1)
