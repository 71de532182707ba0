"""Secure messages: who may read and write, read state and unread counts, mail that says only that a message
waits, the crisis path, and the patient's download and erasure."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditEvent, Discipline, Role, User
from painrewire.assessments import alerts
from painrewire.assessments import service as assessments
from painrewire.assessments.models import AlertKind, SafetyAlert
from painrewire.config import Settings
from painrewire.interop import erasure, personal_data
from painrewire.messages import service as messages
from painrewire.messages.models import Message, MessageReadState, MessageThread
from painrewire.messages.schemas import MessageCreate, ThreadCreate
from painrewire.notifications.models import OutboundEmail
from painrewire.notifications.worker import Worker, wait_until_idle
from painrewire.patients.models import CareTeamMember, Patient
from tests.fixtures.factories import CSRF, create_patient, create_user
from tests.fixtures.smtp import SmtpServer

QUESTION = "Is it all right to garden this weekend? My back felt stiff after the walk on Tuesday."
ANSWER = "Yes, start with ten minutes of light weeding and notice how it feels afterwards."
CRISIS = "Some nights I feel I want to end my life. The pain never stops."


def message_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Message)) or 0)


def join_team(session: Session, patient: Patient, discipline: Discipline) -> User:
    user = create_user(session, role=Role.CLINICIAN, discipline=discipline)
    session.add(CareTeamMember(patient_id=patient.id, clinician_id=user.id))
    session.flush()
    return user


def write(
    session: Session, patient: Patient, settings: Settings, body: str = QUESTION, **kwargs: object
) -> messages.Sent:
    data = ThreadCreate(body=body, **kwargs)  # type: ignore[arg-type]
    return messages.start_thread(session, patient.user, patient.id, data, settings=settings)


def answer(
    session: Session, clinician: User, patient: Patient, thread: MessageThread, settings: Settings
) -> messages.Sent:
    data = MessageCreate(body=ANSWER)
    return messages.send_message(session, clinician, patient.id, thread.id, data, settings=settings)


def page_form(**fields: str) -> dict[str, str]:
    return {"csrf_token": CSRF, **fields}


class TestWhoMayRead:
    def test_anonymous_gets_401(self, client: TestClient, patient: Patient) -> None:
        assert client.get(f"/api/v1/patients/{patient.id}/message-threads").status_code == 401

    def test_another_patient_gets_404_and_never_the_text(
        self,
        session: Session,
        patient: Patient,
        other_patient: Patient,
        settings: Settings,
        as_user: Callable[..., TestClient],
    ) -> None:
        sent = write(session, patient, settings)
        session.commit()
        api = as_user(other_patient.user)
        base = f"/api/v1/patients/{patient.id}/message-threads"
        for response in (
            api.get(base),
            api.get(f"{base}/{sent.thread.id}"),
            api.post(f"{base}/{sent.thread.id}/messages", json={"body": "hello"}),
        ):
            assert response.status_code == 404
            assert QUESTION not in response.text
        # Their own thread page for another patient's thread id: the thread is not theirs.
        page = as_user(other_patient.user, browser=True).get(f"/patient/messages/{sent.thread.id}")
        assert page.status_code == 404 and QUESTION not in page.text
        assert message_count(session) == 1

    def test_a_clinician_off_the_care_team_gets_404(
        self,
        session: Session,
        patient: Patient,
        other_clinician: User,
        settings: Settings,
        as_user: Callable[..., TestClient],
    ) -> None:
        sent = write(session, patient, settings)
        session.commit()
        browser = as_user(other_clinician, browser=True)
        thread_page = f"/clinician/patients/{patient.id}/messages/{sent.thread.id}"
        assert browser.get(f"/clinician/patients/{patient.id}/messages").status_code == 404
        assert browser.get(thread_page).status_code == 404
        reply = browser.post(thread_page, data=page_form(body="hello"), follow_redirects=False)
        assert reply.status_code == 404
        assert QUESTION not in browser.get("/clinician").text
        assert message_count(session) == 1

    def test_an_admin_is_refused(
        self,
        session: Session,
        patient: Patient,
        admin: User,
        settings: Settings,
        as_user: Callable[..., TestClient],
    ) -> None:
        sent = write(session, patient, settings)
        session.commit()
        answer_ = as_user(admin).get(f"/api/v1/patients/{patient.id}/message-threads/{sent.thread.id}")
        assert answer_.status_code == 403 and QUESTION not in answer_.text

    def test_every_read_is_audited_with_the_patient(
        self,
        session: Session,
        patient: Patient,
        clinician: User,
        settings: Settings,
        as_user: Callable[..., TestClient],
    ) -> None:
        sent = write(session, patient, settings)
        session.commit()
        before = session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        as_user(clinician).get(f"/api/v1/patients/{patient.id}/message-threads/{sent.thread.id}")
        events = session.scalars(
            select(AuditEvent).where(
                AuditEvent.resource_type == "message", AuditEvent.actor_id == clinician.id
            )
        ).all()
        assert [(e.patient_id, e.resource_id) for e in events] == [(patient.id, str(sent.thread.id))]
        assert (session.scalar(select(func.count()).select_from(AuditEvent)) or 0) > before

    def test_a_clinician_answers_but_does_not_start_a_thread(
        self, patient: Patient, clinician: User, as_user: Callable[..., TestClient], session: Session
    ) -> None:
        answer_ = as_user(clinician).post(
            f"/api/v1/patients/{patient.id}/message-threads", json={"body": "Hello Maria"}
        )
        assert answer_.status_code == 403
        assert message_count(session) == 0


class TestWriting:
    def test_an_over_long_message_is_refused_with_the_limit(
        self, session: Session, patient: Patient, as_user: Callable[..., TestClient]
    ) -> None:
        api = as_user(patient.user)
        refused = api.post(f"/api/v1/patients/{patient.id}/message-threads", json={"body": "a" * 4001})
        assert refused.status_code == 422
        assert refused.json()["detail"] == (
            "Message: yours is 4,001 characters long, and a message can be at most 4,000 characters "
            "(about two pages). Please shorten it, or send it as two messages."
        )
        page = as_user(patient.user, browser=True).post(
            "/patient/messages/new", data=page_form(body="a" * 4500, to="team"), follow_redirects=False
        )
        assert page.status_code == 422
        assert "at most 4,000 characters" in page.text
        assert "a" * 4500 in page.text  # what they wrote is kept, to shorten
        assert message_count(session) == 0
        assert session.scalar(select(func.count()).select_from(MessageThread)) == 0

    def test_exactly_the_limit_is_accepted_and_windows_line_endings_count_once(
        self, session: Session, patient: Patient, settings: Settings
    ) -> None:
        assert len(write(session, patient, settings, body="a" * 4000).message.body) == 4000
        # A browser sends each line break of a textarea as two characters; the patient typed one.
        body = "abc\r\n" * 1000  # 5,000 characters sent, 4,000 typed
        sent = write(session, patient, settings, body=body)
        assert len(sent.message.body) == 3999 and "\r" not in sent.message.body  # the last break trimmed

    def test_a_blank_message_names_the_field(
        self, session: Session, patient: Patient, as_user: Callable[..., TestClient]
    ) -> None:
        refused = as_user(patient.user).post(
            f"/api/v1/patients/{patient.id}/message-threads", json={"body": "  "}
        )
        assert refused.status_code == 422 and refused.json()["detail"].startswith("Message:")
        assert message_count(session) == 0

    def test_a_discipline_not_on_the_team_is_refused(
        self, session: Session, patient: Patient, as_user: Callable[..., TestClient]
    ) -> None:
        refused = as_user(patient.user).post(
            f"/api/v1/patients/{patient.id}/message-threads", json={"body": QUESTION, "to": "psychologist"}
        )
        assert refused.status_code == 422
        assert refused.json()["detail"].startswith("To: there is no psychologist on your care team")
        assert message_count(session) == 0

    def test_without_a_care_team_there_is_nobody_to_write_to(
        self, session: Session, settings: Settings, as_user: Callable[..., TestClient]
    ) -> None:
        alone = create_patient(session)
        refused = as_user(alone.user).post(
            f"/api/v1/patients/{alone.id}/message-threads", json={"body": QUESTION}
        )
        assert refused.status_code == 409
        assert settings.clinic_phone in refused.json()["detail"]
        assert message_count(session) == 0


class TestReadStateAndPanels:
    def test_unread_counts_follow_each_participant(
        self,
        session: Session,
        patient: Patient,
        clinician: User,
        settings: Settings,
        as_user: Callable[..., TestClient],
    ) -> None:
        physio = join_team(session, patient, Discipline.PHYSICAL_THERAPIST)
        patient_browser = as_user(patient.user, browser=True)
        doctor = as_user(clinician, browser=True)
        posted = patient_browser.post(
            "/patient/messages/new",
            data=page_form(to="team", subject="Gardening", body=QUESTION),
            follow_redirects=False,
        )
        assert posted.status_code == 303
        thread = session.scalars(select(MessageThread)).one()
        thread_page = f"/clinician/patients/{patient.id}/messages/{thread.id}"
        assert messages.unread_total(session, clinician) == (1, 1)
        assert messages.unread_total(session, physio) == (1, 1)
        assert messages.unread_total(session, patient.user) == (0, 0)  # their own message is not news to them

        home = doctor.get("/clinician").text
        assert "Unread messages (1)" in home and thread_page in home
        assert QUESTION not in home and "Gardening" not in home  # the caseload panel shows who, not what
        overview = doctor.get(f"/clinician/patients/{patient.id}").text
        assert "Messages (1 unread)" in overview and "Gardening" in overview

        opened = doctor.get(thread_page)
        assert opened.status_code == 200 and QUESTION in opened.text and "new</span>" in opened.text
        assert messages.unread_total(session, clinician) == (0, 0)
        assert messages.unread_total(session, physio) == (1, 1)  # each clinician reads for themselves
        assert "No unread messages" in doctor.get("/clinician").text
        assert "new</span>" not in doctor.get(thread_page).text

        replied = doctor.post(thread_page, data=page_form(body=ANSWER), follow_redirects=False)
        assert replied.status_code == 303
        assert messages.unread_total(session, patient.user) == (1, 1)
        assert messages.unread_total(session, clinician) == (0, 0)  # their own answer
        patient_home = patient_browser.get("/patient").text
        assert "New messages (1)" in patient_home and f"/patient/messages/{thread.id}" in patient_home
        listed = patient_browser.get("/patient/messages").text
        assert "1 new" in listed
        read = patient_browser.get(f"/patient/messages/{thread.id}").text
        assert ANSWER in read and clinician.full_name in read
        assert messages.unread_total(session, patient.user) == (0, 0)
        assert "New messages" not in patient_browser.get("/patient").text
        api = as_user(patient.user).get("/api/v1/messages/unread")
        assert api.json() == {"unread": 0, "threads": 0}

    def test_a_thread_to_one_discipline_waits_on_their_home_only(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        psychologist = join_team(session, patient, Discipline.PSYCHOLOGIST)
        write(session, patient, settings, to=Discipline.PSYCHOLOGIST)
        assert messages.unread_total(session, psychologist) == (1, 1)
        assert messages.unread_total(session, clinician) == (0, 0)
        # ...but the whole care team may read it, as they may read the rest of the record.
        _, threads = messages.list_threads(session, clinician, patient.id)
        assert [t.unread for t in threads] == [1]


class TestMail:
    def test_a_patients_message_emails_the_care_team_that_one_is_waiting_never_its_text(
        self,
        session: Session,
        patient: Patient,
        clinician: User,
        settings: Settings,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        psychologist = join_team(session, patient, Discipline.PSYCHOLOGIST)
        to_team = write(session, patient, settings, subject="Gardening")
        wait_until_idle(worker)
        received = smtp_server.mailbox.received
        assert sorted(r.rcpt_tos[0] for r in received) == sorted([clinician.email, psychologist.email])
        link = f"http://127.0.0.1:8000/clinician/patients/{patient.id}/messages/{to_team.thread.id}"
        for mail in received:
            assert mail.message["Subject"] == messages.TO_TEAM_SUBJECT
            assert link in mail.text and f'href="{link}"' in mail.html
            for part in (mail.text, mail.html, str(mail.message["Subject"])):
                assert "garden" not in part.lower() and "stiff" not in part
                assert patient.user.full_name not in part

        smtp_server.mailbox.received.clear()
        write(session, patient, settings, to=Discipline.PSYCHOLOGIST)
        wait_until_idle(worker)
        assert [r.rcpt_tos for r in smtp_server.mailbox.received] == [[psychologist.email]]

    def test_an_answer_emails_the_patient_that_one_is_waiting(
        self,
        session: Session,
        patient: Patient,
        clinician: User,
        settings: Settings,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        sent = write(session, patient, settings)
        wait_until_idle(worker)
        smtp_server.mailbox.received.clear()
        answer(session, clinician, patient, sent.thread, settings)
        wait_until_idle(worker)
        [mail] = smtp_server.mailbox.received
        assert mail.rcpt_tos == [patient.user.email]
        assert mail.message["Subject"] == "You have a new message from your care team"
        assert f"http://127.0.0.1:8000/patient/messages/{sent.thread.id}" in mail.text
        for part in (mail.text, mail.html):
            assert "weeding" not in part and clinician.full_name not in part

    def test_a_rolled_back_message_sends_nothing(
        self, session: Session, patient: Patient, settings: Settings, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        with pytest.raises(RuntimeError), session.begin_nested():
            write(session, patient, settings)
            raise RuntimeError("the request failed after the message was written")
        wait_until_idle(worker)
        assert smtp_server.mailbox.received == []
        assert message_count(session) == 0


class TestCrisis:
    def test_crisis_words_raise_an_alert_and_the_answer_says_what_to_do_now(
        self,
        session: Session,
        patient: Patient,
        clinician: User,
        settings: Settings,
        as_user: Callable[..., TestClient],
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        answer_ = as_user(patient.user).post(
            f"/api/v1/patients/{patient.id}/message-threads", json={"body": CRISIS}
        )
        assert answer_.status_code == 201
        sent = answer_.json()
        assert sent["crisis"] is True
        help_ = sent["what_to_do_now"]
        assert help_["emergency_number"] == "999"
        assert help_["crisis_line"] == settings.crisis_line
        assert any("call 999 or go to an emergency department" in s for s in help_["steps"])
        assert f"To talk to someone now, call {settings.crisis_line}." in help_["steps"]

        [alert] = session.scalars(select(SafetyAlert)).all()
        assert alert.kind == AlertKind.MESSAGE_CRISIS and alert.urgency == "urgent"
        assert alert.summary == "A message to the care team reads like a crisis"
        assert "end my life" not in json.dumps(alert.details) and "end my life" not in alert.summary
        assert alert.details["reasons"] == ["crisis_words"]
        assert alert.holds_practice is False
        assert assessments.safety_hold(session, patient.id) == []  # practice goes on (see the service)

        wait_until_idle(worker)
        subjects = sorted(str(r.message["Subject"]) for r in smtp_server.mailbox.to(clinician.email))
        assert subjects == sorted([alerts.ALERT_EMAIL_SUBJECT, messages.TO_TEAM_SUBJECT])
        assert all("end my life" not in r.text for r in smtp_server.mailbox.received)
        queued = session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "message")).one()
        assert queued.urgent  # ignores quiet hours

        # The clinician's home lists the alert (no quote) and the urgent unread message.
        home = as_user(clinician, browser=True).get("/clinician").text
        assert "reads like a crisis" in home and "urgent</span>" in home

    def test_the_page_shows_what_to_do_now_until_the_alert_is_closed(
        self,
        session: Session,
        patient: Patient,
        clinician: User,
        settings: Settings,
        as_user: Callable[..., TestClient],
    ) -> None:
        browser = as_user(patient.user, browser=True)
        posted = browser.post("/patient/messages/new", data=page_form(to="team", body=CRISIS))
        assert posted.status_code == 200
        page = posted.text
        assert "What to do now" in page and 'href="tel:999"' in page
        assert f"To talk to someone now, call {settings.crisis_line}." in page
        thread = session.scalars(select(MessageThread)).one()
        assert "What to do now" in browser.get(f"/patient/messages/{thread.id}").text  # still open
        [alert] = session.scalars(select(SafetyAlert)).all()
        alerts.acknowledge_alert(
            session,
            clinician,
            alert.id,
            action="spoke_with_patient_follow_up",
            note="Phoned her; safe tonight, seeing her tomorrow.",
            settings=settings,
        )
        session.commit()
        assert "What to do now" not in browser.get(f"/patient/messages/{thread.id}").text

    def test_ticking_urgent_raises_the_alert_without_crisis_words(
        self, session: Session, patient: Patient, settings: Settings, as_user: Callable[..., TestClient]
    ) -> None:
        browser = as_user(patient.user, browser=True)
        page = browser.post(
            "/patient/messages/new", data=page_form(to="team", body=QUESTION, urgent="1")
        ).text
        assert "What to do now" in page and "marked urgent" in page
        [alert] = session.scalars(select(SafetyAlert)).all()
        assert alert.summary == "The patient marked a message to the care team as urgent"
        assert alert.details["reasons"] == ["marked_urgent"]

    def test_an_ordinary_message_raises_nothing_and_shows_no_crisis_block(
        self, session: Session, patient: Patient, as_user: Callable[..., TestClient]
    ) -> None:
        page = as_user(patient.user, browser=True).post(
            "/patient/messages/new", data=page_form(to="team", body=QUESTION)
        )
        assert "Your message has been sent." in page.text and "What to do now" not in page.text
        assert session.scalars(select(SafetyAlert)).all() == []

    def test_a_clinician_writing_the_words_raises_nothing(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        sent = write(session, patient, settings)
        data = MessageCreate(body="If you ever have thoughts of suicide, call us at once.", urgent=True)
        reply = messages.send_message(session, clinician, patient.id, sent.thread.id, data, settings=settings)
        assert reply.crisis is False and reply.message.marked_urgent is False
        assert session.scalars(select(SafetyAlert)).all() == []

    def test_a_reply_in_crisis_raises_its_own_alert(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        sent = write(session, patient, settings)
        answer(session, clinician, patient, sent.thread, settings)
        data = MessageCreate(body="Thanks. Honestly I have been thinking about an overdose.")
        again = messages.send_message(
            session, patient.user, patient.id, sent.thread.id, data, settings=settings
        )
        assert again.crisis and again.alert is not None
        assert again.alert.details["message_id"] == str(again.message.id)


class TestTheRecord:
    def test_messages_are_in_the_patients_download(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        sent = write(session, patient, settings, subject="Gardening")
        answer(session, clinician, patient, sent.thread, settings)
        messages.open_thread(session, clinician, patient.id, sent.thread.id)
        document = personal_data.collect(session, patient)
        tables = document["tables"]
        assert [t["subject"] for t in tables["message_threads"]] == ["Gardening"]
        assert [m["body"] for m in tables["messages"]] == [QUESTION, ANSWER]
        # Their own read mark, not the clinicians'.
        assert {r["user_id"] for r in tables["message_read_states"]} == {str(patient.user_id)}

    def test_another_patients_messages_are_not_in_the_download(
        self, session: Session, patient: Patient, other_patient: Patient, settings: Settings
    ) -> None:
        write(session, other_patient, settings, body="Theirs: " + QUESTION)
        write(session, patient, settings)
        text = json.dumps(personal_data.collect(session, patient))
        assert "Theirs:" not in text and QUESTION in text

    def test_erasure_removes_the_messages(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        sent = write(session, patient, settings, body=CRISIS)
        answer(session, clinician, patient, sent.thread, settings)
        messages.open_thread(session, clinician, patient.id, sent.thread.id)
        removed = erasure.erase(session, patient)
        assert removed["messages"] == 2 and removed["message_threads"] == 1
        assert removed["message_read_states"] == 2
        assert message_count(session) == 0
        assert session.scalar(select(func.count()).select_from(MessageReadState)) == 0


def test_times_on_the_patients_page_are_on_their_own_clock(
    session: Session, settings: Settings, clinician: User, as_user: Callable[..., TestClient]
) -> None:
    patient = create_patient(session, care_team=[clinician])
    patient.timezone = "America/New_York"
    sent = write(session, patient, settings)
    page = as_user(patient.user, browser=True).get(f"/patient/messages/{sent.thread.id}").text
    shown = sent.message.created_at.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert re.search(re.escape(shown.strftime("%d %b %Y %H:%M")), page)
