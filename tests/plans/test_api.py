"""The plans API: propose, edit, sign, versions and this week's tasks, with the care team's permission checked."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from tests.plans import builders


def base(patient: Patient) -> str:
    return f"/api/v1/patients/{patient.id}/plan"


def whole_plan(version: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """An edit body keeping a version as it is, except for ``changes``."""
    content = version["content"]
    words = {0: "baseline"}
    body = {
        "reason": "Agreed at the first visit.",
        "modules": [
            {
                "id": m["id"],
                "sessions_per_week": m["sessions_per_week"],
                "weeks": m["weeks"],
                "focus": m["focus"],
            }
            for m in content["modules"]
        ],
        "disciplines": content["disciplines"],
        "questionnaires": [
            {"instrument": q["instrument"], "schedule": [words.get(w, "end") for w in q["weeks"][:1]]}
            for q in content["questionnaires"]
        ],
    }
    body.update(changes)
    return body


class TestPlanApi:
    def test_anonymous_gets_401(self, client: TestClient, patient: Patient) -> None:
        assert client.get(base(patient)).status_code == 401

    def test_propose_edit_sign_and_the_patient_sees_this_weeks_tasks(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        api = as_user(clinician)
        proposed = api.post(f"{base(patient)}/proposals")
        assert proposed.status_code == 201, proposed.text
        body = proposed.json()
        assert body["number"] == 1 and body["status"] == "proposed"
        assert body["changes"] == ["First version of the plan."]
        assert body["content"]["fired"][0]["reason_patient"].startswith(
            "Your program starts with Pain Reprocessing Therapy: 2 sessions a week for 4 weeks."
        )

        edited = api.post(
            f"{base(patient)}/versions",
            json=whole_plan(body, disciplines=["pain_specialist", "psychologist"]),
        )
        assert edited.status_code == 201, edited.text
        assert edited.json()["created_by"]["id"] == str(clinician.id)
        assert "Added psychologist to the care team." in edited.json()["changes"]

        signed = api.post(f"{base(patient)}/versions/{edited.json()['id']}/sign", json={"note": "Agreed."})
        assert signed.status_code == 200, signed.text
        assert (signed.json()["status"], signed.json()["signed_by"]["id"], signed.json()["sign_note"]) == (
            "signed",
            str(clinician.id),
            "Agreed.",
        )

        week = as_user(patient.user).get(f"{base(patient)}/tasks")
        assert week.status_code == 200
        data = week.json()
        assert (data["plan_version"], data["week"], data["paused"]) == (2, 1, False)
        assert [t["id"] for t in data["tasks"]] == [
            "prt_checklist",
            "prt_lesson",
            "prt_somatic_tracking",
            "prt_journal",
        ]
        assert data["next_task"]["href"] == "/patient/prt/checklist"

        versions = api.get(f"{base(patient)}/versions").json()
        assert [(v["number"], v["status"]) for v in versions] == [(2, "signed"), (1, "superseded")]

    def test_a_held_plan_cannot_be_signed_and_the_tasks_are_paused(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient, flags=("ce_bladder",))
        api = as_user(clinician)
        version = api.post(f"{base(patient)}/proposals").json()
        assert version["content"]["held"] is True
        refused = api.post(f"{base(patient)}/versions/{version['id']}/sign", json={})
        assert refused.status_code == 409
        assert refused.json()["error"] == "PlanHeld"
        assert refused.json()["detail"].startswith(
            "The plan is on hold until a clinician clears it: Open safety alert"
        )
        state = api.get(base(patient)).json()
        assert state["can_sign"] is False and state["holds"][0]["kind"] == "red_flag"
        week = as_user(patient.user).get(f"{base(patient)}/tasks").json()
        assert week["paused"] is True and week["tasks"] == []
        assert week["pause_messages"][0].startswith("One of your answers needs a clinician to look at it")

    def test_a_patient_cannot_sign_or_propose(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        version = as_user(clinician).post(f"{base(patient)}/proposals").json()
        own = as_user(patient.user)
        assert own.post(f"{base(patient)}/versions/{version['id']}/sign", json={}).status_code == 403
        assert own.post(f"{base(patient)}/proposals").status_code == 403

    def test_outsiders_get_404(
        self,
        session: Session,
        as_user: Callable[..., TestClient],
        patient: Patient,
        other_patient: Patient,
        clinician: User,
        other_clinician: User,
    ) -> None:
        builders.intake(session, patient)
        version = as_user(clinician).post(f"{base(patient)}/proposals").json()
        for outsider in (other_patient.user, other_clinician):
            api = as_user(outsider)
            assert api.get(f"{base(patient)}/versions").status_code == 404
            assert api.get(f"{base(patient)}/tasks").status_code == 404
            assert api.post(f"{base(patient)}/versions/{version['id']}/sign", json={}).status_code == 404

    def test_an_impossible_edit_is_refused_with_the_field_named(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        api = as_user(clinician)
        version = api.post(f"{base(patient)}/proposals").json()
        bad = whole_plan(version, modules=[{"id": "prt", "sessions_per_week": 0, "weeks": 4}])
        response = api.post(f"{base(patient)}/versions", json=bad)
        assert response.status_code == 422
        assert response.json()["detail"] == [
            "modules.0.sessions_per_week: Input should be greater than or equal to 1"
        ]
        assert len(api.get(f"{base(patient)}/versions").json()) == 1
