"""PRT pages: lessons with quizzes answered in a form, the checklist, somatic tracking without JavaScript,
the journal shown back, the paused state, and the care team's view of PRT progress."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from painrewire.programs.prt import content
from painrewire.programs.prt import service as prt
from painrewire.programs.prt.schemas import SomaticTrackingWrite
from tests.fixtures.factories import CSRF
from tests.plans import builders


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


class TestLessonPages:
    def test_the_lesson_page_shows_the_text_and_a_quiz_without_the_answers(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        page = as_user(patient.user, browser=True).get("/patient/prt/lessons/how_the_brain_makes_pain")
        assert page.status_code == 200
        assert "<strong>your pain is real</strong>" in page.text
        assert page.text.count('type="radio"') == 9
        assert "correct" not in page.text.lower()

    def test_wrong_answers_get_explanations_and_right_ones_complete_the_lesson(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        url = "/patient/prt/lessons/how_the_brain_makes_pain"
        tried = browser.post(
            url,
            data={"csrf_token": CSRF, "where_pain_is_made": "2", "nail_story": "1", "what_this_means": "0"},
        )
        words = text(tried.text)
        assert tried.status_code == 200
        assert "1 of 3 right." in words
        assert "Not quite. Your pain is real. The brain makes every pain anyone has ever felt" in words
        assert (
            "The answer: In the brain, which decides from all it knows whether the body needs protecting."
            in words
        )
        done = browser.post(
            url,
            data={"csrf_token": CSRF, "where_pain_is_made": "0", "nail_story": "0", "what_this_means": "0"},
        )
        assert "3 of 3 right. Lesson done — this counts towards this week's practice." in text(done.text)
        listing = text(browser.get("/patient/prt/lessons").text)
        assert "done quiz 3 of 3" in listing
        assert "Start: Sensitisation: when the alarm is turned up" in listing

    def test_an_unanswered_question_is_refused_with_a_message_and_the_choices_kept(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        page = as_user(patient.user, browser=True).post(
            "/patient/prt/lessons/how_the_brain_makes_pain",
            data={"csrf_token": CSRF, "where_pain_is_made": "0", "what_this_means": "1"},
        )
        assert page.status_code == 422
        assert "Please choose an answer to question 2." in text(page.text)
        assert 'name="what_this_means" value="1" checked' in page.text


class TestPracticePages:
    def test_the_checklist_form_saves_the_summary(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        form = {"csrf_token": CSRF} | {
            item.id: "yes" if i < 7 else "no" for i, item in enumerate(content.checklist().items)
        }
        browser = as_user(patient.user, browser=True)
        saved = browser.post("/patient/prt/checklist", data=form, follow_redirects=False)
        assert saved.status_code == 303
        words = text(browser.get(saved.headers["location"]).text)
        assert "Saved. You recognised 7 of 13 signs. Many signs that your pain is being driven" in words

    def test_a_checklist_with_a_gap_is_shown_again_with_the_message(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        form = {"csrf_token": CSRF} | {item.id: "no" for item in content.checklist().items[1:]}
        page = as_user(patient.user, browser=True).post("/patient/prt/checklist", data=form)
        assert page.status_code == 422
        assert "Please answer yes or no to statement 1: My pain started without an injury" in text(page.text)

    def test_somatic_tracking_without_javascript_logs_the_ratings(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        page = browser.get("/patient/prt/somatic-tracking")
        assert 'src="/static/prt/somatic.js"' in page.text and "<script>" not in page.text
        assert "Find the sensation" in page.text
        form = {
            "csrf_token": CSRF,
            "pain_before": "6",
            "fear_before": "7",
            "pain_after": "4",
            "fear_after": "3",
            "seconds": "",
        }
        saved = browser.post("/patient/prt/somatic-tracking", data=form, follow_redirects=False)
        assert saved.status_code == 303
        (log,) = prt.somatic_history(session, patient)
        assert (log.pain_before, log.pain_after, log.fear_before, log.fear_after) == (6, 4, 7, 3)
        assert log.minutes == round(content.somatic_script().total_seconds / 60, 2)
        words = text(browser.get("/patient/prt/somatic-tracking?saved=1").text)
        assert "pain went from 6.0 before to 4.0 after, and fear from 7.0 to 3.0" in words

    def test_a_missing_rating_is_refused(self, as_user: Callable[..., TestClient], patient: Patient) -> None:
        form = {
            "csrf_token": CSRF,
            "pain_before": "6",
            "fear_before": "7",
            "pain_after": "4",
            "seconds": "200",
        }
        page = as_user(patient.user, browser=True).post("/patient/prt/somatic-tracking", data=form)
        assert page.status_code == 422
        assert "fear_after: Input should be a valid integer" in text(page.text)

    def test_the_journal_is_saved_and_shown_back(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        form = {
            "csrf_token": CSRF,
            "pain_moment": "Monday meeting <b>ran late</b>",
            "danger_message": "My back is breaking down",
            "safety_message": "Stress turns my alarm up; my back is fine",
            "pain_before": "7",
            "pain_after": "",
        }
        saved = browser.post("/patient/prt/journal", data=form, follow_redirects=False)
        assert saved.status_code == 303
        page = browser.get("/patient/prt/journal?saved=1")
        words = text(page.text)
        assert (
            "Danger message My back is breaking down Safety message Stress turns my alarm up; my back is fine"
            in words
        )
        assert "Monday meeting &lt;b&gt;ran late&lt;/b&gt;" in page.text

    def test_practice_pages_say_the_program_is_paused_while_an_alert_is_open(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        builders.open_alert(session, patient)
        browser = as_user(patient.user, browser=True)
        for url in ("/patient/prt/somatic-tracking", "/patient/prt/journal", "/patient/prt"):
            page = browser.get(url)
            assert "Your program is paused until a clinician has spoken with you." in text(page.text), url
        assert 'id="somatic-form"' not in browser.get("/patient/prt/somatic-tracking").text
        refused = browser.post(
            "/patient/prt/journal",
            data={"csrf_token": CSRF, "pain_moment": "a", "danger_message": "b", "safety_message": "c"},
        )
        assert refused.status_code == 409


class TestCareTeamView:
    def test_the_clinician_sees_lessons_checklist_ratings_and_journal(
        self, session: Session, as_user: Callable[..., TestClient], patient: Patient, clinician: User
    ) -> None:
        first = content.lessons()[0]
        prt.submit_quiz(
            session, patient.user, patient.id, first.id, {q.id: q.correct_index for q in first.quiz}
        )
        prt.save_checklist(session, patient.user, patient.id, {i.id: True for i in content.checklist().items})
        for before, after in [(6, 4), (5, 2)]:
            prt.log_somatic_tracking(
                session,
                patient.user,
                patient.id,
                SomaticTrackingWrite(
                    pain_before=before, fear_before=7, pain_after=after, fear_after=3, seconds=300
                ),
            )
        browser = as_user(clinician, browser=True)
        panel = text(browser.get(f"/clinician/patients/{patient.id}").text)
        assert "Lessons 1 of 9 done; quizzes 100% on average" in panel
        assert "Checklist 13 signs, many" in panel
        assert "Somatic tracking 2 in 14 days; pain 5.5 → 3.0, fear 7.0 → 3.0" in panel
        page = browser.get(f"/clinician/patients/{patient.id}/prt")
        words = text(page.text)
        assert "1. How the brain makes pain" in words and "3 / 3" in words
        assert "Last 2: pain 5.5 → 3.0 (-2.5), fear 7.0 → 3.0 (-4.0)" in words
        assert page.text.count('<g class="pain">') == 2

    def test_an_outside_clinician_gets_404(
        self, as_user: Callable[..., TestClient], patient: Patient, other_clinician: User
    ) -> None:
        assert (
            as_user(other_clinician, browser=True).get(f"/clinician/patients/{patient.id}/prt").status_code
            == 404
        )
