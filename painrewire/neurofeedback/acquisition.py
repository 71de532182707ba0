"""EEG sources: BrainFlow headsets, Lab Streaming Layer inlets, playback of recordings, and a flaky wrapper
for tests.

Every source has the same small interface (``Source``): ``start()``, ``read()`` -- non-blocking, everything
that arrived since the last call, or None -- ``stop()``, the channel names and 10-20 positions, the sampling
rate, a status, and ``now()``, the clock its timestamps are on (so the delay from a sample to the feedback
it produced can be measured). Data are microvolts, shaped (n_channels, n_samples).

Lessons from peer tools (peers.md): a source never hands out a growing backlog (LSL inlets keep at most a
couple of seconds and are drained to the newest sample on each read); a headset that stops sending is
noticed within ``no_data_seconds`` and reconnected with back-off, without a restart.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
from numpy.typing import NDArray

from painrewire.neurofeedback.validation import check_number, ensure_int

logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]
Clock = Callable[[], float]

#: BrainFlow's synthetic board: a headset simulated in software, the default so everything runs without
#: hardware.
SYNTHETIC_BOARD_ID = -1


class SourceError(RuntimeError):
    """A source cannot start or has failed for good; the message says what to check."""


class SourceStatus(StrEnum):
    """Where a source is in its life."""

    IDLE = "idle"
    STREAMING = "streaming"
    RECONNECTING = "reconnecting"
    ENDED = "ended"  # a playback reached the end of its file
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True)
class Chunk:
    """Samples that arrived together.

    Attributes
    ----------
    data : ndarray, shape (n_channels, n_samples)
        EEG in microvolts.
    timestamps : ndarray, shape (n_samples,)
        Acquisition time of each sample, seconds on the source's clock (``Source.now``).
    counters : ndarray, shape (n_samples,) | None
        The headset's packet counter, when it has one (for exact counts of lost samples).
    """

    data: FloatArray
    timestamps: FloatArray
    counters: FloatArray | None = None

    @property
    def n_samples(self) -> int:
        return int(self.timestamps.size)


@runtime_checkable
class Source(Protocol):
    """What the training session needs from any EEG source."""

    sfreq: float
    channel_names: tuple[str, ...]
    counter_modulus: int | None
    clock_offset: float
    timestamp_jitter: float
    description: str

    @property
    def status(self) -> SourceStatus: ...

    @property
    def positions(self) -> dict[str, tuple[float, float, float] | None]: ...

    def start(self) -> None: ...

    def read(self) -> Chunk | None: ...

    def stop(self) -> None: ...

    def now(self) -> float: ...


@lru_cache(maxsize=1)
def _standard_1020() -> dict[str, tuple[float, float, float]]:
    import mne

    # MNE 1.13 renamed "standard_1020" (the Colin27 head) to "colin27_1020".
    name = "colin27_1020" if "colin27_1020" in mne.channels.get_builtin_montages() else "standard_1020"
    montage = mne.channels.make_standard_montage(name)
    return {
        name.lower(): (float(x), float(y), float(z))
        for name, (x, y, z) in montage.get_positions()["ch_pos"].items()
    }


def channel_positions(names: Sequence[str]) -> dict[str, tuple[float, float, float] | None]:
    """Head positions (metres, MNE's head frame) of 10-20 channel names; None for names that are not 10-20."""
    table = _standard_1020()
    return {name: table.get(name.lower()) for name in names}


# -- BrainFlow -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BoardInfo:
    """A headset BrainFlow supports."""

    board_id: int
    name: str
    sfreq: float
    eeg_channels: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "board_id": self.board_id,
            "name": self.name,
            "sfreq": self.sfreq,
            "eeg_channels": self.eeg_channels,
        }


def list_boards() -> list[BoardInfo]:
    """Every board BrainFlow supports that has EEG channels, with its sampling rate and channel names."""
    from brainflow.board_shim import BoardIds, BoardShim, BrainFlowError

    # BrainFlow logs an error for every board whose channels have no names; those get numbered names here.
    BoardShim.disable_board_logger()
    boards: list[BoardInfo] = []
    for board in BoardIds:
        try:
            descr = BoardShim.get_board_descr(board.value)
        except BrainFlowError:
            continue
        eeg = descr.get("eeg_channels") or []
        if not eeg:
            continue
        names = _eeg_names(board.value, len(eeg))
        boards.append(
            BoardInfo(
                board_id=int(board.value),
                name=str(descr.get("name", board.name)),
                sfreq=float(descr.get("sampling_rate", 0)),
                eeg_channels=names,
            )
        )
    return sorted(boards, key=lambda b: b.board_id)


