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
and a ``lost_samples`` annotation covers exactly the filled span (peers.md: keep the recording honest about
the gap). Annotations are the session's events: ``signal_check``, ``baseline``, ``feedback``, ``reward``,
``bad:<reasons>``, ``inhibit:<bands>`` (an inhibit band withheld the reward), ``eyes_open`` / ``eyes_closed``
(the condition of baseline and training), ``lost_samples:<n>``, ``note:<text>``, ``sham``, ``override:<...>``.

EDF+ as this module writes it: pyedflib (EDFlib) writes the header and the signals, and the events go into
the file's annotation signal as whole TALs (EDF+ specification, section 2.2), however long their text --
EDFlib itself would cut a text into 40-byte pieces. Files written before kept long texts that way, as pieces
0.1 ms apart: ``join_pieces`` puts them back together, so ``read_recording`` and the BIDS ``events.tsv`` give
each event whole either way. The last data record is padded with the last value (an ``end_of_recording``
annotation marks the true end).
"""

from __future__ import annotations

import collections
import json
import logging
import math
import os
import shutil
import tempfile
import threading
import time
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from painrewire.neurofeedback.validation import check_number, check_option

T = TypeVar("T")
logger = logging.getLogger(__name__)

FloatArray = NDArray[np.float64]

#: EDFlib keeps at most this many bytes of an annotation's text (older recordings hold longer ones in pieces).
ANNOTATION_BYTES = 40
_HEADER = "header.json"
_SAMPLES = "samples.f64"
_EVENTS = "events.jsonl"
_FORMATS = {"edf": (-32768, 32767), "bdf": (-8388608, 8388607)}


class RecordingError(RuntimeError):
    """A recording cannot be written or recovered; the message says why."""


@dataclass(frozen=True, slots=True)
class Annotation:
    """An event in a recording: seconds from its start, a duration (0 for an instant) and a text."""

    onset: float
    duration: float
    text: str


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
        self.file_format = check_option(file_format, list(_FORMATS), "file_format")
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
        (self.partial / _HEADER).write_text(json.dumps(self.header, indent=1))
        self._samples = open(self.partial / _SAMPLES, "ab")  # noqa: SIM115 -- kept open for the session
        self._events = open(self.partial / _EVENTS, "a", encoding="utf-8")  # noqa: SIM115
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
        path = _write_from_partial(self.partial, self.path, recovered=False)
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
    if not (partial / _HEADER).exists():
        raise RecordingError(f"{partial} is not the side folder of a recording (no {_HEADER})")
    header = json.loads((partial / _HEADER).read_text())
    target = Path(path) if path is not None else Path(header["path"])
    written = _write_from_partial(partial, target, recovered=True)
    shutil.rmtree(partial)
    return written


def _read_partial(partial: Path) -> tuple[dict[str, Any], FloatArray, list[Annotation]]:
    header = json.loads((partial / _HEADER).read_text())
    n_channels = len(header["channel_names"])
    raw = np.fromfile(partial / _SAMPLES, dtype="<f8") if (partial / _SAMPLES).exists() else np.zeros(0)
    n_samples = raw.size // n_channels
    data = raw[: n_samples * n_channels].reshape(n_samples, n_channels).T
    events: list[Annotation] = []
    if (partial / _EVENTS).exists():
        for line in (partial / _EVENTS).read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:  # a line cut short by the crash
                continue
            events.append(Annotation(float(record["onset"]), float(record["duration"]), str(record["text"])))
    return header, data, events


def edf_limit(value: float, *, upward: bool) -> float:
    """Round ``value`` outward to a whole number of microvolts, which EDF's 8-character header field holds
    exactly.

    EDFlib prints the header's physical range by truncating the binary value (47939.77 becomes "47939.76"),
    and readers convert samples back with what the header says; a range with decimals would shift every
    sample of the channel. Whole microvolts widen a channel's range by less than 2 uV, which costs nothing
    at 16 bits.
    """
    rounded = math.ceil(value) if upward else math.floor(value)
    if len(str(rounded)) > 8:
        raise RecordingError(f"{value:g} uV does not fit in an EDF header (8 characters)")
    return float(rounded)


def _physical_range(data: FloatArray) -> tuple[FloatArray, FloatArray]:
    finite = np.where(np.isfinite(data), data, 0.0)
    low = finite.min(axis=1) if finite.size else np.zeros(data.shape[0])
    high = finite.max(axis=1) if finite.size else np.zeros(data.shape[0])
    lows, highs = [], []
    for lo, hi in zip(low, high, strict=True):
        if hi - lo < 1.0:
            lo, hi = lo - 1.0, hi + 1.0
        lows.append(edf_limit(float(lo), upward=False))
        highs.append(edf_limit(float(hi), upward=True))
    return np.array(lows), np.array(highs)


def join_pieces(events: Iterable[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Events as they were annotated: the 40-byte pieces older recordings cut a long text into, joined again.

    A piece continues the one before it when it follows 0.1 ms later with the same duration and the one before
    was full (within one UTF-8 character of ``ANNOTATION_BYTES``): events of a recording are at least a sample
    apart, so no two real events look like that.
    """
    joined: list[tuple[float, float, str]] = []
    last_piece = ""
    last_onset = float("-inf")
    for onset, duration, text in sorted(events, key=lambda e: e[0]):
        continues = (
            joined
            and abs(onset - last_onset - 1e-4) < 3e-5
            and abs(duration - joined[-1][1]) < 1e-6
            and len(last_piece.encode("utf-8")) > ANNOTATION_BYTES - 4
        )
        if continues:
            first_onset, first_duration, head = joined[-1]
            joined[-1] = (first_onset, first_duration, head + text)
        else:
            joined.append((onset, duration, text))
        last_piece, last_onset = text, onset
    return joined


