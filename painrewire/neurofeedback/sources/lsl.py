"""Lab amplifiers through a Lab Streaming Layer inlet, drained to the newest sample on every read."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from painrewire.neurofeedback.signal.validation import check_number, ensure_int
from painrewire.neurofeedback.sources.base import (
    Chunk,
    FloatArray,
    SourceError,
    SourceStatus,
    channel_positions,
)

logger = logging.getLogger(__name__)

_UNIT_SCALE = {
    "microvolts": 1.0,
    "microvolt": 1.0,
    "uv": 1.0,
    "µv": 1.0,
    "μv": 1.0,
    "millivolts": 1e3,
    "millivolt": 1e3,
    "mv": 1e3,
    "volts": 1e6,
    "volt": 1e6,
    "v": 1e6,
}


class LSLSource:
    """A lab amplifier through a Lab Streaming Layer inlet.

    Parameters
    ----------
    name, stream_type, source_id : str | None
        Which stream to open: by ``source_id`` if given, else by ``name``, else the first of ``stream_type``.
    resolve_seconds : float
        How long to look for the stream.
    buffer_seconds : int
        The inlet keeps at most this much (liblsl's ``max_buflen``: older samples are dropped and counted as
        lost), so feedback never lags behind a growing backlog.

    Notes
    -----
    Timestamps are mapped onto this computer's LSL clock with ``time_correction()`` (kept in
    ``clock_offset`` and refreshed every few seconds); ``now()`` reads that clock. Channel units are taken
    from the stream description (volts and millivolts are converted; none given means microvolts).
    """

    counter_modulus: int | None = None
    timestamp_jitter: float = 0.0

    def __init__(
        self,
        *,
        name: str | None = None,
        stream_type: str = "EEG",
        source_id: str | None = None,
        resolve_seconds: float = 5.0,
        buffer_seconds: int = 2,
        correction_interval: float = 5.0,
    ) -> None:
        try:
            import pylsl
        except (ImportError, RuntimeError, OSError) as exc:
            raise SourceError(
                f"Lab Streaming Layer is not available on this computer (liblsl did not load: {exc})"
            ) from exc
        self._lsl = pylsl
        self.name = name
        self.stream_type = stream_type
        self.source_id = source_id
        self.resolve_seconds = check_number(
            resolve_seconds, "resolve_seconds", low=0.0, low_inclusive=False, unit="s"
        )
        self.buffer_seconds = ensure_int(buffer_seconds, "buffer_seconds")
        if self.buffer_seconds < 1:
            raise ValueError(f"buffer_seconds must be at least 1, got {self.buffer_seconds}")
        self.correction_interval = check_number(correction_interval, "correction_interval", low=0.0, unit="s")
        self.sfreq = 0.0
        self.channel_names: tuple[str, ...] = ()
        self.clock_offset = 0.0
        self.description = "LSL stream (not opened)"
        self._inlet: Any = None
        self._scale = np.ones(0)
        self._status = SourceStatus.IDLE
        self._next_correction = 0.0

    @property
    def status(self) -> SourceStatus:
        return self._status

    @property
    def positions(self) -> dict[str, tuple[float, float, float] | None]:
        return channel_positions(self.channel_names)

    def now(self) -> float:
        return float(self._lsl.local_clock())

    def start(self) -> None:
        """Find the stream, open an inlet with a short buffer, and read its channel names and units."""
        lsl = self._lsl
        if self.source_id:
            prop, value = "source_id", self.source_id
        elif self.name:
            prop, value = "name", self.name
        else:
            prop, value = "type", self.stream_type
        found = lsl.resolve_byprop(prop, value, timeout=self.resolve_seconds)
        if not found:
            raise SourceError(
                f"No LSL stream with {prop} {value!r} found within {self.resolve_seconds:g} s; is the amplifier's "
                f"LSL app running on this network?"
            )
        inlet = lsl.StreamInlet(found[0], max_buflen=self.buffer_seconds, recover=True)
        info = inlet.info(timeout=self.resolve_seconds)
        self.sfreq = float(info.nominal_srate())
        if self.sfreq <= 0:
            raise SourceError(
                f"LSL stream {info.name()!r} has an irregular sampling rate; EEG needs a fixed one"
            )
        n = int(info.channel_count())
        labels = info.get_channel_labels() or []
        names = [str(label) if label else f"EEG{i + 1}" for i, label in enumerate(labels)]
        if len(names) != n:
            names = [f"EEG{i + 1}" for i in range(n)]
        units = info.get_channel_units() or [None] * n
        self._scale = np.array([_UNIT_SCALE.get(str(u).strip().lower(), 1.0) if u else 1.0 for u in units])[
            :, None
        ]
        self.channel_names = tuple(names)
        self.description = f"LSL stream {info.name()!r} ({info.type()}, {n} channels at {self.sfreq:g} Hz)"
        inlet.open_stream(timeout=self.resolve_seconds)
        self._inlet = inlet
        self._refresh_correction(first=True)
        self._status = SourceStatus.STREAMING

    def _refresh_correction(self, *, first: bool = False) -> None:
        now = self.now()
        if not first and now < self._next_correction:
            return
        try:
            self.clock_offset = float(
                self._inlet.time_correction(timeout=self.resolve_seconds if first else 0.0)
            )
        except Exception:  # a timeout keeps the previous estimate
            logger.debug("LSL time correction not available yet")
        self._next_correction = now + self.correction_interval

    def read(self) -> Chunk | None:
        """Drain the inlet: every sample waiting, newest last, or None if none."""
        if self._inlet is None:
            return None
        parts: list[FloatArray] = []
        stamps: list[FloatArray] = []
        limit = max(1024, int(self.sfreq * self.buffer_seconds) + 1)
        try:
            while True:
                samples, timestamps = self._inlet.pull_chunk(timeout=0.0, max_samples=limit, as_numpy=True)
                if timestamps is None or len(timestamps) == 0:
                    break
                parts.append(np.asarray(samples, dtype=np.float64).T)
                stamps.append(np.asarray(timestamps, dtype=np.float64))
                if len(timestamps) < limit:
                    break
        except self._lsl.LostError:
            self._status = SourceStatus.RECONNECTING
            return None
        if not parts:
            return None
        self._status = SourceStatus.STREAMING
        self._refresh_correction()
        data = parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)
        timestamps = stamps[0] if len(stamps) == 1 else np.concatenate(stamps)
        return Chunk(data=data * self._scale, timestamps=timestamps + self.clock_offset)

    def stop(self) -> None:
        if self._inlet is not None:
            try:
                self._inlet.close_stream()
            except Exception:  # closing a lost stream
                logger.debug("LSL close_stream failed")
            self._inlet = None
        self._status = SourceStatus.STOPPED
