"""Pages: the patient's safety page after a self-harm answer, with their plan; the clinician's risk page."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator

import pytest
import textstat
import textstat.backend.counts._count_syllables as syllable_counts
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline, User
from painrewire.assessments import service as assessments
from painrewire.config import Settings
from painrewire.patients.models import Patient
from painrewire.risk import service as risk
from tests.fixtures.factories import CSRF, create_patient
from tests.risk.factories import WARNING_SIGN, make_assessment, make_plan, member, positive_phq9

Client = Callable[..., TestClient]


@pytest.fixture(autouse=True)
def offline_syllables() -> Iterator[None]:
    """Count syllables with Pyphen only (textstat would otherwise download NLTK's CMU dictionary)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(syllable_counts, "get_cmudict", lambda lang: None)
        yield


def text_of(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def paragraphs(page: str, start: str) -> list[str]:
    part = page[page.index(start) :]
    part = part[: part.index("</div>")]
    found = []
    for match in re.finditer(r"<(p|li|h2|h3)\b[^>]*>(.*?)</\1>", part, re.S):
        words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(2))).split())
        found.append(re.sub(r"\s+([.,;:?!])", r"\1", words))
    return found


def flagged_words(settings: Settings) -> str:
    return (
        "We have flagged this to your care team. "
        f"If you are in danger now, call {settings.emergency_number} or go to an emergency department. "
        f"To talk to someone now: {settings.crisis_line}."
    )


class TestPatientSafetyPage:
    def test_without_a_plan_it_says_what_happened_and_that_practice_is_paused(
        self, session: Session, patient: Patient, settings: Settings, as_user: Client
    ) -> None:
        positive_phq9(session, patient)
        page = text_of(as_user(patient.user, browser=True).get("/patient/safety").text)
        assert flagged_words(settings) in page
        assert "paused" in page
        assert "Your practice can go on" not in page and "Your safety plan" not in page

    def test_under_a_plan_practice_goes_on_and_the_plan_is_shown(
        self, session: Session, patient: Patient, clinician: User, settings: Settings, as_user: Client
    ) -> None:
        make_plan(session, clinician, patient, settings)
        positive_phq9(session, patient)
        raw = as_user(patient.user, browser=True).get("/patient/safety").text
        page = text_of(raw)
        assert flagged_words(settings) in page
        assert "Your practice can go on. Use your safety plan below." in page
        assert "Nothing on your record needs urgent care" not in page
        assert "Your safety plan" in page and f"You made this plan with {clinician.full_name}" in page
        for section in risk.SECTIONS:
            assert section.patient_title in page
        assert WARNING_SIGN in page and "My sister Ana, 07700 900123" in page
        assert f"Crisis line: {settings.crisis_line}" in page

    def test_the_patient_reads_the_plan_without_any_alert_and_never_the_risk_assessment(
        self, session: Session, patient: Patient, clinician: User, settings: Settings, as_user: Client
    ) -> None:
        make_plan(session, clinician, patient, settings)
        made = make_assessment(session, clinician, patient, settings)
        page = text_of(as_user(patient.user, browser=True).get("/patient/safety").text)
        assert "Your safety plan" in page and WARNING_SIGN in page
        assert made.note not in page and made.protective_factors not in page

    def test_another_patient_sees_only_their_own_page(
        self,
        session: Session,
        patient: Patient,
        other_patient: Patient,
        clinician: User,
        settings: Settings,
        as_user: Client,
    ) -> None:
        make_plan(session, clinician, patient, settings)
        page = text_of(as_user(other_patient.user, browser=True).get("/patient/safety").text)
        assert WARNING_SIGN not in page and "Your safety plan" not in page

    def test_what_this_module_says_to_the_patient_reads_at_grade_6_or_below(
        self, session: Session, patient: Patient, clinician: User, settings: Settings, as_user: Client
    ) -> None:
        make_plan(session, clinician, patient, settings)
        positive_phq9(session, patient)
        page = as_user(patient.user, browser=True).get("/patient/safety").text
        texts = paragraphs(page, 'data-kind="self_harm"') + paragraphs(page, 'class="safety-plan"')
        plan_lines = {
            line for s in risk.SECTIONS for line in getattr(risk.patient_plan(session, patient), s.field)
        }
        ours = [
            t
            for t in texts
            if t not in plan_lines and "Crisis line" not in t and settings.clinic_name not in t
        ]
        assert len(ours) >= 10
        for text in ours:
            assert textstat.flesch_kincaid_grade(text) <= 6.0, text
            for sentence in re.split(r"(?<=[.!?])\s+", text):
                assert len(sentence.split()) <= 20, sentence


