"""Letters out: written from the record, previewed, made into a PDF whose text shows the plan, sent by email as
a link that asks for the patient's date of birth (the mail arrives at a real SMTP server), or posted; audited;
and nobody off the care team can see them."""

from __future__ import annotations

import html
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from painrewire.accounts.models import AuditAction, AuditEvent, User
from painrewire.app import create_app
from painrewire.clearance.models import Cause, Clearance, Finding
from painrewire.config import Settings
from painrewire.diary.progress import progress_for
from painrewire.directory.models import ExternalService, ServiceKind
from painrewire.letters import service as letters
from painrewire.letters.models import DeliveryMethod, Letter, LetterKind, RecipientKind
from painrewire.notifications.worker import Worker, wait_until_idle
from painrewire.patients.models import Patient
from painrewire.physicians import service as physicians
from painrewire.physicians.models import PhysicianRole
from painrewire.physicians.schemas import PhysicianSave
from tests.fixtures.factories import CSRF, login_client
from tests.fixtures.smtp import SmtpServer
from tests.reports.seed import Seeded, seed_patient

Browser = Callable[..., TestClient]
GRACE = PhysicianSave(
    name="Dr Grace Hopper",
    practice="Harbour Street Surgery",
    address="1 Harbour Street, London E1 6AA",
    email="grace.hopper@surgery.example.org",
    share_letters=True,
)


