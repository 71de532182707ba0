"""Login, logout, roles and account creation through the JSON API."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, AuthSession, Role, User
from painrewire.config import Settings
from tests.fixtures.factories import PASSWORD, create_user


class TestLogin:
    def test_wrong_password_is_refused_with_a_readable_message(
        self, client: TestClient, session: Session
    ) -> None:
        user = create_user(session, role=Role.PATIENT)
        response = client.post("/api/v1/auth/login", json={"email": user.email, "password": "not it"})
        assert response.status_code == 401
        assert response.json() == {
            "error": "Unauthenticated",
            "detail": "The email or password is not right.",
        }

    def test_unknown_email_gets_the_same_answer_as_a_wrong_password(self, client: TestClient) -> None:
        response = client.post("/api/v1/auth/login", json={"email": "nobody@example.org", "password": "x"})
        assert response.status_code == 401
        assert response.json()["detail"] == "The email or password is not right."

    def test_login_returns_a_token_that_identifies_the_user(
        self, client: TestClient, session: Session
    ) -> None:
        user = create_user(session, role=Role.CLINICIAN)
        response = client.post("/api/v1/auth/login", json={"email": user.email.upper(), "password": PASSWORD})
        assert response.status_code == 200
        token = response.json()["access_token"]
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["email"] == user.email
        assert me.json()["role"] == "clinician"

    def test_each_login_gets_a_new_token_and_only_its_hash_is_stored(
        self, client: TestClient, session: Session
    ) -> None:
        user = create_user(session, role=Role.PATIENT)
        tokens = [
            client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}).json()[
                "access_token"
            ]
            for _ in range(2)
        ]
        assert tokens[0] != tokens[1]
        stored = session.scalars(select(AuthSession.token_hash).where(AuthSession.user_id == user.id)).all()
        assert len(stored) == 2
        assert not set(tokens) & set(stored)

    def test_repeated_failures_lock_the_account_and_the_count_survives_the_refusal(
        self, client: TestClient, session: Session
    ) -> None:
        user = create_user(session, role=Role.PATIENT)
        for _ in range(5):
            assert (
                client.post("/api/v1/auth/login", json={"email": user.email, "password": "bad"}).status_code
                == 401
            )
        locked = client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
        assert locked.status_code == 429
        assert "Try again in" in locked.json()["detail"]
        assert int(locked.headers["Retry-After"]) > 0
        session.expire_all()
        failures = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.actor_id == user.id, AuditEvent.action == AuditAction.LOGIN_FAILED)
        )
        assert failures == 5

    def test_missing_fields_get_a_422_naming_the_field(self, client: TestClient) -> None:
        response = client.post("/api/v1/auth/login", json={"email": "a@example.org"})
        assert response.status_code == 422
        assert any(msg.startswith("password:") for msg in response.json()["detail"])

    def test_malformed_json_is_a_422_not_a_500(self, client: TestClient) -> None:
        response = client.post(
            "/api/v1/auth/login", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert response.status_code == 422


class TestLogout:
    def test_anonymous_cannot_log_out(self, client: TestClient) -> None:
        assert client.post("/api/v1/auth/logout").status_code == 401

    def test_token_no_longer_works_after_logout(
        self, as_user: Callable[..., TestClient], session: Session
    ) -> None:
        api = as_user(create_user(session, role=Role.PATIENT))
        assert api.get("/api/v1/me").status_code == 200
        assert api.post("/api/v1/auth/logout").status_code == 204
        assert api.get("/api/v1/me").status_code == 401

    def test_logout_everywhere_ends_every_session(
        self, as_user: Callable[..., TestClient], session: Session
    ) -> None:
        user = create_user(session, role=Role.CLINICIAN)
        first, second = as_user(user), as_user(user)
        assert first.post("/api/v1/auth/logout-everywhere").status_code == 204
        assert second.get("/api/v1/me").status_code == 401


class TestCreateUser:
    def test_anonymous_gets_401(self, client: TestClient) -> None:
        response = client.post("/api/v1/users", json={})
        assert response.status_code in (401, 422)
        response = client.post(
            "/api/v1/users",
            json={
                "email": "c@example.org",
                "full_name": "C",
                "password": "long enough pw",
                "role": "clinician",
                "discipline": "psychologist",
            },
        )
        assert response.status_code == 401

    def test_clinician_cannot_create_clinicians(
        self, as_user: Callable[..., TestClient], clinician: User
    ) -> None:
        response = as_user(clinician).post(
            "/api/v1/users",
            json={
                "email": "c@example.org",
                "full_name": "C",
                "password": "long enough pw",
                "role": "clinician",
                "discipline": "psychologist",
            },
        )
        assert response.status_code == 403

    def test_admin_creates_a_clinician_with_a_discipline(
        self, as_user: Callable[..., TestClient], admin: User, session: Session
    ) -> None:
        response = as_user(admin).post(
            "/api/v1/users",
            json={
                "email": "New.Psych@Example.org",
                "full_name": " Dr New ",
                "password": "long enough pw",
                "role": "clinician",
                "discipline": "psychologist",
            },
        )
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["email"] == "new.psych@example.org"
        assert body["full_name"] == "Dr New"
        assert body["discipline"] == "psychologist"
        stored = session.scalar(select(User).where(User.email == "new.psych@example.org"))
        assert stored is not None and stored.password_hash.startswith("$argon2id$")

    def test_clinician_without_discipline_is_refused(
        self, as_user: Callable[..., TestClient], admin: User
    ) -> None:
        response = as_user(admin).post(
            "/api/v1/users",
            json={
                "email": "x@example.org",
                "full_name": "X",
                "password": "long enough pw",
                "role": "clinician",
            },
        )
        assert response.status_code == 422
        assert "a clinician needs a discipline" in " ".join(response.json()["detail"])

    def test_duplicate_email_is_a_conflict_and_nothing_is_half_written(
        self, as_user: Callable[..., TestClient], admin: User, clinician: User, session: Session
    ) -> None:
        before = session.scalar(select(func.count()).select_from(User))
        response = as_user(admin).post(
            "/api/v1/users",
            json={"email": clinician.email, "full_name": "Y", "password": "long enough pw", "role": "admin"},
        )
        assert response.status_code == 409
        assert clinician.email in response.json()["detail"]
        assert session.scalar(select(func.count()).select_from(User)) == before

    def test_short_password_is_refused(self, as_user: Callable[..., TestClient], admin: User) -> None:
        response = as_user(admin).post(
            "/api/v1/users",
            json={"email": "z@example.org", "full_name": "Z", "password": "short", "role": "admin"},
        )
        assert response.status_code == 422
        assert any(m.startswith("password:") for m in response.json()["detail"])


def test_live_logins_finds_in_one_call_which_tokens_still_log_someone_in(
    session: Session, settings: Settings
) -> None:
    """What a live server uses to re-check all its open sockets: the same rule as one request's login."""
    from datetime import timedelta

    from painrewire.accounts import service as accounts
    from painrewire.accounts.models import AuthSession
    from painrewire.accounts.security import token_digest
    from painrewire.db import utcnow

    def login(user: User) -> str:
        return accounts.start_session(session, settings, user, kind="api").token

    patient, clinician = create_user(session, role=Role.PATIENT), create_user(session)
    live, logged_out, expired, other = login(patient), login(patient), login(patient), login(clinician)
    accounts.end_session(session, logged_out)
    row = session.scalar(select(AuthSession).where(AuthSession.token_hash == token_digest(expired)))
    assert row is not None
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    tokens = [live, logged_out, expired, other, "never-issued"]
    assert accounts.live_logins(session, tokens) == {live: patient.id, other: clinician.id}
    clinician.is_active = False
    session.flush()
    assert accounts.live_logins(session, tokens) == {live: patient.id}
    for token in tokens:  # the one-request rule agrees
        user = accounts.resolve_session(session, token)
        assert (user.id if user else None) == accounts.live_logins(session, [token]).get(token)
