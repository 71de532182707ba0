"""The de-identified BIDS copy for research, read back with mne-bids: shifted dates, a research subject label,
no free text, and a real dataset description."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import mne_bids
import pyedflib
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.config import Settings
from painrewire.neurofeedback.models import NeurofeedbackSession
from painrewire.patients.models import Patient
from painrewire.patients.pseudonyms import date_shift, research_id
from tests.neurofeedback.conftest import finished_session

Client = Callable[..., TestClient]


@pytest.fixture
def done(session: Session, patient: Patient, clinician: User, tmp_path: Path) -> NeurofeedbackSession:
    return finished_session(session, patient, clinician, tmp_path)


def url(row: NeurofeedbackSession, tail: str) -> str:
    return f"/api/v1/neurofeedback/sessions/{row.id}{tail}"


def test_the_research_copy_is_de_identified_and_mne_bids_reads_it(
    as_user: Client,
    clinician: User,
    patient: Patient,
    done: NeurofeedbackSession,
    settings: Settings,
    tmp_path: Path,
) -> None:
    response = as_user(clinician).get(url(done, "/bids-research.zip"))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    archive.extractall(tmp_path / "out")
    root = tmp_path / "out" / "bids"

    subject = research_id(settings.secret_key, patient.id).replace("-", "")
    [session_dir] = (root / f"sub-{subject}").iterdir()
    shift = date_shift(settings.secret_key, patient.id)
    session_label = session_dir.name.removeprefix("ses-")
    assert session_label.startswith(f"{done.created_at + shift:%Y%m%d}")
    raw = mne_bids.read_raw_bids(
        mne_bids.BIDSPath(
            subject=subject, session=session_label, task="neurofeedback", datatype="eeg", root=root
        ),
        verbose="error",
    )
    started = done.started_at
    assert started is not None
    assert abs((raw.info["meas_date"] - (started + shift)).total_seconds()) < 1.0
    descriptions = set(raw.annotations.description)
    assert "baseline" in " ".join(descriptions)
    assert not any(d.startswith("note:") for d in descriptions)
    assert not any("eyes closed" in d for d in descriptions)

    # Nothing of the clinical copy's identity: neither the internal pseudonym, the patient id nor the real date.
    text = " ".join(archive.namelist()) + " ".join(
        archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if not n.endswith(".edf")
    )
    assert f"PR{patient.id.hex[:8]}" not in text and str(patient.id) not in text
    assert f"{done.created_at:%Y-%m-%d}" not in text
    [edf] = [n for n in archive.namelist() if n.endswith("_eeg.edf")]
    reader = pyedflib.EdfReader(str(tmp_path / "out" / edf))
    try:
        assert reader.getPatientCode() in ("", "X")
        assert not any("note:" in str(t) for t in reader.readAnnotations()[2])
    finally:
        reader.close()

    description = json.loads((root / "dataset_description.json").read_text())
    assert description["Authors"] == [settings.clinic_name]
    assert description["License"].startswith("Restricted")
    assert "[Unspecified]" not in json.dumps(description)


def test_the_clinical_copy_stays_as_it_was(
    as_user: Client, clinician: User, done: NeurofeedbackSession
) -> None:
    names = zipfile.ZipFile(io.BytesIO(as_user(clinician).get(url(done, "/bids.zip")).content)).namelist()
    assert any(f"sub-PR{done.patient_id.hex[:8]}" in n for n in names)


def test_outsiders_get_nothing(as_user: Client, other_clinician: User, done: NeurofeedbackSession) -> None:
    assert as_user(other_clinician).get(url(done, "/bids-research.zip")).status_code == 404
