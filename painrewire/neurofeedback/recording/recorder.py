"""Recording every session as EDF+: raw EEG in microvolts plus its events, safe against a crash.

While a session runs, ``SessionRecorder`` appends each chunk of raw samples to a side file and each event to a
JSON-lines file in ``<path>.partial/``, flushing both as it goes: if the process dies, everything received so
far is on disk, and ``recover_recording`` turns the side folder into the EDF+ file. A live server sets
``deferred``: appending then only queues the bytes, written in one go about once a second (``drain``), and a
worker thread forces them to disk (``sync``) -- never on the event loop, where an fsync would stall every
session's feedback; a crash loses at most what was not yet drained. ``close()`` writes the EDF+ file and
removes the side folder. Writing the EDF at the end (rather than as it goes) lets each channel's physical range
be the range its data actually used, which keeps the 16-bit quantisation step as small as the data allow -- the
round trip through the file is within one step, and the tests prove it.

Samples that never arrived are filled with the channel's last value so the file's time axis stays true,
and a ``lost_samples`` annotation covers exactly the filled span, so the recording is honest about the gap.
Annotations are the session's events: ``signal_check``, ``baseline``, ``feedback``, ``reward``,
``bad:<reasons>``, ``inhibit:<bands>`` (an inhibit band withheld the reward), ``eyes_open`` / ``eyes_closed``
(the condition of baseline and training), ``lost_samples:<n>``, ``note:<text>``, ``sham``, ``override:<...>``.
The EDF+ file itself is written by ``edf``.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import numpy as np

from painrewire.neurofeedback.recording.edf import (
    EVENTS_FILE,
    FORMATS,
    HEADER_FILE,
    SAMPLES_FILE,
    FloatArray,
    RecordingError,
    write_edf,
)
from painrewire.neurofeedback.signal.validation import check_number, check_option

T = TypeVar("T")


def _partial_dir(path: Path) -> Path:
    return path.with_name(path.name + ".partial")


class SessionRecorder:
    """Record raw EEG and events of one session to an EDF+ file.

    Parameters
    ----------
    path : str | Path
        The EDF+ (``.edf``) or BDF+ (``.bdf``) file to write at ``close()``.
    channel_names : sequence of str
        One label per channel (at most 16 characters each in EDF).
    sfreq : float
        Sampling frequency in Hz.
    sham : bool
        The session's feedback was sham: said in the header and in a ``sham`` annotation.
    protocol : str
        Protocol code, kept in the header.
    line_freq : float | None
        Mains frequency, kept in the header for BIDS export.
    equipment : str
        The headset, kept in the header.
    patient_code : str
        Pseudonymous code of the patient ("X" = not given, as EDF+ says); never a name.
    start_time : datetime | None
        Start of the recording (UTC); now if None.
    file_format : {"edf", "bdf"}
        16-bit EDF+ (default) or 24-bit BDF+.
    """

    def __init__(
        self,
        path: str | Path,
        channel_names: Sequence[str],
        sfreq: float,
        *,
        sham: bool = False,
        protocol: str = "",
        line_freq: float | None = None,
        equipment: str = "",
        patient_code: str = "X",
        start_time: datetime | None = None,
        file_format: str = "edf",
    ) -> None:
        self.path = Path(path)
        self.channel_names = [str(c) for c in channel_names]
        if not self.channel_names:
            raise ValueError("channel_names must name at least one channel, got none")
        too_long = [c for c in self.channel_names if len(c) > 16]
        if too_long:
            raise ValueError(f"EDF channel labels hold at most 16 characters, got {too_long}")
        self.sfreq = check_number(sfreq, "sfreq", low=0.0, low_inclusive=False, unit="Hz")
        self.file_format = check_option(file_format, list(FORMATS), "file_format")
        start = start_time or datetime.now(UTC)
        self.header = {
            "path": str(self.path),
            "channel_names": self.channel_names,
            "sfreq": self.sfreq,
            "sham": bool(sham),
            "protocol": protocol,
            "line_freq": line_freq,
            "equipment": equipment,
            "patient_code": patient_code or "X",
            "start_time": start.astimezone(UTC).replace(tzinfo=None).isoformat(),
            "file_format": self.file_format,
        }
        self.partial = _partial_dir(self.path)
        if self.partial.exists():
            raise RecordingError(
                f"{self.partial} exists: an earlier session at this path was interrupted; recover it with "
                f"recover_recording() or move it away first"
            )
        self.partial.mkdir(parents=True)
        (self.partial / HEADER_FILE).write_text(json.dumps(self.header, indent=1))
        self._samples = open(self.partial / SAMPLES_FILE, "ab")  # noqa: SIM115 -- kept open for the session
        self._events = open(self.partial / EVENTS_FILE, "a", encoding="utf-8")  # noqa: SIM115
        self._last = np.zeros(len(self.channel_names))
        self._last_sync = time.monotonic()
        #: Seconds between forcing the samples to disk in ``append`` (when not ``deferred``).
        self.fsync_seconds = 5.0
        #: Queue what is appended and annotated until ``drain()`` or ``sync()`` writes it (a live server drains
        #: once a second on its event loop and syncs from a worker thread); otherwise they write at once.
        self.deferred = False
        #: Queued sample bytes and event lines (deques: appended on one thread, taken on another).
        self._queued_samples: collections.deque[bytes] = collections.deque()
        self._queued_events: collections.deque[str] = collections.deque()
        self._file_lock = threading.Lock()
        self.n_samples = 0
        self.closed = False
        if sham:
            self.annotate(0.0, 0.0, "sham")
        if equipment:
            self.annotate(0.0, 0.0, f"equipment:{equipment}")

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.sfreq

    def append(self, data_uv: FloatArray, *, lost_before: int = 0) -> None:
        """Append raw samples (n_channels, n_samples) in uV, after ``lost_before`` samples that never came."""
        if self.closed:
            raise RecordingError(f"{self.path} is closed")
        data = np.asarray(data_uv, dtype=np.float64)
        if data.ndim != 2 or data.shape[0] != len(self.channel_names):
            raise ValueError(
                f"data_uv must have shape ({len(self.channel_names)}, n_samples), got {data.shape}"
            )
        if lost_before > 0:
            onset = self.duration_s
            fill = np.repeat(self._last[None, :], lost_before, axis=0)
            self._write_samples(fill.astype("<f8").tobytes())
            self.n_samples += lost_before
            self.annotate(onset, lost_before / self.sfreq, f"lost_samples:{lost_before}")
        if data.shape[1]:
            self._write_samples(np.ascontiguousarray(data.T, dtype="<f8").tobytes())
            self.n_samples += data.shape[1]
            last = data[:, -1]
            self._last = np.where(np.isfinite(last), last, self._last)
        if self.deferred:
            return
        self._samples.flush()
        now = time.monotonic()
        if now - self._last_sync > self.fsync_seconds:
            os.fsync(self._samples.fileno())
            self._last_sync = now

    def _write_samples(self, data: bytes) -> None:
        if self.deferred:
            self._queued_samples.append(data)
        else:
            self._samples.write(data)

    def drain(self, *, wait: bool = True) -> bool:
        """Write what was queued (``deferred``) to the side files and return True; safe from another thread,
        and a closed recording is left alone. With ``wait=False``, return False at once instead of waiting
        while another thread syncs (an event loop must not wait for an fsync)."""
        if not self._file_lock.acquire(blocking=wait):
            return False
        try:
            if not self.closed:
                self._drain()
            return True
        finally:
            self._file_lock.release()

    def _drain(self) -> None:
        samples = _take_all(self._queued_samples)
        if samples:
            self._samples.write(b"".join(samples))
            self._samples.flush()
        events = _take_all(self._queued_events)
        if events:
            self._events.write("".join(events))
            self._events.flush()

    def sync(self) -> None:
        """Write what was queued and force everything appended so far to disk (safe from another thread; a
        closed recording is left alone)."""
        with self._file_lock:
            if self.closed:
                return
            self._drain()
            os.fsync(self._samples.fileno())
            os.fsync(self._events.fileno())
            self._last_sync = time.monotonic()

    def annotate(self, onset: float, duration: float, text: str) -> None:
        """Record an event ``onset`` seconds from the start of the recording."""
        if self.closed:
            raise RecordingError(f"{self.path} is closed")
        record = {"onset": float(onset), "duration": max(0.0, float(duration)), "text": str(text)}
        line = json.dumps(record) + "\n"
        if self.deferred:
            self._queued_events.append(line)
            return
        self._events.write(line)
        self._events.flush()

    def close(self) -> Path:
        """Write the EDF+ file, remove the side folder, and return the file's path."""
        if self.closed:
            return self.path
        self._close_files()
        path = write_edf(self.partial, self.path, recovered=False)
        shutil.rmtree(self.partial)
        return path

    def abort(self) -> None:
        """Stop writing but keep the side folder (as a crash would); ``recover_recording`` can finish it."""
        if not self.closed:
            self._close_files()

    def _close_files(self) -> None:
        with self._file_lock:
            self._drain()
            self._samples.close()
            self._events.close()
            self.closed = True


def _take_all(queue: collections.deque[T]) -> list[T]:
    """Everything in ``queue`` now, oldest first (another thread may be appending meanwhile)."""
    taken: list[T] = []
    while True:
        try:
            taken.append(queue.popleft())
        except IndexError:
            return taken


def recover_recording(partial: str | Path, *, path: str | Path | None = None) -> Path:
    """Write the EDF+ file of a session interrupted by a crash, from its ``<path>.partial`` side folder.

    Everything that reached the disk is kept (a half-written last sample is dropped); a
    ``recovered_after_interruption`` annotation marks the end. Returns the path of the file written.
    """
    partial = Path(partial)
    if not (partial / HEADER_FILE).exists():
        raise RecordingError(f"{partial} is not the side folder of a recording (no {HEADER_FILE})")
    header = json.loads((partial / HEADER_FILE).read_text())
    target = Path(path) if path is not None else Path(header["path"])
    written = write_edf(partial, target, recovered=True)
    shutil.rmtree(partial)
    return written
