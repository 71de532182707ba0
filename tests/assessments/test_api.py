"""The assessment API: alerts written atomically with the answers, privacy, acknowledgement, definitions."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from painrewire.accounts import service as accounts
from painrewire.accounts.models import User
from painrewire.assessments import red_flags
from painrewire.assessments.models import AlertKind, Intake, QuestionnaireResponse, SafetyAlert
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.patients.models import Patient

PHQ_ITEM9 = [0, 0, 1, 0, 0, 0, 0, 0, 1]


def intake_body(**answers: str) -> dict[str, Any]:
    """Every safety question answered "no" except ``answers`` (question id -> no, new or longstanding)."""
    return {
        "pain_duration_weeks": 40,
        "onset": "gradual",
        "pain_location": "lower_back",
        "average_pain_last_week": 5,
        "age_years": 40,
        "red_flags": {q.id: "no" for q in red_flags.questions()} | answers,
    }


def count(session: Session, model: Any, patient: Patient) -> int:
    session.expire_all()
    stmt = select(func.count()).select_from(model).where(model.patient_id == patient.id)
    return int(session.scalar(stmt) or 0)


@pytest.fixture
def failing_alert_insert() -> Iterator[None]:
    """The safety-alert insert fails (a full disk, a lost connection) after the answers were flushed."""

    def fail(*_: object) -> None:
        raise RuntimeError("the alert could not be written")

    event.listen(SafetyAlert, "before_insert", fail)
    try:
        yield
    finally:
        event.remove(SafetyAlert, "before_insert", fail)


def tolerant_client(app: FastAPI, session: Session, settings: Settings, user: User) -> TestClient:
    """A client that sees the 500 answer instead of the test re-raising the server's exception."""
    started = accounts.start_session(session, settings, user, kind="api")
    session.commit()
    client = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    client.headers["Authorization"] = f"Bearer {started.token}"
    return client


