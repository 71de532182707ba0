"""Pages: every neurofeedback page renders for the people it is for, refuses the others, and says what it must
(set-up errors in words, the sham badge to the care team only, the summary and recording in the review)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.neurofeedback import service
from painrewire.neurofeedback.live.hub import BUSY_RETRY_SECONDS, hub_of
from painrewire.neurofeedback.models import NeurofeedbackSession
from painrewire.neurofeedback.schemas import SessionCreate
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF

from .conftest import finished_session

Browser = Callable[..., TestClient]


@pytest.fixture
def done(session: Session, patient: Patient, clinician: User, tmp_path: Path) -> NeurofeedbackSession:
    return finished_session(session, patient, clinician, tmp_path)


@pytest.fixture
def planned(session: Session, patient: Patient, clinician: User) -> NeurofeedbackSession:
    """A session set up (its live loop not started: these are page tests)."""
    row = service.create_session(
        session, clinician, patient.id, SessionCreate(duration_seconds=60, baseline_seconds=10)
    )
    session.commit()
    return row


class TestPractitionerPages:
    def test_a_patient_cannot_open_the_practitioners_pages(
        self, as_user: Browser, patient: Patient, done: NeurofeedbackSession
    ) -> None:
        browser = as_user(patient.user, browser=True)
        for url in (
            "/clinician/neurofeedback",
            f"/clinician/patients/{patient.id}/neurofeedback",
            f"/clinician/neurofeedback/sessions/{done.id}/review",
        ):
            assert browser.get(url).status_code in (403, 404), url

    def test_a_clinician_off_the_care_team_sees_nothing_of_the_session(
        self, as_user: Browser, other_clinician: User, patient: Patient, done: NeurofeedbackSession
    ) -> None:
        browser = as_user(other_clinician, browser=True)
        page = browser.get(f"/clinician/neurofeedback/sessions/{done.id}/review")
        assert page.status_code == 404 and patient.user.full_name not in page.text
        assert patient.user.full_name not in browser.get("/clinician/neurofeedback").text

    def test_the_session_list_shows_the_caseloads_sessions(
        self, as_user: Browser, clinician: User, patient: Patient, done: NeurofeedbackSession
    ) -> None:
        page = as_user(clinician, browser=True).get("/clinician/neurofeedback")
        assert page.status_code == 200
        assert patient.user.full_name in page.text and f"/sessions/{done.id}/review" in page.text

    def test_the_set_up_page_says_what_each_protocol_rests_on_and_asks_the_eyes(
        self, as_user: Browser, clinician: User, patient: Patient
    ) -> None:
        page = as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}/neurofeedback")
        assert (
            '<optgroup label="Pain protocols">' in page.text
            and '<optgroup label="Not a pain protocol">' in page.text
        )
        assert "for low mood, not pain" in page.text and "Not studied in chronic back pain" in page.text
        assert 'name="eyes"' in page.text and "high beta 22-30 Hz" in page.text
        assert "no sham session can start" in page.text  # no consent to blinded sessions

    def test_the_set_up_page_offers_the_headsets_and_the_sessions_to_replay(
        self, as_user: Browser, clinician: User, blinded_consent: Patient, done: NeurofeedbackSession
    ) -> None:
        patient = blinded_consent
        page = as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}/neurofeedback")
        assert page.status_code == 200
        assert 'name="board_id"' in page.text and "Synthetic" in page.text
        assert 'name="sham_source_id"' in page.text and str(done.id) in page.text

    def test_bad_set_up_input_is_answered_in_words_with_the_form_kept(
        self, as_user: Browser, clinician: User, blinded_consent: Patient
    ) -> None:
        patient = blinded_consent
        browser = as_user(clinician, browser=True)
        url = f"/clinician/patients/{patient.id}/neurofeedback"
        page = browser.post(url, data={"csrf_token": CSRF, "minutes": "ten", "protocol": "alpha"})
        assert page.status_code == 422 and "minutes: enter a number" in page.text
        page = browser.post(
            url, data={"csrf_token": CSRF, "minutes": "1", "baseline_seconds": "120", "protocol": "alpha"}
        )
        assert page.status_code == 422 and "must be shorter than the session" in page.text
        page = browser.post(url, data={"csrf_token": CSRF, "sham": "on"})
        assert page.status_code == 422 and "has none yet" in page.text

    def test_a_second_session_while_one_is_live_is_a_conflict(
        self, as_user: Browser, clinician: User, patient: Patient, planned: NeurofeedbackSession
    ) -> None:
        page = as_user(clinician, browser=True).post(
            f"/clinician/patients/{patient.id}/neurofeedback", data={"csrf_token": CSRF}
        )
        assert page.status_code == 409 and "already has a neurofeedback session" in page.text
        assert "The session was not set up:" in page.text

    def test_a_server_too_busy_for_another_live_session_says_so_on_the_form(
        self, app: FastAPI, as_user: Browser, session: Session, clinician: User, patient: Patient
    ) -> None:
        hub = hub_of(app)
        now = time.monotonic()
        # Its sessions' recent steps ran 80 ms late (test_live.py measures a stalled loop for real).
        for _ in range(hub.lag.min_wakes):
            hub.lag.add(0.080, now)
        page = as_user(clinician, browser=True).post(
            f"/clinician/patients/{patient.id}/neurofeedback",
            data={"csrf_token": CSRF, "minutes": "12", "protocol": "alpha"},
        )
        assert page.status_code == 503
        assert page.headers["Retry-After"] == str(BUSY_RETRY_SECONDS)  # as the API's refusal
        assert "The session was not set up:" in page.text and "Please check the form" not in page.text
        assert "cannot keep up with another live session" in page.text and "80 ms or more late" in page.text
        assert 'value="12"' in page.text  # the form is kept
        assert not session.query(NeurofeedbackSession).filter_by(patient_id=patient.id).count()

    def test_the_console_of_a_live_session_connects_to_its_socket(
        self, as_user: Browser, clinician: User, planned: NeurofeedbackSession
    ) -> None:
        page = as_user(clinician, browser=True).get(f"/clinician/neurofeedback/sessions/{planned.id}")
        assert page.status_code == 200
        assert f"/api/v1/neurofeedback/sessions/{planned.id}/console/ws" in page.text
        assert "Signal check" in page.text and 'name="override_note"' in page.text

    def test_the_console_of_an_ended_session_opens_its_review(
        self, as_user: Browser, clinician: User, done: NeurofeedbackSession
    ) -> None:
        page = as_user(clinician, browser=True).get(
            f"/clinician/neurofeedback/sessions/{done.id}", follow_redirects=False
        )
        assert page.status_code in (302, 303) and page.headers["location"].endswith("/review")

    def test_the_review_shows_the_summary_the_recording_and_the_notes(
        self, as_user: Browser, clinician: User, done: NeurofeedbackSession
    ) -> None:
        page = as_user(clinician, browser=True).get(f"/clinician/neurofeedback/sessions/{done.id}/review")
        assert page.status_code == 200
        assert "Reward rate" in page.text and "Band power per minute against the baseline" in page.text
        assert "recording.edf" in page.text and "bids.zip" in page.text and "live EEG" in page.text

    def test_time_in_feedback_reads_in_seconds_under_a_minute_and_in_minutes_after(
        self,
        as_user: Browser,
        session: Session,
        clinician: User,
        patient: Patient,
        done: NeurofeedbackSession,
    ) -> None:
        clinician_pages = (
            f"/clinician/neurofeedback/sessions/{done.id}/review",
            "/clinician/neurofeedback",
            f"/clinician/patients/{patient.id}",
        )
        seconds = round(done.summary["minutes_trained"] * 60)
        assert 0 < seconds < 60  # a short session: it used to read "0.5 min", or "0 minutes" to the patient
        for url in clinician_pages:
            text = as_user(clinician, browser=True).get(url).text
            assert f"{seconds} s" in text and " 0.5 min" not in text, url
        assert (
            f"{seconds} seconds of feedback"
            in as_user(patient.user, browser=True).get("/patient/neurofeedback").text
        )

        done.summary = {**done.summary, "minutes_trained": 12.3}
        session.commit()
        for url in clinician_pages:
            assert "12.3 min" in as_user(clinician, browser=True).get(url).text, url
        assert (
            "12 minutes of feedback" in as_user(patient.user, browser=True).get("/patient/neurofeedback").text
        )

    def test_the_review_of_a_sham_session_says_sham(
        self, as_user: Browser, session: Session, clinician: User, done: NeurofeedbackSession
    ) -> None:
        done.sham = True
        done.sham_source_id = None
        session.commit()
        page = as_user(clinician, browser=True).get(f"/clinician/neurofeedback/sessions/{done.id}/review")
        assert ">sham<" in page.text and "Sham session: the feedback replayed" in page.text

    def test_clinician_lists_speak_clinically_and_the_review_keeps_the_engineering(
        self, as_user: Browser, clinician: User, patient: Patient, done: NeurofeedbackSession
    ) -> None:
        browser = as_user(clinician, browser=True)
        for path in (f"/clinician/patients/{patient.id}", f"/clinician/patients/{patient.id}/neurofeedback"):
            page = browser.get(path).text
            assert f"/clinician/neurofeedback/sessions/{done.id}/review" in page
            assert "p99" not in page.lower(), path
        assert "p99" in browser.get(f"/clinician/neurofeedback/sessions/{done.id}/review").text

    def test_the_console_links_the_patients_screen(
        self, as_user: Browser, clinician: User, planned: NeurofeedbackSession
    ) -> None:
        page = as_user(clinician, browser=True).get(f"/clinician/neurofeedback/sessions/{planned.id}").text
        assert f'<a href="/patient/neurofeedback/sessions/{planned.id}"' in page

    def test_the_patients_page_has_a_neurofeedback_panel(
        self, as_user: Browser, clinician: User, patient: Patient, done: NeurofeedbackSession
    ) -> None:
        page = as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}")
        assert page.status_code == 200 and f"/clinician/neurofeedback/sessions/{done.id}/review" in page.text


class TestPatientPages:
    def test_what_the_patient_reads_promises_nothing(self, as_user: Browser, patient: Patient) -> None:
        page = as_user(patient.user, browser=True).get("/patient/neurofeedback")
        assert page.status_code == 200
        assert "it is not yet known how much it helps" in page.text
        for promise in ("alarm down", "will reduce", "will help", "cure"):
            assert promise not in page.text

    def test_the_patient_is_sent_to_their_live_session(
        self, as_user: Browser, patient: Patient, planned: NeurofeedbackSession
    ) -> None:
        browser = as_user(patient.user, browser=True)
        assert f"/patient/neurofeedback/sessions/{planned.id}" in browser.get("/patient").text
        assert f"/patient/neurofeedback/sessions/{planned.id}" in browser.get("/patient/neurofeedback").text

    def test_the_feedback_screen_never_says_sham(
        self, as_user: Browser, session: Session, patient: Patient, planned: NeurofeedbackSession
    ) -> None:
        planned.sham = True
        session.commit()
        page = as_user(patient.user, browser=True).get(f"/patient/neurofeedback/sessions/{planned.id}")
        assert page.status_code == 200
        assert f"/api/v1/neurofeedback/sessions/{planned.id}/feedback/ws" in page.text
        assert "sham" not in page.text.lower()

    def test_a_live_session_shows_the_session_and_no_menu(
        self, as_user: Browser, patient: Patient, planned: NeurofeedbackSession
    ) -> None:
        page = as_user(patient.user, browser=True).get(f"/patient/neurofeedback/sessions/{planned.id}").text
        assert 'id="main-nav"' not in page and "Session in progress" in page
        assert 'id="main-nav"' in as_user(patient.user, browser=True).get("/patient/neurofeedback").text

    def test_the_patients_download_of_their_data_never_says_which_session_was_sham(
        self,
        as_user: Browser,
        session: Session,
        clinician: User,
        patient: Patient,
        done: NeurofeedbackSession,
        tmp_path: Path,
    ) -> None:
        sham = finished_session(session, patient, clinician, tmp_path, seed=1, sham_of=done)
        # What the download must hide is there to be hidden: the sham session replayed the live one.
        assert sham.sham and sham.summary is not None and sham.summary["sham"] is True
        assert sham.hop_rewards == (done.hop_rewards or [])[: len(sham.hop_rewards or [])]
        response = as_user(patient.user, browser=True).get("/patient/my-data.json")
        assert response.status_code == 200
        document = response.json()
        rows = {row["id"]: row for row in document["tables"]["nfb_sessions"]}
        assert set(rows) == {str(done.id), str(sham.id)}
        blinded = ("sham", "sham_source_id", "hop_rewards", "hop_feedback")
        for row in rows.values():
            for name in blinded:
                assert row[name] == {"withheld": "blinded", "available": "from your care team on request"}
            assert "sham" not in row["summary"]
        # The rest of each session is there, and nothing in the sham session's row points at the one it replayed.
        live_row, sham_row = rows[str(done.id)], rows[str(sham.id)]
        assert live_row["summary"]["minutes_trained"] == pytest.approx(
            (done.summary or {})["minutes_trained"]
        )
        assert sham_row["recording_edf"]["bytes"] == len(sham.recording_edf or b"")
        assert str(done.id) not in json.dumps(sham_row)
        assert document["withheld"]["fields"]["nfb_sessions"] == [*blinded[:2], "summary.sham", *blinded[2:]]
        assert "blinded comparison" in document["withheld"]["about"]
        # The care team still sees it.
        review = as_user(clinician, browser=True).get(f"/clinician/neurofeedback/sessions/{sham.id}/review")
        assert ">sham<" in review.text

    def test_another_patient_cannot_open_the_feedback_screen(
        self, as_user: Browser, other_patient: Patient, planned: NeurofeedbackSession
    ) -> None:
        page = as_user(other_patient.user, browser=True).get(f"/patient/neurofeedback/sessions/{planned.id}")
        assert page.status_code == 404

    def test_the_patient_sees_their_finished_sessions(
        self, as_user: Browser, patient: Patient, done: NeurofeedbackSession
    ) -> None:
        page = as_user(patient.user, browser=True).get("/patient/neurofeedback")
        assert page.status_code == 200 and "seconds of feedback" in page.text  # under a minute of feedback
