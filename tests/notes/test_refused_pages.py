"""A note the page refuses shows the form again and keeps no trace of the attempt."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import writes_audited


def test_a_refused_correction_keeps_no_audit_row_and_shows_what_was_typed(
    as_user: Callable[..., TestClient], session: Session, clinician: User, patient: Patient
) -> None:
    browser = as_user(clinician, browser=True)
    response = browser.post(
        f"/clinician/patients/{patient.id}/notes",
        data={"csrf_token": CSRF, "body": "Walks further this week.", "corrects_id": str(uuid.uuid4())},
    )

    assert response.status_code == 422
    assert "The note to correct is not in this patient&#39;s record." in response.text
    assert "Walks further this week." in response.text
    assert writes_audited(session, patient.id) == []
