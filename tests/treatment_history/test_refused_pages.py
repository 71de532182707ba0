"""A treatment the page refuses shows the form again and keeps no trace of the attempt."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import writes_audited


def test_an_incomplete_treatment_is_refused_on_the_form_and_keeps_no_create_audit_row(
    as_user: Callable[..., TestClient], session: Session, patient: Patient
) -> None:
    browser = as_user(patient.user, browser=True)
    response = browser.post(
        "/patient/treatment-history", data={"csrf_token": CSRF, "category": "no-such-kind", "name": "Yoga"}
    )

    assert response.status_code == 422
    assert "Yoga" in response.text
    assert writes_audited(session, patient.id) == []
