"""EDF+/BDF+ recordings: read back by MNE within one quantisation step, every event kept, crash recovery, BIDS."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pyedflib
import pytest
from numpy.testing import assert_allclose

from painrewire.neurofeedback.recording.bids import export_bids
from painrewire.neurofeedback.recording.edf import (
    RecordingError,
    edf_limit,
    join_pieces,
    read_recording,
    recording_flags,
)
from painrewire.neurofeedback.recording.recorder import SessionRecorder, recover_recording

NAMES = ["Fz", "Cz", "C4"]
SFREQ = 250.0


def _signals(seconds: float = 10.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    offsets = np.array([[0.0], [48_000.0], [-350.0]])
    return rng.standard_normal((len(NAMES), int(seconds * SFREQ))) * 20.0 + offsets


def _steps(path: Path) -> np.ndarray:
    """The quantisation step of each channel, from the file's own header."""
    reader = pyedflib.EdfReader(str(path))
    try:
        return np.array(
            [
                (reader.getPhysicalMaximum(i) - reader.getPhysicalMinimum(i))
                / (reader.getDigitalMaximum(i) - reader.getDigitalMinimum(i))
                for i in range(reader.signals_in_file)
            ]
        )
    finally:
        reader.close()


@pytest.mark.parametrize("file_format", ["edf", "bdf"])
def test_a_recording_reads_back_through_mne_within_one_quantisation_step(
    tmp_path: Path, file_format: str
) -> None:
    data = _signals()
    path = tmp_path / f"session.{file_format}"
    recorder = SessionRecorder(path, NAMES, SFREQ, file_format=file_format)
    for start in range(0, data.shape[1], 37):
        recorder.append(data[:, start : start + 37])
    recorder.close()
    raw = read_recording(path)
    assert raw.ch_names == NAMES and raw.info["sfreq"] == SFREQ
    back = raw.get_data(units="uV")[:, : data.shape[1]]
    steps = _steps(path)
    assert np.all(np.abs(back - data) <= steps[:, None])
    # 16 bits over each channel's own range: far finer than EEG's microvolts, even on a 48 mV offset.
    assert file_format == "bdf" or steps.max() < 0.005


def test_the_last_data_record_is_padded_and_the_true_end_is_annotated(tmp_path: Path) -> None:
    recorder = SessionRecorder(tmp_path / "s.edf", NAMES, SFREQ)
    recorder.append(_signals(seconds=2.5))
    raw = read_recording(recorder.close())
    assert raw.n_times == 3 * int(SFREQ)
    ends = [a["onset"] for a in raw.annotations if a["description"] == "end_of_recording"]
    assert ends == [pytest.approx(2.5)]


def test_lost_samples_are_filled_so_time_stays_true_and_the_gap_is_annotated(tmp_path: Path) -> None:
    data = _signals(seconds=4.0)
    recorder = SessionRecorder(tmp_path / "gap.edf", NAMES, SFREQ)
    recorder.append(data[:, :500])
    recorder.append(data[:, 500:], lost_before=125)
    raw = read_recording(recorder.close())
    back = raw.get_data(units="uV")
    steps = _steps(tmp_path / "gap.edf")
    assert np.all(np.abs(back[:, 500:625] - data[:, 499:500]) <= steps[:, None])
    assert np.all(np.abs(back[:, 625:1125] - data[:, 500:]) <= steps[:, None])
    gap = [a for a in raw.annotations if a["description"] == "lost_samples:125"]
    assert len(gap) == 1
    assert (gap[0]["onset"], gap[0]["duration"]) == (pytest.approx(2.0), pytest.approx(0.5))


def test_every_event_survives_even_more_than_one_per_data_record(tmp_path: Path) -> None:
    recorder = SessionRecorder(tmp_path / "events.edf", NAMES, SFREQ)
    recorder.append(_signals(seconds=5.0))
    for k in range(400):
        recorder.annotate(k * 0.0125, 0.0125, "reward")
    raw = read_recording(recorder.close())
    rewards = [a for a in raw.annotations if a["description"] == "reward"]
    assert len(rewards) == 400
    assert_allclose(sorted(a["onset"] for a in rewards), np.arange(400) * 0.0125, atol=1e-4)


LONG_NOTE = "note:" + "Patient reports less back pain than last week, mild headache after block 2 (ü)."


