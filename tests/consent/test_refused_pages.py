"""Consent the page refuses shows the page again and keeps no trace of the attempt."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import writes_audited


def test_consent_to_an_old_text_is_refused_on_the_page_and_keeps_no_audit_row(
    as_user: Callable[..., TestClient], session: Session, patient: Patient
) -> None:
    browser = as_user(patient.user, browser=True)
    response = browser.post(
        "/patient/consent/give", data={"csrf_token": CSRF, "kind": "treatment", "text_version": "0.0-old"}
    )

    assert response.status_code == 422
    assert 'action="/patient/consent/give"' in response.text  # the consent page, not an error page
    assert writes_audited(session, patient.id) == []
