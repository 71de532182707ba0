"""Preferences the page refuses show the form again and keep no trace of the attempt."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import writes_audited


def test_an_unknown_choice_is_refused_on_the_form_and_keeps_no_update_audit_row(
    as_user: Callable[..., TestClient], session: Session, patient: Patient
) -> None:
    browser = as_user(patient.user, browser=True)
    response = browser.post(
        "/patient/therapy-preferences",
        data={"csrf_token": CSRF, "choice_prt": "maybe", "other_goal": "Walk the dog again"},
    )

    assert response.status_code == 422
    assert "Walk the dog again" in response.text
    # The save wrote its UPDATE audit row before the form was checked; a refused save must not keep it.
    assert writes_audited(session, patient.id) == []
