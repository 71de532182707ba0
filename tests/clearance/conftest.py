"""Clearance tests start from a patient who has done the intake and waits for a clearance."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from tests.fixtures.factories import create_intake, create_patient

#: Every cause answered: the body a pain specialist sends after reading the intake.
CAUSES: dict[str, dict[str, Any]] = {
    "inflammatory": {"finding": "ruled_out", "note": "No morning stiffness; onset after 45."},
    "radicular_neurological": {"finding": "ruled_out", "note": "Neurological examination normal."},
    "fracture": {"finding": "ruled_out", "note": ""},
    "malignancy": {"finding": "ruled_out", "note": ""},
    "infection": {"finding": "ruled_out", "note": ""},
    "visceral_vascular": {"finding": "not_applicable", "note": ""},
    "other": {"finding": "not_applicable", "note": "", "text": ""},
}


def body(**changes: Any) -> dict[str, Any]:
    return {
        "causes": CAUSES,
        "modules": ["prt", "cbt", "gmi"],
        "note": "Intake read with the patient.",
        **changes,
    }


@pytest.fixture
def waiting(session: Session, clinician: User) -> Patient:
    """A patient of the pain specialist ``clinician`` with an intake and no clearance yet."""
    patient = create_patient(session, care_team=[clinician])
    create_intake(session, patient)
    return patient
