"""A patient registered or signed up without a time zone lives in the clinic's (``Settings.clinic_timezone``),
not in a zone written into the code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.config import Settings
from painrewire.patients.models import Patient
from painrewire.patients.schemas import PatientCreate, SignUp
from tests.fixtures.factories import CSRF

ZONE = "America/Chicago"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """A clinic in Chicago."""
    return Settings(
        database_url=database_url,
        environment="test",
        recording_dir=tmp_path / "recordings",
        mail_dir=tmp_path / "mail",
        clinic_timezone=ZONE,
    )


@pytest.fixture
def visitor(app: FastAPI) -> TestClient:
    client = TestClient(app, base_url="http://testserver", client=("198.51.100.31", 50000))
    client.cookies.set("pr_csrf", CSRF)
    return client


def _zone_of(session: Session, email: str) -> str:
    session.expire_all()
    patient = session.scalar(select(Patient).join(Patient.user).where(User.email == email))
    assert patient is not None
    return patient.timezone


def test_the_schemas_leave_the_zone_to_the_clinic() -> None:
    assert PatientCreate(email="a@example.org", full_name="A", password="long enough pw").timezone is None
    assert SignUp(email="a@example.org", full_name="A", password="long enough pw").timezone is None


def test_a_patient_registered_through_the_api_without_a_zone_gets_the_clinics(
    as_user: Callable[..., TestClient], clinician: User, session: Session
) -> None:
    payload = {"email": "api@example.org", "full_name": "Ann Api", "password": "long enough pw"}
    response = as_user(clinician).post("/api/v1/patients", json=payload)
    assert response.status_code == 201, response.text
    assert response.json()["timezone"] == ZONE
    assert _zone_of(session, "api@example.org") == ZONE


def test_a_zone_given_is_kept(as_user: Callable[..., TestClient], clinician: User, session: Session) -> None:
    payload = {"email": "t@example.org", "full_name": "Tom Tokyo", "password": "long enough pw"}
    response = as_user(clinician).post("/api/v1/patients", json={**payload, "timezone": "Asia/Tokyo"})
    assert response.status_code == 201 and _zone_of(session, "t@example.org") == "Asia/Tokyo"


def test_the_new_patient_page_offers_and_stores_the_clinics_zone(
    as_user: Callable[..., TestClient], clinician: User, session: Session
) -> None:
    browser = as_user(clinician, browser=True)
    form = browser.get("/clinician/patients/new").text
    assert f'name="timezone" value="{ZONE}"' in form
    response = browser.post(
        "/clinician/patients/new",
        data={
            "email": "p@example.org",
            "full_name": "Pia Page",
            "password": "long enough pw",
            "csrf_token": CSRF,
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert _zone_of(session, "p@example.org") == ZONE


def test_signing_up_without_a_zone_gives_the_clinics(visitor: TestClient, session: Session) -> None:
    assert f'name="timezone" value="{ZONE}"' in visitor.get("/signup").text
    form = {
        "email": "s@example.org",
        "full_name": "Sam Signup",
        "password": "long enough pw",
        "csrf_token": CSRF,
    }
    assert visitor.post("/signup", data=form).status_code == 200
    assert _zone_of(session, "s@example.org") == ZONE
    response = visitor.post(
        "/api/v1/signup",
        json={"email": "j@example.org", "full_name": "Jo Json", "password": "long enough pw"},
    )
    assert response.status_code == 202
    assert _zone_of(session, "j@example.org") == ZONE
