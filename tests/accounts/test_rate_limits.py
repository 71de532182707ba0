"""Per-client rate limits: failed logins across accounts, and self-service sign-ups, counted in the database."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from painrewire.accounts import ratelimit
from painrewire.accounts.models import RateLimitBucket, Role, User
from painrewire.config import Settings
from painrewire.db import session_scope, utcnow
from tests.fixtures.factories import PASSWORD, create_user


def _client(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, base_url="http://testserver", client=(address, 50000))


class TestFailedLoginsPerClient:
    def test_spraying_many_accounts_from_one_address_is_stopped(
        self, app: FastAPI, session: Session, settings: Settings
    ) -> None:
        settings.login_failures_per_client = 3
        victims = [create_user(session, role=Role.PATIENT) for _ in range(4)]
        session.commit()
        sprayer = _client(app, "203.0.113.7")
        for victim in victims[:3]:
            answer = sprayer.post(
                "/api/v1/auth/login", json={"email": victim.email, "password": "Winter2026!"}
            )
            assert answer.status_code == 401
        # The fourth account was never tried, yet this address must now wait, even with a right password.
        blocked = sprayer.post("/api/v1/auth/login", json={"email": victims[3].email, "password": PASSWORD})
        assert blocked.status_code == 429
        assert "Too many failed logins from your network" in blocked.json()["detail"]
        assert int(blocked.headers["Retry-After"]) > 0

    def test_another_address_and_the_account_owner_are_not_locked_out(
        self, app: FastAPI, session: Session, settings: Settings
    ) -> None:
        settings.login_failures_per_client = 2
        owner = create_user(session, role=Role.PATIENT)
        session.commit()
        sprayer = _client(app, "203.0.113.8")
        for _ in range(2):
            sprayer.post(
                "/api/v1/auth/login", json={"email": "nobody@example.org", "password": "guess-guess"}
            )
        home = _client(app, "198.51.100.20")
        answer = home.post("/api/v1/auth/login", json={"email": owner.email, "password": PASSWORD})
        assert answer.status_code == 200

    def test_the_browser_login_form_is_limited_too(
        self, app: FastAPI, session: Session, settings: Settings
    ) -> None:
        settings.login_failures_per_client = 1
        user = create_user(session, role=Role.CLINICIAN)
        session.commit()
        browser = _client(app, "203.0.113.9")
        csrf = browser.get("/login").cookies.get("pr_csrf") or ""
        form = {"email": user.email, "password": "not it at all", "csrf_token": csrf}
        assert browser.post("/login", data=form).status_code == 401
        answer = browser.post("/login", data={**form, "password": PASSWORD})
        assert answer.status_code == 429
        assert int(answer.headers["Retry-After"]) > 0  # as the API's refusal says
        assert "Too many failed logins" in answer.text

    def test_a_new_window_starts_once_the_old_one_is_over(self, session: Session) -> None:
        key = f"test:{uuid.uuid4()}"
        window = timedelta(minutes=15)
        assert [ratelimit.hit(session, key, window=window) for _ in range(3)] == [1, 2, 3]
        session.execute(
            update(RateLimitBucket)
            .where(RateLimitBucket.key == key)
            .values(window_start=utcnow() - window - timedelta(seconds=1))
        )
        assert ratelimit.hit(session, key, window=window) == 1


class TestSignUpsPerClient:
    def _sign_up(self, client: TestClient) -> int:
        tag = uuid.uuid4().hex[:8]
        data = {"email": f"new-{tag}@example.org", "full_name": f"New {tag}", "password": PASSWORD}
        return client.post("/api/v1/signup", json=data).status_code

    def test_too_many_new_accounts_from_one_address_are_refused_and_not_created(
        self, app: FastAPI, session: Session, settings: Settings
    ) -> None:
        settings.signups_per_client = 2
        farm = _client(app, "192.0.2.50")
        assert [self._sign_up(farm) for _ in range(3)] == [202, 202, 429]
        made = session.scalars(select(User.email).where(User.email.like("new-%@example.org"))).all()
        assert len(made) == 2
        assert self._sign_up(_client(app, "192.0.2.51")) == 202

    def test_the_sign_up_page_explains_the_limit(
        self, app: FastAPI, session: Session, settings: Settings
    ) -> None:
        settings.signups_per_client = 1
        browser = _client(app, "192.0.2.60")
        csrf = browser.get("/signup").cookies.get("pr_csrf") or ""
        for expected in (200, 429):
            tag = uuid.uuid4().hex[:8]
            form = {"email": f"p-{tag}@example.org", "full_name": "Pat Ient", "password": PASSWORD}
            answer = browser.post("/signup", data={**form, "csrf_token": csrf}, follow_redirects=False)
            assert answer.status_code == expected
            browser.cookies.clear()
            browser.cookies.set("pr_csrf", csrf)
        assert "Too many new accounts" in answer.text
        assert int(answer.headers["Retry-After"]) > 0


def test_concurrent_hits_are_all_counted(engine: Engine) -> None:
    """Twenty requests at once from one address count twenty: the upsert never loses a hit."""
    key = f"test:{uuid.uuid4()}"
    window = timedelta(minutes=5)

    def one(_: int) -> int:
        with session_scope(engine) as s:
            return ratelimit.hit(s, key, window=window)

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            counts = sorted(pool.map(one, range(20)))
        assert counts == list(range(1, 21))
    finally:
        with session_scope(engine) as s:
            s.execute(delete(RateLimitBucket).where(RateLimitBucket.key == key))
