"""The assessment pages: intake to the safety page, questionnaires, the clinician's view and alert panels."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from painrewire.accounts.models import User
from painrewire.app import create_app
from painrewire.assessments import pages, red_flags
from painrewire.assessments import service as assessments
from painrewire.assessments.models import Intake, QuestionnaireResponse, SafetyAlert
from painrewire.config import Settings
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF, create_patient, login_client

Browser = Callable[..., TestClient]


def intake_form(**overrides: str) -> dict[str, str]:
    form = {
        "csrf_token": CSRF,
        "duration_value": "2",
        "duration_unit": "years",
        "onset": "gradual",
        "pain_location": "lower_back",
        "average_pain_last_week": "6",
        "history": "",
        "age_years": "40",
    }
    form |= {f"rf_{q.id}": "no" for q in red_flags.questions()}
    return form | overrides


def newest_intake(session: Session, patient: Patient) -> Intake | None:
    session.expire_all()
    return session.scalar(
        select(Intake).where(Intake.patient_id == patient.id).order_by(Intake.created_at.desc()).limit(1)
    )


def phq_form(*answers: str) -> dict[str, str]:
    return {"csrf_token": CSRF, **{f"item_{n}": a for n, a in enumerate(answers, start=1)}}


def rows(session: Session, model: Any, patient: Patient) -> int:
    session.expire_all()
    stmt = select(func.count()).select_from(model).where(model.patient_id == patient.id)
    return int(session.scalar(stmt) or 0)


class TestIntake:
    def test_the_form_asks_every_red_flag_question_with_three_answers_family_by_family(
        self, as_user: Browser, patient: Patient
    ) -> None:
        page = as_user(patient.user, browser=True).get("/patient/intake")
        assert page.status_code == 200
        for question in red_flags.questions():
            for code in ("no", "new", "longstanding"):
                assert f'name="rf_{question.id}" value="{code}"' in page.text
            assert f'name="rf_{question.id}" value="yes"' not in page.text
        headings = re.findall(r'<fieldset class="rf-family">\s*<legend>(.*?)</legend>', page.text)
        assert headings == [
            "Numbness, bladder, bowel and sex",
            "Your legs",
            "How your pain acts",
            "Cancer and weight",
            "Fever and infection",
            "Falls and bones",
            "Your belly, and smoking",
        ]
        assert "Yes, it is new or getting worse in the last few weeks" in page.text
        assert (
            "Yes, but I have had it a long time, it has not changed, and a doctor has checked it" in page.text
        )
        assert 'name="age_years"' in page.text  # no date of birth on the record: the form asks

    def test_a_patient_whose_record_has_a_date_of_birth_is_not_asked_their_age(
        self, as_user: Browser, session: Session, clinician: User
    ) -> None:
        born = create_patient(session, care_team=[clinician], date_of_birth=date(1980, 5, 1))
        page = as_user(born.user, browser=True).get("/patient/intake").text
        assert 'name="age_years"' not in page
        form = intake_form()
        del form["age_years"]
        sent = as_user(born.user, browser=True).post("/patient/intake", data=form, follow_redirects=False)
        assert sent.status_code == 303
        intake = session.scalar(select(Intake).where(Intake.patient_id == born.id))
        assert intake is not None and intake.red_flag_answers["age_source"] == "date_of_birth"

    def test_without_a_date_of_birth_the_age_is_required(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        before = rows(session, Intake, patient)
        form = intake_form()
        del form["age_years"]
        page = browser.post("/patient/intake", data=form)
        assert page.status_code == 422 and "Your age: please give your age in years" in page.text
        assert rows(session, Intake, patient) == before

    def test_a_red_flag_sends_the_patient_straight_to_the_safety_page(
        self, as_user: Browser, session: Session, patient: Patient, settings: Settings
    ) -> None:
        browser = as_user(patient.user, browser=True)
        sent = browser.post("/patient/intake", data=intake_form(rf_ce_bladder="new"), follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == "/patient/safety"
        safety = browser.get("/patient/safety")
        assert 'data-urgency="emergency"' in safety.text
        assert "We have flagged this to your care team." in safety.text
        assert "Get medical help now." in safety.text
        assert f"Call {settings.emergency_number} now, or go to the emergency department." in safety.text
        assert "You have new trouble passing urine." in safety.text
        assert "A clinician on your care team will look at your answers." in safety.text
        assert rows(session, SafetyAlert, patient) == 1

    def test_long_standing_checked_bladder_symptoms_are_reviewed_before_practice_and_lessons_stay_open(
        self, as_user: Browser, patient: Patient, settings: Settings
    ) -> None:
        browser = as_user(patient.user, browser=True)
        sent = browser.post(
            "/patient/intake", data=intake_form(rf_ce_bladder="longstanding"), follow_redirects=False
        )
        assert sent.headers["location"] == "/patient/safety"
        page = browser.get("/patient/safety").text
        assert 'data-urgency="soon"' in page
        assert "We have flagged this to your care team." in page
        assert "Your pain specialist will check this before your practice starts." in page
        assert 'Your <a href="/patient/prt/lessons">lessons</a> stay open' in page
        assert "Get medical help now." not in page and "Please see a doctor today." not in page
        # What to do if it changes: the emergency number is still given.
        assert f"Call {settings.emergency_number} or go to the emergency department if you get:" in page

    def test_an_urgent_red_flag_says_see_a_doctor_today(self, as_user: Browser, patient: Patient) -> None:
        browser = as_user(patient.user, browser=True)
        browser.post("/patient/intake", data=intake_form(rf_infection_fever="new"))
        page = browser.get("/patient/safety").text
        assert 'data-urgency="urgent"' in page and "We have flagged this to your care team." in page
        assert "Please see a doctor today." in page and "Call your GP or the clinic today." in page
        assert "Get medical help now" not in page

    def test_no_red_flag_goes_on_to_the_questionnaires(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        sent = as_user(patient.user, browser=True).post(
            "/patient/intake", data=intake_form(), follow_redirects=False
        )
        assert sent.headers["location"] == "/patient/questionnaires?intake=1"
        intake = newest_intake(session, patient)
        assert intake is not None and intake.pain_duration_weeks == 104 and intake.chronic

    @pytest.mark.parametrize(
        ("value", "unit", "weeks", "chronic"), [("3", "months", 13, True), ("11", "weeks", 11, False)]
    )
    def test_duration_is_converted_to_weeks(
        self,
        as_user: Browser,
        session: Session,
        patient: Patient,
        value: str,
        unit: str,
        weeks: int,
        chronic: bool,
    ) -> None:
        as_user(patient.user, browser=True).post(
            "/patient/intake", data=intake_form(duration_value=value, duration_unit=unit)
        )
        intake = newest_intake(session, patient)
        assert intake is not None and (intake.pain_duration_weeks, intake.chronic) == (weeks, chronic)

    def test_an_unanswered_safety_question_re_shows_the_form_and_stores_nothing(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        before = rows(session, Intake, patient)
        form = intake_form(duration_value="lots", rf_ce_bladder="longstanding")
        del form["rf_ce_saddle"]
        page = browser.post("/patient/intake", data=form)
        assert page.status_code == 422
        assert (
            "Please choose an answer: Do you have numbness, or less feeling, around your bottom" in page.text
        )
        assert "How long you have had this pain" in page.text
        assert 'value="no" checked' in page.text  # what was answered is kept
        assert 'name="rf_ce_bladder" value="longstanding" checked' in page.text
        assert rows(session, Intake, patient) == before

    @pytest.mark.parametrize(
        "bad",
        [
            {"onset": "aliens"},
            {"average_pain_last_week": "11"},
            {"duration_unit": "decades"},
            {"rf_ce_bowel": "maybe"},
            {"rf_ce_bowel": "yes"},
            {"age_years": "twelve"},
            {"age_years": "12"},
            {"duration_value": "60", "age_years": "30"},
            {"history": "x" * 5000},
        ],
    )
    def test_bad_input_is_a_422_never_a_500(
        self, as_user: Browser, session: Session, patient: Patient, bad: dict[str, str]
    ) -> None:
        browser = as_user(patient.user, browser=True)
        before = rows(session, Intake, patient)
        page = browser.post("/patient/intake", data=intake_form(**bad))
        assert page.status_code == 422
        assert rows(session, Intake, patient) == before


class TestQuestionnaires:
    def test_the_list_offers_what_the_patient_can_fill(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        browser.post("/patient/intake", data=intake_form())
        page = browser.get("/patient/questionnaires").text
        for instrument_id in ("peg", "phq9", "gad7"):
            assert f'href="/patient/questionnaires/{instrument_id}"' in page
        assert 'href="/patient/questionnaires/odi"' not in page

    def test_home_says_who_fills_each_request_in_and_which_are_overdue(
        self, as_user: Browser, session: Session, patient: Patient, clinician: User
    ) -> None:
        browser = as_user(patient.user, browser=True)
        browser.post("/patient/intake", data=intake_form())
        today = datetime.now(ZoneInfo(patient.timezone)).date()
        pcs = assessments.assign(session, clinician, patient.id, "pcs", due_on=today)
        pcs.due_on = today - timedelta(days=16)  # asked for weeks ago, and the day has passed
        assessments.assign(session, clinician, patient.id, "gad7", due_on=today + timedelta(days=3))
        session.commit()
        home = " ".join(browser.get("/patient").text.split())
        assert "Fill them in" not in home
        pcs_row = home.split("Pain Catastrophizing Scale", 1)[1].split("</li>", 1)[0]
        assert "your care team fills this in with you at a visit" in pcs_row
        assert "overdue" in pcs_row and "16 days ago" in pcs_row
        gad = home.split("Generalized Anxiety Disorder", 1)[1].split("</li>", 1)[0]
        assert "you fill this in" in gad and "overdue" not in gad
        assert f"by {today + timedelta(days=3):%d %b %Y}" in gad
        assert 'href="/patient/questionnaires/gad7">Fill it in</a>' in home
        listed = " ".join(browser.get("/patient/questionnaires").text.split())
        pcs_listed = listed.split("Pain Catastrophizing Scale", 1)[1]
        assert 'overdue</span> <span class="muted">was due' in pcs_listed

    def test_item_9_cannot_be_declined_but_the_others_can(self, as_user: Browser, patient: Patient) -> None:
        page = as_user(patient.user, browser=True).get("/patient/questionnaires/phq9").text
        assert page.count('value="declined"') == 8
        assert 'name="item_9" value="declined"' not in page
        assert "Thoughts that you would be better off dead" in page
        assert "Pfizer" in page

    def test_phq9_item_9_sends_the_patient_to_the_safety_page_with_the_crisis_line(
        self, as_user: Browser, session: Session, patient: Patient, settings: Settings
    ) -> None:
        browser = as_user(patient.user, browser=True)
        sent = browser.post(
            "/patient/questionnaires/phq9", data=phq_form(*"000000001"), follow_redirects=False
        )
        assert sent.status_code == 303 and sent.headers["location"] == "/patient/safety"
        safety = browser.get("/patient/safety").text
        assert settings.crisis_line in safety and "You do not have to cope with them alone" in safety
        assert rows(session, SafetyAlert, patient) == 1

    def test_a_completed_questionnaire_is_scored_and_listed(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        sent = browser.post("/patient/questionnaires/gad7", data=phq_form(*"2222222"), follow_redirects=False)
        assert sent.headers["location"] == "/patient/questionnaires?done=gad7"
        page = browser.get(sent.headers["location"]).text
        assert "your answers to the GAD-7 are saved" in page and "14 · moderate" in page

    def test_an_item_left_out_re_shows_the_form_naming_it(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        form = phq_form(*"1111111")
        form["item_9"] = "declined"
        page = as_user(patient.user, browser=True).post("/patient/questionnaires/phq9", data=form)
        assert page.status_code == 422
        assert "Please answer item 8, or choose" in page.text
        assert "Please answer item 9: it helps us keep you safe" in page.text
        assert rows(session, QuestionnaireResponse, patient) == 0

    def test_prefer_not_to_answer_is_stored_as_declined(
        self, as_user: Browser, session: Session, patient: Patient
    ) -> None:
        form = phq_form(*"1111111")
        form["item_8"], form["item_9"] = "declined", "0"
        as_user(patient.user, browser=True).post("/patient/questionnaires/phq9", data=form)
        stored = session.scalar(
            select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == patient.id)
        )
        assert stored is not None and stored.declined_items == [8] and stored.valid is False

    @pytest.mark.parametrize("value", ["4", "-1", "x", "1.0", ""])
    def test_a_value_that_is_not_an_option_is_refused(
        self, as_user: Browser, patient: Patient, value: str
    ) -> None:
        page = as_user(patient.user, browser=True).post(
            "/patient/questionnaires/phq9", data=phq_form(value, *"00000000")
        )
        assert page.status_code == 422

    def test_without_licensed_wording_the_patient_is_told_the_care_team_will_help(
        self, as_user: Browser, patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        page = browser.get("/patient/questionnaires/odi").text
        assert (
            "Your care team will go through this questionnaire with you" in page
            and '<form method="post" action="/patient' not in page
        )
        refused = browser.post("/patient/questionnaires/odi", data=phq_form(*"1111111111"))
        assert refused.status_code == 422 and "filled in with your care team" in refused.text

    def test_unknown_instrument_is_not_found(self, as_user: Browser, patient: Patient) -> None:
        assert as_user(patient.user, browser=True).get("/patient/questionnaires/phq10").status_code == 404

    def test_clinic_wording_lets_patients_fill_a_licensed_instrument(
        self,
        tmp_path: Path,
        settings: Settings,
        sessions: sessionmaker[Session],
        session: Session,
        patient: Patient,
    ) -> None:
        (tmp_path / "pcs.yaml").write_text(
            yaml.safe_dump(
                {
                    "instrument": "pcs",
                    "licence": "PCS wording licensed from Mapi Research Trust, licence 123",
                    "items": [{"number": n, "text": f"Licensed PCS statement {n}"} for n in range(1, 14)],
                }
            ),
            encoding="utf-8",
        )
        app = create_app(settings.model_copy(update={"instrument_text_dir": tmp_path}), sessions=sessions)
        browser = login_client(app, session, settings, patient.user, browser=True)
        page = browser.get("/patient/questionnaires/pcs").text
        assert "Licensed PCS statement 13" in page and "licence 123" in page
        sent = browser.post(
            "/patient/questionnaires/pcs", data=phq_form(*"2222222222222"), follow_redirects=False
        )
        assert sent.status_code == 303
        stored = session.scalar(
            select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == patient.id)
        )
        assert stored is not None and stored.total == 26 and stored.subscales["rumination"] == 8


class TestClinician:
    @pytest.fixture
    def flagged(self, session: Session, patient: Patient, clinician: User) -> SafetyAlert:
        assessments.submit_response(session, patient.user, patient.id, "phq9", [2, 2, 2, 2, 2, 1, 1, 1, 0])
        return assessments.submit_response(session, patient.user, patient.id, "phq9", [1] * 9).alerts[0]

    def test_the_assessment_view_shows_scores_bands_history_and_the_open_alert(
        self, as_user: Browser, patient: Patient, clinician: User, flagged: SafetyAlert
    ) -> None:
        page = as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}/assessment").text
        assert str(escape(flagged.summary)) in page
        assert f'action="/clinician/alerts/{flagged.id}/acknowledge"' in page
        assert "<td>13</td><td>moderate</td>" in page and "<td>9</td><td>mild</td>" in page  # 4x2+2+3 / 9x1
        assert "<svg" in page  # the PHQ-9 totals over time
        assert "scoring phq9/1" in page

    def test_acknowledging_from_the_page_needs_a_note_and_returns_to_the_view(
        self, as_user: Browser, session: Session, patient: Patient, clinician: User, flagged: SafetyAlert
    ) -> None:
        browser = as_user(clinician, browser=True)
        back = f"/clinician/patients/{patient.id}/assessment"
        short = browser.post(
            f"/clinician/alerts/{flagged.id}/acknowledge",
            data={"csrf_token": CSRF, "action": "gp_informed", "note": "", "back": back},
        )
        assert short.status_code == 422 and "write what was done" in short.text
        done = browser.post(
            f"/clinician/alerts/{flagged.id}/acknowledge",
            data={
                "csrf_token": CSRF,
                "action": "gp_informed",
                "note": "Phoned; safe; GP aware.",
                "back": back,
            },
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"] == back
        page = browser.get(back).text
        assert "Acknowledged" in page and "Phoned; safe; GP aware." in page
        assert "GP informed and following up" in page

    @pytest.mark.parametrize(
        "back", ["https://evil.example/", "//evil.example/x", "/patient", "/clinician\\@evil"]
    )
    def test_acknowledging_never_redirects_off_the_clinician_pages(
        self, as_user: Browser, clinician: User, flagged: SafetyAlert, back: str
    ) -> None:
        done = as_user(clinician, browser=True).post(
            f"/clinician/alerts/{flagged.id}/acknowledge",
            data={"csrf_token": CSRF, "action": "gp_informed", "note": "Seen today in clinic.", "back": back},
            follow_redirects=False,
        )
        assert done.headers["location"] == "/clinician"

    def test_the_clinician_home_lists_open_alerts_with_an_acknowledge_form(
        self, as_user: Browser, session: Session, clinician: User, flagged: SafetyAlert
    ) -> None:
        panel = pages._alerts_panel(session, clinician)
        assert panel is not None and panel.title == "Open safety alerts (1)"
        page = as_user(clinician, browser=True).get("/clinician").text
        assert "Open safety alerts (1)" in page and f"/clinician/alerts/{flagged.id}/acknowledge" in page

    def test_the_overview_panel_shows_duration_latest_scores_and_open_alerts(
        self, session: Session, patient: Patient, clinician: User, flagged: SafetyAlert
    ) -> None:
        assessments.submit_intake(
            session,
            patient.user,
            patient.id,
            assessments.IntakeCreate.model_validate(
                {
                    "pain_duration_weeks": 8,
                    "onset": "injury",
                    "pain_location": "lower_back",
                    "average_pain_last_week": 4,
                    "age_years": 40,
                    "red_flags": {q.id: "no" for q in red_flags.questions()},
                }
            ),
        )
        panel = pages._overview_panel(session, clinician, patient)
        assert panel is not None
        assert panel.context["alerts"] == [flagged]
        assert panel.context["intake"].chronic is False
        assert [(i.id, r.total) for i, r in panel.context["latest"]] == [("phq9", 9)]

    def test_the_patient_panel_says_the_program_is_paused(
        self, session: Session, patient: Patient, flagged: SafetyAlert
    ) -> None:
        panel = pages._patient_panel(session, patient.user, patient)
        assert panel is not None and panel.context["alerts"] == [flagged] and panel.order == 1

    def test_assign_from_the_view_and_see_it_waiting(
        self, as_user: Browser, patient: Patient, clinician: User
    ) -> None:
        browser = as_user(clinician, browser=True)
        url = f"/clinician/patients/{patient.id}/assignments"
        sent = browser.post(
            url,
            data={"csrf_token": CSRF, "instrument_id": "pcs", "due_on": "2030-02-01"},
            follow_redirects=False,
        )
        assert sent.status_code == 303
        again = browser.post(url, data={"csrf_token": CSRF, "instrument_id": "pcs"})
        assert again.status_code == 409 and "The PCS is already waiting" in again.text
        bad_date = browser.post(url, data={"csrf_token": CSRF, "instrument_id": "gad7", "due_on": "soon"})
        assert bad_date.status_code == 422
        patient_view = as_user(patient.user, browser=True).get("/patient/questionnaires").text
        assert (
            "Pain Catastrophizing Scale" in patient_view
            and "your care team will go through this one with you" in patient_view
        )

    def test_a_clinician_enters_a_paper_odi_with_a_blank_section(
        self, as_user: Browser, session: Session, patient: Patient, clinician: User
    ) -> None:
        browser = as_user(clinician, browser=True)
        url = f"/clinician/patients/{patient.id}/questionnaires/odi"
        form = browser.get(url)
        assert form.status_code == 200 and "Left blank on the form" in form.text and "Mapi" in form.text
        data: dict[str, Any] = phq_form(*"3222222")
        data |= {"item_8": "blank", "item_9": "1", "item_10": "1"}
        sent = browser.post(url, data=data, follow_redirects=False)
        assert sent.status_code == 303
        stored = session.scalar(
            select(QuestionnaireResponse).where(QuestionnaireResponse.patient_id == patient.id)
        )
        assert stored is not None and stored.total == 37.8 and stored.band == "moderate disability"

    def test_a_clinician_off_the_team_sees_nothing(
        self, as_user: Browser, patient: Patient, other_clinician: User, flagged: SafetyAlert
    ) -> None:
        browser = as_user(other_clinician, browser=True)
        assert browser.get(f"/clinician/patients/{patient.id}/assessment").status_code == 404
        assert browser.get(f"/clinician/patients/{patient.id}/questionnaires/odi").status_code == 404
        refused = browser.post(
            f"/clinician/alerts/{flagged.id}/acknowledge", data={"csrf_token": CSRF, "note": "Not mine."}
        )
        assert refused.status_code == 404
        assert "Open safety alerts" not in browser.get("/clinician").text


def test_a_patient_without_a_care_team_is_told_to_call_the_clinic(
    app: FastAPI, session: Session, settings: Settings
) -> None:
    lonely = create_patient(session)
    browser = login_client(app, session, settings, lonely.user, browser=True)
    browser.post("/patient/intake", data=intake_form(rf_cancer_history="new"))
    page = browser.get("/patient/safety").text
    assert "You do not have a care team yet" in page and settings.clinic_phone in page


class TestAlertsNobodyWouldSee:
    """A self-registered patient has no care team yet: their alert must reach the front desk at once."""

    def test_admin_home_lists_the_alert_of_a_patient_without_a_care_team(
        self, as_user: Browser, session: Session, admin: User
    ) -> None:
        alone = create_patient(session, care_team=[])
        as_user(alone.user, browser=True).post(
            "/patient/questionnaires/phq9", data=phq_form(*"000000002"), follow_redirects=False
        )
        page = as_user(admin, browser=True).get("/admin")
        assert page.status_code == 200
        assert "Safety alerts with no care team to see them (1)" in page.text
        assert str(escape(alone.user.full_name)) in page.text
        assert f"/admin/patients/{alone.id}/care-team" in page.text

    def test_once_a_clinician_is_assigned_the_alert_moves_to_their_caseload(
        self, as_user: Browser, session: Session, admin: User, clinician: User
    ) -> None:
        alone = create_patient(session, care_team=[])
        as_user(alone.user, browser=True).post(
            "/patient/questionnaires/phq9", data=phq_form(*"000000001"), follow_redirects=False
        )
        desk = as_user(admin, browser=True)
        desk.post(
            f"/admin/patients/{alone.id}/care-team",
            data={"csrf_token": CSRF, "clinician_id": str(clinician.id)},
            follow_redirects=False,
        )
        assert "Safety alerts with no care team" not in desk.get("/admin").text
        caseload = as_user(clinician, browser=True).get("/clinician").text
        assert "Open safety alerts (1)" in caseload

    def test_the_admins_sight_of_the_alert_is_audited(
        self, as_user: Browser, session: Session, admin: User
    ) -> None:
        from painrewire.accounts.models import AuditEvent

        alone = create_patient(session, care_team=[])
        as_user(alone.user, browser=True).post(
            "/patient/questionnaires/phq9", data=phq_form(*"000000003"), follow_redirects=False
        )
        as_user(admin, browser=True).get("/admin")
        session.expire_all()
        reads = session.scalars(
            select(AuditEvent).where(
                AuditEvent.patient_id == alone.id,
                AuditEvent.actor_id == admin.id,
                AuditEvent.resource_type == "safety_alert",
            )
        ).all()
        assert len(reads) == 1 and reads[0].reason
