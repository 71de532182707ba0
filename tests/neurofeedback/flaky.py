"""A source that misbehaves like a real headset, for the tests of loss handling: ``FlakySource``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from painrewire.neurofeedback.signal.validation import check_number, ensure_int
from painrewire.neurofeedback.sources.base import Chunk, Clock, Source, SourceStatus


class FlakySource:
    """Wrap a source and make it misbehave like a real headset: drop packets, go silent for a while.

    Parameters
    ----------
    inner : Source
        The source to wrap.
    clock : callable
        Seconds (the same clock the inner source uses).
    silences : sequence of (float, float)
        ``(start, duration)`` in seconds after ``start()``: nothing arrives in between, and what the inner
        source produced meanwhile is lost, as when a headset goes out of range.
    drop_probability : float
        Chance per chunk of losing a run of ``drop_samples`` samples from inside it.
    drop_samples : int
        Length of each dropped run.
    seed : int
        Seed of the drop pattern.
    """

    def __init__(
        self,
        inner: Source,
        *,
        clock: Clock,
        silences: Sequence[tuple[float, float]] = (),
        drop_probability: float = 0.0,
        drop_samples: int = 3,
        seed: int = 0,
    ) -> None:
        self.inner = inner
        self._clock = clock
        self.silences = [
            (
                check_number(s, "silence start", low=0.0, unit="s"),
                check_number(d, "silence duration", low=0.0, unit="s"),
            )
            for s, d in silences
        ]
        self.drop_probability = check_number(drop_probability, "drop_probability", low=0.0, high=1.0)
        self.drop_samples = ensure_int(drop_samples, "drop_samples")
        self._rng = np.random.default_rng(seed)
        self._started = 0.0
        self.dropped = 0
        self.sfreq = inner.sfreq
        self.channel_names = inner.channel_names
        self.counter_modulus = inner.counter_modulus
        self.clock_offset = inner.clock_offset
        self.timestamp_jitter = inner.timestamp_jitter
        self.description = f"flaky {inner.description}"

    @property
    def status(self) -> SourceStatus:
        return self.inner.status

    @property
    def positions(self) -> dict[str, tuple[float, float, float] | None]:
        return self.inner.positions

    def now(self) -> float:
        return self.inner.now()

    def start(self) -> None:
        self.inner.start()
        self._started = self._clock()

    def silent(self) -> bool:
        """True while inside one of the silences."""
        elapsed = self._clock() - self._started
        return any(start <= elapsed < start + duration for start, duration in self.silences)

    def read(self) -> Chunk | None:
        chunk = self.inner.read()
        if chunk is None:
            return None
        if self.silent():
            self.dropped += chunk.n_samples
            return None
        n = chunk.n_samples
        if self.drop_probability and n > self.drop_samples + 1 and self._rng.random() < self.drop_probability:
            start = int(self._rng.integers(1, n - self.drop_samples))
            keep = np.r_[0:start, start + self.drop_samples : n]
            self.dropped += self.drop_samples
            chunk = Chunk(
                data=chunk.data[:, keep],
                timestamps=chunk.timestamps[keep],
                counters=None if chunk.counters is None else chunk.counters[keep],
            )
        return chunk

    def stop(self) -> None:
        self.inner.stop()
