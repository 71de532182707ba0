"""The front desk's audit log answers "who opened Maria's record?" by name, not by id."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from tests.fixtures.factories import create_patient


def test_the_audit_log_is_searched_by_patient_name_and_shows_names(
    as_user: Callable[..., TestClient],
    session: Session,
    admin: User,
    clinician: User,
    other_clinician: User,
) -> None:
    patient = create_patient(session, care_team=[clinician], full_name="Maria Gonzalez")
    other = create_patient(session, care_team=[other_clinician], full_name="Somebody Else")
    session.commit()
    as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}")
    as_user(other_clinician, browser=True).get(f"/clinician/patients/{other.id}")

    name = "Maria Gonzalez"
    part = "maria"  # a first name, in any case
    page = as_user(admin, browser=True).get("/admin/audit", params={"patient": part}).text
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert f"{name} ({patient.user.email})" in rows and clinician.full_name in rows
    assert "Somebody Else" not in rows and other_clinician.full_name not in rows
    assert str(patient.id) not in rows  # names, not ids

    by_email = as_user(admin, browser=True).get("/admin/audit", params={"patient": patient.user.email}).text
    assert clinician.full_name in by_email.split("<tbody>", 1)[1]

    nobody = as_user(admin, browser=True).get("/admin/audit", params={"patient": "no such person %"}).text
    assert "No entries match." in nobody


def test_the_audit_log_is_searched_by_who_did_it(
    as_user: Callable[..., TestClient], admin: User, clinician: User, patient: Patient
) -> None:
    as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}")
    page = as_user(admin, browser=True).get("/admin/audit", params={"who": clinician.email.upper()}).text
    rows = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert clinician.full_name in rows and "No entries match." not in rows
