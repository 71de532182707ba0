"""The PRT API: lessons never send the right answers, quizzes are scored on the server, and the checklist,
journal and somatic tracking are saved and read back, for the patient and their care team only."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from painrewire.programs.prt import content
from tests.plans import builders


def base(patient: Patient) -> str:
    return f"/api/v1/patients/{patient.id}/prt"


class TestLessonsApi:
    def test_a_lesson_is_sent_without_its_answers(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        response = as_user(patient.user).get(f"{base(patient)}/lessons/sensitisation")
        assert response.status_code == 200
        body = response.json()
        assert body["title"] == "Sensitisation: when the alarm is turned up"
        assert body["sources"][0].startswith("Woolf CJ. Central sensitization")
        assert body["quiz"][0]["options"][0] == {
            "index": 0,
            "text": "A smoke alarm that has become so sensitive it goes off when you make toast.",
        }
        assert "correct" not in response.text and "feedback" not in response.text

    def test_the_quiz_is_scored_with_an_explanation_for_each_wrong_answer(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        api = as_user(patient.user)
        response = api.post(
            f"{base(patient)}/lessons/sensitisation/quiz",
            json={"answers": {"smoke_alarm": 2, "light_touch": 0, "turn_down": 0}},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["score"], body["total"], body["passed"]) == (2, 3, True)
        assert body["answers"][0]["correct"] is False
        assert body["answers"][0]["feedback"].startswith("Sensitivity is not fixed.")
        assert body["progress"]["passed_at"] is not None
        listed = api.get(f"{base(patient)}/lessons").json()
        assert [(lesson["id"], lesson["state"]) for lesson in listed[:2]] == [
            ("how_the_brain_makes_pain", "new"),
            ("sensitisation", "passed"),
        ]

    def test_a_bad_answer_is_refused_with_a_message(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        response = as_user(patient.user).post(
            f"{base(patient)}/lessons/sensitisation/quiz", json={"answers": {"smoke_alarm": 5}}
        )
        assert response.status_code == 422
        assert response.json()["detail"] == "Question 1 has options 1 to 3; please choose one of them."

    def test_another_patient_gets_404(
        self, as_user: Callable[..., TestClient], patient: Patient, other_patient: Patient
    ) -> None:
        outsider = as_user(other_patient.user)
        assert outsider.get(f"{base(patient)}/lessons").status_code == 404
        refused = outsider.post(f"{base(patient)}/lessons/sensitisation/quiz", json={"answers": {}})
        assert refused.status_code == 404


class TestPracticeApi:
    def test_checklist_saved_and_read_back_by_the_care_team(
        self, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        answers = {
            item.id: item.id in {"onset_during_stress", "worse_with_stress", "symmetrical"}
            for item in content.checklist().items
        }
        saved = as_user(patient.user).post(f"{base(patient)}/checklist", json={"answers": answers})
        assert saved.status_code == 201, saved.text
        assert (saved.json()["score"], saved.json()["level"], saved.json()["total"]) == (3.0, "some", 13)
        state = as_user(clinician).get(f"{base(patient)}/checklist").json()
        assert state["latest"]["endorsed"] == ["onset_during_stress", "symmetrical", "worse_with_stress"]
        assert len(state["items"]) == 13

    def test_journal_and_somatic_tracking_are_saved_and_shown_back(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        api = as_user(patient.user)
        entry = {
            "pain_moment": "Lifting the shopping",
            "danger_message": "I'll slip a disc",
            "safety_message": "My back is built to lift",
        }
        assert api.post(f"{base(patient)}/journal", json=entry).status_code == 201
        assert [e["safety_message"] for e in api.get(f"{base(patient)}/journal").json()] == [
            "My back is built to lift"
        ]
        practice = {"pain_before": 5, "fear_before": 6, "pain_after": 3, "fear_after": 2, "seconds": 300}
        logged = api.post(f"{base(patient)}/somatic-tracking", json=practice)
        assert logged.status_code == 201
        assert (logged.json()["minutes"], logged.json()["pain_after"]) == (5.0, 3)
        assert len(api.get(f"{base(patient)}/somatic-tracking").json()) == 1

    def test_a_rating_off_the_scale_is_refused(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        practice = {"pain_before": 11, "fear_before": 6, "pain_after": 3, "fear_after": 2, "seconds": 300}
        response = as_user(patient.user).post(f"{base(patient)}/somatic-tracking", json=practice)
        assert response.status_code == 422
        assert response.json()["detail"] == ["pain_before: Input should be less than or equal to 10"]

    def test_practice_is_refused_while_a_safety_alert_is_open(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        builders.open_alert(session, patient)
        practice = {"pain_before": 5, "fear_before": 6, "pain_after": 3, "fear_after": 2, "seconds": 300}
        response = as_user(patient.user).post(f"{base(patient)}/somatic-tracking", json=practice)
        assert response.status_code == 409
        assert response.json()["error"] == "PracticeClosed"

    def test_the_course_lists_eight_sessions_with_aims(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        course = as_user(patient.user).get(f"{base(patient)}/course").json()
        assert [s["number"] for s in course["sessions"]] == list(range(1, 9))
        assert course["sessions"][0]["aims"][0] == "Tell your pain story and what you have tried so far."
        assert course["sessions"][0]["state"] == "not_booked" and course["booking_href"] == "/book"
