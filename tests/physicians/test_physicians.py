"""The patient's GP and referring doctor: saved by the patient or the care team, each change kept, a bad email
refused naming the field, and letters only to a doctor the patient agreed to."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, User
from painrewire.patients.models import Patient
from painrewire.physicians import service as physicians
from painrewire.physicians.models import PatientPhysician, PhysicianRole
from painrewire.physicians.schemas import PhysicianSave
from tests.fixtures.factories import CSRF

Browser = Callable[..., TestClient]


def gp(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Dr Helen Marsh",
        "practice": "Riverside Surgery",
        "address": "12 Mill Lane, Oxford OX1 2AB",
        "phone": "+44 1865 000 111",
        "email": "riverside.surgery@nhs.example",
        "share_letters": True,
    } | overrides


def saved_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(PatientPhysician)) or 0)


class TestApi:
    def test_anonymous_gets_401(self, client: TestClient, patient: Patient) -> None:
        assert client.get(f"/api/v1/patients/{patient.id}/physicians").status_code == 401
        assert client.put(f"/api/v1/patients/{patient.id}/physicians/gp", json=gp()).status_code == 401

    def test_another_patient_and_an_outside_clinician_get_404(
        self,
        as_user: Browser,
        session: Session,
        patient: Patient,
        other_patient: Patient,
        other_clinician: User,
    ) -> None:
        for outsider in (other_patient.user, other_clinician):
            api = as_user(outsider)
            assert api.get(f"/api/v1/patients/{patient.id}/physicians").status_code == 404
            assert api.put(f"/api/v1/patients/{patient.id}/physicians/gp", json=gp()).status_code == 404
        assert saved_count(session) == 0

    def test_the_patient_saves_their_gp_and_a_clinician_changes_it_keeping_the_first(
        self, as_user: Browser, session: Session, patient: Patient, clinician: User
    ) -> None:
        url = f"/api/v1/patients/{patient.id}/physicians"
        first = as_user(patient.user).put(url + "/gp", json=gp(share_letters=False))
        assert first.status_code == 200, first.text
        assert first.json()["share_letters"] is False
        assert physicians.letter_recipients(session, patient) == []
        second = as_user(clinician).put(url + "/gp", json=gp())
        assert second.json()["changed_by_id"] == str(clinician.id)
        [current] = as_user(patient.user).get(url).json()
        assert current["share_letters"] is True and current["practice"] == "Riverside Surgery"
        history = as_user(patient.user).get(url + "/history").json()
        assert [h["share_letters"] for h in history] == [True, False]
        assert [p.name for p in physicians.letter_recipients(session, patient)] == ["Dr Helen Marsh"]
        audit = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.resource_type == "physician", AuditEvent.patient_id == patient.id
            )
        ).all()
        assert audit.count(AuditAction.UPDATE) == 2

    def test_an_invalid_email_or_phone_is_refused_naming_the_field(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        api = as_user(patient.user)
        for body, field in (
            (gp(email="riverside at nhs"), "email"),
            (gp(email="x@"), "email"),
            (gp(phone="call reception"), "phone"),
            (gp(name=""), "name"),
        ):
            response = api.put(f"/api/v1/patients/{patient.id}/physicians/gp", json=body)
            assert response.status_code == 422
            assert any(d.startswith(field) for d in response.json()["detail"]), response.json()
        unknown_role = api.put(f"/api/v1/patients/{patient.id}/physicians/dentist", json=gp())
        assert unknown_role.status_code == 422
        assert saved_count(session) == 0

    def test_letters_need_somewhere_to_send_them(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        response = as_user(patient.user).put(
            f"/api/v1/patients/{patient.id}/physicians/gp", json=gp(address="", email="")
        )
        assert response.status_code == 422 and response.json()["detail"].startswith("address")
        assert saved_count(session) == 0

    def test_a_gp_and_a_referring_doctor_are_kept_apart(self, session: Session, patient: Patient) -> None:
        physicians.save_physician(session, patient.user, patient.id, PhysicianRole.GP, PhysicianSave(**gp()))
        physicians.save_physician(
            session,
            patient.user,
            patient.id,
            PhysicianRole.REFERRING,
            PhysicianSave(name="Mr Osei, spinal surgeon", share_letters=False),
        )
        current = physicians.current_of(session, patient)
        assert [r.value for r in current] == ["gp", "referring"]
        assert [p.role for p in physicians.letter_recipients(session, patient)] == [PhysicianRole.GP]
        physicians.save_physician(session, patient.user, patient.id, PhysicianRole.GP, PhysicianSave(**gp()))
        assert saved_count(session) == 2


class TestPages:
    def test_anonymous_is_sent_to_log_in(self, client: TestClient) -> None:
        response = client.get("/patient/physician", follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")

    def test_the_patient_saves_their_gp_and_the_overview_shows_it(
        self, as_user: Browser, session: Session, patient: Patient, clinician: User
    ) -> None:
        browser = as_user(patient.user, browser=True)
        form = {"csrf_token": CSRF, "role": "gp", **{k: v for k, v in gp().items() if k != "share_letters"}}
        done = browser.post(
            "/patient/physician", data=form | {"share_letters": "yes"}, follow_redirects=False
        )
        assert done.status_code == 303
        overview = as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}")
        assert "Dr Helen Marsh" in overview.text and "Letters allowed" in overview.text

    def test_a_bad_email_re_renders_with_the_field_named_and_what_was_typed(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        form = {"csrf_token": CSRF, "role": "gp", "name": "Dr Marsh", "email": "marsh-at-nhs"}
        response = as_user(patient.user, browser=True).post("/patient/physician", data=form)
        assert response.status_code == 422
        assert "email: value is not a valid email address" in response.text
        assert 'value="marsh-at-nhs"' in response.text
        assert saved_count(session) == 0

    def test_an_outside_clinician_gets_404(
        self, as_user: Browser, patient: Patient, other_clinician: User
    ) -> None:
        browser = as_user(other_clinician, browser=True)
        assert browser.get(f"/clinician/patients/{patient.id}/physician").status_code == 404
        posted = browser.post(
            f"/clinician/patients/{patient.id}/physician",
            data={"csrf_token": CSRF, "role": "gp", "name": "x"},
        )
        assert posted.status_code == 404
