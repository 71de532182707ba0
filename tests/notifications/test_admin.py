"""The admin's page of outgoing mail: where it goes, how much waits, what failed and why, and trying again."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.notifications import service as notifications
from painrewire.notifications.worker import Worker, wait_until_idle
from painrewire.outbox.models import Category, OutboundEmail, OutboxStatus
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.smtp import SmtpServer

REFUSED = "550 5.1.1 Mailbox unavailable"
BODY = "SECRET-BODY-TEXT"


@pytest.fixture
def failed(session: Session, worker: Worker, smtp_server: SmtpServer) -> OutboundEmail:
    """An email the mail server refused for good."""
    email = notifications.enqueue_email(
        session,
        kind="referral_received",
        category=Category.CLINICAL,
        dedupe_key="test:referral",
        subject="A referral is waiting",
        body=BODY,
        link_path="/clinician",
        to_address="gp@surgery.example",
    )
    assert email is not None
    session.commit()
    smtp_server.mailbox.refuse = REFUSED
    wait_until_idle(worker)
    smtp_server.mailbox.refuse = None
    session.refresh(email)
    assert email.status == OutboxStatus.FAILED
    return email


class TestAdminPage:
    def test_folder_mode_is_said_plainly(self, admin: User, as_user: Callable[..., TestClient]) -> None:
        page = as_user(admin, browser=True).get("/admin/notifications")
        assert page.status_code == 200
        assert "Email is not being sent to anyone." in page.text
        assert "painrewire" in page.text.lower() and "/mail" in page.text  # the test's mail folder
        assert 'role="alert"' in page.text

    def test_the_admin_home_links_to_it_and_warns(
        self, admin: User, as_user: Callable[..., TestClient]
    ) -> None:
        home = as_user(admin, browser=True).get("/admin")
        assert 'href="/admin/notifications"' in home.text
        assert "Email is not being sent." in home.text

    def test_a_failed_email_is_listed_without_content_and_can_be_retried(
        self,
        session: Session,
        admin: User,
        failed: OutboundEmail,
        as_user: Callable[..., TestClient],
        worker: Worker,
        smtp_server: SmtpServer,
    ) -> None:
        browser = as_user(admin, browser=True)
        page = browser.get("/admin/notifications")
        assert "gp@surgery.example" in page.text
        assert "referral received" in page.text
        assert "Mailbox unavailable" in page.text
        assert BODY not in page.text and "A referral is waiting" not in page.text
        assert f'action="/admin/notifications/emails/{failed.id}/retry"' in page.text

        answer = browser.post(
            f"/admin/notifications/emails/{failed.id}/retry",
            data={"csrf_token": CSRF},
            follow_redirects=False,
        )
        assert answer.status_code == 303
        session.refresh(failed)
        assert failed.status == OutboxStatus.PENDING

        wait_until_idle(worker)
        assert [r.rcpt_tos for r in smtp_server.mailbox.received] == [["gp@surgery.example"]]
        after = browser.get(answer.headers["location"])
        assert "Put back in the queue" in after.text
        assert "No email has failed." in after.text

    def test_the_api_says_the_same(
        self, admin: User, failed: OutboundEmail, as_user: Callable[..., TestClient]
    ) -> None:
        api = as_user(admin)
        state = api.get("/api/v1/admin/notifications").json()
        assert state["mail_configured"] is False and state["mail_dir"].endswith("mail")
        assert state["emails"]["failed"] == 1
        [row] = state["failed"]
        assert row["to_address"] == "gp@surgery.example" and row["attempts"] == 1
        assert "550" in row["last_error"]
        assert BODY not in str(state)
        retried = api.post(f"/api/v1/admin/notifications/emails/{failed.id}/retry")
        assert retried.status_code == 200 and retried.json()["attempts"] == 0
        again = api.post(f"/api/v1/admin/notifications/emails/{failed.id}/retry")
        assert again.status_code == 404


class TestNotForOthers:
    @pytest.mark.parametrize("who", ["clinician", "patient"])
    def test_clinicians_and_patients_are_refused(
        self,
        who: str,
        clinician: User,
        patient: Patient,
        failed: OutboundEmail,
        as_user: Callable[..., TestClient],
        session: Session,
    ) -> None:
        user = clinician if who == "clinician" else patient.user
        browser = as_user(user, browser=True)
        page = browser.get("/admin/notifications")
        assert page.status_code == 403 and "gp@surgery.example" not in page.text
        retry = browser.post(f"/admin/notifications/emails/{failed.id}/retry", data={"csrf_token": CSRF})
        assert retry.status_code == 403
        api = as_user(user)
        assert api.get("/api/v1/admin/notifications").status_code == 403
        assert api.post(f"/api/v1/admin/notifications/emails/{failed.id}/retry").status_code == 403
        session.refresh(failed)
        assert failed.status == OutboxStatus.FAILED

    def test_anonymous_is_sent_to_log_in(self, client: TestClient) -> None:
        assert client.get("/api/v1/admin/notifications").status_code == 401
        answer = client.get("/admin/notifications", follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login")
