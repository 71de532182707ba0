"""Logins slow a guesser down without locking the owner out, and tell nobody which emails have an account.

* A wrong password costs the same work and gets the same answer, the first time and the sixth, whether or not
  the email has an account (the same statements run; one argon2 check either way).
* Failures count per email and client address: the owner, from another address, still logs in while a
  guesser waits; no wait ever grows past the window.
* The per-address cap holds back password spraying but lets in people who logged in from that address before.
* ``X-Forwarded-For`` is believed only from the proxies the clinic names; by default from nobody.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from painrewire import cli
from painrewire.accounts import ratelimit
from painrewire.accounts import service as accounts
from painrewire.accounts.models import Role
from painrewire.config import Settings
from painrewire.db import utcnow
from tests.accounts.test_password_reset import recorded
from tests.fixtures.factories import PASSWORD, create_user

LOGIN = "/api/v1/auth/login"
UNKNOWN = "nobody-at-all@example.org"


def from_address(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, base_url="http://testserver", client=(address, 50000))


def attempt(client: TestClient, email: str, password: str = "Winter2026!") -> httpx.Response:
    return client.post(LOGIN, json={"email": email, "password": password})


def same_answer(response: httpx.Response) -> tuple[int, str]:
    """The status and the message, with the seconds to wait (which tick between two requests) left out."""
    detail = str(response.json()["detail"])
    return response.status_code, detail.split(" Try again in")[0]


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[timedelta], None]]:
    """Move the login counters' clock forward (both the service's and the rate limits' reading of it)."""
    offset = [timedelta(0)]

    def now() -> datetime:
        return utcnow() + offset[0]

    for module in (accounts, ratelimit):
        monkeypatch.setattr(module, "utcnow", now, raising=False)

    def advance(by: timedelta) -> None:
        offset[0] += by

    yield advance


