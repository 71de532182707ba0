"""Headsets through BrainFlow: any board it supports, its synthetic board (a headset simulated in software) by
default, with reconnection after a loss."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from painrewire.neurofeedback.signal.validation import check_number, ensure_int
from painrewire.neurofeedback.sources.base import Chunk, Clock, SourceError, SourceStatus, channel_positions

logger = logging.getLogger(__name__)

#: BrainFlow's synthetic board: a headset simulated in software, the default so everything runs without
#: hardware.
SYNTHETIC_BOARD_ID = -1


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
