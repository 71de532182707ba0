"""Sign-up by email: the answer and the work are the same whether or not the email has an account; the
account works once its owner opens the emailed link."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import Role, User
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.notifications.models import OutboundEmail
from painrewire.patients import signup
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF, PASSWORD, create_user

NEW_PASSWORD = "a different long password"


@pytest.fixture
def visitor(app: FastAPI) -> TestClient:
    client = TestClient(app, base_url="http://testserver", client=("198.51.100.30", 50000))
    client.cookies.set("pr_csrf", CSRF)
    return client


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every argon2 hash the sign-up makes."""
    made: list[str] = []
    real = signup.hash_password

    def counted(password: str) -> str:
        made.append(password)
        return real(password)

    monkeypatch.setattr(signup, "hash_password", counted)
    yield made


def api_sign_up(client: TestClient, email: str, password: str = NEW_PASSWORD) -> httpx.Response:
    return client.post(
        "/api/v1/signup", json={"email": email, "full_name": "Sam Newby", "password": password}
    )


def page_sign_up(client: TestClient, email: str, password: str = NEW_PASSWORD) -> httpx.Response:
    form = {"email": email, "full_name": "Sam Newby", "password": password, "csrf_token": CSRF}
    return client.post("/signup", data=form, follow_redirects=False)


def seen_by_the_asker(response: httpx.Response, email: str) -> tuple[int, str, dict[str, str]]:
    """What the person who signed up can see: the status, the text with their own address taken out, and the
    headers that are not per-request (cookies, dates, lengths)."""
    varying = {"set-cookie", "date", "content-length"}
    headers = {k: v for k, v in response.headers.items() if k.lower() not in varying}
    return response.status_code, response.text.replace(email, "EMAIL"), headers


def mail_to(session: Session, address: str) -> list[OutboundEmail]:
    return list(session.scalars(select(OutboundEmail).where(OutboundEmail.to_address == address)))


def link_of(session: Session, address: str) -> str:
    [mail] = [m for m in mail_to(session, address) if m.kind == signup.CONFIRM_KIND]
    return mail.link_path


class TestNothingTellsAnAccountApart:
    @pytest.mark.parametrize("sign_up", [api_sign_up, page_sign_up], ids=["api", "page"])
    def test_a_new_and_a_taken_email_get_the_same_answer_and_cost_the_same_work(
        self, sign_up: Any, session: Session, visitor: TestClient, hashes: list[str]
    ) -> None:
        owner = create_user(session, role=Role.PATIENT)
        session.commit()
        new_email = "first-time@example.org"
        new = sign_up(visitor, new_email)
        after_new = len(hashes)
        taken = sign_up(visitor, owner.email)
        assert seen_by_the_asker(new, new_email) == seen_by_the_asker(taken, owner.email)
        assert new.status_code in (200, 202)
        # The same steps: one password hash and one email each.
        assert (after_new, len(hashes) - after_new) == (1, 1)
        assert len(mail_to(session, new_email)) == len(mail_to(session, owner.email)) == 1

    def test_a_taken_email_keeps_its_account_as_it_was_and_the_owner_is_told(
        self, session: Session, visitor: TestClient
    ) -> None:
        owner = create_user(session, role=Role.PATIENT)
        session.commit()
        before = owner.password_hash
        assert api_sign_up(visitor, owner.email).status_code == 202
        session.expire_all()
        assert session.scalars(select(User).where(User.email == owner.email)).all() == [owner]
        assert owner.password_hash == before and owner.is_active and owner.full_name != "Sam Newby"
        [notice] = mail_to(session, owner.email)
        assert notice.kind == signup.EXISTING_KIND and notice.recipient_id == owner.id
        assert "already have an account" in notice.body_text and notice.link_path == "/login"
        # The owner's own password still works; the one typed at sign-up does not.
        assert visitor.post(
            "/api/v1/auth/login", json={"email": owner.email, "password": PASSWORD}
        ).is_success
        refused = visitor.post("/api/v1/auth/login", json={"email": owner.email, "password": NEW_PASSWORD})
        assert refused.status_code == 401

    def test_before_it_is_confirmed_a_new_account_logs_in_no_better_than_a_wrong_password(
        self, session: Session, visitor: TestClient
    ) -> None:
        api_sign_up(visitor, "pending@example.org")
        login = visitor.post(
            "/api/v1/auth/login", json={"email": "pending@example.org", "password": NEW_PASSWORD}
        )
        wrong = visitor.post("/api/v1/auth/login", json={"email": "pending@example.org", "password": "nope"})
        assert (login.status_code, login.json()) == (wrong.status_code, wrong.json())


class TestTheLink:
    def test_the_link_confirms_logs_in_and_works_once(self, session: Session, visitor: TestClient) -> None:
        api_sign_up(visitor, "robin@example.org")
        link = link_of(session, "robin@example.org")
        assert link.startswith(signup.LINK_PREFIX)
        shown = visitor.get(link)
        assert shown.status_code == 200 and "Confirm my email" in shown.text
        session.expire_all()
        user = session.scalar(select(User).where(User.email == "robin@example.org"))
        assert user is not None and not user.is_active  # opening the link (a mail scanner) confirms nothing
        done = visitor.post(link, data={"csrf_token": CSRF}, follow_redirects=False)
        assert (done.status_code, done.headers["location"]) == (303, "/patient?welcome=1")
        assert "pr_session" in done.cookies
        session.expire_all()
        assert user.is_active
        patient = session.scalar(select(Patient).where(Patient.user_id == user.id))
        assert patient is not None and patient.timezone == "Europe/London"
        again = visitor.post(link, data={"csrf_token": done.cookies["pr_csrf"]}, follow_redirects=False)
        assert again.status_code == 409 and "already confirmed" in again.text

    def test_a_newer_sign_up_replaces_an_unconfirmed_one_and_its_link(
        self, app: FastAPI, session: Session, visitor: TestClient
    ) -> None:
        api_sign_up(visitor, "twice@example.org", password="the squatter's password")
        first = link_of(session, "twice@example.org")
        session.execute(delete(OutboundEmail))  # only the newest mail is looked at below
        api_sign_up(visitor, "twice@example.org", password=NEW_PASSWORD)
        second = link_of(session, "twice@example.org")
        assert visitor.post(first, data={"csrf_token": CSRF}).status_code == 404
        assert visitor.post(second, data={"csrf_token": CSRF}, follow_redirects=False).status_code == 303
        login = TestClient(app).post(
            "/api/v1/auth/login", json={"email": "twice@example.org", "password": NEW_PASSWORD}
        )
        assert login.status_code == 200

    def test_an_expired_or_altered_link_is_refused_and_says_what_to_do(
        self, session: Session, settings: Settings, visitor: TestClient
    ) -> None:
        api_sign_up(visitor, "late@example.org")
        user = session.scalar(select(User).where(User.email == "late@example.org"))
        assert user is not None
        past = int((utcnow() - timedelta(minutes=1)).timestamp())
        expired = signup.LINK_PREFIX + signup.confirmation_token(settings, user, expires=past)
        answer = visitor.post(expired, data={"csrf_token": CSRF})
        assert answer.status_code == 404 and "has expired" in answer.text and "Sign up again" in answer.text
        link = link_of(session, "late@example.org")
        for broken in (
            link[:-1] + ("0" if link[-1] != "0" else "1"),
            "/signup/confirm/nothing",
            link + "x" * 300,
        ):
            refused = visitor.post(broken, data={"csrf_token": CSRF})
            assert refused.status_code == 404 and "not valid" in refused.text
        session.expire_all()
        assert not user.is_active
