"""The clinical BIDS copy's ``dataset_description.json`` says what the data are, whose, and on what terms."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema_rs
import mne_bids
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

import painrewire
from painrewire.accounts.models import User
from painrewire.config import Settings
from painrewire.neurofeedback.models import NeurofeedbackSession
from painrewire.patients.models import Patient
from tests.neurofeedback.conftest import finished_session

Client = Callable[..., TestClient]

#: The fields of ``dataset_description.json`` as the BIDS specification defines them
#: (https://bids-specification.readthedocs.io/en/stable/modality-agnostic-files.html#dataset_description).
DATASET_DESCRIPTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["Name", "BIDSVersion"],
    "properties": {
        "Name": {"type": "string", "minLength": 1},
        "BIDSVersion": {"type": "string", "pattern": r"^\d+\.\d+\.\d+"},
        "DatasetType": {"enum": ["raw", "derivative", "study"]},
        "License": {"type": "string", "minLength": 1},
        "Authors": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
        "HowToAcknowledge": {"type": "string"},
        "EthicsApprovals": {"type": "array", "items": {"type": "string"}},
        "GeneratedBy": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["Name"],
                "properties": {
                    "Name": {"type": "string"},
                    "Version": {"type": "string"},
                    "Description": {"type": "string"},
                    "CodeURL": {"type": "string"},
                },
            },
        },
    },
}


@pytest.fixture
def done(session: Session, patient: Patient, clinician: User, tmp_path: Path) -> NeurofeedbackSession:
    return finished_session(session, patient, clinician, tmp_path)


def _description(client: TestClient, row: NeurofeedbackSession, tail: str, out: Path) -> dict[str, Any]:
    response = client.get(f"/api/v1/neurofeedback/sessions/{row.id}{tail}")
    assert response.status_code == 200
    zipfile.ZipFile(io.BytesIO(response.content)).extractall(out)
    description: dict[str, Any] = json.loads((out / "bids" / "dataset_description.json").read_text())
    return description


def test_the_clinical_copy_is_described_as_the_clinics_own_data(
    as_user: Client, clinician: User, done: NeurofeedbackSession, settings: Settings, tmp_path: Path
) -> None:
    description = _description(as_user(clinician), done, "/bids.zip", tmp_path)

    jsonschema_rs.validate(DATASET_DESCRIPTION_SCHEMA, description)
    assert "Unspecified" not in json.dumps(description)
    assert description["Name"] == f"{settings.clinic_name} neurofeedback recording (clinical record)"
    assert description["BIDSVersion"].startswith("1.")
    assert description["DatasetType"] == "raw"
    assert description["Authors"] == [settings.clinic_name]
    assert description["License"].startswith("Not open: identifiable clinical data")
    assert settings.clinic_name in description["HowToAcknowledge"]
    assert "EthicsApprovals" not in description  # care, not a research protocol
    assert description["GeneratedBy"][0] == {
        "Name": "PainRewire",
        "Version": painrewire.__version__,
        "Description": "Recorded during a neurofeedback session and exported to BIDS",
    }
    assert [tool["Name"] for tool in description["GeneratedBy"]] == ["PainRewire", "MNE-BIDS"]


def test_the_clinical_copy_still_reads_with_mne_bids(
    as_user: Client, clinician: User, done: NeurofeedbackSession, tmp_path: Path
) -> None:
    _description(as_user(clinician), done, "/bids.zip", tmp_path)
    [eeg] = (tmp_path / "bids").rglob("*_eeg.edf")
    bids_path = mne_bids.get_bids_path_from_fname(eeg)
    raw = mne_bids.read_raw_bids(bids_path, verbose="error")
    assert raw.info["line_freq"] == done.line_freq


def test_the_research_copy_keeps_its_own_description(
    as_user: Client, clinician: User, done: NeurofeedbackSession, settings: Settings, tmp_path: Path
) -> None:
    description = _description(as_user(clinician), done, "/bids-research.zip", tmp_path)
    jsonschema_rs.validate(DATASET_DESCRIPTION_SCHEMA, description)
    assert description["Name"] == f"{settings.clinic_name} neurofeedback recording (de-identified)"
    assert description["License"].startswith("Restricted")
    assert description["DatasetType"] == "raw"
    assert description["GeneratedBy"][0]["Name"] == "PainRewire"