def test_a_long_note_is_stored_whole_in_the_edf_file_and_read_back_whole(tmp_path: Path) -> None:
    recorder = SessionRecorder(tmp_path / "note.edf", NAMES, SFREQ)
    recorder.append(_signals(seconds=3.0))
    recorder.annotate(1.0, 0.0, "reward")
    recorder.annotate(1.5, 0.0, LONG_NOTE)
    recorder.annotate(1.504, 0.0, "reward")
    path = recorder.close()
    reader = pyedflib.EdfReader(str(path))
    try:
        onsets, _, texts = reader.readAnnotations()
    finally:
        reader.close()
    pieces = [str(t) for o, t in zip(onsets, texts, strict=True) if 1.5 <= o < 1.501]
    assert pieces == [LONG_NOTE]
    raw = read_recording(path)
    events = [(round(a["onset"], 4), a["description"]) for a in raw.annotations]
    assert events[:3] == [(1.0, "reward"), (1.5, LONG_NOTE), (1.504, "reward")]


def test_short_events_a_tenth_of_a_millisecond_apart_stay_apart() -> None:
    assert join_pieces([(1.0, 0.0, "reward"), (1.0001, 0.0, "reward")]) == [
        (1.0, 0.0, "reward"),
        (1.0001, 0.0, "reward"),
    ]


def test_a_sham_session_says_so_in_the_header_and_an_annotation(tmp_path: Path) -> None:
    recorder = SessionRecorder(
        tmp_path / "sham.edf", NAMES, SFREQ, sham=True, protocol="smr_theta", line_freq=60.0
    )
    recorder.append(_signals(seconds=2.0))
    path = recorder.close()
    assert recording_flags(path) == {"sham": True, "protocol": "smr_theta", "line_freq": 60.0}
    assert "sham" in set(read_recording(path).annotations.description)


def test_a_recording_interrupted_by_a_crash_is_recovered_with_everything_received(tmp_path: Path) -> None:
    data = _signals(seconds=6.0)
    path = tmp_path / "crash.edf"
    recorder = SessionRecorder(path, NAMES, SFREQ)
    recorder.append(data[:, :700])
    recorder.annotate(1.0, 0.5, "baseline")
    recorder.append(data[:, 700:])
    recorder.abort()
    with open(recorder.partial / "samples.f64", "ab") as tail:
        tail.write(b"\x00" * 12)  # half a sample, as a crash mid-write leaves
    assert not path.exists()
    written = recover_recording(recorder.partial)
    assert written == path and not recorder.partial.exists()
    raw = read_recording(path)
    assert np.all(np.abs(raw.get_data(units="uV")[:, : data.shape[1]] - data) <= _steps(path)[:, None])
    assert {"baseline", "recovered_after_interruption"} <= set(raw.annotations.description)


def test_a_recording_written_from_another_thread_is_recovered_whole(tmp_path: Path) -> None:
    data = _signals(seconds=4.0)
    recorder = SessionRecorder(tmp_path / "synced.edf", NAMES, SFREQ)
    recorder.deferred = True  # a live server writes from a worker thread, never on its event loop
    recorder.append(data[:, :500])
    recorder.annotate(1.0, 0.5, "baseline")
    assert (recorder.partial / "samples.f64").stat().st_size == 0  # queued, not written
    worker = threading.Thread(target=recorder.drain)
    worker.start()
    worker.join()
    assert (recorder.partial / "samples.f64").stat().st_size == 500 * len(NAMES) * 8
    recorder.append(data[:, 500:900])
    worker = threading.Thread(target=recorder.sync)
    worker.start()
    worker.join()
    recorder.append(data[:, 900:])
    with recorder._file_lock:  # another thread is syncing: the event loop does not wait for it
        assert recorder.drain(wait=False) is False
    assert recorder.drain(wait=False) is True
    recorder.append(data[:, :0])
    recorder.abort()  # what was queued is written before the files close
    raw = read_recording(recover_recording(recorder.partial))
    assert np.all(
        np.abs(raw.get_data(units="uV")[:, : data.shape[1]] - data)
        <= _steps(tmp_path / "synced.edf")[:, None]
    )
    path = tmp_path / "closed.edf"
    closed = SessionRecorder(path, NAMES, SFREQ)
    closed.append(data)
    closed.close()
    closed.sync()  # a sync that comes after the session closed its recording does nothing


