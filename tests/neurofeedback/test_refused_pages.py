"""A session set-up the page refuses shows the patient's sessions again, that read audited, and keeps nothing."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import reads_audited, writes_audited


def test_a_refused_set_up_is_shown_again_with_its_read_audited_and_nothing_written(
    as_user: Callable[..., TestClient], session: Session, clinician: User, new_patient: Patient
) -> None:
    response = as_user(clinician, browser=True).post(
        f"/clinician/patients/{new_patient.id}/neurofeedback",
        data={
            "csrf_token": CSRF,
            "protocol": "alpha",
            "source": "brainflow",
            "board_id": "-1",
            "minutes": "20",
        },
    )

    assert response.status_code == 409  # practice is closed: no intake, no clearance
    assert "has not completed the intake yet. Practice opens once it is in" in response.text
    assert writes_audited(session, new_patient.id) == []
    # The page shown again reads the patient's sessions: that read is audited, once.
    assert reads_audited(session, new_patient.id, "nfb_session") == 1
