"""Smaller holes: a log-out that ended nothing, guessable passwords, a one-letter reason to open a record,
and health pages a browser or proxy could keep in its cache."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.accounts.security import password_problem
from painrewire.config import Settings
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF

GUESSABLE = ["Winter2026!", "password1234", "qwertyuiop", "1234567890", "iloveyou12", "aaaaaaaaaaaa"]


class TestLogout:
    def test_the_api_logout_with_a_browser_cookie_ends_that_login(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        assert browser.get("/api/v1/me").status_code == 200
        answer = browser.post("/api/v1/auth/logout", headers={"X-CSRF-Token": CSRF})
        assert answer.status_code == 204
        assert 'pr_session=""' in answer.headers.get("set-cookie", "")  # the browser forgets it too
        browser.cookies.set("pr_session", browser.cookies.get("pr_session") or "")
        assert browser.get("/api/v1/me").status_code == 401


class TestPasswords:
    @pytest.mark.parametrize("password", GUESSABLE)
    def test_a_guessable_password_is_refused_everywhere_one_is_chosen(
        self,
        password: str,
        client: TestClient,
        session: Session,
        settings: Settings,
        as_user: Callable[..., TestClient],
        clinician: User,
        admin: User,
    ) -> None:
        person = {"email": "new.person@example.org", "full_name": "New Person", "password": password}
        for answer in (
            client.post("/api/v1/signup", json=person),
            as_user(clinician).post("/api/v1/patients", json=person),
            as_user(admin).post(
                "/api/v1/users", json={**person, "role": "clinician", "discipline": "psychologist"}
            ),
        ):
            assert answer.status_code == 422, answer.text
            assert any(
                m.startswith("password: this password is too easy to guess") for m in answer.json()["detail"]
            )

    def test_a_password_reset_cannot_choose_one_either(self, client: TestClient) -> None:
        answer = client.post("/api/v1/auth/password-reset/some-token", json={"password": "Winter2026!"})
        assert answer.status_code == 422 and "too easy to guess" in answer.text

    def test_the_persons_own_name_makes_a_password_guessable(self) -> None:
        words = ["rowan.quillfeather", "Rowan", "Quillfeather"]
        assert password_problem("quillfeather2019") is None  # a rare word and a year: hard to guess...
        assert (
            password_problem("quillfeather2019", user_inputs=words) is not None
        )  # ...unless it is your name
        assert password_problem("quiet harbour kettle") is None
        assert password_problem("short") == "use at least 10 characters"


class TestAdminReasons:
    @pytest.mark.parametrize("reason", ["x", "because", "   checking   "])
    def test_an_admin_must_say_why_in_earnest(
        self, reason: str, as_user: Callable[..., TestClient], admin: User, patient: Patient
    ) -> None:
        answer = as_user(admin).get(f"/api/v1/patients/{patient.id}", params={"reason": reason})
        assert answer.status_code == 422 and "reason" in str(answer.json()["detail"])

    def test_a_real_reason_opens_the_record(
        self, as_user: Callable[..., TestClient], admin: User, patient: Patient
    ) -> None:
        answer = as_user(admin).get(
            f"/api/v1/patients/{patient.id}", params={"reason": "Complaint review #42"}
        )
        assert answer.status_code == 200


class TestNothingKeptInCaches:
    def test_health_pages_answers_and_downloads_are_not_stored(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        api = as_user(patient.user)
        for answer in (
            browser.get("/patient"),
            browser.get("/patient/diary"),
            browser.get("/patient/my-data.json"),
            api.get("/api/v1/me"),
            api.get(f"/api/v1/patients/{patient.id}"),
        ):
            assert answer.status_code == 200, answer.request.url
            assert "no-store" in answer.headers.get("cache-control", ""), answer.request.url

    def test_the_apps_own_scripts_may_be_cached(self, client: TestClient) -> None:
        answer = client.get("/static/app/app.js")
        assert answer.status_code == 200
        assert "no-store" not in answer.headers.get("cache-control", "")
