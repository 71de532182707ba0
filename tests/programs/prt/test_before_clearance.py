"""Before a pain specialist has cleared a patient, PRT says only what is true then: lessons say the check is still
to come, and the neuroplastic-pain checklist does not count signs that also point to specific causes."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from painrewire.programs.prt import content
from painrewire.programs.prt import service as prt
from tests.fixtures.factories import CSRF, create_clearance, create_intake

#: Signs that are also features of inflammatory back pain or other specific causes (Sieper 2009 ASAS criteria:
#: insidious onset, alternating buttock pain, night pain; a normal X-ray early on; IBD and enthesitis).
OVERLAPPING = {
    "onset_without_injury",
    "outlasted_healing",
    "moves_or_spreads",
    "symmetrical",
    "triggers_unrelated_to_body",
    "other_symptoms",
    "no_structural_cause",
}
PENDING = "Your pain specialist will check for the rare causes that need other care before practice starts."
DONE = "Your clinician has checked for the rare causes that need other care."


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def answers(yes: set[str]) -> dict[str, bool]:
    return {item.id: item.id in yes for item in content.checklist().items}


def waiting_patient(session: Session, patient: Patient) -> Patient:
    create_intake(session, patient)
    return patient


class TestChecklistContent:
    def test_the_signs_that_also_point_to_specific_causes_wait_for_a_clinician(self) -> None:
        waiting = {item.id for item in content.checklist().items if item.waits_for_clinician}
        assert waiting == OVERLAPPING
        assert {"onset_without_injury", "moves_or_spreads", "symmetrical"} <= waiting
        assert all(c in content.OVERLAP_CAUSES for i in content.checklist().items for c in i.overlaps)

    def test_before_clearance_only_the_other_signs_count_and_there_is_no_verdict(self) -> None:
        # 5 overlapping and 2 other signs: 7 counted once cleared ("many"), 2 before ("few").
        yes = {
            "onset_without_injury",
            "moves_or_spreads",
            "symmetrical",
            "other_symptoms",
            "no_structural_cause",
            "worse_with_stress",
            "self_critical",
        }
        after = content.summarise_checklist(answers(yes), cleared=True)
        before = content.summarise_checklist(answers(yes), cleared=False)
        assert (after.count, after.level, after.held) == (7, "many", ())
        assert (before.count, before.level, before.before_clearance) == (2, "few", True)
        assert set(before.held) == yes - {"worse_with_stress", "self_critical"}
        assert before.endorsed == after.endorsed  # every answer is kept
        assert "good news" not in before.text and "encouraging" not in before.text
        assert "your clinician will go through your answers with you before they are counted" in before.text

    def test_a_check_marker_must_be_complete(self) -> None:
        broken = (
            "---\nid: x\norder: 99\ntitle: X\nminutes: 1\nsummary: s\nsources: [s]\npass_mark: 1\nquiz:\n"
            "  - id: q\n    question: q?\n    options:\n      - text: a\n        correct: true\n"
            "      - text: b\n        feedback: Not this one.\n    explanation: e\n---\n{{check-done}}Checked.\n"
        )
        try:
            content.parse_lesson(broken)
        except content.ContentError as exc:
            assert "check marker" in str(exc)
        else:  # pragma: no cover - the assertion is the point
            raise AssertionError("a half-written check marker was accepted")


class TestChecklistForThePatient:
    def test_before_clearance_the_page_says_the_clinician_will_go_through_it(
        self, session: Session, as_user: Callable[..., TestClient], new_patient: Patient
    ) -> None:
        patient = waiting_patient(session, new_patient)
        browser = as_user(patient.user, browser=True)
        form = {"csrf_token": CSRF, **{k: "yes" if v else "no" for k, v in answers(OVERLAPPING).items()}}
        saved = browser.post("/patient/prt/checklist", data=form)
        words = text(saved.text)
        assert "your clinician will go through your answers with you before they are counted" in words
        assert "of 13" not in words
        assert "good news" not in words and "You recognised" not in words
        assert "This can also have other causes. Your clinician will go through it with you." in words
        assert "Pain that begins without damage points to the alarm system." not in words
        stored = prt.latest_checklist(session, patient)
        assert stored is not None
        assert (stored.score, stored.level, stored.before_clearance) == (0.0, "few", True)
        assert set(stored.held) == OVERLAPPING and set(stored.endorsed) == OVERLAPPING
        home = text(browser.get("/patient/prt").text)
        assert "Filled in. Your clinician will go through it with you." in home

    def test_after_clearance_it_counts_every_sign_as_before(
        self, session: Session, as_user: Callable[..., TestClient], new_patient: Patient, clinician: User
    ) -> None:
        patient = waiting_patient(session, new_patient)
        prt.save_checklist(session, patient.user, patient.id, answers(OVERLAPPING))
        create_clearance(session, patient, by=clinician, days_ago=0)
        browser = as_user(patient.user, browser=True)
        page = text(browser.get("/patient/prt/checklist").text)
        assert (
            "before your pain specialist's check. Fill it in again now to see what your answers mean." in page
        )
        form = {"csrf_token": CSRF, **{k: "yes" if v else "no" for k, v in answers(OVERLAPPING).items()}}
        saved = text(browser.post("/patient/prt/checklist", data=form).text)
        assert "Saved. You recognised 7 of 13 signs." in saved and "That is good news" in saved
        stored = prt.latest_checklist(session, patient)
        assert stored is not None and (stored.score, stored.level, stored.before_clearance, stored.held) == (
            7.0,
            "many",
            False,
            [],
        )

    def test_the_api_says_which_signs_wait(
        self, session: Session, as_user: Callable[..., TestClient], new_patient: Patient
    ) -> None:
        patient = waiting_patient(session, new_patient)
        me = as_user(patient.user)
        saved = me.post(
            f"/api/v1/patients/{patient.id}/prt/checklist", json={"answers": answers({"symmetrical"})}
        )
        assert saved.status_code == 201
        assert (saved.json()["score"], saved.json()["before_clearance"], saved.json()["held"]) == (
            0.0,
            True,
            ["symmetrical"],
        )
        state = me.get(f"/api/v1/patients/{patient.id}/prt/checklist").json()
        assert state["cleared"] is False
        assert {i["id"] for i in state["items"] if i["waits_for_clinician"]} == OVERLAPPING


class TestLessonsSayACheckHappenedOnlyOnceItHas:
    def test_no_shipped_text_says_a_check_happened_before_it_has(self) -> None:
        claims = re.compile(r"has checked|have checked|has ruled out|checked for (the )?(rare|warning|signs)")
        for lesson in content.lessons():
            shown = content.lesson_for(lesson, cleared=False)
            texts = [shown.summary, shown.body_markdown] + [
                t
                for q in shown.quiz
                for t in (
                    q.question,
                    q.explanation,
                    *(o.text for o in q.options),
                    *(o.feedback for o in q.options),
                )
            ]
            assert not any(claims.search(t) for t in texts), lesson.id
        chk = content.checklist()
        assert not claims.search(chk.intro_waiting + chk.waiting)

    def test_the_lesson_sentence_changes_once_the_patient_is_cleared(
        self, session: Session, as_user: Callable[..., TestClient], new_patient: Patient, clinician: User
    ) -> None:
        patient = waiting_patient(session, new_patient)
        browser = as_user(patient.user, browser=True)
        url = "/patient/prt/lessons/sensitisation"
        wrong = {"csrf_token": CSRF, "smoke_alarm": "0", "light_touch": "1", "turn_down": "0"}
        before = text(browser.post(url, data=wrong).text)
        assert PENDING in before and DONE not in before
        reappraisal = text(browser.get("/patient/prt/lessons/safety_reappraisal").text)
        assert "Your pain specialist will check for rare causes before practice starts." in reappraisal
        assert "your clinician has checked for warning signs" not in reappraisal

        create_clearance(session, patient, by=clinician, days_ago=0)
        after = text(browser.post(url, data=wrong).text)
        assert DONE in after and PENDING not in after
        reappraisal = text(browser.get("/patient/prt/lessons/safety_reappraisal").text)
        assert "your clinician has checked for warning signs" in reappraisal
        api = (
            as_user(patient.user).get(f"/api/v1/patients/{patient.id}/prt/lessons/safety_reappraisal").json()
        )
        assert "your clinician has checked for warning signs" in api["body_html"]