class TestTheSameForEveryEmail:
    def test_a_wrong_password_runs_the_same_statements_and_one_password_check_either_way(
        self,
        app: FastAPI,
        session: Session,
        connection: Connection,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        user = create_user(session, role=Role.PATIENT)
        session.commit()
        checks: list[bool] = []
        real = accounts.verify_password

        def counted(password_hash: str | None, password: str) -> bool:
            checks.append(password_hash is not None)
            return real(password_hash, password)

        monkeypatch.setattr(accounts, "verify_password", counted)
        guesser = from_address(app, "203.0.113.40")
        with recorded(connection) as known_sql:
            known = attempt(guesser, user.email)
        with recorded(connection) as unknown_sql:
            unknown = attempt(guesser, UNKNOWN)
        assert known.status_code == unknown.status_code == 401
        assert known.json() == unknown.json()
        assert len(checks) == 2, "an unknown email must cost one argon2 check too"
        assert known_sql == unknown_sql

    def test_the_sixth_wrong_password_gets_the_same_answer_for_a_known_and_an_unknown_email(
        self, app: FastAPI, session: Session, settings: Settings
    ) -> None:
        user = create_user(session, role=Role.PATIENT)
        session.commit()
        answers = {}
        for email in (user.email, UNKNOWN):
            guesser = from_address(app, "203.0.113.41")
            tries = [attempt(guesser, email) for _ in range(settings.login_max_failures + 1)]
            answers[email] = [same_answer(r) for r in tries]
            assert int(tries[-1].headers["Retry-After"]) > 0
        assert answers[user.email] == answers[UNKNOWN]
        assert answers[UNKNOWN][-1][0] == 429


class TestTheOwnerIsNeverLockedOut:
    def test_the_owner_logs_in_from_home_while_a_guesser_elsewhere_waits(
        self, app: FastAPI, session: Session, settings: Settings
    ) -> None:
        owner = create_user(session, role=Role.PATIENT)
        session.commit()
        guesser = from_address(app, "203.0.113.42")
        for _ in range(settings.login_max_failures):
            assert attempt(guesser, owner.email).status_code == 401
        # The guesser's address now waits, even with the right password...
        assert attempt(guesser, owner.email, PASSWORD).status_code == 429
        # ...while the owner, from their own address, gets in as usual.
        assert attempt(from_address(app, "198.51.100.42"), owner.email, PASSWORD).status_code == 200

    def test_no_wait_grows_longer_than_the_window_however_long_the_guessing_goes_on(
        self, app: FastAPI, session: Session, settings: Settings, clock: Callable[[timedelta], None]
    ) -> None:
        owner = create_user(session, role=Role.PATIENT)
        session.commit()
        window = timedelta(minutes=settings.login_failure_window_minutes)
        guesser = from_address(app, "203.0.113.43")
        for _ in range(4):
            answers = [attempt(guesser, owner.email).status_code for _ in range(settings.login_max_failures)]
            assert answers == [401] * settings.login_max_failures
            refused = attempt(guesser, owner.email)
            assert refused.status_code == 429
            assert int(refused.headers["Retry-After"]) <= window.total_seconds() + 1
            clock(window + timedelta(seconds=1))
        # After all that guessing, the owner's right password from the same address works once the window ends.
        assert attempt(guesser, owner.email, PASSWORD).status_code == 200


class TestThePerAddressCap:
    def test_spraying_is_held_back_but_someone_who_logged_in_from_there_before_gets_in(
        self, app: FastAPI, session: Session, settings: Settings
    ) -> None:
        settings.login_failures_per_client = 3
        colleague = create_user(session, role=Role.CLINICIAN)
        victims = [create_user(session, role=Role.PATIENT) for _ in range(4)]
        session.commit()
        hospital = from_address(app, "192.0.2.80")
        assert attempt(hospital, colleague.email, PASSWORD).status_code == 200  # an everyday login
        for victim in victims[:3]:
            assert attempt(hospital, victim.email).status_code == 401
        # The address is over its cap: guesses wait, right or wrong, for any account new to this address...
        sprayed = attempt(hospital, victims[3].email)
        assert sprayed.status_code == 429
        assert "Too many failed logins from your network" in sprayed.json()["detail"]
        assert attempt(hospital, victims[3].email, PASSWORD).status_code == 429
        assert same_answer(attempt(hospital, UNKNOWN)) == same_answer(sprayed)
        # ...but the colleague who logs in from here every day still gets in with the right password.
        assert attempt(hospital, colleague.email, PASSWORD).status_code == 200
        assert attempt(hospital, colleague.email).status_code == 429


class TestForwardedAddresses:
    @staticmethod
    def served_client(
        settings: Settings, monkeypatch: pytest.MonkeyPatch, *, peer: str, forwarded_for: str
    ) -> str:
        """The client address the app sees when ``painrewire serve`` runs it and ``peer`` connects, sending
        ``X-Forwarded-For``."""
        captured: dict[str, Any] = {}
        monkeypatch.setattr(cli, "get_settings", lambda: settings)
        monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: captured.update(kwargs))
        monkeypatch.setattr("painrewire.worker.start_in_server", lambda _settings: None)
        cli.serve(host="127.0.0.1", port=8000, workers=1, migrate_first=False)

        async def echo(scope: Any, receive: Any, send: Any) -> None:
            host = (scope.get("client") or ("",))[0]
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": host.encode()})

        options = {k: v for k, v in captured.items() if k in ("proxy_headers", "forwarded_allow_ips")}
        config = uvicorn.Config(echo, **options)
        config.load()
        transport = httpx.ASGITransport(app=config.loaded_app, client=(peer, 5000))

        async def ask() -> str:
            async with httpx.AsyncClient(transport=transport, base_url="http://clinic") as client:
                answer = await client.get("/", headers={"X-Forwarded-For": forwarded_for})
                return answer.text

        import asyncio

        return asyncio.run(ask())

    def test_by_default_nobody_can_choose_their_address_with_a_header(
        self, settings: Settings, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        seen = self.served_client(settings, monkeypatch, peer="127.0.0.1", forwarded_for="203.0.113.99")
        assert seen == "127.0.0.1"

    def test_a_named_proxy_is_believed(self, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
        settings.trusted_proxies = ["10.0.0.0/8"]
        seen = self.served_client(settings, monkeypatch, peer="10.1.2.3", forwarded_for="203.0.113.99")
        assert seen == "203.0.113.99"
        other = self.served_client(settings, monkeypatch, peer="192.0.2.5", forwarded_for="203.0.113.99")
        assert other == "192.0.2.5"

    def test_a_proxy_setting_that_is_not_an_address_is_refused(self) -> None:
        with pytest.raises(ValueError, match="trusted_proxies must list IP addresses"):
            Settings(trusted_proxies=["proxy.example.org"])