class TestClinicianRiskPage:
    def test_a_psychologist_saves_a_plan_and_an_assessment_from_the_page(
        self, session: Session, patient: Patient, settings: Settings, as_user: Client
    ) -> None:
        psychologist = member(session, patient, Discipline.PSYCHOLOGIST)
        browser = as_user(psychologist, browser=True)
        path = f"/clinician/patients/{patient.id}/risk"
        page = browser.get(path).text
        assert "Make a safety plan with the patient" in page
        assert settings.crisis_line in page  # the professionals section starts filled in
        plan_form = {
            "csrf_token": CSRF,
            "warning_signs": "Not sleeping\nStaying in bed",
            "coping_strategies": "Music",
            "distractions": "Sam's cafe",
            "people_to_ask": "Ana 07700 900123",
            "professionals": "\n".join(risk.default_professionals(settings)),
            "safe_environment": "Tablets with Ana",
            "based_on_version": "",
        }
        refused = browser.post(f"/clinician/patients/{patient.id}/safety-plans", data=plan_form)
        assert refused.status_code == 422 and "tick the box" in refused.text
        saved = browser.post(
            f"/clinician/patients/{patient.id}/safety-plans",
            data=plan_form | {"made_with_patient": "yes"},
            follow_redirects=False,
        )
        assert saved.status_code == 303
        plan = risk.patient_plan(session, patient)
        assert plan is not None and plan.warning_signs == ["Not sleeping", "Staying in bed"]
        form = {
            "csrf_token": CSRF,
            "thoughts_of_death": "yes",
            "suicidal_thoughts": "no",
            "method": "no",
            "intent": "no",
            "plan": "no",
            "recent_behaviour": "no",
            "protective_factors": "Grandchildren",
            "access_to_means": "No stockpile",
            "risk_level": "low",
            "actions": ["safety_plan", "follow_up_booked"],
            "note": "Passive thoughts on bad days; plan made.",
        }
        missing = browser.post(
            f"/clinician/patients/{patient.id}/risk-assessments",
            data={k: v for k, v in form.items() if k != "plan"},
        )
        assert (
            missing.status_code == 422
            and "A plan, with intent to carry it out: answer yes or no." in missing.text
        )
        done = browser.post(
            f"/clinician/patients/{patient.id}/risk-assessments", data=form, follow_redirects=False
        )
        assert done.status_code == 303
        [assessment] = risk.risk_assessments_of(session, patient)
        assert assessment.actions == ["safety_plan", "follow_up_booked"]
        shown = text_of(browser.get(path).text)
        assert "Low risk" in shown and "current" in shown and "Version 1" in shown

    @pytest.mark.parametrize(
        "discipline", [Discipline.PHYSICAL_THERAPIST, Discipline.NEUROFEEDBACK_PRACTITIONER]
    )
    def test_other_disciplines_read_the_page_but_the_forms_are_refused(
        self, session: Session, patient: Patient, as_user: Client, discipline: Discipline
    ) -> None:
        browser = as_user(member(session, patient, discipline), browser=True)
        page = browser.get(f"/clinician/patients/{patient.id}/risk").text
        assert "Only a psychologist or pain specialist on the care team can record" in page
        assert "Save the safety plan" not in page
        answer = browser.post(f"/clinician/patients/{patient.id}/safety-plans", data={"csrf_token": CSRF})
        assert answer.status_code == 403 and "psychologist or pain specialist" in answer.text

    def test_a_clinician_off_the_care_team_gets_404(
        self, patient: Patient, other_clinician: User, as_user: Client
    ) -> None:
        assert (
            as_user(other_clinician, browser=True).get(f"/clinician/patients/{patient.id}/risk").status_code
            == 404
        )

    def test_the_home_page_offers_pause_and_resume_on_an_open_self_harm_alert(
        self, session: Session, patient: Patient, clinician: User, settings: Settings, as_user: Client
    ) -> None:
        make_plan(session, clinician, patient, settings)
        alert = positive_phq9(session, patient)
        browser = as_user(clinician, browser=True)
        home = browser.get("/clinician").text
        assert "practice goes on" in home and "Pause practice" in home
        paused = browser.post(
            f"/clinician/alerts/{alert.id}/practice-hold",
            data={"csrf_token": CSRF, "hold": "1", "back": f"/clinician/patients/{patient.id}/risk"},
            follow_redirects=False,
        )
        assert (
            paused.status_code == 303
            and paused.headers["location"] == f"/clinician/patients/{patient.id}/risk"
        )
        assert [a.id for a in assessments.safety_hold(session, patient.id)] == [alert.id]
        assert "Resume practice" in browser.get(f"/clinician/patients/{patient.id}/risk").text
        physio = as_user(member(session, patient, Discipline.PHYSICAL_THERAPIST), browser=True)
        assert "Resume practice" not in physio.get("/clinician").text
        refused = physio.post(
            f"/clinician/alerts/{alert.id}/practice-hold", data={"csrf_token": CSRF, "hold": "0"}
        )
        assert refused.status_code == 403


def test_a_patient_without_a_care_team_is_told_the_clinic_was_flagged(
    session: Session, settings: Settings, as_user: Client
) -> None:
    lonely = create_patient(session)
    positive_phq9(session, lonely)
    page = text_of(as_user(lonely.user, browser=True).get("/patient/safety").text)
    assert "We have flagged this to the clinic." in page
    assert (
        f"If you are in danger now, call {settings.emergency_number} or go to an emergency department."
        in page
    )
