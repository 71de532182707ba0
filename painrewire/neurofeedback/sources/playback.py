"""Playback of a recording (EDF, BDF, FIF) or an array at real speed, with seek and restart."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from painrewire.neurofeedback.signal.validation import check_number
from painrewire.neurofeedback.sources.base import (
    Chunk,
    Clock,
    FloatArray,
    SourceError,
    SourceStatus,
    channel_positions,
)


class PlaybackSource:
    """Replay a recording (EDF, BDF, FIF) or an array at real speed, with seek and restart.

    Parameters
    ----------
    data_uv : ndarray, shape (n_channels, n_times)
        EEG in microvolts (``PlaybackSource.from_file`` reads a recording).
    sfreq : float
        Sampling frequency in Hz.
    channel_names : sequence of str
        One name per row.
    clock : callable
        Seconds; samples are released as this clock advances (inject a fake clock in tests).
    loop : bool
        Start again from the beginning at the end instead of ending.
    description : str
        What is being played.
    """

    counter_modulus: int | None = None
    clock_offset: float = 0.0
    timestamp_jitter: float = 0.0

    def __init__(
        self,
        data_uv: FloatArray,
        sfreq: float,
        channel_names: Sequence[str],
        *,
        clock: Clock = time.monotonic,
        loop: bool = False,
        description: str = "playback",
    ) -> None:
        self.data = np.ascontiguousarray(data_uv, dtype=np.float64)
        self.sfreq = check_number(sfreq, "sfreq", low=0.0, low_inclusive=False, unit="Hz")
        self.channel_names = tuple(str(c) for c in channel_names)
        if self.data.ndim != 2 or self.data.shape[0] != len(self.channel_names) or self.data.shape[1] == 0:
            raise ValueError(
                f"data_uv must have shape ({len(self.channel_names)}, n_times > 0) for the channel names, got "
                f"{self.data.shape}"
            )
        self.loop = bool(loop)
        self.description = description
        self._clock = clock
        self._status = SourceStatus.IDLE
        self._position = 0
        self._origin_sample = 0
        self._origin_time = 0.0

    @classmethod
    def from_file(
        cls, path: str | Path, *, clock: Clock = time.monotonic, loop: bool = False
    ) -> PlaybackSource:
        """Play the EEG channels of a recording read through MNE."""
        from painrewire.neurofeedback.signal.analysis import RecordingError, read_eeg

        try:
            eeg = read_eeg(path)
        except RecordingError as exc:
            raise SourceError(str(exc)) from exc
        return cls(
            eeg.data_uv,
            eeg.sfreq,
            eeg.channel_names,
            clock=clock,
            loop=loop,
            description=f"playback of {Path(path).name}",
        )

    @property
    def status(self) -> SourceStatus:
        return self._status

    @property
    def positions(self) -> dict[str, tuple[float, float, float] | None]:
        return channel_positions(self.channel_names)

    @property
    def duration_s(self) -> float:
        return self.data.shape[1] / self.sfreq

    @property
    def position_s(self) -> float:
        """Seconds of the recording released so far."""
        return self._position / self.sfreq

    def now(self) -> float:
        return self._clock()

    def start(self) -> None:
        self.seek(0.0)
        self._status = SourceStatus.STREAMING

    def seek(self, seconds: float) -> None:
        """Continue playing from ``seconds`` into the recording."""
        seconds = check_number(seconds, "seconds", low=0.0, high=self.duration_s, unit="s")
        self._position = min(round(seconds * self.sfreq), self.data.shape[1])
        self._origin_sample = self._position
        self._origin_time = self._clock()
        if self._status is SourceStatus.ENDED:
            self._status = SourceStatus.STREAMING

    def restart(self) -> None:
        """Play again from the beginning."""
        self.seek(0.0)

    def read(self) -> Chunk | None:
        if self._status is not SourceStatus.STREAMING:
            return None
        now = self._clock()
        target = self._origin_sample + int((now - self._origin_time) * self.sfreq + 1e-9)
        n_times = self.data.shape[1]
        if target >= n_times and self.loop:
            parts = [self._take(n_times)]
            released_end = self._origin_time + (n_times - self._origin_sample) / self.sfreq
            self._position = 0
            self._origin_sample = 0
            self._origin_time = released_end
            rest = self.read()
            if rest is not None:
                parts.append(rest)
            return _join([p for p in parts if p is not None])
        target = min(target, n_times)
        chunk = self._take(target)
        if self._position >= n_times:
            self._status = SourceStatus.ENDED
        return chunk

    def _take(self, target: int) -> Chunk | None:
        if target <= self._position:
            return None
        indices = np.arange(self._position, target)
        timestamps = self._origin_time + (indices - self._origin_sample + 1) / self.sfreq
        chunk = Chunk(data=self.data[:, self._position : target].copy(), timestamps=timestamps)
        self._position = target
        return chunk

    def stop(self) -> None:
        self._status = SourceStatus.STOPPED


def _join(chunks: list[Chunk]) -> Chunk | None:
    if not chunks:
        return None
    if len(chunks) == 1:
        return chunks[0]
    return Chunk(
        data=np.concatenate([c.data for c in chunks], axis=1),
        timestamps=np.concatenate([c.timestamps for c in chunks]),
    )
