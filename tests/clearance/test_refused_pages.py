"""A clearance the page refuses shows the form again and keeps no trace of the attempt."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.clearance.models import Cause
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import writes_audited


def test_clearing_before_the_intake_is_refused_on_the_form_and_keeps_no_audit_row(
    as_user: Callable[..., TestClient], session: Session, clinician: User, new_patient: Patient
) -> None:
    fields = {"csrf_token": CSRF, "modules": "prt", "note": "Seen in clinic today, walking well."}
    for cause in Cause:
        fields[f"finding_{cause.value}"] = "not_applicable" if cause is Cause.OTHER else "ruled_out"
    response = as_user(clinician, browser=True).post(
        f"/clinician/patients/{new_patient.id}/clearance", data=fields
    )

    assert response.status_code == 409
    assert (
        "has not completed the intake yet: the pain history and the red-flag screen are missing."
        in response.text
    )
    assert writes_audited(session, new_patient.id) == []