def set_gp(session: Session, patient: Patient, clinician: User, **changes: object) -> None:
    physicians.save_physician_for(
        session, clinician, patient, PhysicianRole.GP, GRACE.model_copy(update=changes)
    )
    session.commit()


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def words(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def clear_for_practice(session: Session, patient: Patient, clinician: User) -> Clearance:
    causes = {c.value: {"finding": Finding.RULED_OUT.value, "note": ""} for c in Cause}
    causes[Cause.OTHER.value] = {"finding": Finding.NOT_APPLICABLE.value, "note": ""}
    causes[Cause.FRACTURE.value]["note"] = "No trauma; normal bone density"
    clearance = Clearance(
        patient_id=patient.id,
        version=1,
        cleared_by_id=clinician.id,
        causes=causes,
        modules=["prt", "mindfulness"],
        note="",
    )
    session.add(clearance)
    session.flush()
    return clearance


@pytest.fixture
def seeded(session: Session, clinician: User) -> Seeded:
    found = seed_patient(session, clinician, name="Rowan Quillfeather")
    clear_for_practice(session, found.patient, clinician)
    set_gp(session, found.patient, clinician)
    return found


@pytest.fixture
def writer(as_user: Browser, clinician: User) -> TestClient:
    return as_user(clinician, browser=True)


def write(writer: TestClient, patient: Patient, action: str = "", **fields: str):  # type: ignore[no-untyped-def]
    form = {"csrf_token": CSRF, "kind": "initial_assessment", "to": "gp", **fields}
    return writer.post(f"/clinician/patients/{patient.id}/letters{action}", data=form, follow_redirects=False)


def made(session: Session, patient: Patient) -> list[Letter]:
    session.expire_all()
    return list(session.scalars(select(Letter).where(Letter.patient_id == patient.id)))


class TestWriting:
    def test_the_form_offers_the_patients_doctors_and_says_which_may_not_be_written_to(
        self, session: Session, writer: TestClient, seeded: Seeded, clinician: User
    ) -> None:
        physicians.save_physician_for(
            session,
            clinician,
            seeded.patient,
            PhysicianRole.REFERRING,
            PhysicianSave(name="Mr Daniel Okoro", practice="St Luke's Hospital", share_letters=False),
        )
        session.commit()
        page = writer.get(f"/clinician/patients/{seeded.patient.id}/letters/new?kind=initial_assessment")
        assert page.status_code == 200
        assert 'name="to" value="gp" checked' in page.text
        assert re.search(r'name="to" value="referring"\s+disabled', page.text)
        text = words(page.text)
        assert "GP (family doctor): Dr Grace Hopper, Harbour Street Surgery" in text
        assert "Not now: Rowan Quillfeather has not agreed to letters to them." in text

    def test_the_preview_shows_the_letter_from_the_record_and_keeps_nothing(
        self, session: Session, writer: TestClient, seeded: Seeded, clinician: User
    ) -> None:
        page = write(writer, seeded.patient, "/preview", note="She is doing the work.")
        assert page.status_code == 200
        text = words(page.text)
        assert "Preview" in text and "Dear Dr Grace Hopper," in text
        assert f"Initial assessment: {seeded.name}, born 29 February 1980" in text
        assert "Pain reprocessing therapy" in text and "She is doing the work." in text
        assert made(session, seeded.patient) == []

    def test_the_letter_is_made_as_a_pdf_that_says_the_assessment_clearance_and_plan(
        self, session: Session, writer: TestClient, seeded: Seeded, clinician: User
    ) -> None:
        answer = write(writer, seeded.patient)
        assert answer.status_code == 303
        [letter] = made(session, seeded.patient)
        assert (
            answer.headers["location"]
            == f"/clinician/patients/{seeded.patient.id}/letters/{letter.id}?made=1"
        )
        assert (
            letter.kind == LetterKind.INITIAL_ASSESSMENT and letter.recipient_kind == RecipientKind.PHYSICIAN
        )
        assert letter.sent_at is None
        pdf = writer.get(f"/clinician/patients/{seeded.patient.id}/letters/{letter.id}/letter.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
        assert pdf.headers["cache-control"] == "no-store, private"
        text = pdf_text(pdf.content)
        assert (
            "Dear Dr Grace Hopper," in text
            and "Harbour Street Surgery 1 Harbour Street, London E1 6AA" in text
        )
        assert f"{seeded.name}, born 29 February 1980" in text
        # The assessment, from the intake; the clearance, cause by cause; the signed plan, module by module.
        assert "Average pain over the previous week was" in text
        assert "Fracture Ruled out No trauma; normal bone density" in text
        assert "Cleared for: Pain reprocessing therapy, Mindfulness." in text
        assert "Pain reprocessing therapy 2 4" in text and "Mindfulness 3 4" in text
        assert f"signed by {clinician.full_name}" in text
        assert clinician.full_name in text and "Yours sincerely" in text

    def test_the_discharge_letter_gives_the_outcomes(
        self, session: Session, writer: TestClient, seeded: Seeded, clinician: User
    ) -> None:
        write(writer, seeded.patient, kind="discharge")
        [letter] = made(session, seeded.patient)
        text = pdf_text(letters.letter_pdf(session, clinician, seeded.patient.id, letter.id).pdf)
        # The questionnaires, first and latest against their MCIDs: PHQ-9 15 -> 8 (-7, MCID 5), BPI interference
        # 5 -> 3.4 (-1.6, MCID 1).
        assert "Patient Health Questionnaire (PHQ-9) 15 8 improved" in text
        assert "(Pain interference) 5 3.4 improved" in text
        # The pain outcome, in the words the diary's outcome gives today.
        outcome = progress_for(session, seeded.patient).outcome
        if outcome.baseline is not None and outcome.current is not None:
            assert f"Average pain was {outcome.baseline:.1f} out of 10 at the start" in text
        else:
            assert " ".join(outcome.detail.split()) in text

    def test_without_the_patients_agreement_a_letter_to_their_doctor_is_refused_in_words(
        self, session: Session, writer: TestClient, seeded: Seeded, clinician: User
    ) -> None:
        set_gp(session, seeded.patient, clinician, share_letters=False)
        for action in ("/preview", ""):
            page = write(writer, seeded.patient, action)
            assert page.status_code == 409
            assert (
                "Rowan Quillfeather has not agreed that we send letters to Dr Grace Hopper. Ask them, and record "
                "their agreement in their doctors' details, before writing." in html.unescape(page.text)
            )
        assert made(session, seeded.patient) == []

    def test_a_doctor_the_record_does_not_have_is_422(
        self, session: Session, writer: TestClient, seeded: Seeded
    ) -> None:
        page = write(writer, seeded.patient, to="referring")
        assert page.status_code == 422
        assert "recipient: Rowan Quillfeather's record has no Referring doctor yet." in html.unescape(
            page.text
        )
        assert made(session, seeded.patient) == []

    def test_a_letter_needs_a_recipient(self, session: Session, writer: TestClient, seeded: Seeded) -> None:
        page = write(writer, seeded.patient, to="")
        assert page.status_code == 422
        assert "choose one recipient" in page.text
        assert made(session, seeded.patient) == []

    def test_the_clinic_can_use_its_own_template(
        self,
        session: Session,
        settings: Settings,
        sessions: sessionmaker[Session],
        seeded: Seeded,
        clinician: User,
        tmp_path: Path,
    ) -> None:
        (tmp_path / "initial_assessment.html").write_text(
            '{% extends "letters/_letter.html" %}{% block body %}<p>Our own words about {{ letter.patient_name }}.</p>'
            "{% endblock %}",
            encoding="utf-8",
        )
        own = settings.model_copy(update={"letter_template_dir": tmp_path})
        app = create_app(own, sessions=sessions)
        browser = login_client(app, session, own, clinician, browser=True)
        write(browser, seeded.patient)
        [letter] = made(session, seeded.patient)
        assert f"Our own words about {seeded.name}." in letter.body_html


class TestOnwardReferral:
    def test_a_referral_on_goes_to_the_service_with_the_reason(
        self, session: Session, writer: TestClient, seeded: Seeded
    ) -> None:
        service = ExternalService(
            name="Riverside Sleep Clinic",
            kind=ServiceKind.SLEEP,
            contact="1 River Road\nLondon SE1 7AA",
            email="sleep@riverside.example.org",
        )
        session.add(service)
        session.commit()
        answer = write(
            writer,
            seeded.patient,
            kind="onward_referral",
            to=f"service:{service.id}",
            reason="Poor sleep keeps pain high; please assess for insomnia.",
        )
        assert answer.status_code == 303
        [letter] = made(session, seeded.patient)
        assert (
            letter.recipient_kind == RecipientKind.EXTERNAL_SERVICE
            and letter.external_service_id == service.id
        )
        assert letter.recipient_email == "sleep@riverside.example.org"
        assert letter.subject.startswith("Referral to Riverside Sleep Clinic:")
        text = words(letter.body_html)
        assert "Dear Riverside Sleep Clinic," in text and "1 River Road" in text
        assert "Poor sleep keeps pain high; please assess for insomnia." in text
        panel = writer.get(f"/clinician/patients/{seeded.patient.id}")
        assert "Referral to an outside service" in panel.text  # in the patient's record

    def test_a_referral_on_needs_a_service_and_a_reason(
        self, session: Session, writer: TestClient, seeded: Seeded
    ) -> None:
        page = write(writer, seeded.patient, kind="onward_referral", reason="Sleep.")
        assert page.status_code == 422
        assert "service: choose the outside service to refer the patient to." in page.text
        assert made(session, seeded.patient) == []


@pytest.fixture
def letter(session: Session, writer: TestClient, seeded: Seeded) -> Letter:
    write(writer, seeded.patient)
    [found] = made(session, seeded.patient)
    return found


def emailed_link(smtp_server: SmtpServer, address: str) -> str:
    [mail] = smtp_server.mailbox.to(address)
    found = re.search(r"http://127\.0\.0\.1:8000(/letters/[A-Za-z0-9_-]+)", mail.text)
    assert found is not None
    return found.group(1)


class TestSending:
    def test_sent_by_email_as_a_link_that_asks_the_date_of_birth(
        self,
        session: Session,
        client: TestClient,
        writer: TestClient,
        seeded: Seeded,
        letter: Letter,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        base = f"/clinician/patients/{seeded.patient.id}/letters/{letter.id}"
        sent = writer.post(
            f"{base}/send", data={"csrf_token": CSRF, "method": "email"}, follow_redirects=False
        )
        assert sent.status_code == 303 and sent.headers["location"] == f"{base}?emailed=1"
        session.expire_all()
        assert letter.sent_via == DeliveryMethod.EMAIL and letter.sent_at is not None
        assert letter.sent_to == "grace.hopper@surgery.example.org"
        assert "by email (a download link)" in words(writer.get(base).text)

        wait_until_idle(worker)
        [mail] = smtp_server.mailbox.to("grace.hopper@surgery.example.org")
        assert mail.message["Subject"] == "A letter from PainRewire Back Pain Clinic"
        for part in (mail.text, mail.html):
            assert "Rowan" not in part and "Quillfeather" not in part and "reprocessing" not in part
        assert "You will be asked for the patient's date of birth." in mail.text
        link = emailed_link(smtp_server, "grace.hopper@surgery.example.org")

        client.cookies.set("pr_csrf", CSRF)
        page = client.get(link)
        assert page.status_code == 200 and "Patient's date of birth" in page.text and "Rowan" not in page.text
        wrong = client.post(link, data={"csrf_token": CSRF, "date_of_birth": "1980-03-01"})
        assert wrong.status_code == 422
        assert (
            "That date of birth does not match the letter's patient. 4 more tries this hour."
            in html.unescape(wrong.text)
        )
        right = client.post(link, data={"csrf_token": CSRF, "date_of_birth": "1980-02-29"})
        assert right.status_code == 200 and right.headers["content-type"] == "application/pdf"
        assert "Pain reprocessing therapy" in pdf_text(right.content)
        session.expire_all()
        assert letter.downloaded_at is not None
        downloads = session.scalars(
            select(AuditEvent).where(AuditEvent.resource_id == str(letter.id), AuditEvent.actor_id.is_(None))
        ).all()
        assert [(e.action, e.patient_id) for e in downloads] == [(AuditAction.EXPORT, seeded.patient.id)]

    def test_wrong_dates_of_birth_lock_the_link_for_an_hour(
        self,
        session: Session,
        client: TestClient,
        writer: TestClient,
        seeded: Seeded,
        letter: Letter,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        writer.post(
            f"/clinician/patients/{seeded.patient.id}/letters/{letter.id}/send",
            data={"csrf_token": CSRF, "method": "email"},
        )
        wait_until_idle(worker)
        link = emailed_link(smtp_server, "grace.hopper@surgery.example.org")
        client.cookies.set("pr_csrf", CSRF)
        codes = [
            client.post(link, data={"csrf_token": CSRF, "date_of_birth": "2000-01-01"}).status_code
            for _ in range(5)
        ]
        assert codes == [422] * 5
        locked = client.post(link, data={"csrf_token": CSRF, "date_of_birth": "1980-02-29"})
        assert locked.status_code == 429 and "Too many wrong dates of birth for this link." in locked.text

    def test_an_expired_or_replaced_link_no_longer_opens(
        self,
        session: Session,
        client: TestClient,
        writer: TestClient,
        seeded: Seeded,
        letter: Letter,
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        send_url = f"/clinician/patients/{seeded.patient.id}/letters/{letter.id}/send"
        writer.post(send_url, data={"csrf_token": CSRF, "method": "email"})
        wait_until_idle(worker)
        first = emailed_link(smtp_server, "grace.hopper@surgery.example.org")
        writer.post(send_url, data={"csrf_token": CSRF, "method": "post"})
        gone = client.get(first)
        assert gone.status_code == 404
        assert "This link has expired or is no longer valid." in gone.text
        session.expire_all()
        assert letter.sent_via == DeliveryMethod.POST
        writer.post(send_url, data={"csrf_token": CSRF, "method": "email"})
        session.expire_all()
        letter.link_expires_at = datetime.now(UTC) - timedelta(seconds=1)
        session.commit()
        wait_until_idle(worker)
        second = [m for m in smtp_server.mailbox.received if first.split("/")[-1] not in m.text]
        assert len(second) == 1
        link = re.search(r"(/letters/[A-Za-z0-9_-]+)", second[0].text)
        assert link is not None and client.get(link.group(1)).status_code == 404

    def test_once_the_patient_withdraws_their_agreement_the_letter_is_not_sent(
        self, session: Session, writer: TestClient, seeded: Seeded, letter: Letter, clinician: User
    ) -> None:
        set_gp(session, seeded.patient, clinician, share_letters=False)
        for method in ("email", "post"):
            page = writer.post(
                f"/clinician/patients/{seeded.patient.id}/letters/{letter.id}/send",
                data={"csrf_token": CSRF, "method": method},
            )
            assert page.status_code == 409
            assert "has not agreed that we send letters to Dr Grace Hopper" in html.unescape(page.text)
        session.expire_all()
        assert letter.sent_at is None and letter.link_token_hash is None

    def test_recorded_as_posted(
        self, session: Session, writer: TestClient, seeded: Seeded, letter: Letter
    ) -> None:
        base = f"/clinician/patients/{seeded.patient.id}/letters/{letter.id}"
        assert writer.post(f"{base}/send", data={"csrf_token": CSRF, "method": "post"}).status_code == 200
        session.expire_all()
        assert letter.sent_via == DeliveryMethod.POST and letter.sent_to == "Dr Grace Hopper"
        updates = session.scalars(
            select(AuditEvent).where(
                AuditEvent.resource_id == str(letter.id), AuditEvent.action == AuditAction.UPDATE
            )
        ).all()
        assert len(updates) == 1

    def test_without_an_address_email_is_a_conflict_in_words(
        self, session: Session, writer: TestClient, seeded: Seeded, clinician: User
    ) -> None:
        set_gp(session, seeded.patient, clinician, email=None)
        write(writer, seeded.patient)
        [letter] = made(session, seeded.patient)
        page = writer.post(
            f"/clinician/patients/{seeded.patient.id}/letters/{letter.id}/send",
            data={"csrf_token": CSRF, "method": "email"},
        )
        assert page.status_code == 409
        assert "This letter has no email address to send it to." in page.text


class TestPrivacy:
    def test_a_clinician_off_the_care_team_gets_not_found(
        self, as_user: Browser, other_clinician: User, seeded: Seeded, letter: Letter
    ) -> None:
        other = as_user(other_clinician, browser=True)
        base = f"/clinician/patients/{seeded.patient.id}/letters"
        for path in (base, f"{base}/new", f"{base}/{letter.id}", f"{base}/{letter.id}/letter.pdf"):
            assert other.get(path).status_code == 404
        assert write(other, seeded.patient).status_code == 404
        assert (
            other.post(f"{base}/{letter.id}/send", data={"csrf_token": CSRF, "method": "post"}).status_code
            == 404
        )

    def test_anonymous_patients_and_the_front_desk_cannot_read_letters(
        self,
        session: Session,
        client: TestClient,
        as_user: Browser,
        admin: User,
        seeded: Seeded,
        letter: Letter,
    ) -> None:
        path = f"/clinician/patients/{seeded.patient.id}/letters/{letter.id}/letter.pdf"
        anonymous = client.get(path, follow_redirects=False)
        assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
        patient_user = session.get(User, seeded.patient.user_id)
        assert patient_user is not None
        assert as_user(patient_user, browser=True).get(path).status_code == 403
        assert as_user(admin, browser=True).get(path).status_code == 403

    def test_every_read_and_write_is_audited(
        self, session: Session, writer: TestClient, seeded: Seeded, letter: Letter, clinician: User
    ) -> None:
        base = f"/clinician/patients/{seeded.patient.id}/letters/{letter.id}"
        writer.get(base)
        writer.get(f"{base}/letter.pdf")
        rows = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.resource_id == str(letter.id), AuditEvent.actor_id == clinician.id)
            .order_by(AuditEvent.at)
        ).all()
        assert [(e.action, e.resource_type) for e in rows] == [
            (AuditAction.CREATE, "letter"),
            (AuditAction.READ, "letter"),
            (AuditAction.EXPORT, "letter"),
        ]
        assert all(e.patient_id == seeded.patient.id for e in rows)


class TestApi:
    def test_the_care_team_makes_and_sends_a_letter_through_the_api(
        self, session: Session, as_user: Browser, clinician: User, other_clinician: User, seeded: Seeded
    ) -> None:
        api = as_user(clinician)
        base = f"/api/v1/patients/{seeded.patient.id}/letters"
        made_ = api.post(base, json={"kind": "progress", "physician_role": "gp", "note": "Going well."})
        assert made_.status_code == 201
        body = made_.json()
        assert body["recipient_name"] == "Dr Grace Hopper" and body["sent_at"] is None
        sent = api.post(f"{base}/{body['id']}/send", json={"method": "post"})
        assert sent.status_code == 200 and sent.json()["sent_via"] == "post"
        assert [item["id"] for item in api.get(base).json()] == [body["id"]]
        assert as_user(other_clinician).get(f"{base}/{body['id']}").status_code == 404

    def test_the_api_names_the_field_and_refuses_without_agreement(
        self, session: Session, as_user: Browser, clinician: User, seeded: Seeded
    ) -> None:
        api = as_user(clinician)
        base = f"/api/v1/patients/{seeded.patient.id}/letters"
        bad = api.post(base, json={"kind": "progress"})
        assert bad.status_code == 422 and "choose one recipient" in " ".join(bad.json()["detail"])
        set_gp(session, seeded.patient, clinician, share_letters=False)
        refused = api.post(base, json={"kind": "progress", "physician_role": "gp"})
        assert refused.status_code == 409
        assert refused.json()["detail"].startswith(
            "Rowan Quillfeather has not agreed that we send letters to"
        )
