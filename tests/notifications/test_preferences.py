"""Each person's choices: quiet hours hold mail but never an urgent alert, a kind off sends nothing, in the app only
shows it on the home page instead, and one-click unsubscribe turns a kind off without a login."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments import alerts
from painrewire.assessments.models import AlertKind, AssignmentStatus, QuestionnaireAssignment
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.notifications import preferences
from painrewire.notifications import service as notifications
from painrewire.notifications.models import Category, ReminderChannel
from painrewire.notifications.worker import Worker, wait_until_idle
from painrewire.patients.models import Patient
from painrewire.scheduling import email_reminders
from tests.fixtures.factories import CSRF
from tests.fixtures.smtp import SmtpServer
from tests.notifications.builders import book, mail_to, open_every_day, outbox, prefer, run_at
from tests.scheduling.builders import london

LONDON = ZoneInfo("Europe/London")
MONDAY = date(2027, 3, 22)  # GMT
BOOKED_AT = london(date(2027, 3, 1), "09:00")


def assign(session: Session, patient: Patient, clinician: User, due_on: date) -> QuestionnaireAssignment:
    assignment = QuestionnaireAssignment(
        patient_id=patient.id,
        instrument_id="peg",
        assigned_by_id=clinician.id,
        due_on=due_on,
        status=AssignmentStatus.OPEN,
    )
    session.add(assignment)
    session.commit()
    return assignment


def london_today() -> date:
    return utcnow().astimezone(LONDON).date()


class TestQuietHours:
    def test_the_end_of_quiet_hours_on_the_persons_clock(self) -> None:
        night, morning = time(22, 0), time(7, 0)
        summer_evening = datetime(2027, 6, 1, 21, 30, tzinfo=UTC)  # 22:30 BST
        assert preferences.quiet_until(summer_evening, night, morning, LONDON) == datetime(
            2027, 6, 2, 6, 0, tzinfo=UTC
        )
        assert preferences.quiet_until(datetime(2027, 6, 2, 5, 0, tzinfo=UTC), night, morning, LONDON) == (
            datetime(2027, 6, 2, 6, 0, tzinfo=UTC)
        )
        assert preferences.quiet_until(datetime(2027, 6, 2, 6, 0, tzinfo=UTC), night, morning, LONDON) is None
        assert (
            preferences.quiet_until(datetime(2027, 6, 2, 12, 0, tzinfo=UTC), night, morning, LONDON) is None
        )
        # The night the clocks go forward is an hour shorter: 07:00 BST is 06:00 UTC.
        assert preferences.quiet_until(datetime(2027, 3, 27, 23, 0, tzinfo=UTC), night, morning, LONDON) == (
            datetime(2027, 3, 28, 6, 0, tzinfo=UTC)
        )
        # A quiet period within one day; its end skipped by the spring change ends when the clock jumps.
        assert preferences.quiet_until(
            datetime(2027, 3, 28, 0, 30, tzinfo=UTC), time(0, 0), time(1, 30), LONDON
        ) == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)

    def test_a_reminder_waits_until_they_end(
        self,
        session: Session,
        settings: Settings,
        clinician: User,
        patient: Patient,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        open_every_day(session, clinician)
        prefer(session, patient.user, quiet_start="22:00", quiet_end="09:00")
        visit = book(session, settings, clinician, patient, day=MONDAY, clock="10:00", now=BOOKED_AT)
        run_at(worker, visit.starts_at - timedelta(hours=24))
        assert len(mail_to(smtp_server, patient.user)) == 1  # Sunday 10:00 is not quiet

        run_at(worker, london(MONDAY, "08:00"))  # the 2-hour reminder is due in quiet hours
        run_at(worker, london(MONDAY, "08:59"))
        assert len(mail_to(smtp_server, patient.user)) == 1
        run_at(worker, london(MONDAY, "09:00"))
        assert "today at 10:00" in mail_to(smtp_server, patient.user)[1].text

    def test_an_urgent_alert_ignores_them_and_other_clinical_mail_waits(
        self, session: Session, patient: Patient, clinician: User, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        now = utcnow().astimezone(LONDON)
        start = (now - timedelta(hours=1)).time().replace(second=0, microsecond=0)
        end = (now + timedelta(hours=1)).time().replace(second=0, microsecond=0)
        prefer(session, clinician, quiet_start=f"{start:%H:%M}", quiet_end=f"{end:%H:%M}")
        later = notifications.enqueue_email(
            session,
            kind="message",
            category=Category.CLINICAL,
            dedupe_key="test:message",
            subject="A message from a patient is waiting",
            body="Sign in to read it.",
            link_path="/clinician",
            recipient=clinician,
        )
        assert later is not None and later.send_after > utcnow() + timedelta(minutes=50)
        alerts.raise_alert(
            session, patient, kind=AlertKind.RED_FLAG, urgency="emergency", summary="Red flag at intake"
        )
        session.commit()

        wait_until_idle(worker)
        subjects = [str(r.message["Subject"]) for r in mail_to(smtp_server, clinician)]
        assert subjects == [alerts.ALERT_EMAIL_SUBJECT]


class TestOffAndInApp:
    def test_a_kind_turned_off_is_not_queued_and_not_shown(
        self,
        session: Session,
        patient: Patient,
        clinician: User,
        worker: Worker,
        smtp_server: SmtpServer,
        as_user: Callable[..., TestClient],
    ) -> None:
        prefer(session, patient.user, questionnaire="off")
        assign(session, patient, clinician, london_today() - timedelta(days=1))
        wait_until_idle(worker)
        assert mail_to(smtp_server, patient.user) == []
        assert outbox(session, patient.user) == []
        page = as_user(patient.user, browser=True).get("/patient")
        assert "questionnaire from your care team is waiting" not in page.text

    def test_in_the_app_only_sends_no_mail_and_shows_it_on_the_home_page(
        self,
        session: Session,
        patient: Patient,
        clinician: User,
        worker: Worker,
        smtp_server: SmtpServer,
        as_user: Callable[..., TestClient],
    ) -> None:
        prefer(session, patient.user, questionnaire="in_app")
        assign(session, patient, clinician, london_today() - timedelta(days=1))
        wait_until_idle(worker)
        assert mail_to(smtp_server, patient.user) == []

        page = as_user(patient.user, browser=True).get("/patient")
        assert page.status_code == 200
        assert "<h2>Reminders</h2>" in page.text
        assert "A questionnaire from your care team is waiting." in page.text
        assert 'href="/patient/questionnaires"' in page.text

    def test_a_patient_who_keeps_email_sees_no_reminders_panel(
        self, session: Session, patient: Patient, clinician: User, as_user: Callable[..., TestClient]
    ) -> None:
        assign(session, patient, clinician, london_today() - timedelta(days=1))
        page = as_user(patient.user, browser=True).get("/patient")
        assert "<h2>Reminders</h2>" not in page.text

    def test_an_appointment_in_the_app_only(
        self,
        session: Session,
        settings: Settings,
        clinician: User,
        patient: Patient,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        open_every_day(session, clinician)
        prefer(session, patient.user, appointment="in_app")
        visit = book(session, settings, clinician, patient, day=MONDAY, clock="10:00", now=BOOKED_AT)
        run_at(worker, visit.starts_at - timedelta(hours=24))
        run_at(worker, visit.starts_at - timedelta(hours=2))
        assert mail_to(smtp_server, patient.user) == []

        shown = email_reminders.in_app(session, patient, settings, visit.starts_at - timedelta(hours=20))
        assert [r.text for r in shown] == ["You have an appointment with the clinic tomorrow at 10:00."]
        assert email_reminders.in_app(session, patient, settings, visit.starts_at - timedelta(hours=25)) == []
        assert email_reminders.in_app(session, patient, settings, visit.starts_at) == []


class TestUnsubscribe:
    @pytest.fixture
    def reminder_link(
        self, session: Session, patient: Patient, clinician: User, worker: Worker, smtp_server: SmtpServer
    ) -> str:
        """The unsubscribe link of a questionnaire reminder the patient received."""
        assign(session, patient, clinician, london_today() - timedelta(days=1))
        wait_until_idle(worker)
        [mail] = mail_to(smtp_server, patient.user)
        header = str(mail.message["List-Unsubscribe"])
        assert f"Stop these reminders: {header.strip('<>')}" in mail.text
        return urlparse(header.strip("<>")).path

    def test_get_asks_and_changes_nothing(
        self, client: TestClient, reminder_link: str, session: Session, patient: Patient
    ) -> None:
        page = client.get(reminder_link)
        assert page.status_code == 200
        assert "Stop questionnaire reminders?" in page.text
        assert re.search(rf'<form method="post" action="{reminder_link}">', page.text)
        prefs = preferences.preferences_for(session, patient.user)
        assert prefs.questionnaire == ReminderChannel.EMAIL

    def test_one_click_post_without_a_login_turns_that_kind_off(
        self,
        app: FastAPI,
        reminder_link: str,
        session: Session,
        patient: Patient,
        clinician: User,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        mail_client = TestClient(app, base_url="http://testserver")  # no cookies, as a mail provider posts
        answer = mail_client.post(
            reminder_link,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 200
        assert "You will get no more questionnaire reminders by email." in answer.text
        prefs = preferences.preferences_for(session, patient.user)
        assert (prefs.questionnaire, prefs.appointment) == (ReminderChannel.OFF, ReminderChannel.EMAIL)

        other = QuestionnaireAssignment(
            patient_id=patient.id,
            instrument_id="odi",
            assigned_by_id=clinician.id,
            due_on=london_today(),
            status=AssignmentStatus.OPEN,
        )
        session.add(other)
        session.commit()
        run_at(worker, utcnow() + timedelta(days=1))
        assert len(mail_to(smtp_server, patient.user)) == 1
        assert client_page_says_already_off(mail_client, reminder_link)

    def test_the_confirm_button_works_from_a_logged_in_browser(
        self, as_user: Callable[..., TestClient], reminder_link: str, session: Session, patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        refused = browser.post(reminder_link, data={"List-Unsubscribe": "One-Click"})
        assert refused.status_code == 403  # a browser with a login still echoes the CSRF token
        answer = browser.post(reminder_link, data={"List-Unsubscribe": "One-Click", "csrf_token": CSRF})
        assert answer.status_code == 200
        assert preferences.preferences_for(session, patient.user).questionnaire == ReminderChannel.OFF

    @pytest.mark.parametrize("method", ["GET", "POST"])
    def test_an_unknown_link_is_a_plain_404_page(self, client: TestClient, method: str) -> None:
        for path in (
            "/notifications/unsubscribe/7f3f9f39-5b2c-4e38-8d7d-5d1f0c1b2a3e",
            "/notifications/unsubscribe/x",
        ):
            answer = client.request(method, path, data={"List-Unsubscribe": "One-Click"})
            assert answer.status_code == 404
            assert answer.headers["content-type"].startswith("text/html")
            assert "This unsubscribe link is not known." in answer.text

    def test_clinical_mail_has_no_unsubscribe_link_that_works(
        self, client: TestClient, session: Session, clinician: User
    ) -> None:
        email = notifications.enqueue_email(
            session,
            kind="safety_alert",
            category=Category.CLINICAL,
            dedupe_key="test:alert",
            subject="An urgent safety alert is waiting for you",
            body="Sign in.",
            link_path="/clinician",
            recipient=clinician,
            urgent=True,
        )
        session.commit()
        assert email is not None
        assert client.post(f"/notifications/unsubscribe/{email.id}").status_code == 404


def client_page_says_already_off(client: TestClient, link: str) -> bool:
    return "Questionnaire reminders are already off for you." in client.get(link).text


class TestPreferencePages:
    def test_a_patient_chooses_and_sees_their_choices(
        self, session: Session, patient: Patient, as_user: Callable[..., TestClient]
    ) -> None:
        browser = as_user(patient.user, browser=True)
        page = browser.get("/account/notifications")
        assert page.status_code == 200
        assert 'name="diary" value="off" checked' in page.text  # the diary reminder is opt-in
        answer = browser.post(
            "/account/notifications",
            data={
                "csrf_token": CSRF,
                "appointment": "in_app",
                "diary": "email",
                "questionnaire": "email",
                "diary_time": "20:30",
                "quiet_start": "22:00",
                "quiet_end": "07:00",
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303
        page = browser.get(answer.headers["location"])
        assert "Saved." in page.text
        assert 'name="appointment" value="in_app" checked' in page.text
        assert 'value="20:30"' in page.text
        assert "quiet from 22:00 until 07:00" in page.text
        assert "Europe/London" in page.text

    def test_quiet_hours_with_one_end_are_refused_naming_the_field(
        self, session: Session, patient: Patient, as_user: Callable[..., TestClient]
    ) -> None:
        browser = as_user(patient.user, browser=True)
        answer = browser.post(
            "/account/notifications", data={"csrf_token": CSRF, "quiet_start": "22:00", "quiet_end": ""}
        )
        assert answer.status_code == 422
        assert "Quiet hours need a start and an end time" in answer.text
        assert preferences.preferences_for(session, patient.user).has_quiet_hours is False

    def test_a_clinician_sets_quiet_hours_and_is_told_urgent_alerts_still_come(
        self, clinician: User, as_user: Callable[..., TestClient]
    ) -> None:
        page = as_user(clinician, browser=True).get("/account/notifications")
        assert page.status_code == 200
        assert "Urgent safety alerts and their escalations always reach you at once" in page.text
        assert 'name="diary"' not in page.text

    def test_the_api_reads_and_changes_them(
        self, patient: Patient, as_user: Callable[..., TestClient]
    ) -> None:
        api = as_user(patient.user)
        assert api.get("/api/v1/account/notifications").json() == {
            "appointment": "email",
            "diary": "off",
            "questionnaire": "email",
            "diary_time": "19:00",
            "quiet_start": None,
            "quiet_end": None,
            "timezone": "Europe/London",
        }
        changed = api.patch("/api/v1/account/notifications", json={"diary": "in_app", "quiet_start": "21:00"})
        assert changed.status_code == 422
        assert "quiet" in changed.json()["detail"].lower()
        bad = api.patch("/api/v1/account/notifications", json={"quiet_start": "25:00", "quiet_end": "07:00"})
        assert bad.status_code == 422
        assert "quiet_start" in bad.json()["detail"][0]
        ok = api.patch(
            "/api/v1/account/notifications",
            json={"diary": "in_app", "quiet_start": "21:00", "quiet_end": "06:30"},
        )
        assert ok.status_code == 200
        assert ok.json()["diary"] == "in_app" and ok.json()["quiet_end"] == "06:30"
        cleared = api.patch("/api/v1/account/notifications", json={"quiet_start": None, "quiet_end": None})
        assert cleared.json()["quiet_start"] is None

    def test_anonymous_is_sent_to_log_in(self, client: TestClient) -> None:
        assert client.get("/api/v1/account/notifications").status_code == 401
        answer = client.get("/account/notifications", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
