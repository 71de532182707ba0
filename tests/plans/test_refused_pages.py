"""Plan actions the page refuses show the plan again and keep no trace of the attempt."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import reads_audited, writes_audited


def test_ending_a_treatment_that_never_started_keeps_no_update_audit_row(
    as_user: Callable[..., TestClient], session: Session, clinician: User, new_patient: Patient
) -> None:
    browser = as_user(clinician, browser=True)
    response = browser.post(
        f"/clinician/patients/{new_patient.id}/plan/end",
        data={"csrf_token": CSRF, "ended_on": new_patient.local_today().isoformat(), "reason": "completed"},
    )

    assert response.status_code == 409
    assert "Treatment has not started" in response.text
    assert writes_audited(session, new_patient.id) == []
    # The plan page shown again is a read of the record, audited once.
    assert reads_audited(session, new_patient.id, "treatment_course") == 1
