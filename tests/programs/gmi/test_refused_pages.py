"""An imagined movement the page refuses shows the exercise again and keeps no trace of the attempt."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import writes_audited


def test_imagery_before_its_stage_opens_is_refused_and_keeps_no_create_audit_row(
    as_user: Callable[..., TestClient], session: Session, patient: Patient
) -> None:
    response = as_user(patient.user, browser=True).post(
        "/patient/gmi/imagery/turn_left_gently",
        data={"csrf_token": CSRF, "seconds": "60", "effort": "3", "pain": "2"},
    )

    assert response.status_code == 409  # stage 2 is not open yet
    assert "Imagined movement" in response.text
    assert writes_audited(session, patient.id) == []
