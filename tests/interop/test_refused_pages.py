"""An erasure request the page refuses keeps no trace of the attempt."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import writes_audited


def test_withdrawing_a_request_never_made_is_said_on_the_page_and_keeps_no_audit_row(
    as_user: Callable[..., TestClient], session: Session, patient: Patient
) -> None:
    response = as_user(patient.user, browser=True).post(
        "/patient/record/erasure/withdraw", data={"csrf_token": CSRF}
    )

    assert response.status_code == 404
    assert "You have no open request to erase your data." in response.text
    assert 'action="/patient/record/erasure"' in response.text  # the erasure page, not an error page
    assert writes_audited(session, patient.id) == []
