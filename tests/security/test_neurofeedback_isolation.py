"""Neurofeedback keeps each patient's EEG in their own record, and a removed clinician's console closes."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.errors import InvalidInput
from painrewire.neurofeedback import service
from painrewire.neurofeedback.schemas import SessionCreate
from painrewire.patients.models import CareTeamMember, Patient
from tests.neurofeedback.conftest import finished_session


def test_a_playback_session_cannot_play_another_patients_recording_into_this_record(
    session: Session, clinician: User, patient: Patient, other_patient: Patient, tmp_path: Path
) -> None:
    """A clinician on both teams must not copy one patient's EEG into the other's record (where a clinician
    on only the second team could download it), just as a sham session replays only the patient's own."""
    session.add(CareTeamMember(patient_id=other_patient.id, clinician_id=clinician.id))
    theirs = finished_session(session, other_patient, clinician, tmp_path)
    session.commit()
    playback = SessionCreate.model_validate(
        {
            "source": "playback",
            "playback_session_id": theirs.id,
            "duration_seconds": 60,
            "baseline_seconds": 10,
        }
    )
    with pytest.raises(InvalidInput) as refused:
        service.create_session(session, clinician, patient.id, playback)
    assert refused.value.field == "playback_session_id"
    assert "another patient's" in refused.value.message
    mine = finished_session(session, patient, clinician, tmp_path)
    row = service.create_session(
        session,
        clinician,
        patient.id,
        playback.model_copy(update={"playback_session_id": mine.id}),
    )
    assert row.source_params == {"session_id": str(mine.id)}
