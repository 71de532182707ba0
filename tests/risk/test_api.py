"""JSON routes: who may record a risk assessment or safety plan, who reads the plan, pausing practice on an alert."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, Discipline, User
from painrewire.assessments import service as assessments
from painrewire.config import Settings
from painrewire.patients.models import Patient
from painrewire.risk.models import RiskAssessment, SafetyPlan
from tests.risk.factories import assessment_body, make_plan, member, plan_body, positive_phq9

Client = Callable[..., TestClient]


def test_anonymous_gets_401(client: TestClient, patient: Patient) -> None:
    assert client.post(f"/api/v1/patients/{patient.id}/safety-plans", json=plan_body()).status_code == 401
    assert client.get(f"/api/v1/patients/{patient.id}/safety-plan").status_code == 401


class TestWhoRecords:
    @pytest.mark.parametrize(
        "discipline", [Discipline.PHYSICAL_THERAPIST, Discipline.NEUROFEEDBACK_PRACTITIONER]
    )
    def test_physios_and_neurofeedback_practitioners_get_403_naming_who_may(
        self, session: Session, patient: Patient, as_user: Client, discipline: Discipline
    ) -> None:
        api = as_user(member(session, patient, discipline))
        for path, body in (("risk-assessments", assessment_body()), ("safety-plans", plan_body())):
            answer = api.post(f"/api/v1/patients/{patient.id}/{path}", json=body)
            assert answer.status_code == 403
            assert "Only a psychologist or pain specialist on the care team" in answer.json()["detail"]
        assert session.scalars(select(RiskAssessment)).all() == []
        assert session.scalars(select(SafetyPlan)).all() == []

    def test_a_psychologist_records_both_and_the_care_team_reads_them(
        self, session: Session, patient: Patient, clinician: User, as_user: Client
    ) -> None:
        psychologist = member(session, patient, Discipline.PSYCHOLOGIST)
        api = as_user(psychologist)
        made = api.post(f"/api/v1/patients/{patient.id}/risk-assessments", json=assessment_body())
        assert made.status_code == 201, made.text
        assert made.json()["risk_level"] == "low" and made.json()["indicated_level"] == "low"
        plan = api.post(f"/api/v1/patients/{patient.id}/safety-plans", json=plan_body())
        assert plan.status_code == 201, plan.text
        assert plan.json()["version"] == 1 and plan.json()["current"] is True
        physio = as_user(member(session, patient, Discipline.PHYSICAL_THERAPIST))
        read = physio.get(f"/api/v1/patients/{patient.id}/risk-assessments")
        assert read.status_code == 200 and [r["id"] for r in read.json()] == [made.json()["id"]]
        history = as_user(clinician).get(f"/api/v1/patients/{patient.id}/safety-plans").json()
        assert [(p["version"], p["current"]) for p in history] == [(1, True)]
        reads = session.scalars(
            select(AuditEvent).where(
                AuditEvent.resource_type == "risk_assessment", AuditEvent.action == AuditAction.READ
            )
        ).all()
        assert reads, "reading risk assessments is audited"

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            (assessment_body(risk_level="extreme"), "risk_level"),
            (assessment_body(method="perhaps"), "method"),
            ({"thoughts_of_death": True}, "suicidal_thoughts"),
        ],
    )
    def test_bad_bodies_are_422_naming_the_field(
        self, patient: Patient, clinician: User, as_user: Client, body: dict[str, object], field: str
    ) -> None:
        answer = as_user(clinician).post(f"/api/v1/patients/{patient.id}/risk-assessments", json=body)
        assert answer.status_code == 422
        assert field in str(answer.json()["detail"])

    def test_an_empty_section_is_422_naming_it_and_nothing_is_stored(
        self, session: Session, patient: Patient, clinician: User, as_user: Client
    ) -> None:
        answer = as_user(clinician).post(
            f"/api/v1/patients/{patient.id}/safety-plans", json=plan_body(safe_environment=[" "])
        )
        assert answer.status_code == 422
        assert answer.json()["detail"].startswith("Making the environment safe:")
        assert session.scalars(select(SafetyPlan)).all() == []

    def test_two_edits_of_the_same_version_the_second_is_409(
        self, patient: Patient, clinician: User, as_user: Client
    ) -> None:
        api = as_user(clinician)
        api.post(f"/api/v1/patients/{patient.id}/safety-plans", json=plan_body())
        first = api.post(f"/api/v1/patients/{patient.id}/safety-plans", json=plan_body(based_on_version=1))
        second = api.post(f"/api/v1/patients/{patient.id}/safety-plans", json=plan_body(based_on_version=1))
        assert (first.status_code, second.status_code) == (201, 409)


class TestWhoReads:
    def test_the_patient_reads_their_plan_but_not_the_risk_assessment(
        self, session: Session, patient: Patient, clinician: User, settings: Settings, as_user: Client
    ) -> None:
        make_plan(session, clinician, patient, settings)
        api = as_user(patient.user)
        plan = api.get(f"/api/v1/patients/{patient.id}/safety-plan")
        assert plan.status_code == 200
        assert plan.json()["people_to_ask"] == ["My sister Ana, 07700 900123"]
        refused = api.get(f"/api/v1/patients/{patient.id}/risk-assessments")
        assert refused.status_code == 403
        assert "Your safety plan is on your safety page" in refused.json()["detail"]

    def test_another_patient_and_a_clinician_off_the_team_get_404(
        self,
        session: Session,
        patient: Patient,
        other_patient: Patient,
        clinician: User,
        other_clinician: User,
        settings: Settings,
        as_user: Client,
    ) -> None:
        make_plan(session, clinician, patient, settings)
        assert (
            as_user(other_patient.user).get(f"/api/v1/patients/{patient.id}/safety-plan").status_code == 404
        )
        outsider = as_user(other_clinician)
        assert outsider.get(f"/api/v1/patients/{patient.id}/safety-plan").status_code == 404
        assert outsider.get(f"/api/v1/patients/{patient.id}/risk-assessments").status_code == 404
        posted = outsider.post(f"/api/v1/patients/{patient.id}/safety-plans", json=plan_body())
        assert posted.status_code == 404

    def test_no_plan_yet_is_404_with_a_message(self, patient: Patient, as_user: Client) -> None:
        answer = as_user(patient.user).get(f"/api/v1/patients/{patient.id}/safety-plan")
        assert answer.status_code == 404 and answer.json()["detail"] == "There is no safety plan yet."


class TestPracticeHold:
    def test_a_reviewer_pauses_and_resumes_and_others_get_403(
        self, session: Session, patient: Patient, clinician: User, settings: Settings, as_user: Client
    ) -> None:
        make_plan(session, clinician, patient, settings)
        alert = positive_phq9(session, patient)
        path = f"/api/v1/alerts/{alert.id}/practice-hold"
        physio = as_user(member(session, patient, Discipline.PHYSICAL_THERAPIST))
        refused = physio.post(path, json={"hold": True})
        assert refused.status_code == 403 and "psychologist or pain specialist" in refused.json()["detail"]
        paused = as_user(clinician).post(path, json={"hold": True})
        assert paused.status_code == 200 and paused.json()["holds_practice"] is True
        assert [a.id for a in assessments.safety_hold(session, patient.id)] == [alert.id]
        resumed = as_user(clinician).post(path, json={"hold": False})
        assert resumed.json()["holds_practice"] is False
        assert assessments.safety_hold(session, patient.id) == []
        assert as_user(clinician).post(path, json={"hold": "sometimes"}).status_code == 422
