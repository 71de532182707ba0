"""A questionnaire request the page refuses keeps no trace of the attempt."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import writes_audited


def test_asking_twice_for_the_same_questionnaire_keeps_only_the_first_request_audited(
    as_user: Callable[..., TestClient], session: Session, clinician: User, patient: Patient
) -> None:
    browser = as_user(clinician, browser=True)
    url = f"/clinician/patients/{patient.id}/assignments"
    data = {"csrf_token": CSRF, "instrument_id": "pcs", "due_on": "2030-02-01"}
    assert browser.post(url, data=data, follow_redirects=False).status_code == 303
    first = writes_audited(session, patient.id)

    again = browser.post(url, data=data, follow_redirects=False)

    assert again.status_code == 409
    assert writes_audited(session, patient.id) == first


def test_answers_missing_on_the_questionnaire_are_each_named_on_the_form(
    as_user: Callable[..., TestClient], session: Session, patient: Patient
) -> None:
    response = as_user(patient.user, browser=True).post(
        "/patient/questionnaires/pcs", data={"csrf_token": CSRF, "item_1": "2"}
    )

    assert response.status_code == 422
    assert "Please answer item 2, or choose" in response.text
    assert "Please answer item 13, or choose" in response.text
    assert writes_audited(session, patient.id) == []
