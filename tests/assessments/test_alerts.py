"""Safety alerts: who may close each kind, with what, once; escalation by email when nobody does in time."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline, Role, User
from painrewire.assessments import alerts
from painrewire.assessments import service as assessments
from painrewire.assessments.models import AlertKind, SafetyAlert
from painrewire.config import Settings
from painrewire.db import session_factory, utcnow
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound
from painrewire.notifications.models import OutboundEmail
from painrewire.notifications.worker import Worker, wait_until_idle
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF, create_patient, create_user
from tests.fixtures.smtp import SmtpServer

PHQ_ITEM9 = [1, 1, 1, 1, 1, 1, 1, 1, 2]
NOTE = "Phoned her; safe, GP informed today."


def red_flag(session: Session, patient: Patient, urgency: str = "emergency") -> SafetyAlert:
    return alerts.raise_alert(
        session,
        patient,
        kind=AlertKind.RED_FLAG,
        urgency=urgency,
        summary="Red flag at intake: cauda equina syndrome",
        details={"red_flags": []},
    )


def self_harm(session: Session, patient: Patient) -> SafetyAlert:
    return assessments.submit_response(session, patient.user, patient.id, "phq9", PHQ_ITEM9).alerts[0]


def clinician_of(session: Session, patient: Patient, discipline: Discipline) -> User:
    from painrewire.patients.models import CareTeamMember

    user = create_user(session, role=Role.CLINICIAN, discipline=discipline)
    session.add(CareTeamMember(patient_id=patient.id, clinician_id=user.id))
    session.flush()
    return user


class TestWhoMayClose:
    def test_anonymous_gets_401(self, client: TestClient, session: Session, patient: Patient) -> None:
        alert = red_flag(session, patient)
        session.commit()
        answer = client.post(f"/api/v1/alerts/{alert.id}/acknowledge", json={"action": "x", "note": NOTE})
        assert answer.status_code == 401

    @pytest.mark.parametrize(
        "discipline",
        [Discipline.PHYSICAL_THERAPIST, Discipline.NEUROFEEDBACK_PRACTITIONER, Discipline.PSYCHOLOGIST],
    )
    def test_a_red_flag_is_closed_only_by_the_medically_qualified(
        self, session: Session, patient: Patient, settings: Settings, discipline: Discipline
    ) -> None:
        alert = red_flag(session, patient)
        other = clinician_of(session, patient, discipline)
        with pytest.raises(Forbidden, match="only be closed by a pain specialist"):
            alerts.acknowledge_alert(
                session, other, alert.id, action="sent_to_emergency_department", note=NOTE, settings=settings
            )
        assert alert.is_open

    @pytest.mark.parametrize(
        "discipline", [Discipline.PHYSICAL_THERAPIST, Discipline.NEUROFEEDBACK_PRACTITIONER]
    )
    def test_self_harm_is_closed_by_a_psychologist_or_pain_specialist_only(
        self, session: Session, patient: Patient, clinician: User, settings: Settings, discipline: Discipline
    ) -> None:
        alert = self_harm(session, patient)
        refused = clinician_of(session, patient, discipline)
        with pytest.raises(Forbidden, match="psychologist or pain specialist"):
            alerts.acknowledge_alert(
                session, refused, alert.id, action="asked_no_current_risk", note=NOTE, settings=settings
            )
        psychologist = clinician_of(session, patient, Discipline.PSYCHOLOGIST)
        closed = alerts.acknowledge_alert(
            session, psychologist, alert.id, action="risk_assessed_safety_plan", note=NOTE, settings=settings
        )
        assert closed.acknowledged_by_id == psychologist.id
        assert closed.action_taken == "risk_assessed_safety_plan"
        assert assessments.safety_hold(session, patient.id) == []

    def test_the_qualified_roles_are_a_clinic_setting(
        self, session: Session, patient: Patient, settings: Settings
    ) -> None:
        alert = red_flag(session, patient, "urgent")
        physio = clinician_of(session, patient, Discipline.PHYSICAL_THERAPIST)
        wider = settings.model_copy(
            update={"medically_qualified_disciplines": ["pain_specialist", "physical_therapist"]}
        )
        alerts.acknowledge_alert(
            session, physio, alert.id, action="same_day_medical_review", note=NOTE, settings=wider
        )
        assert not alert.is_open

    def test_api_refuses_with_403_naming_who_may(
        self,
        session: Session,
        patient: Patient,
        as_user: Callable[..., TestClient],
    ) -> None:
        alert = red_flag(session, patient)
        nfb = clinician_of(session, patient, Discipline.NEUROFEEDBACK_PRACTITIONER)
        answer = as_user(nfb).post(
            f"/api/v1/alerts/{alert.id}/acknowledge",
            json={"action": "sent_to_emergency_department", "note": NOTE},
        )
        assert answer.status_code == 403
        assert "pain specialist" in answer.json()["detail"]

    @pytest.mark.parametrize("role", [Role.PATIENT, Role.ADMIN])
    def test_patients_and_admins_never_close(
        self, session: Session, patient: Patient, settings: Settings, role: Role
    ) -> None:
        alert = self_harm(session, patient)
        actor = patient.user if role == Role.PATIENT else create_user(session, role=Role.ADMIN)
        with pytest.raises(Forbidden):
            alerts.acknowledge_alert(
                session, actor, alert.id, action="asked_no_current_risk", note=NOTE, settings=settings
            )
        assert alert.is_open

    def test_a_clinician_off_the_care_team_gets_not_found(
        self, session: Session, patient: Patient, other_clinician: User, settings: Settings
    ) -> None:
        alert = self_harm(session, patient)
        with pytest.raises(NotFound):
            alerts.acknowledge_alert(
                session,
                other_clinician,
                alert.id,
                action="asked_no_current_risk",
                note=NOTE,
                settings=settings,
            )
        with pytest.raises(NotFound):
            alerts.acknowledge_alert(
                session,
                other_clinician,
                uuid.uuid4(),
                action="asked_no_current_risk",
                note=NOTE,
                settings=settings,
            )


class TestHowItCloses:
    def test_the_action_comes_from_the_list_for_its_kind(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        alert = red_flag(session, patient)
        with pytest.raises(InvalidInput, match="choose one of") as refused:
            alerts.acknowledge_alert(
                session, clinician, alert.id, action="asked_no_current_risk", note=NOTE, settings=settings
            )
        assert refused.value.field == "action"
        assert alert.is_open

    def test_a_three_character_note_is_not_a_record(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        alert = red_flag(session, patient)
        with pytest.raises(InvalidInput, match="at least 15 characters"):
            alerts.acknowledge_alert(
                session,
                clinician,
                alert.id,
                action="sent_to_emergency_department",
                note=" ok  ",
                settings=settings,
            )
        assert alert.is_open
        done = alerts.acknowledge_alert(
            session,
            clinician,
            alert.id,
            action="sent_to_emergency_department",
            note="  Sent to A&E   by ambulance, MRI booked. ",
            settings=settings,
        )
        assert done.acknowledgement_note == "Sent to A&E by ambulance, MRI booked."

    def test_twice_in_a_row_is_a_conflict(
        self, session: Session, patient: Patient, clinician: User, settings: Settings
    ) -> None:
        alert = red_flag(session, patient)
        alerts.acknowledge_alert(
            session, clinician, alert.id, action="sent_to_emergency_department", note=NOTE, settings=settings
        )
        with pytest.raises(Conflict):
            alerts.acknowledge_alert(
                session, clinician, alert.id, action="gp_informed", note=NOTE, settings=settings
            )
        assert alert.action_taken == "sent_to_emergency_department"

    def test_the_page_form_offers_the_actions_and_closes_the_alert(
        self, session: Session, patient: Patient, clinician: User, as_user: Callable[..., TestClient]
    ) -> None:
        alert = red_flag(session, patient)
        browser = as_user(clinician, browser=True)
        home = browser.get("/clinician").text
        assert 'value="sent_to_emergency_department"' in home and "Acknowledge and close" in home
        answer = browser.post(
            f"/clinician/alerts/{alert.id}/acknowledge",
            data={
                "csrf_token": CSRF,
                "action": "same_day_medical_review",
                "note": NOTE,
                "back": "/clinician",
            },
            follow_redirects=False,
        )
        assert answer.status_code == 303
        session.refresh(alert)
        assert alert.action_taken == "same_day_medical_review"

    def test_a_clinician_who_may_not_close_sees_who_may(
        self, session: Session, patient: Patient, as_user: Callable[..., TestClient]
    ) -> None:
        red_flag(session, patient)
        physio = clinician_of(session, patient, Discipline.PHYSICAL_THERAPIST)
        home = as_user(physio, browser=True).get("/clinician").text
        assert "Only a pain specialist on the care team can close this alert" in home
        assert "Acknowledge and close" not in home


def test_two_clinicians_closing_at_once_close_it_once(engine: Engine, settings: Settings) -> None:
    """Two requests race on committed data: one closes the alert, the other is told it was closed."""
    factory = session_factory(engine)
    with factory() as setup:
        specialist = create_user(setup, role=Role.CLINICIAN, discipline=Discipline.PAIN_SPECIALIST)
        second = create_user(setup, role=Role.CLINICIAN, discipline=Discipline.PAIN_SPECIALIST)
        patient = create_patient(setup, care_team=[specialist, second])
        alert_id = red_flag(setup, patient).id
        setup.commit()
        ids = [specialist.id, second.id, patient.user_id]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def close(user_id: uuid.UUID) -> None:
        barrier.wait()
        try:
            with factory() as s, s.begin():
                user = s.get(User, user_id)
                assert user is not None
                alerts.acknowledge_alert(
                    s, user, alert_id, action="sent_to_emergency_department", note=NOTE, settings=settings
                )
            outcomes.append("closed")
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=close, args=(uid,)) for uid in ids[:2]]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(outcomes) == ["closed", "conflict"]
        with factory() as check:
            stored = check.get(SafetyAlert, alert_id)
            assert stored is not None and stored.acknowledged_by_id in ids[:2]
    finally:
        with factory() as cleanup, cleanup.begin():
            cleanup.execute(delete(Patient).where(Patient.user_id == ids[2]))
            cleanup.execute(delete(User).where(User.id.in_(ids)))


class TestMailAndEscalation:
    def test_raising_an_alert_emails_who_may_close_it_without_health_content(
        self, session: Session, patient: Patient, clinician: User, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        clinician_of(session, patient, Discipline.PHYSICAL_THERAPIST)
        self_harm(session, patient)
        wait_until_idle(worker)
        received = smtp_server.mailbox.received
        assert [r.rcpt_tos for r in received] == [[clinician.email]]
        mail = received[0]
        assert mail.message["Subject"] == "An urgent safety alert is waiting for you"
        for part in (mail.text, mail.html, str(mail.message["Subject"])):
            assert (
                "PHQ" not in part and "self-harm" not in part.lower() and patient.user.full_name not in part
            )
        assert "http://127.0.0.1:8000/clinician" in mail.text
        assert 'href="http://127.0.0.1:8000/clinician"' in mail.html

    def test_a_rolled_back_request_sends_nothing(
        self, session: Session, patient: Patient, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        with pytest.raises(RuntimeError), session.begin_nested():
            red_flag(session, patient)
            raise RuntimeError("the request failed after raising the alert")
        assert session.scalars(select(OutboundEmail)).all() == []
        wait_until_idle(worker)
        assert smtp_server.mailbox.received == []

    def test_an_unacknowledged_emergency_escalates_after_15_minutes_and_not_before(
        self,
        session: Session,
        patient: Patient,
        clinician: User,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        physio = clinician_of(session, patient, Discipline.PHYSICAL_THERAPIST)
        desk = create_user(session, role=Role.ADMIN)
        alert = red_flag(session, patient, "emergency")
        raised = alert.raised_at
        worker.clock = lambda: raised + timedelta(minutes=14, seconds=59)
        wait_until_idle(worker)
        assert [r.rcpt_tos for r in smtp_server.mailbox.received] == [[clinician.email]]  # the owner, at once
        session.refresh(alert)
        assert alert.escalated_at is None

        worker.clock = lambda: raised + timedelta(minutes=15)
        wait_until_idle(worker)
        session.refresh(alert)
        assert alert.escalated_at == raised + timedelta(minutes=15)
        escalated = [
            r for r in smtp_server.mailbox.received if r.message["Subject"] == alerts.ESCALATION_SUBJECT
        ]
        assert sorted(a for r in escalated for a in r.rcpt_tos) == sorted(
            [clinician.email, physio.email, desk.email]
        )
        assert alert.escalation["care_team"] == 2 and alert.escalation["front_desk"] >= 1

        worker.clock = lambda: raised + timedelta(hours=3)
        wait_until_idle(worker)
        assert (
            len(
                [r for r in smtp_server.mailbox.received if r.message["Subject"] == alerts.ESCALATION_SUBJECT]
            )
            == 3
        )

    def test_an_alert_acknowledged_in_time_never_escalates(
        self,
        session: Session,
        patient: Patient,
        clinician: User,
        worker: Worker,
        smtp_server: SmtpServer,
        settings: Settings,
    ) -> None:
        alert = self_harm(session, patient)
        alerts.acknowledge_alert(
            session, clinician, alert.id, action="asked_no_current_risk", note=NOTE, settings=settings
        )
        worker.clock = lambda: utcnow() + timedelta(days=2)
        wait_until_idle(worker)
        session.refresh(alert)
        assert alert.escalated_at is None
        assert all(r.message["Subject"] != alerts.ESCALATION_SUBJECT for r in smtp_server.mailbox.received)

    def test_each_urgency_has_its_own_time(
        self, session: Session, patient: Patient, worker: Worker, mail_settings: Settings
    ) -> None:
        soon = red_flag(session, patient, "soon")
        worker.clock = lambda: soon.raised_at + timedelta(hours=23, minutes=59)
        wait_until_idle(worker)
        session.refresh(soon)
        assert soon.escalated_at is None
        worker.clock = lambda: soon.raised_at + timedelta(hours=24)
        wait_until_idle(worker)
        session.refresh(soon)
        assert soon.escalated_at is not None

    def test_a_patient_without_anyone_who_may_close_goes_to_the_front_desk_at_once(
        self, session: Session, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        physio = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PHYSICAL_THERAPIST)
        desk = create_user(session, role=Role.ADMIN)
        patient = create_patient(session, care_team=[physio])
        red_flag(session, patient)
        wait_until_idle(worker)
        recipients = {a for r in smtp_server.mailbox.received for a in r.rcpt_tos}
        assert {physio.email, desk.email} <= recipients


def test_listing_open_alerts_audits_each_patient_shown(
    session: Session, patient: Patient, clinician: User, as_user: Callable[..., TestClient]
) -> None:
    from painrewire.accounts.models import AuditAction, AuditEvent

    second = create_patient(session, care_team=[clinician])
    shown = {self_harm(session, patient).id: patient.id, red_flag(session, second).id: second.id}
    listed = as_user(clinician).get("/api/v1/alerts").json()
    assert {a["id"] for a in listed} == {str(i) for i in shown}
    rows = session.scalars(
        select(AuditEvent).where(
            AuditEvent.actor_id == clinician.id,
            AuditEvent.action == AuditAction.READ,
            AuditEvent.resource_type == "safety_alert",
        )
    ).all()
    assert {(uuid.UUID(str(r.resource_id)), r.patient_id) for r in rows} == set(shown.items())