def _eeg_names(board_id: int, n_channels: int) -> list[str]:
    from brainflow.board_shim import BoardShim, BrainFlowError

    try:
        names = [str(n) for n in BoardShim.get_eeg_names(board_id)]
    except BrainFlowError:
        names = []
    if len(names) != n_channels:
        names = [f"EEG{i + 1}" for i in range(n_channels)]
    return names


class BrainFlowSource:
    """A headset through BrainFlow (any board it supports; the synthetic board by default).

    Parameters
    ----------
    board_id : int
        BrainFlow board id (``painrewire nfb devices`` lists them); -1 is the synthetic board.
    serial_port, mac_address, ip_address, ip_port, serial_number, other_info : str | int
        Board parameters as BrainFlow's ``BrainFlowInputParams`` takes them (which ones a board needs is in
        BrainFlow's documentation for it).
    timeout : int
        Seconds BrainFlow waits for a board to answer when opening it (0: the board's default).
    no_data_seconds : float
        With no data this long, the source treats the headset as lost and reconnects.
    backoff_seconds : sequence of float
        Waits between reconnect attempts; the last repeats.
    clock : callable
        Time in seconds on the clock BrainFlow stamps samples with (Unix time); injectable for tests.
    board_factory : callable | None
        ``(board_id, params) -> board`` for tests; None uses ``BoardShim``.

    Notes
    -----
    A reconnect attempt opens the board again, which for a Bluetooth headset can block for the board's
    timeout; run ``read()`` (or the training session's ``step()``) in a worker thread in an event loop.
    """

    counter_modulus: int | None = 256
    clock_offset: float = 0.0
    #: BrainFlow stamps samples when they reach the computer, in bursts: tens of milliseconds of jitter.
    timestamp_jitter: float = 0.05

    def __init__(
        self,
        board_id: int = SYNTHETIC_BOARD_ID,
        *,
        serial_port: str = "",
        mac_address: str = "",
        ip_address: str = "",
        ip_port: int = 0,
        serial_number: str = "",
        other_info: str = "",
        timeout: int = 0,
        no_data_seconds: float = 2.0,
        backoff_seconds: Sequence[float] = (0.5, 1.0, 2.0, 4.0, 8.0),
        clock: Clock = time.time,
        board_factory: Callable[[int, Any], Any] | None = None,
    ) -> None:
        from brainflow.board_shim import BoardShim, BrainFlowError, BrainFlowInputParams

        self.board_id = ensure_int(board_id, "board_id")
        try:
            descr = BoardShim.get_board_descr(self.board_id)
        except BrainFlowError as exc:
            raise SourceError(
                f"BrainFlow has no board with id {self.board_id}; run 'painrewire nfb devices' for the list"
            ) from exc
        eeg_rows = list(descr.get("eeg_channels") or [])
        if not eeg_rows:
            raise SourceError(f"Board {self.board_id} ({descr.get('name')}) has no EEG channels")
        self._eeg_rows = eeg_rows
        self._timestamp_row = int(descr["timestamp_channel"])
        counter = descr.get("package_num_channel")
        self._counter_row = None if counter is None else int(counter)
        if self._counter_row is None:
            self.counter_modulus = None
        self.sfreq = float(descr["sampling_rate"])
        self.channel_names = tuple(_eeg_names(self.board_id, len(eeg_rows)))
        self.board_name = str(descr.get("name", self.board_id))
        self.description = f"BrainFlow {self.board_name} (board {self.board_id})"
        self.no_data_seconds = check_number(
            no_data_seconds, "no_data_seconds", low=0.0, low_inclusive=False, unit="s"
        )
        self.backoff_seconds = [
            check_number(b, "backoff_seconds", low=0.0, unit="s") for b in backoff_seconds
        ] or [1.0]
        params = BrainFlowInputParams()
        params.serial_port = serial_port
        params.mac_address = mac_address
        params.ip_address = ip_address
        params.ip_port = ensure_int(ip_port, "ip_port")
        params.serial_number = serial_number
        params.other_info = other_info
        params.timeout = ensure_int(timeout, "timeout")
        self._params = params
        self._clock = clock
        self._factory = board_factory or BoardShim
        self._error_type: type[BaseException] = BrainFlowError
        self._board: Any = None
        self._status = SourceStatus.IDLE
        self._last_data = 0.0
        self._next_attempt = 0.0
        self._attempts = 0
        self.reconnects = 0
        self.last_error = ""

    @property
    def status(self) -> SourceStatus:
        return self._status

    @property
    def positions(self) -> dict[str, tuple[float, float, float] | None]:
        return channel_positions(self.channel_names)

    def now(self) -> float:
        return self._clock()

    def _open(self) -> None:
        board = self._factory(self.board_id, self._params)
        try:
            board.prepare_session()
            board.start_stream(45000)
        except BaseException:
            self._release(board)
            raise
        self._board = board

    @staticmethod
    def _release(board: Any) -> None:
        for action in ("stop_stream", "release_session"):
            try:
                getattr(board, action)()
            except Exception:  # the board is already gone; nothing to undo
                logger.debug("BrainFlow %s failed while releasing a lost board", action)

    def start(self) -> None:
        """Open the board and start streaming; raise ``SourceError`` saying what to check if it fails."""
        try:
            from brainflow.board_shim import BoardShim

            BoardShim.disable_board_logger()
        except Exception:  # logging control is cosmetic
            logger.debug("Could not silence BrainFlow's logger")
        try:
            self._open()
        except self._error_type as exc:
            where = (
                self._params.serial_port
                or self._params.mac_address
                or self._params.ip_address
                or "default port"
            )
            raise SourceError(
                f"Could not open {self.description} on {where}: {exc}. Check that the headset is on, charged and "
                f"paired, and that the port or address is right."
            ) from exc
        self._status = SourceStatus.STREAMING
        self._last_data = self._clock()

    def read(self) -> Chunk | None:
        """Everything the board sent since the last read, or None; reconnects by itself after a loss."""
        if self._status is SourceStatus.RECONNECTING:
            self._try_reconnect()
        if self._status is not SourceStatus.STREAMING:
            return None
        try:
            data = np.asarray(self._board.get_board_data())
        except self._error_type as exc:
            self._lost(f"the board reported an error: {exc}")
            return None
        now = self._clock()
        if data.ndim != 2 or data.shape[1] == 0:
            if now - self._last_data >= self.no_data_seconds:
                self._lost(f"no data for {now - self._last_data:.1f} s")
            return None
        self._last_data = now
        counters = (
            None if self._counter_row is None else np.asarray(data[self._counter_row], dtype=np.float64)
        )
        return Chunk(
            data=np.ascontiguousarray(data[self._eeg_rows], dtype=np.float64),
            timestamps=np.asarray(data[self._timestamp_row], dtype=np.float64),
            counters=counters,
        )

    def _lost(self, why: str) -> None:
        logger.warning("%s lost: %s; reconnecting", self.description, why)
        self.last_error = why
        if self._board is not None:
            self._release(self._board)
            self._board = None
        self._status = SourceStatus.RECONNECTING
        self._attempts = 0
        self._next_attempt = self._clock() + self.backoff_seconds[0]

    def _try_reconnect(self) -> None:
        now = self._clock()
        if now < self._next_attempt:
            return
        try:
            self._open()
        except self._error_type as exc:
            self._attempts += 1
            wait = self.backoff_seconds[min(self._attempts, len(self.backoff_seconds) - 1)]
            self._next_attempt = now + wait
            self.last_error = str(exc)
            logger.info("Reconnect to %s failed (%s); next try in %.1f s", self.description, exc, wait)
            return
        self.reconnects += 1
        self._status = SourceStatus.STREAMING
        self._last_data = self._clock()
        logger.info("%s reconnected", self.description)

    def stop(self) -> None:
        """Stop streaming and release the board."""
        if self._board is not None:
            self._release(self._board)
            self._board = None
        self._status = SourceStatus.STOPPED


# -- Lab Streaming Layer -----------------------------------------------------------------------------------------

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
        The inlet keeps at most this much (older samples are dropped by liblsl and counted as lost), so
        feedback never lags behind a growing backlog (lsl_archived #321).

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


# -- Playback ----------------------------------------------------------------------------------------------------


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
        from painrewire.neurofeedback.analysis import RecordingError, read_eeg

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


# -- Flaky wrapper for tests -------------------------------------------------------------------------------------


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
