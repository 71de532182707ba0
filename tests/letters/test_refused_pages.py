"""A letter the page refuses shows the form again and keeps no trace of the attempt."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import writes_audited


def test_a_letter_to_a_gp_not_on_record_is_refused_on_the_form_and_keeps_no_audit_row(
    as_user: Callable[..., TestClient], session: Session, clinician: User, patient: Patient
) -> None:
    response = as_user(clinician, browser=True).post(
        f"/clinician/patients/{patient.id}/letters",
        data={"csrf_token": CSRF, "kind": "initial_assessment", "to": "gp", "note": "Seen with her husband."},
    )

    assert response.status_code == 422
    assert "record has no" in response.text
    assert "Seen with her husband." in response.text
    assert writes_audited(session, patient.id) == []