def test_a_new_recorder_refuses_to_overwrite_an_unrecovered_session(tmp_path: Path) -> None:
    recorder = SessionRecorder(tmp_path / "x.edf", NAMES, SFREQ)
    recorder.abort()
    with pytest.raises(RecordingError, match="was interrupted; recover it with recover_recording"):
        SessionRecorder(tmp_path / "x.edf", NAMES, SFREQ)


def test_export_to_bids_gives_a_dataset_mne_bids_reads(tmp_path: Path) -> None:
    import mne_bids

    recorder = SessionRecorder(tmp_path / "s.edf", NAMES, SFREQ, line_freq=50.0)
    recorder.append(_signals(seconds=3.0))
    recorder.annotate(0.5, 1.0, "baseline")
    eeg_file = export_bids(recorder.close(), tmp_path / "bids", subject="01", session="03", task="nfb")
    assert eeg_file.exists() and eeg_file.name == "sub-01_ses-03_task-nfb_eeg.edf"
    raw = mne_bids.read_raw_bids(
        mne_bids.BIDSPath(subject="01", session="03", task="nfb", datatype="eeg", root=tmp_path / "bids"),
        verbose="error",
    )
    assert raw.info["line_freq"] == 50.0 and raw.ch_names == NAMES
    assert "baseline" in set(raw.annotations.description)


def _bids_tsv(root: Path, suffix: str) -> list[dict[str, str]]:
    [path] = root.rglob(f"*_{suffix}.tsv")
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    return [dict(zip(header.split("\t"), row.split("\t"), strict=True)) for row in rows]


def test_bids_events_hold_a_long_note_whole_and_failed_channels_are_bad(tmp_path: Path) -> None:
    import mne_bids

    recorder = SessionRecorder(tmp_path / "s.edf", NAMES, SFREQ, line_freq=50.0)
    recorder.append(_signals(seconds=3.0))
    recorder.annotate(0.0, 1.0, "signal_check:fail:C4")
    recorder.annotate(1.5, 0.0, LONG_NOTE)
    export_bids(recorder.close(), tmp_path / "bids", subject="01", session="03", task="nfb")

    events = _bids_tsv(tmp_path / "bids", "events")
    assert [e["trial_type"] for e in events if e["trial_type"].startswith("note:")] == [LONG_NOTE]
    channels = {c["name"]: c for c in _bids_tsv(tmp_path / "bids", "channels")}
    assert channels["C4"]["status"] == "bad"
    assert channels["C4"]["status_description"] == "failed the signal check before training"
    assert channels["Fz"]["status"] == channels["Cz"]["status"] == "good"
    raw = mne_bids.read_raw_bids(
        mne_bids.BIDSPath(subject="01", session="03", task="nfb", datatype="eeg", root=tmp_path / "bids"),
        verbose="error",
    )
    assert raw.info["bads"] == ["C4"]
    assert LONG_NOTE in set(raw.annotations.description)


def test_export_to_bids_needs_the_mains_frequency(tmp_path: Path) -> None:
    recorder = SessionRecorder(tmp_path / "s.edf", NAMES, SFREQ)
    recorder.append(_signals(seconds=2.0))
    with pytest.raises(RecordingError, match="BIDS needs the mains frequency"):
        export_bids(recorder.close(), tmp_path / "bids", subject="01", session="01")


@pytest.mark.parametrize(
    ("value", "upward", "expected"),
    [(123.4567891, True, 124.0), (-48123.456789, False, -48124.0), (0.1, True, 1.0), (-1e-9, False, -1.0)],
)
def test_edf_limits_round_outward_to_whole_microvolts(value: float, upward: bool, expected: float) -> None:
    assert edf_limit(value, upward=upward) == expected


def test_edf_limits_refuse_a_value_longer_than_the_header_field() -> None:
    with pytest.raises(RecordingError, match="does not fit in an EDF header"):
        edf_limit(-123_456_789.0, upward=False)


def test_recorder_refuses_a_label_longer_than_edf_allows() -> None:
    with pytest.raises(ValueError, match="EDF channel labels hold at most 16 characters"):
        SessionRecorder("/tmp/never.edf", ["A-very-long-channel-label"], SFREQ)
