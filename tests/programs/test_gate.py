"""The practice gate: a patient without an intake, an open alert or a clearance is refused every practice that
asks them to move, face fear or train the brain, by the API and the pages, while lessons stay open."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments.models import AlertKind, SafetyAlert
from painrewire.clearance import gate
from painrewire.patients.models import Patient
from painrewire.practice.models import Module, PracticeLog
from painrewire.programs.cbt import service as cbt
from painrewire.programs.cbt.schemas import ExposureItemCreate
from tests.fixtures.factories import CSRF, create_clearance, create_intake

THOUGHT_RECORD = {
    "situation": "Twinge while gardening",
    "automatic_thought": "I have ruined my week",
    "feelings": [{"feeling": "worried", "intensity": 70}],
    "rerated_feelings": [{"feeling": "worried", "intensity": 30}],
    "minutes": 5,
}
SOMATIC: dict[str, object] = {
    "pain_before": 5,
    "fear_before": 6,
    "pain_after": 3,
    "fear_after": 2,
    "seconds": 300,
}
JOURNAL: dict[str, object] = {
    "pain_moment": "Bending",
    "danger_message": "I will break",
    "safety_message": "My back is strong",
}
MOVEMENT = {
    "movement_id": "seated_turn_small",
    "pain_before": 3,
    "fear_before": 5,
    "pain_after": 2,
    "fear_after": 3,
}
IMAGERY = {"exercise_id": "turn_left_gently", "seconds": 100, "effort": 4, "pain": 2}
INTAKE_FIRST = "Please finish your intake first"


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def practice_count(session: Session, patient: Patient) -> int:
    return (
        session.scalar(
            select(func.count()).select_from(PracticeLog).where(PracticeLog.patient_id == patient.id)
        )
        or 0
    )


def patient_posts(patient: Patient, exposure_item: str) -> list[tuple[str, dict[str, object]]]:
    base = f"/api/v1/patients/{patient.id}"
    return [
        (f"{base}/prt/somatic-tracking", SOMATIC),
        (f"{base}/prt/journal", JOURNAL),
        (f"{base}/gmi/blocks", {"trials": 20}),
        (f"{base}/gmi/imagery", IMAGERY),
        (f"{base}/gmi/movements", MOVEMENT),
        (f"{base}/cbt/thought-records", THOUGHT_RECORD),
        (f"{base}/cbt/pacing", {"name": "Walking", "unit": "metres", "measurements": [200]}),
        (f"{base}/cbt/exposure/{exposure_item}/attempts", {"predicted_fear": 70, "actual_fear": 35}),
        (f"{base}/mindfulness/sessions", {"activity": "breathing_pacer", "minutes": 1}),
    ]


PRACTICE_PAGES = [
    "/patient/prt/somatic-tracking",
    "/patient/prt/journal",
    "/patient/gmi/laterality",
    "/patient/gmi/imagery/turn_left_gently",
    "/patient/gmi/movement/seated_turn_small",
    "/patient/cbt/thought-records",
    "/patient/mindfulness/practices/body_scan",
    "/patient/mindfulness/pacer",
    "/patient/mindfulness/timer",
]
#: What a start button or form of each page looks like: none of it may be shown while practice is closed.
START_MARKS = [
    'action="/patient/prt/somatic-tracking"',
    'action="/patient/prt/journal"',
    "data-page-stamp",
    'action="/patient/cbt/thought-records"',
    'action="/patient/gmi/movement/',
    "start_url",
]


def _item(session: Session, patient: Patient) -> str:
    """A feared movement on the ladder (listing movements is planning, open before clearance)."""
    item = cbt.add_exposure_item(
        session, patient.user, patient.id, ExposureItemCreate(movement="Bending", fear_rating=70)
    )
    return str(item.id)


class TestWithoutIntake:
    def test_the_api_refuses_every_gated_practice_saying_to_finish_the_intake(
        self, session: Session, as_user: Callable[..., TestClient], new_patient: Patient
    ) -> None:
        me = as_user(new_patient.user)
        for path, body in patient_posts(new_patient, _item(session, new_patient)):
            response = me.post(path, json=body)
            assert response.status_code == 409, (path, response.text)
            assert response.json()["error"] == "PracticeClosed", path
            assert (
                INTAKE_FIRST in response.json()["detail"] and "/patient/intake" in response.json()["detail"]
            )
        assert practice_count(session, new_patient) == 0

    def test_the_neurofeedback_practitioner_cannot_set_up_a_session(
        self, as_user: Callable[..., TestClient], clinician: User, new_patient: Patient
    ) -> None:
        response = as_user(clinician).post(
            f"/api/v1/patients/{new_patient.id}/neurofeedback/sessions",
            json={"duration_seconds": 60, "baseline_seconds": 10},
        )
        assert response.status_code == 409
        assert response.json()["detail"] == (
            f"{new_patient.user.full_name} has not completed the intake yet. Practice opens once it is in and "
            "a pain specialist has cleared them."
        )
        page = as_user(clinician, browser=True).get(f"/clinician/patients/{new_patient.id}/neurofeedback")
        assert "has not completed the intake yet" in text(page.text)
        assert "Open the headset and check the signal" not in page.text

    def test_every_practice_page_shows_why_instead_of_a_start_button(
        self, as_user: Callable[..., TestClient], new_patient: Patient
    ) -> None:
        browser = as_user(new_patient.user, browser=True)
        for url in PRACTICE_PAGES:
            page = browser.get(url)
            assert page.status_code == 200, url
            words = text(page.text)
            assert INTAKE_FIRST in words and 'href="/patient/intake"' in page.text, url
            assert not any(mark in page.text for mark in START_MARKS), url
        for url in ("/patient/cbt/pacing", "/patient/cbt/exposure", "/patient/gmi", "/patient/mindfulness"):
            page = browser.get(url)
            assert INTAKE_FIRST in text(page.text), url
        pacing = browser.get("/patient/cbt/pacing").text
        assert 'action="/patient/cbt/pacing"' not in pacing
        assert "Start a block" not in browser.get("/patient/gmi").text
        assert "Begin " not in browser.get("/patient/mindfulness").text

    def test_a_form_posted_anyway_is_refused_and_stores_nothing(
        self, session: Session, as_user: Callable[..., TestClient], new_patient: Patient
    ) -> None:
        browser = as_user(new_patient.user, browser=True)
        somatic = browser.post(
            "/patient/prt/somatic-tracking",
            data={"csrf_token": CSRF, **{k: str(v) for k, v in SOMATIC.items()}},
        )
        assert somatic.status_code == 409 and INTAKE_FIRST in text(somatic.text)
        pacing = browser.post(
            "/patient/cbt/pacing",
            data={"csrf_token": CSRF, "name": "Walking", "unit": "metres", "day_1": "200", "day_2": "250"},
        )
        assert pacing.status_code == 409 and INTAKE_FIRST in text(pacing.text)
        assert practice_count(session, new_patient) == 0
        assert cbt.pacing_plans_for(session, new_patient) == []

    def test_lessons_quizzes_the_checklist_and_the_diary_stay_open(
        self, as_user: Callable[..., TestClient], new_patient: Patient
    ) -> None:
        browser = as_user(new_patient.user, browser=True)
        for url in (
            "/patient/prt",
            "/patient/prt/lessons",
            "/patient/prt/lessons/sensitisation",
            "/patient/prt/checklist",
            "/patient/diary",
        ):
            assert browser.get(url).status_code == 200, url
        quiz = browser.post(
            "/patient/prt/lessons/how_the_brain_makes_pain",
            data={"csrf_token": CSRF, "where_pain_is_made": "0", "nail_story": "0", "what_this_means": "0"},
        )
        assert "3 of 3 right. Lesson done" in text(quiz.text)


class TestOrderOfReasons:
    def test_intake_first_then_an_open_alert_then_the_clearance_then_the_module(
        self, session: Session, new_patient: Patient, clinician: User
    ) -> None:
        def reason() -> gate.Reason | None:
            return gate.practice_status(session, new_patient, Module.GMI).reason

        alert = SafetyAlert(
            patient_id=new_patient.id, kind=AlertKind.SELF_HARM_RISK, urgency="urgent", summary="PHQ-9 item 9"
        )
        session.add(alert)
        session.flush()
        assert reason() is gate.Reason.NO_INTAKE
        create_intake(session, new_patient)
        assert reason() is gate.Reason.SAFETY_HOLD
        alert.holds_practice = False  # an alert that does not hold practice does not close it
        session.flush()
        assert reason() is gate.Reason.NOT_CLEARED
        create_clearance(session, new_patient, by=clinician, modules=[Module.PRT, Module.CBT])
        assert reason() is gate.Reason.MODULE_NOT_ALLOWED
        assert gate.practice_status(session, new_patient, Module.PRT).open
        status = gate.practice_status(session, new_patient, Module.GMI)
        assert status.message == (
            "Graded motor imagery is not part of the practice your pain specialist has opened for you. "
            "Please ask your care team if you would like to try it."
        )

    def test_before_clearance_the_patient_is_told_lessons_are_open(
        self, session: Session, new_patient: Patient
    ) -> None:
        create_intake(session, new_patient)
        status = gate.practice_status(session, new_patient, Module.PRT)
        assert (status.reason, status.message) == (
            gate.Reason.NOT_CLEARED,
            "Your pain specialist will check your answers before practice starts. Lessons are open now.",
        )
        assert status.href == "/patient/prt/lessons"

    @pytest.mark.parametrize("module", list(Module))
    def test_a_cleared_patient_may_practise_every_module_their_clearance_opens(
        self, session: Session, patient: Patient, module: Module
    ) -> None:
        assert gate.practice_status(session, patient, module).open


class TestClearedPatient:
    def test_a_cleared_patient_practises_and_the_home_page_says_practice_is_open(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        me = as_user(patient.user)
        for path, body in patient_posts(patient, _item(session, patient)):
            if "/gmi/imagery" in path or "/gmi/movements" in path:
                continue  # these open at GMI stages 2 and 3
            response = me.post(path, json=body)
            assert response.status_code in (200, 201), (path, response.text)
        home = text(as_user(patient.user, browser=True).get("/patient").text)
        assert (
            "Your pain specialist has checked your answers. Practice is open for: Pain reprocessing therapy"
            in home
        )

    def test_a_clinician_entering_a_paper_thought_record_is_not_held_by_the_gate(
        self, as_user: Callable[..., TestClient], clinician: User, new_patient: Patient
    ) -> None:
        response = as_user(clinician).post(
            f"/api/v1/patients/{new_patient.id}/cbt/thought-records", json=THOUGHT_RECORD
        )
        assert response.status_code == 201, response.text
