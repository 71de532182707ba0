"""BIDS export of a recording (mne-bids), and the de-identified copy of a recording shared for research."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from painrewire.neurofeedback.recording.edf import (
    EVENTS_FILE,
    HEADER_FILE,
    SAMPLES_FILE,
    RecordingError,
    join_pieces,
    joined_annotations,
    recording_flags,
    write_edf,
)


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
    event whole (the EDF+ file keeps a long text in 40-byte pieces), and the channels that failed the signal
    check before training are ``bad`` in ``channels.tsv``, with the reason as their status description.
    ``description`` fills ``dataset_description.json`` (otherwise mne-bids leaves a placeholder).
    """
    import mne
    import mne_bids

    # Not preloaded: mne-bids then copies the EDF file as it is, instead of re-exporting it.
    raw = mne.io.read_raw(str(edf_path), preload=False, verbose="error")
    raw.set_annotations(joined_annotations(raw))
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
        mne_bids.make_dataset_description(
            path=str(bids_root),
            name=description.name,
            authors=list(description.authors),
            data_license=description.licence,
            overwrite=True,
            verbose="error",
        )
    return Path(str(bids_path.fpath))


@dataclass(frozen=True)
class DatasetDescription:
    """What ``dataset_description.json`` says of a shared dataset: its name, authors and licence."""

    name: str
    authors: tuple[str, ...]
    licence: str


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
        (partial / HEADER_FILE).write_text(json.dumps(header))
        np.ascontiguousarray(data.T, dtype="<f8").tofile(partial / SAMPLES_FILE)
        (partial / EVENTS_FILE).write_text(
            "".join(json.dumps({"onset": o, "duration": d, "text": t}) + "\n" for o, d, t in kept),
            encoding="utf-8",
        )
        return write_edf(partial, Path(out_path), recovered=False)


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
