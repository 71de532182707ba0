"""Plan pages: the patient's week and home panel, the clinician's review with fired rules, edit, sign and history."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from painrewire.plans import service as plans
from painrewire.plans.models import VersionStatus
from painrewire.practice.models import Module
from tests.fixtures.factories import CSRF
from tests.plans import builders


def text(html: str) -> str:
    """The page's words without tags, spaces collapsed."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def plan_url(patient: Patient) -> str:
    return f"/clinician/patients/{patient.id}/plan"


class TestPatientWeek:
    def test_the_week_shows_the_tasks_progress_and_what_is_next(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        version = plans.propose(session, clinician, patient.id)
        plans.sign(session, clinician, patient.id, version.id)
        builders.practise(session, patient, Module.PRT, "somatic_tracking", at=datetime.now(UTC))
        page = as_user(patient.user, browser=True).get("/patient/today")
        assert page.status_code == 200
        words = text(page.text)
        assert "Week 1 of 4 of your plan" in words
        assert "Somatic tracking practice about 5 min 1 / 5 done today" in words
        assert (
            'href="/patient/prt/checklist">Fill in the neuroplastic pain checklist</a>' in page.text
        )  # next
        assert "1 day in a row with some practice" in words
        assert "Your program starts with Pain Reprocessing Therapy" in words  # the patient's reason

    def test_the_home_page_has_a_this_week_panel(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        plans.sign(session, clinician, patient.id, plans.propose(session, clinician, patient.id).id)
        words = text(as_user(patient.user, browser=True).get("/patient").text)
        assert "This week Week 1 · 0 of 11 tasks done · streak 0 days" in words
        assert "Next: Fill in the neuroplastic pain checklist" in words

    def test_an_open_alert_pauses_the_week_with_the_reason(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        plans.sign(session, clinician, patient.id, plans.propose(session, clinician, patient.id).id)
        builders.open_alert(session, patient)
        page = as_user(patient.user, browser=True).get("/patient/today")
        words = text(page.text)
        assert "Your program is paused until a clinician has spoken with you." in words
        assert "A clinician will talk with you before your program goes on." in words
        assert 'href="/patient/safety"' in page.text
        assert "This week's tasks" not in words


class TestClinicianPlan:
    def test_the_proposal_shows_every_fired_rule_with_its_reason_and_can_be_signed(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient, weeks=30)
        builders.answer(session, patient, "phq9", builders.PHQ9_MODERATE)
        browser = as_user(clinician, browser=True)
        proposed = browser.post(
            f"{plan_url(patient)}/propose", data={"csrf_token": CSRF}, follow_redirects=False
        )
        assert proposed.status_code == 303
        page = browser.get(proposed.headers["location"])
        words = text(page.text)
        assert "Version 1 proposed by the rules." in words
        assert (
            "depression_psychologist — PHQ-9 score 14 is 10 or more (moderate depression or above): psychologist "
            "on the care team."
        ) in words
        assert "Source: Kroenke 2001: PHQ-9 10 or more is moderate depression or above." in words
        assert "The plan asks for a psychologist, not yet on the care team." in words
        version = plans.versions(session, clinician, patient.id)[0].version
        signed = browser.post(
            f"{plan_url(patient)}/versions/{version.id}/sign",
            data={"csrf_token": CSRF, "note": "Discussed with Maria."},
            follow_redirects=False,
        )
        assert signed.status_code == 303
        session.expire_all()
        assert version.status == VersionStatus.SIGNED and version.sign_note == "Discussed with Maria."
        words = text(browser.get(signed.headers["location"]).text)
        assert "Version 1 signed: the patient now sees it as this week's tasks." in words

    def test_a_held_plan_shows_the_alert_and_no_sign_button(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        version = plans.propose(session, clinician, patient.id)
        builders.open_alert(session, patient)
        browser = as_user(clinician, browser=True)
        page = browser.get(plan_url(patient))
        words = text(page.text)
        assert "The plan is on hold." in words
        assert "Open safety alert: PHQ-9 item 9: thoughts of being better off dead or of self-harm" in words
        assert "Sign version 1" not in words
        refused = browser.post(f"{plan_url(patient)}/versions/{version.id}/sign", data={"csrf_token": CSRF})
        assert refused.status_code == 409
        assert "The plan is on hold until a clinician clears it" in text(refused.text)
        session.expire_all()
        assert version.status == VersionStatus.PROPOSED

    def test_an_edit_from_the_form_becomes_a_new_version_shown_in_the_history(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        plans.propose(session, clinician, patient.id)
        browser = as_user(clinician, browser=True)
        form = {
            "csrf_token": CSRF,
            "module_prt": "on",
            "sessions_prt": "2",
            "weeks_prt": "4",
            "focus_prt": ["pain_education", "somatic_tracking"],
            "module_cbt": "on",
            "sessions_cbt": "1",
            "weeks_cbt": "8",
            "focus_cbt": ["thought_records"],
            "disciplines": ["pain_specialist", "psychologist"],
            "schedule_peg": ["baseline", "every_2_weeks", "end"],
            "intensity": "standard",
            "reason": "Low mood at the first visit.",
        }
        saved = browser.post(f"{plan_url(patient)}/edit", data=form, follow_redirects=False)
        assert saved.status_code == 303, text(saved.text)
        history = text(browser.get(f"{plan_url(patient)}/history").text)
        assert "Version 2 proposed" in history and "Why Low mood at the first visit." in history
        assert "Added CBT for pain: 1 a week for 8 weeks, focus: thought records." in history
        assert "PEG: weeks 0, 2 and 4 → weeks 0, 2, 4, 6 and 8." in history
        assert "Version 1 superseded" in history

    def test_a_wrong_edit_shows_the_form_again_with_the_message(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        plans.propose(session, clinician, patient.id)
        form = {
            "csrf_token": CSRF,
            "module_cbt": "on",
            "sessions_cbt": "many",
            "weeks_cbt": "8",
            "reason": "why not",
        }
        page = as_user(clinician, browser=True).post(f"{plan_url(patient)}/edit", data=form)
        assert page.status_code == 422
        assert "modules.0.sessions_per_week: Input should be a valid integer" in text(page.text)
        assert 'value="many"' in page.text
        assert len(plans.versions(session, clinician, patient.id)) == 1

    def test_an_edit_the_rules_refuse_keeps_the_form_and_says_why(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        browser = as_user(clinician, browser=True)
        form = {"csrf_token": CSRF, "intensity": "standard", "reason": "Fewer modules."}
        prt = {"module_prt": "on", "sessions_prt": "2", "weeks_prt": "4", "focus_prt": ["pain_education"]}
        early = browser.post(f"{plan_url(patient)}/edit", data={**form, **prt})
        assert early.status_code == 409  # nothing to change yet: a conflict with the plan's state
        assert "The plan was not changed: There is no plan to change yet" in text(early.text)
        plans.propose(session, clinician, patient.id)
        empty = browser.post(f"{plan_url(patient)}/edit", data=form)
        assert empty.status_code == 422  # the edit itself is wrong
        assert "A plan needs at least one module." in text(empty.text)
        assert ">Fewer modules.</textarea>" in empty.text  # the form is kept
        assert len(plans.versions(session, clinician, patient.id)) == 1

    def test_the_patient_overview_has_a_plan_panel_and_the_home_lists_plans_to_sign(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        builders.intake(session, patient)
        plans.propose(session, clinician, patient.id)
        browser = as_user(clinician, browser=True)
        overview = text(browser.get(f"/clinician/patients/{patient.id}").text)
        assert "Plan No signed plan. waiting for a signature version 1" in overview
        home = text(browser.get("/clinician").text)
        assert f"Plans waiting for a signature {patient.user.full_name} — version 1" in home

    def test_an_outside_clinician_gets_404(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient, other_clinician: User
    ) -> None:
        assert as_user(other_clinician, browser=True).get(plan_url(patient)).status_code == 404
        assert as_user(other_clinician, browser=True).get(f"{plan_url(patient)}/history").status_code == 404