def _joined_annotations(raw: Any) -> Any:
    """``raw``'s annotations with long texts whole again (see ``join_pieces``)."""
    import mne

    annotations = raw.annotations
    events = join_pieces(zip(annotations.onset, annotations.duration, annotations.description, strict=True))
    return mne.Annotations(
        onset=[e[0] for e in events],
        duration=[e[1] for e in events],
        description=[e[2] for e in events],
        orig_time=annotations.orig_time,
    )


def _record_samples(sfreq: float) -> tuple[float, int]:
    """The shortest data record duration up to 1 s holding a whole number of samples (or longer if none)."""
    for seconds in (1.0, 2.0, 4.0, 5.0, 10.0, 20.0, 50.0):
        samples = sfreq * seconds
        if abs(samples - round(samples)) < 1e-6:
            return seconds, round(samples)
    raise RecordingError(f"A sampling frequency of {sfreq:g} Hz cannot be stored in EDF data records")


def _write_from_partial(partial: Path, path: Path, *, recovered: bool) -> Path:
    """Write the EDF+ (or BDF+) file of the side folder ``partial`` to ``path``.

    pyedflib writes the header and the signals, with one annotation signal holding only the time-keeping TAL
    of each data record; the events are then written into that signal here, each as one whole TAL
    (time-stamped annotation list, EDF+ specification section 2.2: ``+onset<21>duration<20>text<20><0>``), because
    EDFlib cuts a text into 40-byte pieces. The annotation signal gets as many bytes per data record as the
    busiest record needs; an event sits in the data record that holds its onset, or a later one if that is full
    (readers take the onset from the TAL, not from the record).
    """
    import pyedflib

    header, data, events = _read_partial(partial)
    sfreq = float(header["sfreq"])
    names = list(header["channel_names"])
    n_channels, n_samples = data.shape
    true_end = n_samples / sfreq
    if recovered:
        events.append(Annotation(true_end, 0.0, "recovered_after_interruption"))
    events.append(Annotation(true_end, 0.0, "end_of_recording"))
    record_seconds, per_record = _record_samples(sfreq)
    n_records = max(1, math.ceil(n_samples / per_record))
    padded = n_records * per_record
    if padded > n_samples:
        tail = data[:, -1:] if n_samples else np.zeros((n_channels, 1))
        data = np.concatenate([data, np.repeat(tail, padded - n_samples, axis=1)], axis=1)
    data = np.where(np.isfinite(data), data, 0.0)
    file_format = header.get("file_format", "edf")
    digital_min, digital_max = _FORMATS[file_format]
    physical_min, physical_max = _physical_range(data)
    steps = (physical_max - physical_min) / (digital_max - digital_min)
    digital = np.rint((data - physical_min[:, None]) / steps[:, None]) + digital_min
    digital = np.clip(digital, digital_min, digital_max).astype(np.int32)

    file_type = pyedflib.FILETYPE_EDFPLUS if file_format == "edf" else pyedflib.FILETYPE_BDFPLUS
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".writing")
    writer = pyedflib.EdfWriter(str(tmp), n_channels, file_type=file_type)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pyedflib warns whenever the record duration is set explicitly
            writer.setSignalHeaders(
                [
                    {
                        "label": name,
                        "dimension": "uV",
                        "sample_frequency": sfreq,
                        "physical_min": float(physical_min[i]),
                        "physical_max": float(physical_max[i]),
                        "digital_min": digital_min,
                        "digital_max": digital_max,
                        "prefilter": "",
                        "transducer": "EEG electrode",
                    }
                    for i, name in enumerate(names)
                ]
            )
            writer.setDatarecordDuration(record_seconds)
        writer.setRecordingAdditional(_header_flags(header))
        writer.setPatientCode(str(header.get("patient_code") or "X")[:20].replace(" ", "_"))
        writer.setStartdatetime(datetime.fromisoformat(header["start_time"]).replace(microsecond=0))
        writer.set_number_of_annotation_signals(1)
        writer.writeSamples([np.ascontiguousarray(row) for row in digital], digital=True)
    finally:
        writer.close()

    def seconds(value: float) -> str:
        # EDF+ onsets and durations: decimal seconds, here to 0.1 ms as EDFlib writes them.
        return f"{round(value * 10_000) / 10_000:.4f}".rstrip("0").rstrip(".")

    def tal(event: Annotation) -> bytes:
        # The TAL delimiters (0, 20, 21) and other control characters cannot be part of a text.
        text = "".join(" " if ord(char) < 32 else char for char in event.text)
        onset = f"+{seconds(max(0.0, event.onset))}\x15{seconds(max(0.0, event.duration))}"
        return f"{onset}\x14{text}\x14\x00".encode()

    sample_bytes = 2 if file_format == "edf" else 3
    with tmp.open("rb") as old:
        signal_header = old.read(256)
        n_signals, header_bytes = int(signal_header[252:256]), int(signal_header[184:192])
        signal_header += old.read(header_bytes - 256)
        samples_at = 256 + n_signals * 216  # label 16, transducer 80, units 8, 4 x 8 ranges, prefilter 80
        counts = [int(signal_header[samples_at + 8 * i : samples_at + 8 * i + 8]) for i in range(n_signals)]
        label = signal_header[256 + 16 * (n_signals - 1) : 256 + 16 * n_signals].strip()
        if n_records != int(signal_header[236:244]) or not label.endswith(b"Annotations"):
            raise RecordingError(f"pyedflib wrote {tmp} in a layout this writer does not know")
        signal_bytes = sum(counts[:-1]) * sample_bytes
        old_annotation_bytes = counts[-1] * sample_bytes
        records = []
        for _ in range(n_records):
            record = old.read(signal_bytes + old_annotation_bytes)
            timekeeping = record[signal_bytes:]
            records.append((record[:signal_bytes], timekeeping[: timekeeping.index(b"\x14\x14\x00") + 3]))
    tals = [(tal(e), e.onset) for e in sorted(events, key=lambda e: e.onset)]
    used = [len(timekeeping) for _, timekeeping in records]
    capacity = max(
        max(used) + max(len(t) for t, _ in tals),
        math.ceil((sum(used) + sum(len(t) for t, _ in tals)) / n_records),
    )
    while True:
        placed: list[list[bytes]] = [[] for _ in range(n_records)]
        filled = list(used)
        cursor = 0
        for text, onset in tals:
            cursor = max(cursor, min(n_records - 1, int(onset // record_seconds)))
            while cursor < n_records and filled[cursor] + len(text) > capacity:
                cursor += 1
            if cursor == n_records:
                break
            placed[cursor].append(text)
            filled[cursor] += len(text)
        else:
            break
        capacity += max(capacity // 4, 1)
    annotation_samples = math.ceil(capacity / sample_bytes)
    field = f"{annotation_samples:<8d}".encode("ascii")
    if len(field) > 8:
        raise RecordingError(f"{len(tals)} events do not fit in an EDF+ file of {true_end:.1f} s")
    at = samples_at + 8 * (n_signals - 1)
    signal_header = signal_header[:at] + field + signal_header[at + 8 :]
    written = path.with_name(path.name + ".annotated")
    with written.open("wb") as out:
        out.write(signal_header)
        for (signals, timekeeping), texts in zip(records, placed, strict=True):
            annotations = timekeeping + b"".join(texts)
            out.write(signals + annotations.ljust(annotation_samples * sample_bytes, b"\x00"))
    tmp.unlink()
    os.replace(written, path)
    return path


def _header_flags(header: dict[str, Any]) -> str:
    """The recording's own facts for the EDF+ "recording additional" field: ASCII, no spaces (EDF+ 2.1.3),
    most important first because EDFlib keeps only about 30 characters of it."""
    flags = ["nfb"]
    if header.get("sham"):
        flags.append("sham")
    if header.get("line_freq"):
        flags.append(f"line={float(header['line_freq']):g}")
    if header.get("protocol"):
        flags.append(f"p={header['protocol']}")
    return ";".join(flags)


def read_recording(path: str | Path) -> Any:
    """Read a recording back through MNE (``mne.io.Raw``, preloaded), each event whole."""
    import mne

    raw = mne.io.read_raw(str(path), preload=True, verbose="error")
    raw.set_annotations(_joined_annotations(raw))
    return raw


def recording_flags(path: str | Path) -> dict[str, Any]:
    """What the header of one of our recordings says: sham, mains frequency, protocol.

    The headset is not in the header (EDFlib keeps only about 30 characters of the field these share); it is
    the ``equipment:<name>`` annotation at 0 s."""
    import pyedflib

    reader = pyedflib.EdfReader(str(path))
    try:
        additional = str(reader.getRecordingAdditional())
    finally:
        reader.close()
    words = additional.strip().split(";")
    values = dict(w.split("=", 1) for w in words if "=" in w)
    line = values.get("line")
    return {
        "sham": "sham" in words,
        "protocol": values.get("p", ""),
        "line_freq": float(line) if line else None,
    }


def export_bids(
    edf_path: str | Path,
    bids_root: str | Path,
    *,
    subject: str,
    session: str,
    task: str = "neurofeedback",
    line_freq: float | None = None,
    overwrite: bool = False,
    description: DatasetDescription | None = None,
) -> Path:
    """Export a recording to a BIDS dataset with mne-bids; returns the path of the EEG file written.

    ``line_freq`` (required by BIDS) defaults to the one in the recording's header. ``events.tsv`` holds each
    event whole (older EDF+ files keep a long text in 40-byte pieces), and the channels that failed the signal
    check before training are ``bad`` in ``channels.tsv``, with the reason as their status description.
    ``description`` fills ``dataset_description.json`` (otherwise mne-bids leaves a placeholder); it is a raw
    dataset (``DatasetType``), generated by PainRewire (its version) and MNE-BIDS (``GeneratedBy``).
    """
    import mne
    import mne_bids

    # Not preloaded: mne-bids then copies the EDF file as it is, instead of re-exporting it.
    raw = mne.io.read_raw(str(edf_path), preload=False, verbose="error")
    raw.set_annotations(_joined_annotations(raw))
    failed = failed_check_channels(raw.annotations.description)
    raw.info["bads"] = [name for name in raw.ch_names if name in failed]
    freq = line_freq if line_freq is not None else recording_flags(edf_path)["line_freq"]
    if freq is None:
        raise RecordingError("BIDS needs the mains frequency; pass line_freq=50 or 60")
    raw.info["line_freq"] = float(freq)
    bids_path = mne_bids.BIDSPath(
        subject=subject, session=session, task=task, datatype="eeg", root=str(bids_root)
    )
    mne_bids.write_raw_bids(raw, bids_path, format="auto", overwrite=overwrite, verbose="error")
    if raw.info["bads"]:
        _describe_bad_channels(bids_path.copy().update(suffix="channels", extension=".tsv").fpath)
    if description is not None:
        from painrewire import __version__

        mne_bids.make_dataset_description(
            path=str(bids_root),
            name=description.name,
            dataset_type="raw",
            authors=list(description.authors),
            data_license=description.licence,
            how_to_acknowledge=description.how_to_acknowledge,
            ethics_approvals=list(description.ethics_approvals) or None,
            generated_by=[
                {
                    "Name": "PainRewire",
                    "Version": __version__,
                    "Description": "Recorded during a neurofeedback session and exported to BIDS",
                },
                {
                    "Name": "MNE-BIDS",
                    "Version": mne_bids.__version__,
                    "CodeURL": "https://mne.tools/mne-bids/",
                },
            ],
            overwrite=True,
            verbose="error",
        )
    return Path(str(bids_path.fpath))


@dataclass(frozen=True)
class DatasetDescription:
    """What ``dataset_description.json`` says of a dataset: its name, authors, licence (the terms of its use,
    BIDS ``License``), how to acknowledge it and the ethics approvals it was collected under, if any."""

    name: str
    authors: tuple[str, ...]
    licence: str
    how_to_acknowledge: str | None = None
    ethics_approvals: tuple[str, ...] = ()


#: Events whose text a person typed (a note, an override's reason and who gave it): a de-identified copy keeps
#: only that an override happened, and no note.
_FREE_TEXT = {"note:": None, "override:": "override"}


def deidentified_edf(edf_path: str | Path, out_path: str | Path, *, shift: timedelta) -> Path:
    """A copy of a recording for research: the same signals and events, its start moved by ``shift``, no
    patient code in the header, and no free text among the events (see ``_FREE_TEXT``)."""
    import mne

    raw = mne.io.read_raw(str(edf_path), preload=True, verbose="error")
    flags = recording_flags(edf_path)
    events = join_pieces(
        zip(raw.annotations.onset, raw.annotations.duration, raw.annotations.description, strict=True)
    )
    end = next((onset for onset, _, text in events if text == "end_of_recording"), raw.times[-1])
    kept: list[tuple[float, float, str]] = []
    for onset, duration, text in events:
        prefix = next((p for p in _FREE_TEXT if text.startswith(p)), None)
        if text == "end_of_recording" or (prefix is not None and _FREE_TEXT[prefix] is None):
            continue
        kept.append((onset, duration, (_FREE_TEXT[prefix] or text) if prefix else text))
    data = raw.get_data(units="uV")[:, : round(end * raw.info["sfreq"])]
    start = raw.info["meas_date"] + shift
    header = {
        "sfreq": raw.info["sfreq"],
        "channel_names": list(raw.ch_names),
        "start_time": start.isoformat(),
        "patient_code": "X",
        "sham": flags["sham"],
        "line_freq": flags["line_freq"],
        "protocol": flags["protocol"],
        "file_format": "bdf" if Path(edf_path).suffix.lower() == ".bdf" else "edf",
    }
    with tempfile.TemporaryDirectory(prefix="painrewire-deid-") as folder:
        partial = Path(folder)
        (partial / _HEADER).write_text(json.dumps(header))
        np.ascontiguousarray(data.T, dtype="<f8").tofile(partial / _SAMPLES)
        (partial / _EVENTS).write_text(
            "".join(json.dumps({"onset": o, "duration": d, "text": t}) + "\n" for o, d, t in kept),
            encoding="utf-8",
        )
        return _write_from_partial(partial, Path(out_path), recovered=False)


#: Why a channel is ``bad`` in ``channels.tsv``.
FAILED_CHECK = "failed the signal check before training"


def failed_check_channels(descriptions: Iterable[str]) -> set[str]:
    """The channels the last ``signal_check:fail:<channels>`` annotation names."""
    failed: set[str] = set()
    for text in descriptions:
        if text.startswith("signal_check:"):
            result = text.removeprefix("signal_check:")
            failed = set(result.removeprefix("fail:").split(",")) if result.startswith("fail:") else set()
    return failed


def _describe_bad_channels(channels_tsv: Any) -> None:
    path = Path(str(channels_tsv))
    lines = path.read_text(encoding="utf-8").splitlines()
    header = lines[0].split("\t")
    if "status_description" not in header:
        header.append("status_description")
        lines = ["\t".join(header)] + [line + "\tn/a" for line in lines[1:]]
    status, described = header.index("status"), header.index("status_description")
    rows = [line.split("\t") for line in lines[1:]]
    for row in rows:
        if row[status] == "bad":
            row[described] = FAILED_CHECK
    path.write_text("\n".join(["\t".join(header)] + ["\t".join(r) for r in rows]) + "\n", encoding="utf-8")
