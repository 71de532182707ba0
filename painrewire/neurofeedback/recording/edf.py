"""EDF+ files of sessions: written from a recording's side folder, read back with each event whole.

EDF+ as this module writes it: pyedflib (EDFlib) writes the header and the signals, and the events go into
the file's annotation signal as whole TALs (EDF+ specification, section 2.2), however long their text --
EDFlib itself would cut a text into 40-byte pieces. Files written before kept long texts that way, as pieces
0.1 ms apart: ``join_pieces`` puts them back together, so ``read_recording`` and the BIDS ``events.tsv`` give
each event whole either way. The last data record is padded with the last value (an ``end_of_recording``
annotation marks the true end).

The side folder (``recorder.SessionRecorder`` fills it as a session runs) holds ``header.json``, the samples
as little-endian float64 in ``samples.f64`` (sample-major), and one JSON event per line in ``events.jsonl``.
"""

from __future__ import annotations

import json
import math
import os
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]

#: EDFlib keeps at most this many bytes of an annotation's text (older recordings hold longer ones in pieces).
ANNOTATION_BYTES = 40
#: The side folder's files.
HEADER_FILE = "header.json"
SAMPLES_FILE = "samples.f64"
EVENTS_FILE = "events.jsonl"
#: Digital range of each file format.
FORMATS = {"edf": (-32768, 32767), "bdf": (-8388608, 8388607)}


class RecordingError(RuntimeError):
    """A recording cannot be written or recovered; the message says why."""


@dataclass(frozen=True, slots=True)
class Annotation:
    """An event in a recording: seconds from its start, a duration (0 for an instant) and a text."""

    onset: float
    duration: float
    text: str


def read_partial(partial: Path) -> tuple[dict[str, Any], FloatArray, list[Annotation]]:
    header = json.loads((partial / HEADER_FILE).read_text())
    n_channels = len(header["channel_names"])
    raw = (
        np.fromfile(partial / SAMPLES_FILE, dtype="<f8") if (partial / SAMPLES_FILE).exists() else np.zeros(0)
    )
    n_samples = raw.size // n_channels
    data = raw[: n_samples * n_channels].reshape(n_samples, n_channels).T
    events: list[Annotation] = []
    if (partial / EVENTS_FILE).exists():
        for line in (partial / EVENTS_FILE).read_text(encoding="utf-8").splitlines():
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


def joined_annotations(raw: Any) -> Any:
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


def write_edf(partial: Path, path: Path, *, recovered: bool) -> Path:
    """Write the EDF+ (or BDF+) file of the side folder ``partial`` to ``path``.

    pyedflib writes the header and the signals, with one annotation signal holding only the time-keeping TAL
    of each data record; the events are then written into that signal here, each as one whole TAL
    (time-stamped annotation list, EDF+ specification section 2.2: ``+onset<21>duration<20>text<20><0>``), because
    EDFlib cuts a text into 40-byte pieces. The annotation signal gets as many bytes per data record as the
    busiest record needs; an event sits in the data record that holds its onset, or a later one if that is full
    (readers take the onset from the TAL, not from the record).
    """
    import pyedflib

    header, data, events = read_partial(partial)
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
    digital_min, digital_max = FORMATS[file_format]
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
    raw.set_annotations(joined_annotations(raw))
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
