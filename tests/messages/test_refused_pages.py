"""A message the page refuses shows the form again and keeps no trace of the attempt."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import writes_audited


def test_writing_to_a_discipline_not_on_the_team_is_refused_on_the_form_and_keeps_no_audit_row(
    as_user: Callable[..., TestClient], session: Session, patient: Patient
) -> None:
    response = as_user(patient.user, browser=True).post(
        "/patient/messages/new",
        data={
            "csrf_token": CSRF,
            "to": "psychologist",
            "subject": "Sleep",
            "body": "I slept badly all week.",
        },
    )

    assert response.status_code == 422
    assert "I slept badly all week." in response.text
    assert writes_audited(session, patient.id) == []
