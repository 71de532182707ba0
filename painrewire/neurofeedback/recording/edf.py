"""EDF+ files of sessions: written from a recording's side folder, read back with each event whole.

EDF+ limits that shape this module (EDFlib, which pyedflib wraps): an annotation's text holds at most 40
bytes (longer notes are split into consecutive annotations 0.1 ms apart, and ``join_pieces`` puts them back
together: ``read_recording`` and the BIDS ``events.tsv`` give each event whole); a file holds at most 64
annotations per data record (records are shortened when a session has more events than that); the last
data record is padded with the last value (an ``end_of_recording`` annotation marks the true end).

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

#: EDFlib keeps at most this many bytes of an annotation's text.
ANNOTATION_BYTES = 40
_MAX_ANNOTATION_SIGNALS = 64
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


def _split_text(text: str) -> list[str]:
    """Split an annotation text into pieces of at most ``ANNOTATION_BYTES`` UTF-8 bytes."""
    pieces: list[str] = []
    current = ""
    for char in text:
        if len((current + char).encode("utf-8")) > ANNOTATION_BYTES:
            pieces.append(current)
            current = char
        else:
            current += char
    if current or not pieces:
        pieces.append(current)
    return pieces


def join_pieces(events: Iterable[tuple[float, float, str]]) -> list[tuple[float, float, str]]:
    """Events as they were annotated: the pieces ``_split_text`` cut a long text into, joined again.

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
    # Continuations of a long text follow it 0.1 ms apart (EDF+'s time resolution) so readers keep their order.
    pieces = [
        Annotation(a.onset + k * 1e-4, a.duration, piece)
        for a in sorted(events, key=lambda a: a.onset)
        for k, piece in enumerate(_split_text(a.text))
    ]
    n_records = max(1, math.ceil(n_samples / per_record))
    # Shorten records until every annotation has a slot (EDFlib silently drops the ones that do not fit).
    while math.ceil(len(pieces) / n_records) > _MAX_ANNOTATION_SIGNALS:
        shorter = next((d for d in range(2, per_record + 1) if per_record % d == 0), None)
        if shorter is None:
            raise RecordingError(f"{len(pieces)} events do not fit in an EDF+ file of {true_end:.1f} s")
        record_seconds /= shorter
        per_record //= shorter
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
        writer.set_number_of_annotation_signals(max(1, math.ceil(len(pieces) / n_records)))
        writer.writeSamples([np.ascontiguousarray(row) for row in digital], digital=True)
        for annotation in pieces:
            status = writer.writeAnnotation(annotation.onset, annotation.duration, annotation.text)
            if status != 0:
                raise RecordingError(
                    f"pyedflib refused the annotation {annotation.text!r} at {annotation.onset:.3f} s"
                )
    finally:
        writer.close()
    os.replace(tmp, path)
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