class TestAtomicity:
    def test_phq9_item_9_answers_and_alert_are_stored_together(
        self, as_user: Callable[..., TestClient], session: Session, patient: Patient
    ) -> None:
        response = as_user(patient.user).post(
            f"/api/v1/patients/{patient.id}/questionnaires/phq9/responses", json={"answers": PHQ_ITEM9}
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["response"]["flags"] == ["self_harm_risk"] and body["response"]["total"] == 2
        assert [a["kind"] for a in body["alerts"]] == ["self_harm_risk"]
        assert count(session, QuestionnaireResponse, patient) == 1
        assert count(session, SafetyAlert, patient) == 1

    def test_if_the_alert_cannot_be_written_the_phq9_answers_are_not_stored_either(
        self, app: FastAPI, session: Session, settings: Settings, patient: Patient, failing_alert_insert: None
    ) -> None:
        client = tolerant_client(app, session, settings, patient.user)
        response = client.post(
            f"/api/v1/patients/{patient.id}/questionnaires/phq9/responses", json={"answers": PHQ_ITEM9}
        )
        assert response.status_code == 500
        assert "the alert could not be written" not in response.text
        assert count(session, QuestionnaireResponse, patient) == 0
        assert count(session, SafetyAlert, patient) == 0

    def test_if_the_alert_cannot_be_written_the_red_flag_intake_is_not_stored_either(
        self, app: FastAPI, session: Session, settings: Settings, patient: Patient, failing_alert_insert: None
    ) -> None:
        client = tolerant_client(app, session, settings, patient.user)
        intakes = count(session, Intake, patient)
        response = client.post(f"/api/v1/patients/{patient.id}/intakes", json=intake_body(ce_bowel="new"))
        assert response.status_code == 500
        assert count(session, Intake, patient) == intakes
        assert count(session, SafetyAlert, patient) == 0

    def test_answers_without_a_safety_flag_do_not_need_the_alert_table(
        self, app: FastAPI, session: Session, settings: Settings, patient: Patient, failing_alert_insert: None
    ) -> None:
        client = tolerant_client(app, session, settings, patient.user)
        response = client.post(
            f"/api/v1/patients/{patient.id}/questionnaires/phq9/responses", json={"answers": [0] * 9}
        )
        assert response.status_code == 201
        assert count(session, QuestionnaireResponse, patient) == 1


class TestPrivacy:
    def test_another_patient_gets_not_found_for_every_read_and_write(
        self, as_user: Callable[..., TestClient], session: Session, patient: Patient, other_patient: Patient
    ) -> None:
        as_user(patient.user).post(
            f"/api/v1/patients/{patient.id}/questionnaires/phq9/responses", json={"answers": PHQ_ITEM9}
        )
        outsider = as_user(other_patient.user)
        intakes = count(session, Intake, patient)
        base = f"/api/v1/patients/{patient.id}"
        for path in ("/responses", "/intakes", "/alerts", "/assignments"):
            assert outsider.get(base + path).status_code == 404, path
        assert outsider.post(f"{base}/intakes", json=intake_body()).status_code == 404
        answers = {"answers": [0] * 9}
        assert outsider.post(f"{base}/questionnaires/phq9/responses", json=answers).status_code == 404
        assert (
            count(session, QuestionnaireResponse, patient) == 1 and count(session, Intake, patient) == intakes
        )

    def test_a_clinician_off_the_care_team_gets_not_found_and_cannot_acknowledge(
        self,
        as_user: Callable[..., TestClient],
        session: Session,
        patient: Patient,
        other_clinician: User,
    ) -> None:
        posted = as_user(patient.user).post(
            f"/api/v1/patients/{patient.id}/intakes", json=intake_body(ce_saddle="new")
        )
        alert_id = posted.json()["alerts"][0]["id"]
        outsider = as_user(other_clinician)
        assert outsider.get(f"/api/v1/patients/{patient.id}/alerts").status_code == 404
        assert outsider.get("/api/v1/alerts").json() == []
        refused = outsider.post(
            f"/api/v1/alerts/{alert_id}/acknowledge",
            json={"action": "sent_to_emergency_department", "note": "Not my patient at all."},
        )
        assert refused.status_code == 404
        assert (
            outsider.post(
                f"/api/v1/patients/{patient.id}/assignments", json={"instrument_id": "peg"}
            ).status_code
            == 404
        )
        session.expire_all()
        assert session.get(SafetyAlert, uuid.UUID(alert_id)).is_open  # type: ignore[union-attr]

    def test_the_patient_reads_their_own_scores_and_alerts(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        me = as_user(patient.user)
        me.post(f"/api/v1/patients/{patient.id}/questionnaires/gad7/responses", json={"answers": [2] * 7})
        [response] = me.get(f"/api/v1/patients/{patient.id}/responses").json()
        assert (response["total"], response["band"], response["scoring_version"]) == (
            14,
            "moderate",
            "gad7/1",
        )
        one = me.get(f"/api/v1/patients/{patient.id}/responses/{response['id']}")
        assert one.json()["answers"] == [2] * 7
        assert me.get(f"/api/v1/patients/{patient.id}/responses?instrument_id=phq9").json() == []


class TestAcknowledge:
    def test_a_care_team_clinician_acknowledges_with_a_note(
        self, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        posted = as_user(patient.user).post(
            f"/api/v1/patients/{patient.id}/questionnaires/phq9/responses", json={"answers": PHQ_ITEM9}
        )
        alert_id = posted.json()["alerts"][0]["id"]
        team = as_user(clinician)
        assert [a["id"] for a in team.get("/api/v1/alerts").json()] == [alert_id]
        short = team.post(
            f"/api/v1/alerts/{alert_id}/acknowledge", json={"action": "gp_informed", "note": "ok"}
        )
        assert short.status_code == 422 and "Note" in str(short.json()["detail"])
        done = team.post(
            f"/api/v1/alerts/{alert_id}/acknowledge",
            json={"action": "gp_informed", "note": "Called; safe, GP informed."},
        )
        assert done.status_code == 200
        assert done.json()["acknowledgement_note"] == "Called; safe, GP informed."
        assert done.json()["acknowledged_by_id"] == str(clinician.id)
        assert done.json()["action_taken"] == "gp_informed"
        assert team.get("/api/v1/alerts").json() == []
        again = team.post(
            f"/api/v1/alerts/{alert_id}/acknowledge",
            json={"action": "gp_informed", "note": "Called again; still safe."},
        )
        assert again.status_code == 409

    def test_the_patient_cannot_acknowledge_their_own_alert(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        me = as_user(patient.user)
        posted = me.post(f"/api/v1/patients/{patient.id}/intakes", json=intake_body(infection_fever="new"))
        alert_id = posted.json()["alerts"][0]["id"]
        assert (
            me.post(
                f"/api/v1/alerts/{alert_id}/acknowledge",
                json={"action": "reviewed_not_serious", "note": "I feel fine, really."},
            ).status_code
            == 403
        )
        assert me.get("/api/v1/alerts").status_code == 403


class TestRequestsAndDefinitions:
    def test_assign_list_and_withdraw(
        self, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        team = as_user(clinician)
        made = team.post(
            f"/api/v1/patients/{patient.id}/assignments",
            json={"instrument_id": "pcs", "due_on": "2030-01-31"},
        )
        assert made.status_code == 201 and made.json()["status"] == "open"
        twice = team.post(f"/api/v1/patients/{patient.id}/assignments", json={"instrument_id": "pcs"})
        assert twice.status_code == 409
        unknown = team.post(f"/api/v1/patients/{patient.id}/assignments", json={"instrument_id": "nope"})
        assert unknown.status_code == 404
        listed = as_user(patient.user).get(f"/api/v1/patients/{patient.id}/assignments").json()
        assert [(a["instrument_id"], a["due_on"]) for a in listed] == [("pcs", "2030-01-31")]
        cancelled = team.post(f"/api/v1/patients/{patient.id}/assignments/{made.json()['id']}/cancel")
        assert cancelled.json()["status"] == "cancelled"

    def test_instrument_definitions_carry_what_exports_need(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        instruments = {i["id"]: i for i in as_user(patient.user).get("/api/v1/instruments").json()}
        assert list(instruments) == [
            "peg",
            "bpi",
            "odi",
            "rmdq",
            "pcs",
            "tsk11",
            "phq9",
            "gad7",
            "startback",
            "pseq",
            "csi",
        ]
        phq = instruments["phq9"]
        assert phq["loinc"] == {
            "panel": "44249-1",
            "total": "44261-6",
            "subscales": {},
            "answer_list": "LL358-3",
        }
        assert phq["patient_can_fill"] and phq["items"][8]["safety"] and phq["items"][8]["loinc"] == "44260-8"
        assert phq["items"][0]["options"][3] == {"value": 3, "code": "3", "label": "Nearly every day"}
        odi = instruments["odi"]
        assert not odi["patient_can_fill"] and all(item["text"] is None for item in odi["items"])
        assert odi["missing_rule"] == "prorate" and odi["max_missing"] == 2
        assert [b["label"] for b in odi["bands"]][-1] == "bed-bound"

    def test_invalid_bodies_are_refused_without_a_server_error(
        self, as_user: Callable[..., TestClient], session: Session, patient: Patient
    ) -> None:
        me = as_user(patient.user)
        base = f"/api/v1/patients/{patient.id}"
        intakes = count(session, Intake, patient)
        bad = [
            (f"{base}/questionnaires/phq9/responses", {"answers": [0] * 8}),
            (f"{base}/questionnaires/phq9/responses", {"answers": [0] * 8 + [9]}),
            (f"{base}/questionnaires/phq9/responses", {"answers": "nine"}),
            (f"{base}/questionnaires/gad7/responses", {"answers": [0] * 7, "declined_items": [12]}),
            (f"{base}/intakes", intake_body() | {"red_flags": {"ce_bladder": True}}),
            (f"{base}/intakes", intake_body() | {"pain_duration_weeks": -3}),
        ]
        for path, body in bad:
            answer = me.post(path, json=body)
            assert answer.status_code == 422, (path, body, answer.text)
            assert answer.json()["error"] == "InvalidInput"
        assert (
            count(session, QuestionnaireResponse, patient) == 0 and count(session, Intake, patient) == intakes
        )


class TestIntakeAnswers:
    """The screen's answers over the API: three codes anchored in time; anything else is a 422 naming the
    question, and nothing is stored."""

    def submit(self, client: TestClient, patient: Patient, body: dict[str, Any]) -> Any:
        return client.post(f"/api/v1/patients/{patient.id}/intakes", json=body)

    def test_new_and_long_standing_answers_are_stored_with_the_flags_they_raise(
        self, as_user: Callable[..., TestClient], session: Session, patient: Patient
    ) -> None:
        body = intake_body(ce_bladder="longstanding", cancer_history="new")
        answer = self.submit(as_user(patient.user), patient, body)
        assert answer.status_code == 201, answer.text
        sent = answer.json()
        assert sent["intake"]["red_flag_version"] == "rf-2026.2"
        assert [(f["question_id"], f["answer"], f["urgency"]) for f in sent["intake"]["red_flags"]] == [
            ("cancer_history", "new", "urgent"),
            ("ce_bladder", "longstanding", "soon"),
        ]
        [alert] = sent["alerts"]
        assert alert["urgency"] == "urgent"

    @pytest.mark.parametrize("bad", [True, False, "yes", "maybe", None, 1])
    def test_booleans_and_unknown_codes_are_refused_naming_the_question(
        self, as_user: Callable[..., TestClient], session: Session, patient: Patient, bad: object
    ) -> None:
        me = as_user(patient.user)
        intakes = count(session, Intake, patient)
        body = intake_body()
        body["red_flags"]["ce_bladder"] = bad
        answer = self.submit(me, patient, body)
        assert answer.status_code == 422
        assert answer.json()["error"] == "InvalidInput"
        [problem] = answer.json()["detail"]
        assert problem.startswith("red_flags.ce_bladder: ")
        assert "'no', 'new' or 'longstanding'" in problem
        assert count(session, Intake, patient) == intakes

    def test_a_missing_or_unknown_question_and_a_missing_age_are_refused(
        self, as_user: Callable[..., TestClient], session: Session, patient: Patient
    ) -> None:
        me = as_user(patient.user)
        intakes = count(session, Intake, patient)
        missing = intake_body()
        del missing["red_flags"]["ce_saddle"]
        answer = self.submit(me, patient, missing)
        assert answer.status_code == 422 and "not answered: ce_saddle" in answer.json()["detail"]
        unknown = self.submit(me, patient, intake_body(saddle_anaesthesia="no"))
        assert unknown.status_code == 422 and "saddle_anaesthesia" in unknown.json()["detail"]
        no_age = self.submit(me, patient, intake_body() | {"age_years": None})
        assert no_age.status_code == 422 and "your age in years" in no_age.json()["detail"]
        assert count(session, Intake, patient) == intakes

    def test_an_intake_stored_by_the_first_screen_still_reads(
        self, as_user: Callable[..., TestClient], session: Session, patient: Patient, clinician: User
    ) -> None:
        """Intakes of rf-2026.1 (yes/no answers) and their alerts still show, on the API and on the pages."""
        old = Intake(
            patient_id=patient.id,
            submitted_by_id=patient.user_id,
            pain_duration_weeks=520,
            chronic=True,
            onset="gradual",
            pain_location="lower_back",
            average_pain_last_week=6,
            red_flag_answers={"ce_bladder": True, "cancer_history": False},
            red_flags=[
                {
                    "question_id": "ce_bladder",
                    "condition": "cauda_equina",
                    "urgency": "emergency",
                    "message": "New problems with passing urine can mean the nerves are squeezed.",
                    "clinician": "New bladder dysfunction: suspected CES.",
                    "source": "GIRFT",
                },
                {"question_id": "cancer_history", "condition": "cancer", "urgency": "urgent", "message": "m"},
            ],
            red_flag_version="rf-2026.1",
            created_at=utcnow() + timedelta(seconds=1),
        )
        session.add(old)
        session.flush()
        session.add(
            SafetyAlert(
                patient_id=patient.id,
                kind=AlertKind.RED_FLAG,
                urgency="emergency",
                summary="Red flag at intake: cauda equina syndrome, cancer (spinal metastases)",
                details={"red_flags": old.red_flags},
                intake_id=old.id,
            )
        )
        session.commit()
        listed = as_user(patient.user).get(f"/api/v1/patients/{patient.id}/intakes")
        assert listed.status_code == 200
        assert listed.json()[0]["red_flag_version"] == "rf-2026.1"
        view = as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}/assessment")
        assert view.status_code == 200
        assert "Cancer (spinal metastases): cancer_history" in view.text
        assert "ce_bladder <strong>yes</strong>" in view.text
        safety = as_user(patient.user, browser=True).get("/patient/safety")
        assert safety.status_code == 200 and 'data-urgency="emergency"' in safety.text
        assert "New problems with passing urine can mean the nerves are squeezed." in safety.text
