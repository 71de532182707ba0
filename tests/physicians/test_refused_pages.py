"""A doctor the page refuses shows the form again and keeps no trace of the attempt."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import writes_audited


def test_a_bad_email_is_refused_on_the_form_and_keeps_no_update_audit_row(
    as_user: Callable[..., TestClient], session: Session, clinician: User, patient: Patient
) -> None:
    browser = as_user(clinician, browser=True)
    response = browser.post(
        f"/clinician/patients/{patient.id}/physician",
        data={"csrf_token": CSRF, "role": "gp", "name": "Dr Amara Osei", "email": "not an address"},
    )

    assert response.status_code == 422
    assert "Dr Amara Osei" in response.text
    assert writes_audited(session, patient.id) == []
