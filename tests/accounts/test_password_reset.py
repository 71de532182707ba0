"""Password reset by email: the link arrives, works once and for a while, ends every session; and asking
answers the same, and does the same database work, whether or not the address has an account."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, event, select, update
from sqlalchemy.orm import Session

from painrewire.accounts import password_reset, service
from painrewire.accounts.models import PasswordResetToken, Role, User
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.errors import Unauthenticated
from painrewire.notifications.models import OutboundEmail, OutboxStatus
from painrewire.notifications.worker import Worker, wait_until_idle
from tests.fixtures.factories import CSRF, PASSWORD, create_user
from tests.fixtures.smtp import SmtpServer

NEW_PASSWORD = "a brand new long password"
LINK = re.compile(r"http://127\.0\.0\.1:8000/reset-password/([A-Za-z0-9_-]+)")


@pytest.fixture
def anonymous(app: FastAPI) -> TestClient:
    """A browser nobody is logged in on, holding the CSRF cookie a page would have set."""
    client = TestClient(app, base_url="http://testserver", client=("198.51.100.7", 50000))
    client.cookies.set("pr_csrf", CSRF)
    return client


def ask(client: TestClient, email: str) -> Any:
    return client.post("/forgot-password", data={"csrf_token": CSRF, "email": email})


def link_token(smtp_server: SmtpServer, address: str) -> str:
    [mail] = smtp_server.mailbox.to(address)
    found = LINK.search(mail.text)
    assert found is not None, mail.text
    return found.group(1)


class TestTheResetFlow:
    def test_the_login_page_offers_it(self, anonymous: TestClient) -> None:
        page = anonymous.get("/login").text
        assert '<a href="/forgot-password">Forgot your password?</a>' in page
        assert anonymous.get("/forgot-password").status_code == 200

    def test_request_mail_link_new_password_old_sessions_ended_and_the_link_used_up(
        self,
        session: Session,
        anonymous: TestClient,
        as_user: Callable[..., TestClient],
        worker: Worker,
        smtp_server: SmtpServer,
        settings: Settings,
    ) -> None:
        user = create_user(session, role=Role.PATIENT)
        api = as_user(user)
        browser = as_user(user, browser=True)
        assert api.get("/api/v1/me").status_code == 200

        asked = ask(anonymous, user.email.upper())  # the address as typed, in any case
        assert asked.status_code == 200
        assert "we have sent it a link" in asked.text
        wait_until_idle(worker)
        [mail] = smtp_server.mailbox.received
        assert mail.rcpt_tos == [user.email]
        assert mail.message["Subject"] == "Reset your PainRewire password"
        assert "within 60 minutes" in mail.text
        token = link_token(smtp_server, user.email)
        assert f'href="http://127.0.0.1:8000/reset-password/{token}"' in mail.html

        # Only the SHA-256 is stored; once sent, the worker blanks the link in the outbox too.
        [stored] = session.scalars(select(PasswordResetToken)).all()
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest() and stored.user_id == user.id
        outbox = session.scalars(select(OutboundEmail)).one()
        assert outbox.link_path == "/forgot-password" and token not in outbox.body_text

        form = anonymous.get(f"/reset-password/{token}")
        assert form.status_code == 200 and "Choose a new password" in form.text
        done = anonymous.post(
            f"/reset-password/{token}",
            data={"csrf_token": CSRF, "password": NEW_PASSWORD},
            follow_redirects=False,
        )
        assert done.status_code == 303 and done.headers["location"] == "/login?reset=1"
        assert "Your password is changed" in anonymous.get("/login?reset=1").text

        assert api.get("/api/v1/me").status_code == 401  # every session of the account has ended
        assert browser.get("/patient", follow_redirects=False).status_code == 303
        session.expire_all()
        assert service.authenticate(session, settings, user.email, NEW_PASSWORD).id == user.id
        with pytest.raises(Unauthenticated):
            service.authenticate(session, settings, user.email, PASSWORD)

        again = anonymous.post(
            f"/reset-password/{token}", data={"csrf_token": CSRF, "password": "another password!"}
        )
        assert again.status_code == 404 and "already used" in again.text
        assert anonymous.get(f"/reset-password/{token}").status_code == 404
        session.expire_all()
        assert service.authenticate(session, settings, user.email, NEW_PASSWORD).id == user.id

    def test_an_expired_link_is_refused_and_changes_nothing(
        self,
        session: Session,
        anonymous: TestClient,
        worker: Worker,
        smtp_server: SmtpServer,
        settings: Settings,
    ) -> None:
        user = create_user(session, role=Role.CLINICIAN)
        ask(anonymous, user.email)
        wait_until_idle(worker)
        token = link_token(smtp_server, user.email)
        session.execute(update(PasswordResetToken).values(expires_at=utcnow() - timedelta(seconds=1)))
        session.commit()
        page = anonymous.get(f"/reset-password/{token}")
        assert page.status_code == 404
        assert "This reset link has expired: links work for 60 minutes. Ask for a new one." in page.text
        refused = anonymous.post(
            f"/reset-password/{token}", data={"csrf_token": CSRF, "password": NEW_PASSWORD}
        )
        assert refused.status_code == 404
        session.expire_all()
        assert service.authenticate(session, settings, user.email, PASSWORD).id == user.id

    def test_a_link_is_blanked_once_sent_or_stale_and_old_tokens_go(
        self, session: Session, settings: Settings
    ) -> None:
        user = create_user(session, role=Role.PATIENT)
        _issue(session, settings, user)
        email = session.scalars(select(OutboundEmail)).one()
        now = utcnow()
        assert password_reset.forget_sent_links(session, settings, now) == 0  # still waiting to be sent
        later = now + timedelta(minutes=61)  # never sent, and its link has expired anyway
        assert password_reset.forget_sent_links(session, settings, later) == 1
        session.refresh(email)
        assert email.link_path == "/forgot-password"
        assert session.scalars(select(PasswordResetToken)).all() != []
        password_reset.forget_sent_links(session, settings, now + timedelta(days=1, minutes=61))
        assert session.scalars(select(PasswordResetToken)).all() == []

    def test_an_unknown_link_says_so(self, anonymous: TestClient) -> None:
        page = anonymous.get("/reset-password/not-a-real-token")
        assert page.status_code == 404 and "This reset link is not valid" in page.text
        api = anonymous.post("/api/v1/auth/password-reset/not-a-real-token", json={"password": NEW_PASSWORD})
        assert api.status_code == 404 and "not valid" in api.json()["detail"]

    def test_a_weak_password_is_refused_by_the_sign_up_rule_and_keeps_the_link(
        self, session: Session, anonymous: TestClient, settings: Settings
    ) -> None:
        user = create_user(session, role=Role.PATIENT)
        token = _issue(session, settings, user)
        weak = anonymous.post(f"/reset-password/{token}", data={"csrf_token": CSRF, "password": "short"})
        assert weak.status_code == 422 and "password: String should have at least 10 characters" in weak.text
        assert session.scalars(select(PasswordResetToken.used_at)).one() is None
        ok = anonymous.post(
            f"/reset-password/{token}",
            data={"csrf_token": CSRF, "password": NEW_PASSWORD},
            follow_redirects=False,
        )
        assert ok.status_code == 303

    def test_the_api_resets_too_and_a_reset_lifts_a_lock_out(
        self, session: Session, anonymous: TestClient, settings: Settings
    ) -> None:
        user = create_user(session, role=Role.PATIENT)
        user.failed_logins, user.locked_until = 9, utcnow() + timedelta(hours=1)
        token = _issue(session, settings, user)
        answer = anonymous.post(f"/api/v1/auth/password-reset/{token}", json={"password": NEW_PASSWORD})
        assert answer.status_code == 204
        session.expire_all()
        assert service.authenticate(session, settings, user.email, NEW_PASSWORD).id == user.id


def _issue(session: Session, settings: Settings, user: User) -> str:
    """Ask for a link and read its token from the queued mail (before the worker sends it)."""
    password_reset.request_reset(session, settings, user.email, client=None)
    session.commit()
    email = session.scalars(select(OutboundEmail).where(OutboundEmail.recipient_id == user.id)).one()
    return email.link_path.removeprefix(password_reset.LINK_PREFIX)


class TestNothingTellsWhetherAnAccountExists:
    def test_an_unknown_address_gets_the_identical_answer_and_no_mail(
        self, session: Session, anonymous: TestClient, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        user = create_user(session, role=Role.PATIENT)
        session.commit()
        unknown = "nobody-here@example.org"
        known_answer = ask(anonymous, user.email)
        unknown_answer = ask(anonymous, unknown)
        assert known_answer.status_code == unknown_answer.status_code == 200
        assert known_answer.text.replace(user.email, "EMAIL") == unknown_answer.text.replace(unknown, "EMAIL")
        api_known = anonymous.post("/api/v1/auth/password-reset", json={"email": user.email})
        api_unknown = anonymous.post("/api/v1/auth/password-reset", json={"email": unknown})
        assert api_known.status_code == api_unknown.status_code == 202
        assert api_known.json()["detail"].replace(user.email, "E") == api_unknown.json()["detail"].replace(
            unknown, "E"
        )

        wait_until_idle(worker)
        assert {r.rcpt_tos[0] for r in smtp_server.mailbox.received} == {user.email}
        assert len(smtp_server.mailbox.received) == 2
        # The unknown address's requests left rows that can never be used, and mail that is never sent.
        rows = session.scalars(select(OutboundEmail).order_by(OutboundEmail.created_at)).all()
        assert [r.status for r in rows] == [
            OutboxStatus.SENT,
            OutboxStatus.CANCELLED,
            OutboxStatus.SENT,
            OutboxStatus.CANCELLED,
        ]
        assert all(unknown not in r.to_address for r in rows)

    def test_both_paths_run_the_same_statements_in_the_same_order(
        self, session: Session, connection: Connection, anonymous: TestClient
    ) -> None:
        """The same work whatever the address: the same SQL, only the bound values differ (so no timing to
        measure, and no test that reads a clock)."""
        user = create_user(session, role=Role.PATIENT)
        session.commit()
        with recorded(connection) as known_sql:
            assert ask(anonymous, user.email).status_code == 200
        with recorded(connection) as unknown_sql:
            assert ask(anonymous, "nobody-else@example.org").status_code == 200
        gone = create_user(session, role=Role.PATIENT)
        gone.is_active = False
        session.commit()
        with recorded(connection) as deactivated_sql:
            assert ask(anonymous, gone.email).status_code == 200
        assert any(s.startswith("INSERT INTO password_reset_tokens") for s in known_sql)
        assert any(s.startswith("INSERT INTO outbound_emails") for s in known_sql)
        assert known_sql == unknown_sql == deactivated_sql

    def test_requests_are_limited_per_address_whether_or_not_it_has_an_account(
        self, session: Session, app: FastAPI, anonymous: TestClient, settings: Settings
    ) -> None:
        settings.password_resets_per_address = 2
        user = create_user(session, role=Role.PATIENT)
        session.commit()
        for address in (user.email, "no-account@example.org"):
            assert [ask(anonymous, address).status_code for _ in range(2)] == [200, 200]
            refused = ask(anonymous, address)
            assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
            assert "Too many password resets were asked for this address" in refused.text
        # Another address from the same client still works; the per-client limit is higher.
        assert ask(anonymous, "someone-else@example.org").status_code == 200

    def test_requests_are_limited_per_client(
        self, session: Session, anonymous: TestClient, settings: Settings
    ) -> None:
        settings.password_resets_per_client = 3
        answers = [ask(anonymous, f"probe-{i}@example.org").status_code for i in range(4)]
        assert answers == [200, 200, 200, 429]

    def test_a_malformed_address_is_refused_without_any_write(
        self, session: Session, anonymous: TestClient
    ) -> None:
        refused = ask(anonymous, "not an address")
        assert refused.status_code == 422 and "Email: enter the address you log in with" in refused.text
        assert session.scalars(select(PasswordResetToken)).all() == []


@contextmanager
def recorded(connection: Connection) -> Iterator[list[str]]:
    """Every statement run on the test's connection inside the block, savepoint names made alike."""
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(re.sub(r"sa_savepoint_\d+", "sa_savepoint", " ".join(statement.split())))

    event.listen(connection, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(connection, "before_cursor_execute", record)
