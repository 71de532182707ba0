"""The one permission check: who may see and change which patient's record, and that every access is audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, Role, User
from painrewire.patients.models import CareTeamMember, Patient
from tests.fixtures.factories import create_patient, create_user


def audit_rows(session: Session, patient: Patient, action: AuditAction) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.patient_id == patient.id, AuditEvent.action == action)
        )
        or 0
    )


class TestReadPatient:
    def test_anonymous_gets_401(self, client: TestClient, patient: Patient) -> None:
        assert client.get(f"/api/v1/patients/{patient.id}").status_code == 401

    def test_patient_cannot_read_another_patients_record(
        self, as_user: Callable[..., TestClient], patient: Patient, other_patient: Patient
    ) -> None:
        response = as_user(patient.user).get(f"/api/v1/patients/{other_patient.id}")
        assert response.status_code == 404
        assert other_patient.user.full_name not in response.text

    def test_clinician_cannot_read_a_patient_outside_their_care_team(
        self, as_user: Callable[..., TestClient], clinician: User, other_patient: Patient
    ) -> None:
        response = as_user(clinician).get(f"/api/v1/patients/{other_patient.id}")
        assert response.status_code == 404
        assert "not on this patient's care team" in response.json()["detail"]

    def test_patient_reads_their_own_record_and_the_read_is_audited(
        self, as_user: Callable[..., TestClient], patient: Patient, clinician: User, session: Session
    ) -> None:
        response = as_user(patient.user).get(f"/api/v1/patients/{patient.id}")
        assert response.status_code == 200
        body = response.json()
        assert body["full_name"] == patient.user.full_name
        assert [c["id"] for c in body["care_team"]] == [str(clinician.id)]
        assert audit_rows(session, patient, AuditAction.READ) == 1

    def test_clinician_on_the_care_team_reads_the_record(
        self, as_user: Callable[..., TestClient], clinician: User, patient: Patient, session: Session
    ) -> None:
        response = as_user(clinician).get(f"/api/v1/patients/{patient.id}")
        assert response.status_code == 200
        event = session.scalar(select(AuditEvent).where(AuditEvent.patient_id == patient.id))
        assert event is not None
        assert (event.actor_id, event.action, event.resource_type) == (
            clinician.id,
            AuditAction.READ,
            "patient",
        )

    def test_admin_needs_a_reason_to_open_health_data(
        self, as_user: Callable[..., TestClient], admin: User, patient: Patient, session: Session
    ) -> None:
        api = as_user(admin)
        refused = api.get(f"/api/v1/patients/{patient.id}")
        assert refused.status_code == 403
        assert "reason" in refused.json()["detail"]
        allowed = api.get(f"/api/v1/patients/{patient.id}", params={"reason": "Complaint review #42"})
        assert allowed.status_code == 200
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.patient_id == patient.id, AuditEvent.actor_id == admin.id)
        )
        assert event is not None and event.reason == "Complaint review #42"

    def test_list_shows_a_clinician_only_their_caseload(
        self, as_user: Callable[..., TestClient], clinician: User, patient: Patient, other_patient: Patient
    ) -> None:
        ids = {p["id"] for p in as_user(clinician).get("/api/v1/patients").json()}
        assert ids == {str(patient.id)}

    def test_list_shows_a_patient_only_themselves(
        self, as_user: Callable[..., TestClient], patient: Patient, other_patient: Patient
    ) -> None:
        ids = [p["id"] for p in as_user(patient.user).get("/api/v1/patients").json()]
        assert ids == [str(patient.id)]

    def test_page_size_is_capped(self, as_user: Callable[..., TestClient], clinician: User) -> None:
        response = as_user(clinician).get("/api/v1/patients", params={"limit": 10_000})
        assert response.status_code == 422

    def test_malformed_id_is_a_422(self, as_user: Callable[..., TestClient], clinician: User) -> None:
        assert as_user(clinician).get("/api/v1/patients/not-a-uuid").status_code == 422


class TestCreatePatient:
    PAYLOAD: ClassVar[dict[str, str]] = {
        "email": "new.patient@example.org",
        "full_name": "New Patient",
        "password": "long enough pw",
    }

    def test_patient_cannot_register_patients(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        assert as_user(patient.user).post("/api/v1/patients", json=self.PAYLOAD).status_code == 403

    def test_clinician_registers_a_patient_and_joins_the_care_team(
        self, as_user: Callable[..., TestClient], clinician: User, other_clinician: User, session: Session
    ) -> None:
        response = as_user(clinician).post(
            "/api/v1/patients", json={**self.PAYLOAD, "care_team": [str(other_clinician.id)]}
        )
        assert response.status_code == 201, response.text
        team = {c["id"] for c in response.json()["care_team"]}
        assert team == {str(clinician.id), str(other_clinician.id)}
        patient = session.scalar(
            select(Patient).join(Patient.user).where(User.email == "new.patient@example.org")
        )
        assert patient is not None
        assert audit_rows(session, patient, AuditAction.CREATE) == 1

    def test_unknown_care_team_member_is_refused_and_nothing_is_stored(
        self, as_user: Callable[..., TestClient], clinician: User, patient: Patient, session: Session
    ) -> None:
        before = session.scalar(select(func.count()).select_from(User))
        response = as_user(clinician).post(
            "/api/v1/patients", json={**self.PAYLOAD, "care_team": [str(patient.user.id)]}
        )
        assert response.status_code == 422
        assert "No active clinician" in response.json()["detail"]
        assert session.scalar(select(func.count()).select_from(User)) == before

    def test_bad_time_zone_is_refused_with_its_name(
        self, as_user: Callable[..., TestClient], clinician: User
    ) -> None:
        response = as_user(clinician).post(
            "/api/v1/patients", json={**self.PAYLOAD, "timezone": "Mars/Olympus"}
        )
        assert response.status_code == 422
        assert "Mars/Olympus" in " ".join(response.json()["detail"])


class TestSignUp:
    def test_new_patient_signs_up_without_a_care_team(self, client: TestClient, session: Session) -> None:
        response = client.post(
            "/api/v1/signup",
            json={"email": "me@example.org", "full_name": "Me Myself", "password": "long enough pw"},
        )
        assert response.status_code == 202
        assert "We have sent an email to me@example.org" in response.json()["detail"]
        user = session.scalar(select(User).where(User.email == "me@example.org"))
        assert user is not None and user.role == Role.PATIENT
        assert not user.is_active  # until the emailed link is opened

    def test_sign_up_cannot_choose_a_role(self, client: TestClient, session: Session) -> None:
        client.post(
            "/api/v1/signup",
            json={
                "email": "sneaky@example.org",
                "full_name": "S",
                "password": "long enough pw",
                "role": "admin",
            },
        )
        user = session.scalar(select(User).where(User.email == "sneaky@example.org"))
        assert user is not None and user.role == Role.PATIENT


class TestCareTeam:
    def test_clinician_outside_the_team_cannot_add_themselves(
        self, as_user: Callable[..., TestClient], other_clinician: User, patient: Patient, session: Session
    ) -> None:
        response = as_user(other_clinician).post(
            f"/api/v1/patients/{patient.id}/care-team", json={"clinician_id": str(other_clinician.id)}
        )
        assert response.status_code == 404
        assert (
            session.scalar(select(CareTeamMember).where(CareTeamMember.clinician_id == other_clinician.id))
            is None
        )

    def test_team_member_adds_a_colleague_who_then_sees_the_patient(
        self, as_user: Callable[..., TestClient], clinician: User, other_clinician: User, patient: Patient
    ) -> None:
        response = as_user(clinician).post(
            f"/api/v1/patients/{patient.id}/care-team", json={"clinician_id": str(other_clinician.id)}
        )
        assert response.status_code == 201
        assert as_user(other_clinician).get(f"/api/v1/patients/{patient.id}").status_code == 200

    def test_adding_someone_twice_is_a_conflict(
        self, as_user: Callable[..., TestClient], clinician: User, patient: Patient
    ) -> None:
        response = as_user(clinician).post(
            f"/api/v1/patients/{patient.id}/care-team", json={"clinician_id": str(clinician.id)}
        )
        assert response.status_code == 409

    def test_the_last_clinician_cannot_be_removed(
        self, as_user: Callable[..., TestClient], clinician: User, patient: Patient
    ) -> None:
        response = as_user(clinician).delete(f"/api/v1/patients/{patient.id}/care-team/{clinician.id}")
        assert response.status_code == 409

    def test_patient_cannot_change_their_care_team(
        self, as_user: Callable[..., TestClient], patient: Patient, other_clinician: User
    ) -> None:
        response = as_user(patient.user).post(
            f"/api/v1/patients/{patient.id}/care-team", json={"clinician_id": str(other_clinician.id)}
        )
        assert response.status_code == 403

    def test_admin_assigns_a_self_registered_patient(
        self, as_user: Callable[..., TestClient], admin: User, clinician: User, session: Session
    ) -> None:
        patient = create_patient(session, care_team=[])
        response = as_user(admin).post(
            f"/api/v1/patients/{patient.id}/care-team", json={"clinician_id": str(clinician.id)}
        )
        assert response.status_code == 201
        assert as_user(clinician).get(f"/api/v1/patients/{patient.id}").status_code == 200


def test_patient_role_users_are_not_clinicians(session: Session) -> None:
    assert create_user(session, role=Role.PATIENT).discipline is None
