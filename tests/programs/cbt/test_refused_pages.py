"""A thought record the page refuses shows the form again and keeps no trace of the attempt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import writes_audited


def test_a_record_for_tomorrow_is_refused_on_the_form_and_keeps_no_create_audit_row(
    as_user: Callable[..., TestClient], session: Session, patient: Patient
) -> None:
    tomorrow = patient.local_today() + timedelta(days=1)
    response = as_user(patient.user, browser=True).post(
        "/patient/cbt/thought-records",
        data={
            "csrf_token": CSRF,
            "day": tomorrow.isoformat(),
            "situation": "Sat through a long meeting",
            "automatic_thought": "If sitting does this, I will lose my job",
            "feeling_1": "anxious",
            "intensity_1": "80",
        },
    )

    assert response.status_code == 422
    assert "is in the future; choose today or an earlier day." in response.text
    assert "Sat through a long meeting" in response.text
    assert writes_audited(session, patient.id) == []
