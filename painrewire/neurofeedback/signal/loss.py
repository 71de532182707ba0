"""Counting lost samples and telling the practitioner at once.

Headsets drop packets and stay "connected" after a loss. A ``LossMonitor`` sees
every chunk that arrives, counts the samples missing between them from the packet counter (exact for short
gaps) or from the timestamps (for gaps longer than the counter can express, or sources without one), and
keeps a state the practitioner's screen shows:

* ``ok`` -- nothing lost lately;
* ``notice`` -- some samples were lost in the last ``notice_seconds`` (a little loss: a note);
* ``alarm`` -- no data for ``alarm_seconds`` or more: feedback pauses until data returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
from numpy.typing import NDArray

from painrewire.neurofeedback.signal.validation import check_number, ensure_int


class LossState(StrEnum):
    """What the practitioner sees about the connection."""

    OK = "ok"
    NOTICE = "notice"
    ALARM = "alarm"


@dataclass(frozen=True, slots=True)
class Gap:
    """Samples that never arrived, just before ``sample_time`` (source clock)."""

    sample_time: float
    lost_samples: int


class LossMonitor:
    """Count lost samples and report ok / notice / alarm.

    Parameters
    ----------
    sfreq : float
        Nominal sampling frequency in Hz.
    counter_modulus : int | None
        The packet counter wraps at this value (256 for most BrainFlow boards); None if the source has none.
    alarm_seconds : float
        No data for this long raises the alarm (2 s).
    notice_seconds : float
        A loss keeps the notice up for this long.
    jitter_seconds : float
        How far a sample's timestamp may stray before a longer step between timestamps counts as lost
        samples. Sources that stamp samples on arrival at the computer (BrainFlow) jitter by tens of
        milliseconds; those that stamp at acquisition (LSL) by far less. Gaps shorter than this are only found
        through the packet counter.
    """

    def __init__(
        self,
        sfreq: float,
        *,
        counter_modulus: int | None = 256,
        alarm_seconds: float = 2.0,
        notice_seconds: float = 10.0,
        jitter_seconds: float = 0.0,
    ) -> None:
        self.sfreq = check_number(sfreq, "sfreq", low=0.0, low_inclusive=False, unit="Hz")
        self.counter_modulus = (
            None if counter_modulus is None else ensure_int(counter_modulus, "counter_modulus")
        )
        if self.counter_modulus is not None and self.counter_modulus < 2:
            raise ValueError(f"counter_modulus must be at least 2, got {self.counter_modulus}")
        self.alarm_seconds = check_number(
            alarm_seconds, "alarm_seconds", low=0.0, low_inclusive=False, unit="s"
        )
        self.notice_seconds = check_number(notice_seconds, "notice_seconds", low=0.0, unit="s")
        jitter = check_number(jitter_seconds, "jitter_seconds", low=0.0, unit="s")
        self._min_gap = max(1.5 / self.sfreq, jitter)
        self.lost_total = 0
        self.gaps: list[Gap] = []
        self._last_time: float | None = None
        self._last_counter: float | None = None
        self._last_arrival: float | None = None
        self._last_loss_arrival: float | None = None
        self._started: float | None = None
        self._counter_trusted: bool | None = None
        self._counter_steps = 0
        self._counter_unit_steps = 0

    def start(self, now: float) -> None:
        """Start the alarm clock: with no data ``alarm_seconds`` after ``now``, the state is ``alarm``."""
        self._started = now

    def observe(
        self,
        timestamps: NDArray[np.float64],
        *,
        now: float,
        counters: NDArray[np.float64] | None = None,
    ) -> NDArray[np.int64]:
        """Account for one arriving chunk and return how many samples were lost just before each of its samples.

        Parameters
        ----------
        timestamps : ndarray, shape (n_samples,)
            Acquisition time of each sample, in seconds on the source's clock.
        now : float
            Arrival time on the session's clock (for the alarm and notice timing).
        counters : ndarray, shape (n_samples,) | None
            Packet counter of each sample, if the source has one.

        Returns
        -------
        lost_before : ndarray of int, shape (n_samples,)
            Samples missing between each sample and the one before it (the first compared with the previous
            chunk's last).
        """
        times = np.asarray(timestamps, dtype=np.float64)
        n = times.size
        lost = np.zeros(n, dtype=np.int64)
        if n == 0:
            return lost
        previous_time = times[0] - 1.0 / self.sfreq if self._last_time is None else self._last_time
        steps = np.empty(n)
        steps[0] = times[0] - previous_time
        np.subtract(times[1:], times[:-1], out=steps[1:])
        if float(steps.max()) <= self._min_gap and self._counter_steps_by_one(counters):
            # The usual chunk (four live hops a second, hundreds of sessions): nothing lost, nothing to find.
            if counters is not None:
                self._last_counter = float(counters[-1])
            self._last_time = float(times[-1])
            self._last_arrival = now
            return lost
        from_time = np.where(
            steps > self._min_gap, np.maximum(np.rint(steps * self.sfreq).astype(np.int64) - 1, 0), 0
        )
        if counters is not None and self.counter_modulus is not None and self._trust_counter(counters):
            counts = np.asarray(counters, dtype=np.float64)
            previous_counter = counts[0] - 1 if self._last_counter is None else self._last_counter
            jumps = np.diff(counts, prepend=previous_counter).astype(np.int64) % self.counter_modulus
            # A repeated counter is a repeated packet, not a full turn of the counter.
            from_counter = np.maximum(jumps - 1, 0)
            if self._last_counter is None:
                from_counter[0] = from_time[0]
            # A gap longer than half the counter's range wraps it ambiguously (or the board restarted it):
            # only the clock can tell how long it was.
            use_clock = from_time > self.counter_modulus // 2
            lost = np.where(use_clock, from_time, from_counter)
        else:
            lost = from_time
        if counters is not None:
            self._last_counter = float(np.asarray(counters)[-1])
        self._last_time = float(times[-1])
        self._last_arrival = now
        missing = int(lost.sum())
        if missing:
            self.lost_total += missing
            self._last_loss_arrival = now
            for index in np.flatnonzero(lost):
                self.gaps.append(Gap(sample_time=float(times[index]), lost_samples=int(lost[index])))
        return lost

    def _counter_steps_by_one(self, counters: NDArray[np.float64] | None) -> bool:
        """No counter to follow, or a trusted counter that stepped by one at every sample of this chunk."""
        if counters is None or self.counter_modulus is None:
            return True
        if self._counter_trusted is not True or self._last_counter is None:
            return False
        counts = np.asarray(counters, dtype=np.float64)
        if counts.size == 0:
            return True
        first = counts[0] - self._last_counter
        if first != 1 and first != 1 - self.counter_modulus:
            return False
        steps = counts[1:] - counts[:-1]
        return bool(np.all((steps == 1) | (steps == 1 - self.counter_modulus)))

    def _trust_counter(self, counters: NDArray[np.float64]) -> bool:
        """Trust the counter once it is seen to step by one per sample (some boards count packets of several
        samples instead; their counter cannot count samples)."""
        if self._counter_trusted is None:
            counts = np.asarray(counters, dtype=np.float64)
            previous = counts[:1] if self._last_counter is None else np.array([self._last_counter])
            steps = np.diff(counts, prepend=previous)[0 if self._last_counter is not None else 1 :]
            modulus = float(self.counter_modulus or 0)
            self._counter_steps += steps.size
            self._counter_unit_steps += int(np.count_nonzero((steps == 1) | (steps == 1 - modulus)))
            if self._counter_steps < 16:
                return False
            self._counter_trusted = self._counter_unit_steps > 0.9 * self._counter_steps
        return self._counter_trusted

    def state(self, now: float) -> LossState:
        """The connection state at ``now`` (session clock)."""
        reference = self._last_arrival if self._last_arrival is not None else self._started
        if reference is None:
            return LossState.OK
        if now - reference >= self.alarm_seconds:
            return LossState.ALARM
        if self._last_loss_arrival is not None and now - self._last_loss_arrival < self.notice_seconds:
            return LossState.NOTICE
        return LossState.OK

    def seconds_without_data(self, now: float) -> float:
        """Seconds since the last chunk arrived (infinite before the first)."""
        return float("inf") if self._last_arrival is None else max(0.0, now - self._last_arrival)

    def restart(self) -> None:
        """Forget the packet counter (after a reconnect the board may restart it); keep the totals."""
        self._last_counter = None
        self._counter_trusted = None
        self._counter_steps = 0
        self._counter_unit_steps = 0
