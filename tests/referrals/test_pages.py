"""Referrals in: the public form (its letter checked by content and size), the front desk's triage, the
referrer's email at a real SMTP server, and who may read a referral."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from painrewire.accounts.models import AuditAction, AuditEvent, Role, User
from painrewire.app import create_app
from painrewire.clearance.models import Cause
from painrewire.config import Settings
from painrewire.notifications.worker import Worker, wait_until_idle
from painrewire.patients.models import CareTeamMember, Patient
from painrewire.physicians import service as physicians
from painrewire.physicians.models import PhysicianRole
from painrewire.referrals.models import Referral, ReferralStatus, Urgency
from painrewire.scheduling.models import Appointment
from tests.fixtures.factories import CSRF, create_patient, create_user
from tests.fixtures.smtp import SmtpServer
from tests.referrals.builders import pdf_of, referral_form, stored_referral
from tests.scheduling.builders import open_calendar

Browser = Callable[..., TestClient]
MB = 1024 * 1024


def words(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def count(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture
def visitor(client: TestClient) -> TestClient:
    client.cookies.set("pr_csrf", CSRF)
    return client


def send(visitor: TestClient, letter: bytes | None = None, name: str = "letter.pdf", **overrides: object):  # type: ignore[no-untyped-def]
    files = {"letter": (name, letter, "application/pdf")} if letter is not None else None
    return visitor.post("/refer", data=referral_form(**overrides), files=files, follow_redirects=False)


class TestTheForm:
    def test_the_form_asks_for_each_cause_the_clinic_clears(self, visitor: TestClient) -> None:
        page = visitor.get("/refer")
        assert page.status_code == 200
        assert re.findall(r'name="excluded" value="([a-z_]+)"', page.text) == [c.value for c in Cause]
        assert "a PDF of at most 5 MB" in page.text

    def test_a_referral_with_its_letter_is_stored_and_the_referrer_gets_a_reference(
        self, session: Session, visitor: TestClient
    ) -> None:
        letter = pdf_of("Dear colleague, please see Olu.")
        sent = send(
            visitor, letter, urgency="soon", excluded=["fracture", "other"], excluded_other="Shingles"
        )
        assert sent.status_code == 303
        reference = sent.headers["location"].split("reference=")[1]
        referral = session.scalar(select(Referral))
        assert referral is not None
        assert reference == referral.reference and re.fullmatch(r"R-[0-9A-F]{8}", reference)
        assert referral.status == ReferralStatus.NEW and referral.urgency == Urgency.SOON
        assert referral.excluded == ["fracture", "other"] and referral.excluded_other == "Shingles"
        assert (
            referral.letter == letter and referral.letter_pages == 1 and referral.letter_size == len(letter)
        )
        assert referral.letter_filename == "letter.pdf"
        done = visitor.get(sent.headers["location"])
        assert f"its reference is {reference}" in words(done.text)

    def test_the_letter_is_optional(self, session: Session, visitor: TestClient) -> None:
        assert send(visitor).status_code == 303
        referral = session.scalar(select(Referral))
        assert referral is not None and referral.letter_filename is None

    def test_a_file_that_is_not_a_pdf_is_refused_whatever_its_name(
        self, session: Session, visitor: TestClient
    ) -> None:
        page = send(visitor, b"Dear colleague, this is plain text.\n", name="letter.pdf")
        assert page.status_code == 422
        assert "The letter must be a PDF file, and this file is not one." in page.text
        assert count(session, Referral) == 0
        assert "Olu Adeyemi" in page.text  # what was typed is kept

    def test_a_damaged_pdf_is_refused(self, session: Session, visitor: TestClient) -> None:
        page = send(visitor, b"%PDF-1.7\n" + b"\x00garbage" * 200)
        assert page.status_code == 422
        assert "could not be opened as a PDF" in page.text
        assert count(session, Referral) == 0

    def test_a_letter_over_the_limit_is_refused_with_both_sizes_in_words(
        self, session: Session, visitor: TestClient
    ) -> None:
        too_big = pdf_of("Dear colleague")
        too_big += b"\n%" + b"0" * (int(7.2 * MB) - len(too_big) - 2)
        page = send(visitor, too_big)
        assert page.status_code == 422
        assert "The letter is 7.2 MB; the limit is 5 MB." in page.text
        assert count(session, Referral) == 0

    def test_the_limit_is_a_setting(
        self, settings: Settings, sessions: sessionmaker[Session], session: Session
    ) -> None:
        small = settings.model_copy(update={"referral_letter_max_bytes": 2048})
        with TestClient(create_app(small, sessions=sessions)) as visitor:
            visitor.cookies.set("pr_csrf", CSRF)
            page = send(visitor, pdf_of("x" * 4000))
        assert page.status_code == 422
        assert re.search(r"The letter is \d+ KB; the limit is 2 KB\.", page.text)

    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"referrer_email": "grace"}, "referrer_email:"),
            (
                {"patient_date_of_birth": "2999-01-01"},
                "patient_date_of_birth: must be a real date in the past",
            ),
            ({"patient_date_of_birth": ""}, "patient_date_of_birth:"),
            ({"reason": "Pain"}, "reason: String should have at least 10 characters"),
            ({"patient_email": "", "patient_phone": ""}, "give the patient's email or phone"),
            ({"excluded": ["other"]}, "you ticked another cause as excluded: say which"),
            ({"excluded": ["gout"]}, "excluded.0:"),
            ({"urgency": "tomorrow"}, "urgency:"),
        ],
    )
    def test_bad_input_is_422_naming_the_field_and_nothing_is_stored(
        self, session: Session, visitor: TestClient, overrides: dict[str, object], message: str
    ) -> None:
        page = send(visitor, **overrides)
        assert page.status_code == 422
        assert message in html.unescape(page.text)
        assert count(session, Referral) == 0

    def test_a_form_from_another_site_is_refused(self, client: TestClient, session: Session) -> None:
        form = referral_form()
        del form["csrf_token"]
        assert client.post("/refer", data=form).status_code == 403
        assert count(session, Referral) == 0

    def test_one_network_may_send_only_so_many(
        self, settings: Settings, sessions: sessionmaker[Session], session: Session
    ) -> None:
        limited = settings.model_copy(update={"referrals_per_client": 2})
        with TestClient(create_app(limited, sessions=sessions)) as visitor:
            visitor.cookies.set("pr_csrf", CSRF)
            assert [send(visitor).status_code for _ in range(2)] == [303, 303]
            third = send(visitor)
        assert third.status_code == 429
        assert "Too many referrals were sent from your network." in third.text
        assert int(third.headers["Retry-After"]) > 0
        assert count(session, Referral) == 2


@pytest.fixture
def referral(session: Session, settings: Settings) -> Referral:
    return stored_referral(session, settings)


@pytest.fixture
def front_desk(as_user: Browser, admin: User) -> TestClient:
    return as_user(admin, browser=True)


def accept_form(clinicians: list[User], **overrides: object) -> dict[str, object]:
    form: dict[str, object] = {
        "csrf_token": CSRF,
        "patient_id": "",
        "email": "olu.adeyemi@example.org",
        "full_name": "Olu Adeyemi",
        "phone": "",
        "care_team": [str(c.id) for c in clinicians],
        "next_step": "ask",
    }
    form.update(overrides)
    return form


class TestPrivacy:
    def test_anonymous_cannot_read_referrals(self, client: TestClient, referral: Referral) -> None:
        for path in (
            "/admin/referrals",
            f"/admin/referrals/{referral.id}",
            f"/admin/referrals/{referral.id}/letter.pdf",
        ):
            answer = client.get(path, follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
        assert client.get("/api/v1/referrals").status_code == 401
        assert client.get(f"/api/v1/referrals/{referral.id}").status_code == 401

    def test_clinicians_and_patients_cannot_read_referrals(
        self, as_user: Browser, clinician: User, patient: Patient, referral: Referral
    ) -> None:
        for user in (clinician, patient.user):
            assert as_user(user, browser=True).get(f"/admin/referrals/{referral.id}").status_code == 403
            answer = as_user(user).get(f"/api/v1/referrals/{referral.id}")
            assert answer.status_code == 403
            assert answer.json()["detail"] == "This is for administrators."

    def test_every_read_is_audited_and_names_the_patient_once_there_is_one(
        self, session: Session, front_desk: TestClient, referral: Referral, clinician: User
    ) -> None:
        front_desk.get(f"/admin/referrals/{referral.id}")
        letter = front_desk.get(f"/admin/referrals/{referral.id}/letter.pdf")
        assert letter.status_code == 200 and letter.content == referral.letter
        assert letter.headers["cache-control"] == "no-store, private"
        before = session.scalars(
            select(AuditEvent).where(AuditEvent.resource_id == str(referral.id)).order_by(AuditEvent.at)
        ).all()
        assert [(e.action, e.resource_type, e.patient_id) for e in before] == [
            (AuditAction.CREATE, "referral", None),
            (AuditAction.READ, "referral", None),
            (AuditAction.EXPORT, "referral_letter", None),
        ]
        front_desk.post(f"/admin/referrals/{referral.id}/accept", data=accept_form([clinician]))
        session.expire_all()
        patient_id = session.get(Referral, referral.id).patient_id  # type: ignore[union-attr]
        front_desk.get(f"/admin/referrals/{referral.id}")
        last = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.resource_id == str(referral.id), AuditEvent.action == AuditAction.READ)
            .order_by(AuditEvent.at.desc())
        ).first()
        assert last is not None and last.patient_id == patient_id and last.reason == "referral triage"


class TestTriage:
    def test_the_front_desk_sees_new_referrals_soon_ones_first(
        self, session: Session, settings: Settings, front_desk: TestClient, referral: Referral
    ) -> None:
        urgent = stored_referral(session, settings, patient_name="Bea Soon", urgency="soon")
        page = front_desk.get("/admin/referrals")
        assert page.status_code == 200
        assert page.text.index(urgent.reference) < page.text.index(referral.reference)
        home = words(front_desk.get("/admin").text)
        assert "2 referrals from physicians wait for a decision, 1 marked soon." in home

    def test_the_referral_shows_what_the_physician_sent(
        self, front_desk: TestClient, referral: Referral
    ) -> None:
        page = words(front_desk.get(f"/admin/referrals/{referral.id}").text)
        for expected in (
            "Olu Adeyemi",
            "17 May 1981",
            "Harbour Street Surgery",
            Cause.FRACTURE.label,
            "1 page",
        ):
            assert expected in page

    def test_accepting_opens_the_account_assigns_the_team_and_mails_referrer_and_patient(
        self,
        session: Session,
        front_desk: TestClient,
        referral: Referral,
        clinician: User,
        other_clinician: User,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        done = front_desk.post(
            f"/admin/referrals/{referral.id}/accept",
            data=accept_form([clinician, other_clinician]),
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"].endswith("?done=asked")
        session.expire_all()
        stored = session.get(Referral, referral.id)
        assert (
            stored is not None and stored.status == ReferralStatus.ACCEPTED and stored.patient_id is not None
        )
        patient = session.get(Patient, stored.patient_id)
        assert patient is not None
        user = session.get(User, patient.user_id)
        assert user is not None and user.email == "olu.adeyemi@example.org" and user.role == Role.PATIENT
        assert patient.date_of_birth == referral.patient_date_of_birth
        team = set(
            session.scalars(
                select(CareTeamMember.clinician_id).where(CareTeamMember.patient_id == patient.id)
            )
        )
        assert team == {clinician.id, other_clinician.id}
        # The referrer is now the patient's referring doctor, not yet to be written to: the patient decides.
        referring = physicians.current_of(session, patient)[PhysicianRole.REFERRING]
        assert (referring.name, referring.practice, referring.email) == (
            "Dr Grace Hopper",
            "Harbour Street Surgery",
            "grace.hopper@surgery.example.org",
        )
        assert referring.phone == "020 7946 0123" and not referring.share_letters

        wait_until_idle(worker)
        to_referrer = smtp_server.mailbox.to("grace.hopper@surgery.example.org")
        assert len(to_referrer) == 1
        mail = to_referrer[0]
        assert (
            mail.message["Subject"]
            == f"Your referral {referral.reference} to PainRewire Back Pain Clinic: accepted"
        )
        assert "We have accepted it" in mail.text
        for part in (mail.text, mail.html, str(mail.message["Subject"])):
            assert "Olu" not in part and "physiotherapy" not in part and "ractur" not in part
        [invite] = smtp_server.mailbox.to("olu.adeyemi@example.org")
        assert "please book your first appointment" in str(invite.message["Subject"])
        assert "http://127.0.0.1:8000/forgot-password" in invite.text

    def test_accepting_can_link_the_record_the_patient_already_has(
        self,
        session: Session,
        front_desk: TestClient,
        clinician: User,
        other_clinician: User,
        settings: Settings,
    ) -> None:
        existing = create_patient(session, care_team=[other_clinician], full_name="Olu Adeyemi")
        existing.date_of_birth = datetime(1981, 5, 17).date()
        session.commit()
        referral = stored_referral(session, settings, patient_email="", patient_phone="07700 900123")
        page = front_desk.get(f"/admin/referrals/{referral.id}")
        assert f'value="{existing.id}"' in page.text  # same name and date of birth: offered as a match
        front_desk.post(
            f"/admin/referrals/{referral.id}/accept",
            data=accept_form([clinician], patient_id=str(existing.id), email=""),
        )
        session.expire_all()
        assert session.get(Referral, referral.id).patient_id == existing.id  # type: ignore[union-attr]
        team = set(
            session.scalars(
                select(CareTeamMember.clinician_id).where(CareTeamMember.patient_id == existing.id)
            )
        )
        assert team == {clinician.id, other_clinician.id}
        assert count(session, Patient) == 1

    def test_an_email_that_has_an_account_is_a_conflict_saying_to_link_it(
        self, session: Session, front_desk: TestClient, referral: Referral, clinician: User
    ) -> None:
        create_user(session, role=Role.PATIENT, email="olu.adeyemi@example.org")
        session.commit()
        page = front_desk.post(f"/admin/referrals/{referral.id}/accept", data=accept_form([clinician]))
        assert page.status_code == 409
        assert "choose their existing record to link the referral to it" in page.text
        session.expire_all()
        assert session.get(Referral, referral.id).status == ReferralStatus.NEW  # type: ignore[union-attr]

    def test_accepting_needs_a_care_team(
        self, session: Session, front_desk: TestClient, referral: Referral
    ) -> None:
        page = front_desk.post(f"/admin/referrals/{referral.id}/accept", data=accept_form([]))
        assert page.status_code == 422
        assert "care_team: List should have at least 1 item" in page.text
        assert count(session, Patient) == 0

    def test_booking_the_first_assessment_from_the_referral(
        self,
        session: Session,
        front_desk: TestClient,
        referral: Referral,
        clinician: User,
        other_clinician: User,
    ) -> None:
        open_calendar(session, clinician)
        session.commit()
        done = front_desk.post(
            f"/admin/referrals/{referral.id}/accept",
            data=accept_form([other_clinician, clinician], next_step="book"),
            follow_redirects=False,
        )
        assert done.headers["location"] == f"/admin/referrals/{referral.id}/book"
        page = front_desk.get(done.headers["location"])
        assert page.status_code == 200
        starts = re.findall(r'name="start" value="([^"]+)"', page.text)
        chosen = re.findall(r'name="clinician_id" value="([^"]+)"', page.text)
        assert starts and set(chosen) == {str(clinician.id)}  # the team's pain specialist offers it
        booked = front_desk.post(
            f"/admin/referrals/{referral.id}/book",
            data={"csrf_token": CSRF, "clinician_id": chosen[0], "start": starts[0]},
            follow_redirects=False,
        )
        assert booked.status_code == 303 and booked.headers["location"].startswith("/clinic/appointments/")
        appointment = session.scalar(select(Appointment))
        assert appointment is not None and appointment.appointment_type == "initial_assessment"
        assert appointment.starts_at == datetime.fromisoformat(starts[0]).astimezone(UTC)

    def test_declining_keeps_the_reason_and_tells_the_referrer_only_the_outcome(
        self,
        session: Session,
        front_desk: TestClient,
        referral: Referral,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        reason = "Recent weight loss and night pain: needs urgent investigation first."
        done = front_desk.post(
            f"/admin/referrals/{referral.id}/decline",
            data={"csrf_token": CSRF, "reason": reason},
            follow_redirects=False,
        )
        assert done.status_code == 303
        session.expire_all()
        stored = session.get(Referral, referral.id)
        assert (
            stored is not None
            and stored.status == ReferralStatus.DECLINED
            and stored.decline_reason == reason
        )
        assert count(session, Patient) == 0
        wait_until_idle(worker)
        [mail] = smtp_server.mailbox.to("grace.hopper@surgery.example.org")
        assert str(mail.message["Subject"]).endswith(": declined")
        assert "We are not able to accept it." in mail.text and "+44 20 7946 0000" in mail.text
        assert "weight" not in mail.text and "Olu" not in mail.text

    def test_a_decided_referral_cannot_be_decided_again(
        self, session: Session, front_desk: TestClient, referral: Referral, clinician: User
    ) -> None:
        front_desk.post(
            f"/admin/referrals/{referral.id}/decline",
            data={"csrf_token": CSRF, "reason": "Not for us, sorry."},
        )
        page = front_desk.post(f"/admin/referrals/{referral.id}/accept", data=accept_form([clinician]))
        assert page.status_code == 409
        assert "This referral was already declined on" in page.text
        assert count(session, Patient) == 0

    def test_a_short_decline_reason_is_422(self, front_desk: TestClient, referral: Referral) -> None:
        page = front_desk.post(
            f"/admin/referrals/{referral.id}/decline", data={"csrf_token": CSRF, "reason": "No"}
        )
        assert page.status_code == 422
        assert "reason: String should have at least 10 characters" in page.text


class TestApi:
    def test_the_front_desk_triages_through_the_api(
        self, session: Session, as_user: Browser, admin: User, referral: Referral, clinician: User
    ) -> None:
        api = as_user(admin)
        listed = api.get("/api/v1/referrals", params={"status": "new"}).json()
        assert [r["reference"] for r in listed] == [referral.reference]
        accepted = api.post(
            f"/api/v1/referrals/{referral.id}/accept",
            json={"email": "olu@example.org", "care_team": [str(clinician.id)], "next_step": "ask"},
        )
        assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
        again = api.post(f"/api/v1/referrals/{referral.id}/decline", json={"reason": "Changed my mind."})
        assert again.status_code == 409

    def test_the_api_names_the_field_of_bad_input(
        self, as_user: Browser, admin: User, referral: Referral
    ) -> None:
        answer = as_user(admin).post(f"/api/v1/referrals/{referral.id}/accept", json={"care_team": []})
        assert answer.status_code == 422
        assert any("care_team" in m for m in answer.json()["detail"])
