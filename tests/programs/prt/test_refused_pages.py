"""A quiz the page refuses shows the lesson again and keeps no trace of the attempt."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import writes_audited


def test_a_quiz_with_a_question_left_out_keeps_no_update_audit_row(
    as_user: Callable[..., TestClient], session: Session, patient: Patient
) -> None:
    response = as_user(patient.user, browser=True).post(
        "/patient/prt/lessons/how_the_brain_makes_pain",
        data={"csrf_token": CSRF, "where_pain_is_made": "0", "what_this_means": "1"},
    )

    assert response.status_code == 422
    assert 'type="radio"' in response.text  # the lesson and its quiz again
    assert writes_audited(session, patient.id) == []
