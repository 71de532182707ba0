"""Events longer than EDFlib's 40 bytes are one whole annotation in the EDF+/BDF+ file itself."""

from __future__ import annotations

from pathlib import Path

import mne
import numpy as np
import pyedflib
import pytest

from painrewire.neurofeedback.recording.edf import read_recording
from painrewire.neurofeedback.recording.recorder import SessionRecorder

NAMES = ["Fz", "Cz"]
SFREQ = 250.0
#: 120 characters, one of them two bytes in UTF-8.
NOTE = (
    "note:Patient reports less back pain today (ü); mild headache after block 2, "
    "asked for a short break before the next one."
)


def _record(path: Path, events: list[tuple[float, float, str]], *, seconds: float = 4.0) -> Path:
    recorder = SessionRecorder(path, NAMES, SFREQ, file_format=path.suffix.lstrip("."))
    recorder.append(np.random.default_rng(0).standard_normal((len(NAMES), int(seconds * SFREQ))) * 10.0)
    for onset, duration, text in events:
        recorder.annotate(onset, duration, text)
    return recorder.close()


def _pyedflib_events(path: Path) -> list[tuple[float, float, str]]:
    reader = pyedflib.EdfReader(str(path))
    try:
        onsets, durations, texts = reader.readAnnotations()
    finally:
        reader.close()
    return [
        (round(float(o), 4), round(float(d), 4), str(t))
        for o, d, t in zip(onsets, durations, texts, strict=True)
    ]


def test_a_120_character_note_is_one_event_with_its_full_text_for_mne(tmp_path: Path) -> None:
    assert len(NOTE) == 120
    path = _record(tmp_path / "note.edf", [(1.0, 0.0, "reward"), (1.5, 2.0, NOTE), (1.504, 0.0, "reward")])
    annotations = mne.io.read_raw_edf(path, verbose="error").annotations
    events = [
        (round(float(o), 4), round(float(d), 4), str(t))
        for o, d, t in zip(annotations.onset, annotations.duration, annotations.description, strict=True)
    ]
    assert events[:3] == [(1.0, 0.0, "reward"), (1.5, 2.0, NOTE), (1.504, 0.0, "reward")]
    assert [e for e in events if e[2].startswith("note:")] == [(1.5, 2.0, NOTE)]


@pytest.mark.parametrize("suffix", ["edf", "bdf"])
def test_a_120_character_note_is_one_event_with_its_full_text_for_pyedflib(
    tmp_path: Path, suffix: str
) -> None:
    path = _record(tmp_path / f"note.{suffix}", [(0.25, 0.0, "baseline"), (1.5, 0.0, NOTE)])
    events = _pyedflib_events(path)
    assert events[:2] == [(0.25, 0.0, "baseline"), (1.5, 0.0, NOTE)]
    assert events[-1] == (4.0, 0.0, "end_of_recording")


def test_many_long_events_in_one_second_are_all_kept_whole_and_in_order(tmp_path: Path) -> None:
    texts = [f"override:{k:03d} " + "x" * 100 for k in range(50)]
    path = _record(
        tmp_path / "busy.edf", [(2.0 + k * 0.004, 0.0, t) for k, t in enumerate(texts)], seconds=3.0
    )
    assert [t for _, _, t in _pyedflib_events(path) if t.startswith("override:")] == texts
    raw = read_recording(path)
    assert [t for t in raw.annotations.description if t.startswith("override:")] == texts
    assert raw.n_times == 3 * int(SFREQ)


def test_a_line_break_in_a_note_cannot_break_the_annotation_list(tmp_path: Path) -> None:
    path = _record(tmp_path / "lines.edf", [(1.0, 0.0, "note:first line\nsecond\x14line")])
    assert (1.0, 0.0, "note:first line second line") in _pyedflib_events(path)


def test_a_recording_written_in_40_byte_pieces_still_reads_back_whole(tmp_path: Path) -> None:
    """Files written before annotations were whole hold a long text as pieces 0.1 ms apart."""
    path = tmp_path / "old.edf"
    writer = pyedflib.EdfWriter(str(path), 1, file_type=pyedflib.FILETYPE_EDFPLUS)
    try:
        writer.setSignalHeaders(
            [
                {
                    "label": "Fz",
                    "dimension": "uV",
                    "sample_frequency": SFREQ,
                    "physical_min": -100.0,
                    "physical_max": 100.0,
                    "digital_min": -32768,
                    "digital_max": 32767,
                }
            ]
        )
        writer.set_number_of_annotation_signals(3)
        writer.writeSamples([np.zeros(int(2 * SFREQ))])
        pieces = [""]  # at most 40 bytes each, as EDFlib stores them
        for char in NOTE:
            if len((pieces[-1] + char).encode()) > 40:
                pieces.append("")
            pieces[-1] += char
        for k, piece in enumerate(pieces):
            assert writer.writeAnnotation(1.0 + k * 1e-4, 0.0, piece) == 0
    finally:
        writer.close()
    assert [t for t in read_recording(path).annotations.description if t.startswith("note:")] == [NOTE]
