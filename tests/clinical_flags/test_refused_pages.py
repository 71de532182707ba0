"""Clearing a judgement that is not there keeps no trace of the attempt."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import writes_audited


def test_clearing_an_unknown_judgement_is_404_and_keeps_no_audit_row(
    as_user: Callable[..., TestClient], session: Session, clinician: User, patient: Patient
) -> None:
    browser = as_user(clinician, browser=True)
    response = browser.post(
        f"/clinician/patients/{patient.id}/clinical-flags/{uuid.uuid4()}/clear",
        data={"csrf_token": CSRF, "note": "The scan came back clear, so this no longer holds."},
    )

    assert response.status_code == 404
    assert "No such clinical judgement for this patient." in response.text
    assert writes_audited(session, patient.id) == []
