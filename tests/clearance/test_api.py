"""Clearance API: who may clear, what a clearance needs, versions, withdrawal, and practice opening and closing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, Discipline, Role, User
from painrewire.assessments.models import AlertKind, SafetyAlert
from painrewire.clearance.models import Clearance
from painrewire.db import utcnow
from painrewire.patients.models import CareTeamMember, Patient
from tests.clearance.conftest import CAUSES, body
from tests.fixtures.factories import create_intake, create_patient, create_user

Client = Callable[..., TestClient]
WHO_MAY_CLEAR = (
    "Only a medically qualified clinician (pain specialist) on the care team can clear a patient "
    "for practice."
)
WHO_MAY_WITHDRAW = (
    "Only a medically qualified clinician (pain specialist) on the care team can withdraw a clearance."
)
SOMATIC = {"pain_before": 5, "fear_before": 6, "pain_after": 3, "fear_after": 2, "seconds": 300}


def url(patient: Patient, tail: str = "clearances") -> str:
    return f"/api/v1/patients/{patient.id}/{tail}"


def count(session: Session, patient: Patient) -> int:
    return (
        session.scalar(select(func.count()).select_from(Clearance).where(Clearance.patient_id == patient.id))
        or 0
    )


def on_team(session: Session, patient: Patient, discipline: Discipline) -> User:
    user = create_user(session, role=Role.CLINICIAN, discipline=discipline)
    session.add(CareTeamMember(patient_id=patient.id, clinician_id=user.id))
    session.flush()
    return user


def practise(as_user: Client, patient: Patient) -> Any:
    return as_user(patient.user).post(url(patient, "prt/somatic-tracking"), json=SOMATIC)


class TestWhoMayClear:
    def test_anonymous_is_asked_to_log_in(self, client: TestClient, waiting: Patient) -> None:
        assert client.post(url(waiting), json=body()).status_code == 401

    @pytest.mark.parametrize(
        "discipline",
        [Discipline.PHYSICAL_THERAPIST, Discipline.NEUROFEEDBACK_PRACTITIONER, Discipline.PSYCHOLOGIST],
    )
    def test_other_disciplines_on_the_care_team_are_refused_naming_who_may(
        self, session: Session, as_user: Client, clinician: User, waiting: Patient, discipline: Discipline
    ) -> None:
        colleague = on_team(session, waiting, discipline)
        response = as_user(colleague).post(url(waiting), json=body())
        assert response.status_code == 403
        assert response.json()["detail"] == WHO_MAY_CLEAR
        cleared = as_user(clinician).post(url(waiting), json=body()).json()
        withdrawal = as_user(colleague).post(
            url(waiting, f"clearances/{cleared['id']}/withdraw"), json={"reason": "I think we should wait."}
        )
        assert withdrawal.status_code == 403 and withdrawal.json()["detail"] == WHO_MAY_WITHDRAW
        assert count(session, waiting) == 1

    def test_the_patient_and_an_admin_are_refused(
        self, session: Session, as_user: Client, admin: User, waiting: Patient
    ) -> None:
        for actor in (waiting.user, admin):
            response = as_user(actor).post(url(waiting), json=body())
            assert response.status_code == 403 and response.json()["detail"] == WHO_MAY_CLEAR
        assert count(session, waiting) == 0

    def test_a_pain_specialist_off_the_care_team_gets_not_found(
        self, session: Session, as_user: Client, waiting: Patient
    ) -> None:
        outsider = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PAIN_SPECIALIST)
        assert as_user(outsider).post(url(waiting), json=body()).status_code == 404
        assert as_user(outsider).get(url(waiting, "clearance")).status_code == 404

    def test_a_clinic_may_name_its_own_medically_qualified_disciplines(
        self, session: Session, as_user: Client, settings: Any, waiting: Patient
    ) -> None:
        settings.medically_qualified_disciplines = ["pain_specialist", "physical_therapist"]
        colleague = on_team(session, waiting, Discipline.PHYSICAL_THERAPIST)
        assert as_user(colleague).post(url(waiting), json=body()).status_code == 201
        psychologist = on_team(session, waiting, Discipline.PSYCHOLOGIST)
        refused = as_user(psychologist).post(url(waiting), json=body())
        assert refused.json()["detail"] == (
            "Only a medically qualified clinician (pain specialist or physical therapist) on the care team "
            "can clear a patient for practice."
        )


class TestRecord:
    def test_a_pain_specialist_clears_and_practice_opens_for_the_modules_it_allows(
        self, as_user: Client, clinician: User, waiting: Patient
    ) -> None:
        assert practise(as_user, waiting).status_code == 409
        response = as_user(clinician).post(url(waiting), json=body())
        assert response.status_code == 201, response.text
        made = response.json()
        assert (made["version"], made["cleared_by_name"], made["modules"]) == (
            1,
            clinician.full_name,
            ["prt", "cbt", "gmi"],
        )
        assert made["causes"][0] == {
            "cause": "inflammatory",
            "label": "Inflammatory back pain (axial spondyloarthritis)",
            "finding": "ruled_out",
            "note": "No morning stiffness; onset after 45.",
            "text": None,
        }
        assert practise(as_user, waiting).status_code == 201
        state = as_user(waiting.user).get(url(waiting, "clearance")).json()
        assert state["cleared"] and state["current"]["id"] == made["id"]
        by_module = {m["module"]: (m["open"], m["reason"]) for m in state["practice"]}
        assert by_module == {
            "prt": (True, None),
            "gmi": (True, None),
            "cbt": (True, None),
            "mindfulness": (False, "module_not_allowed"),
            "neurofeedback": (False, "module_not_allowed"),
        }
        refused = as_user(waiting.user).post(
            url(waiting, "mindfulness/sessions"), json={"activity": "noting", "minutes": 1}
        )
        assert (
            refused.status_code == 409
            and "Mindfulness is not part of the practice" in refused.json()["detail"]
        )

    def test_it_is_based_on_the_latest_intake(
        self, session: Session, as_user: Client, clinician: User, waiting: Patient
    ) -> None:
        newer = create_intake(session, waiting, days_ago=1)
        made = as_user(clinician).post(url(waiting), json=body()).json()
        assert made["intake_id"] == str(newer.id)

    def test_without_an_intake_it_is_refused_saying_what_is_missing(
        self, session: Session, as_user: Client, clinician: User, new_patient: Patient
    ) -> None:
        response = as_user(clinician).post(url(new_patient), json=body())
        assert response.status_code == 409
        assert response.json() == {
            "error": "IntakeMissing",
            "detail": f"{new_patient.user.full_name} has not completed the intake yet: the pain history and the "
            "red-flag screen are missing. A clearance is based on the intake, so ask them to fill it in first.",
        }
        assert count(session, new_patient) == 0

    def test_an_open_red_flag_alert_must_be_closed_first(
        self, session: Session, as_user: Client, clinician: User, waiting: Patient
    ) -> None:
        alert = SafetyAlert(
            patient_id=waiting.id,
            kind=AlertKind.RED_FLAG,
            urgency="urgent",
            summary="Red flag at intake: cauda equina syndrome",
        )
        session.add(alert)
        session.flush()
        response = as_user(clinician).post(url(waiting), json=body())
        assert response.status_code == 409 and response.json()["error"] == "RedFlagOpen"
        assert response.json()["detail"].startswith(
            "Close the red-flag alert first: “Red flag at intake: cauda equina syndrome” (raised "
        )
        assert count(session, waiting) == 0
        alert.acknowledged_at, alert.acknowledged_by_id = utcnow(), clinician.id
        session.flush()
        assert as_user(clinician).post(url(waiting), json=body()).status_code == 201

    def test_a_self_harm_alert_does_not_block_the_clearance_but_still_holds_practice(
        self, session: Session, as_user: Client, clinician: User, waiting: Patient
    ) -> None:
        session.add(
            SafetyAlert(
                patient_id=waiting.id, kind=AlertKind.SELF_HARM_RISK, urgency="urgent", summary="PHQ-9"
            )
        )
        session.flush()
        assert as_user(clinician).post(url(waiting), json=body()).status_code == 201
        held = practise(as_user, waiting)
        assert (
            held.status_code == 409
            and "Your program is paused until a clinician has spoken with you" in held.text
        )

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (
                {"causes": {**CAUSES, "spinal_stenosis": {"finding": "ruled_out"}}},
                "causes.spinal_stenosis: Extra inputs are not permitted",
            ),
            (
                {"causes": {k: v for k, v in CAUSES.items() if k != "fracture"}},
                "causes.fracture: Field required",
            ),
            (
                {"causes": {**CAUSES, "malignancy": {"finding": "maybe"}}},
                "causes.malignancy.finding: Input should be 'ruled_out' or 'not_applicable'",
            ),
            (
                {"causes": {**CAUSES, "other": {"finding": "ruled_out", "text": " "}}},
                "causes.other: name the other cause that was ruled out",
            ),
            (
                {"modules": ["prt", "yoga"]},
                "modules.1: Input should be 'prt', 'gmi', 'cbt', 'mindfulness' or 'neurofeedback'",
            ),
            ({"modules": []}, "modules: List should have at least 1 item after validation, not 0"),
        ],
    )
    def test_bad_input_is_a_422_naming_the_field_and_nothing_is_stored(
        self,
        session: Session,
        as_user: Client,
        clinician: User,
        waiting: Patient,
        change: dict[str, Any],
        message: str,
    ) -> None:
        response = as_user(clinician).post(url(waiting), json=body(**change))
        assert response.status_code == 422
        assert response.json()["detail"] == [message]
        assert count(session, waiting) == 0

    def test_an_intake_of_another_patient_is_refused(
        self, session: Session, as_user: Client, clinician: User, waiting: Patient
    ) -> None:
        stranger = create_patient(session)
        theirs = create_intake(session, stranger)
        response = as_user(clinician).post(url(waiting), json=body(intake_id=str(theirs.id)))
        assert response.status_code == 422
        assert response.json()["detail"] == "intake_id: this patient has no such intake."
        assert count(session, waiting) == 0


class TestVersionsAndWithdrawal:
    def test_each_clearance_is_the_next_version_and_the_history_is_kept(
        self, as_user: Client, clinician: User, waiting: Patient
    ) -> None:
        doctor = as_user(clinician)
        first = doctor.post(url(waiting), json=body()).json()
        second = doctor.post(url(waiting), json=body(modules=["prt", "cbt", "gmi", "mindfulness"])).json()
        assert (first["version"], second["version"]) == (1, 2)
        state = doctor.get(url(waiting, "clearance")).json()
        assert [c["version"] for c in state["history"]] == [2, 1]
        assert state["current"]["version"] == 2 and "mindfulness" in state["current"]["modules"]
        old = doctor.post(
            url(waiting, f"clearances/{first['id']}/withdraw"), json={"reason": "Superseded anyway."}
        )
        assert old.status_code == 409
        assert old.json()["detail"] == (
            "Version 1 is no longer the current clearance (version 2 is); only the current one can be withdrawn."
        )

    def test_withdrawal_closes_practice_at_once_and_no_older_version_comes_back(
        self, session: Session, as_user: Client, clinician: User, waiting: Patient
    ) -> None:
        doctor = as_user(clinician)
        doctor.post(url(waiting), json=body())
        second = doctor.post(url(waiting), json=body()).json()
        assert practise(as_user, waiting).status_code == 201
        withdrawn = doctor.post(
            url(waiting, f"clearances/{second['id']}/withdraw"),
            json={"reason": "New night pain reported by phone; examining again."},
        )
        assert withdrawn.status_code == 200, withdrawn.text
        assert withdrawn.json()["withdrawn_by_name"] == clinician.full_name
        assert withdrawn.json()["withdrawal_reason"] == "New night pain reported by phone; examining again."
        refused = practise(as_user, waiting)
        assert refused.status_code == 409
        assert refused.json()["detail"].startswith(
            "Your pain specialist will check your answers again before practice goes on. Lessons are open now."
        )
        state = doctor.get(url(waiting, "clearance")).json()
        assert state["cleared"] is False and state["current"] is None
        assert [(c["version"], c["withdrawn_at"] is not None) for c in state["history"]] == [
            (2, True),
            (1, False),
        ]
        again = doctor.post(
            url(waiting, f"clearances/{second['id']}/withdraw"), json={"reason": "Twice by mistake."}
        )
        assert (
            again.status_code == 409
            and again.json()["detail"] == "Clearance version 2 was already withdrawn."
        )
        third = doctor.post(url(waiting), json=body()).json()
        assert third["version"] == 3 and practise(as_user, waiting).status_code == 201

    def test_a_withdrawal_needs_a_reason(
        self, session: Session, as_user: Client, clinician: User, waiting: Patient
    ) -> None:
        made = as_user(clinician).post(url(waiting), json=body()).json()
        response = as_user(clinician).post(
            url(waiting, f"clearances/{made['id']}/withdraw"), json={"reason": " no "}
        )
        assert response.status_code == 422
        assert response.json()["detail"] == "Reason: say why practice must stop, in at least 10 characters."
        missing = as_user(clinician).post(url(waiting, f"clearances/{made['id']}/withdraw"), json={})
        assert missing.status_code == 422 and missing.json()["detail"] == ["reason: Field required"]
        assert session.get(Clearance, uuid.UUID(made["id"])).withdrawn_at is None  # type: ignore[union-attr]


class TestReads:
    def test_every_read_is_audited(
        self, session: Session, as_user: Client, clinician: User, waiting: Patient
    ) -> None:
        as_user(clinician).get(url(waiting, "clearance"))
        as_user(waiting.user).get(url(waiting, "clearance"))
        rows = session.scalars(
            select(AuditEvent).where(
                AuditEvent.patient_id == waiting.id,
                AuditEvent.resource_type == "clearance",
                AuditEvent.action == AuditAction.READ,
            )
        ).all()
        assert {r.actor_id for r in rows} == {clinician.id, waiting.user_id}

    def test_another_patient_sees_nothing(
        self, as_user: Client, waiting: Patient, other_patient: Patient
    ) -> None:
        assert as_user(other_patient.user).get(url(waiting, "clearance")).status_code == 404
