"""CBT pages: the patient's forms save and show back, bad input is named, the clinician sees the whole picture."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from painrewire.practice.models import PracticeLog
from painrewire.programs.cbt.models import ExposureAttempt, PacingActivity, ThoughtRecord
from tests.fixtures.factories import CSRF
from tests.programs.cbt.conftest import open_safety_alert

RECORD = {
    "csrf_token": CSRF,
    "situation": "Sat through a long meeting",
    "automatic_thought": "If sitting does this, I will lose my job",
    "feeling_1": "anxious",
    "intensity_1": "80",
    "feeling_2": "frustrated",
    "intensity_2": "50",
    "distortions": ["catastrophising", "fortune_telling"],
    "evidence_for": "Pain was 7 by the end",
    "evidence_against": "It came down after a walk",
    "balanced_thought": "Sitting winds pain up and I can wind it down",
    "rerated_1": "45",
}


def _errors(html: str) -> list[str]:
    block = re.search(r'<div class="alert error" role="alert">(.*?)</div>', html, re.S)
    return re.findall(r"<li>(.*?)</li>", block.group(1)) if block else []


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


class TestThoughtRecordPage:
    def test_the_form_has_the_labelled_fields_the_patients_day_relies_on(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        page = as_user(patient.user, browser=True).get("/patient/cbt/thought-records").text
        assert "New thought record" in page
        for label in (
            "Situation",
            "Automatic thought",
            "Feeling 1",
            "Intensity 1 (0-100)",
            "Evidence for the thought",
            "Evidence against the thought",
            "Balanced thought",
            "Re-rated 1 (0-100)",
            "Catastrophising",
        ):
            assert f">{label}<" in page or f"> {label}</label>" in page or f">{label} <" in page, label
        assert ">Save thought record</button>" in page

    def test_a_saved_record_is_shown_back_and_logged(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        browser = as_user(patient.user, browser=True)
        response = browser.post("/patient/cbt/thought-records", data=RECORD, follow_redirects=True)
        assert response.status_code == 200
        assert "Thought record saved" in response.text
        assert "If sitting does this, I will lose my job" in response.text
        assert "anxious 80 → 45; frustrated 50" in response.text
        assert ">Catastrophising</span>" in response.text and ">Fortune telling</span>" in response.text
        session.expire_all()
        log = session.scalar(select(PracticeLog).where(PracticeLog.patient_id == patient.id))
        assert log is not None and log.activity == "thought_record"

    def test_bad_intensity_and_an_empty_thought_are_named_and_nothing_is_stored(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        bad = {**RECORD, "automatic_thought": "   ", "intensity_1": "150", "intensity_2": "lots"}
        response = as_user(patient.user, browser=True).post("/patient/cbt/thought-records", data=bad)
        assert response.status_code == 422
        assert _errors(response.text) == [
            "Automatic thought: please fill this in",
            "Intensity 1 (0-100): must be 100 or less (you entered 150)",
            "Intensity 2 (0-100): must be a whole number (you entered lots)",
        ]
        assert "Sat through a long meeting" in response.text  # the form keeps what was typed
        assert _count(session, ThoughtRecord) == 0 and _count(session, PracticeLog) == 0

    def test_a_re_rating_without_its_feeling_is_named(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        bad = {**RECORD, "rerated_3": "20"}
        response = as_user(patient.user, browser=True).post("/patient/cbt/thought-records", data=bad)
        assert response.status_code == 422
        assert _errors(response.text) == ["Feeling 3: please fill this in"]

    def test_an_unknown_thinking_trap_is_refused(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        response = as_user(patient.user, browser=True).post(
            "/patient/cbt/thought-records", data={**RECORD, "distortions": ["made_up"]}
        )
        assert response.status_code == 422
        assert _errors(response.text)[0].startswith("Thinking traps: unknown thinking trap &#39;made_up&#39;")

    def test_a_paused_program_shows_the_safety_page_link_instead_of_the_form(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        open_safety_alert(session, patient)
        page = as_user(patient.user, browser=True).get("/patient/cbt/thought-records").text
        assert "Your program is paused for now" in page and 'href="/patient/safety"' in page
        assert "Save thought record" not in page


class TestPacingPage:
    def test_a_new_plan_shows_its_baseline_and_weeks_and_a_logged_week(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        page = browser.post(
            "/patient/cbt/pacing",
            data={
                "csrf_token": CSRF,
                "name": "Walking",
                "unit": "minutes",
                "day_1": "12",
                "day_2": "15",
                "day_3": "10",
            },
            follow_redirects=True,
        ).text
        assert "Baseline 12.3 minutes (the mean of 3 measured days: 12.0, 15.0, 10.0)" in page
        assert "This week (week 1): 9.9 minutes a day." in page
        activity_id = re.search(r'action="/patient/cbt/pacing/([0-9a-f-]+)/weeks"', page).group(1)  # type: ignore[union-attr]
        page = browser.post(
            f"/patient/cbt/pacing/{activity_id}/weeks",
            data={"csrf_token": CSRF, "week": "1", "actual": "14"},
            follow_redirects=True,
        ).text
        assert "more than planned" in page and "Week 1: did 14 minutes of a planned 9.9" in page

    def test_missing_activity_and_bad_measurements_are_named(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        response = as_user(patient.user, browser=True).post(
            "/patient/cbt/pacing",
            data={"csrf_token": CSRF, "name": "", "unit": "minutes", "day_1": "0", "weeks": "99"},
        )
        assert response.status_code == 422
        assert _errors(response.text) == [
            "Activity: please fill this in",
            "Measured days: day 1: each measured day must be more than 0 (and believable), got 0",
            "Weeks: must be 52 or less (you entered 99)",
        ]
        assert _count(session, PacingActivity) == 0


class TestExposurePage:
    def test_movements_are_laddered_and_an_exposure_shows_its_gap(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        browser = as_user(patient.user, browser=True)
        for movement, fear in [("Lifting the shopping", "85"), ("Bending to the floor", "60")]:
            browser.post(
                "/patient/cbt/exposure", data={"csrf_token": CSRF, "movement": movement, "fear_rating": fear}
            )
        page = browser.get("/patient/cbt/exposure").text
        assert page.index("Bending to the floor") < page.index("Lifting the shopping")
        item_id = re.search(r'action="/patient/cbt/exposure/([0-9a-f-]+)/attempts"', page).group(1)  # type: ignore[union-attr]
        page = browser.post(
            f"/patient/cbt/exposure/{item_id}/attempts",
            data={"csrf_token": CSRF, "predicted_fear": "70", "actual_fear": "40", "minutes": "6"},
            follow_redirects=True,
        ).text
        assert "expected 70, felt 40" in page and "30 points less than expected" in page
        assert "On average the fear you felt was <strong>30 points lower</strong>" in page

    def test_out_of_range_fear_is_named_and_not_stored(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        browser = as_user(patient.user, browser=True)
        browser.post(
            "/patient/cbt/exposure", data={"csrf_token": CSRF, "movement": "Bending", "fear_rating": "60"}
        )
        page = browser.get("/patient/cbt/exposure").text
        item_id = re.search(r'action="/patient/cbt/exposure/([0-9a-f-]+)/attempts"', page).group(1)  # type: ignore[union-attr]
        response = browser.post(
            f"/patient/cbt/exposure/{item_id}/attempts",
            data={"csrf_token": CSRF, "predicted_fear": "-5", "actual_fear": ""},
        )
        assert response.status_code == 422
        assert "Fear I expect (0-100): must be 0 or more (you entered -5)" in response.text
        assert "Fear I felt (0-100): please fill this in" in response.text
        assert _count(session, ExposureAttempt) == 0


class TestClinicianView:
    def test_the_care_team_sees_records_trend_pacing_and_ladder(
        self, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        as_user(patient.user, browser=True).post("/patient/cbt/thought-records", data=RECORD)
        doctor = as_user(clinician, browser=True)
        overview = doctor.get(f"/clinician/patients/{patient.id}").text
        assert "CBT for pain" in overview and "If sitting does this, I will lose my job" in overview
        assert "Thinking traps noticed per week" in overview
        full = doctor.get(f"/clinician/patients/{patient.id}/cbt")
        assert full.status_code == 200
        assert "Thought records (1)" in full.text and "Sat through a long meeting" in full.text

    def test_a_clinician_outside_the_care_team_gets_not_found(
        self, as_user: Callable[..., TestClient], patient: Patient, other_clinician: User
    ) -> None:
        response = as_user(other_clinician, browser=True).get(f"/clinician/patients/{patient.id}/cbt")
        assert response.status_code == 404
