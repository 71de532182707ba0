"""The browser side of the spine: login by form, CSRF, role homes, security headers, errors as pages."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import Role, User
from painrewire.patients.models import Patient
from painrewire.web.deps import CSRF_COOKIE, SESSION_COOKIE
from tests.fixtures.factories import CSRF, PASSWORD, create_user


def csrf_from(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the form carries a CSRF token"
    return match.group(1)


class TestLoginPage:
    def test_login_form_logs_a_patient_in_and_lands_on_their_home(
        self, client: TestClient, patient: Patient
    ) -> None:
        form = client.get("/login")
        assert form.status_code == 200
        response = client.post(
            "/login",
            data={"email": patient.user.email, "password": PASSWORD, "csrf_token": csrf_from(form.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == "/patient"
        cookie = response.headers.get_list("set-cookie")
        session_cookie = next(c for c in cookie if c.startswith(SESSION_COOKIE + "="))
        assert (
            "HttpOnly" in session_cookie and "Max-Age=" in session_cookie and "SameSite=lax" in session_cookie
        )
        home = client.get("/patient")
        assert home.status_code == 200
        assert f"Hello, {patient.user.full_name.split(' ')[0]}" in home.text

    def test_login_rotates_the_csrf_token(self, client: TestClient, patient: Patient) -> None:
        before = csrf_from(client.get("/login").text)
        client.post("/login", data={"email": patient.user.email, "password": PASSWORD, "csrf_token": before})
        assert client.cookies.get(CSRF_COOKIE) not in (None, before)

    def test_logging_in_again_ends_the_login_the_browser_carried(
        self, client: TestClient, patient: Patient, clinician: User
    ) -> None:
        """A shared computer: the next person's login must not leave the previous login usable."""
        first = None
        for person in (clinician, patient.user):
            token = csrf_from(client.get("/login").text)
            client.post("/login", data={"email": person.email, "password": PASSWORD, "csrf_token": token})
            first = first or client.cookies.get(SESSION_COOKIE)
        assert first and client.cookies.get(SESSION_COOKIE) != first
        stale = TestClient(client.app, base_url="http://testserver", cookies={SESSION_COOKIE: first})
        assert stale.get("/api/v1/me").status_code == 401

    def test_login_form_without_csrf_token_is_refused(self, client: TestClient, patient: Patient) -> None:
        client.get("/login")
        response = client.post("/login", data={"email": patient.user.email, "password": PASSWORD})
        assert response.status_code == 403
        assert "Reload the page" in response.text
        assert SESSION_COOKIE not in client.cookies

    def test_wrong_password_shows_the_form_again_with_a_message(
        self, client: TestClient, patient: Patient
    ) -> None:
        token = csrf_from(client.get("/login").text)
        response = client.post(
            "/login", data={"email": patient.user.email, "password": "nope", "csrf_token": token}
        )
        assert response.status_code == 401
        assert "The email or password is not right." in response.text
        assert patient.user.email in response.text

    def test_next_only_follows_local_paths(self, client: TestClient, clinician: User) -> None:
        token = csrf_from(client.get("/login").text)
        response = client.post(
            "/login",
            data={
                "email": clinician.email,
                "password": PASSWORD,
                "csrf_token": token,
                "next": "//evil.example/x",
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/clinician"

    def test_logged_out_visitor_is_sent_to_login_and_back(self, client: TestClient) -> None:
        response = client.get("/clinician", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/login?next=/clinician"


class TestRoleHomes:
    def test_clinician_home_lists_the_caseload_only(
        self, as_user: Callable[..., TestClient], clinician: User, patient: Patient, other_patient: Patient
    ) -> None:
        page = as_user(clinician, browser=True).get("/clinician")
        assert page.status_code == 200
        assert patient.user.full_name in page.text
        assert other_patient.user.full_name not in page.text

    def test_patient_cannot_open_the_clinician_home(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        page = as_user(patient.user, browser=True).get("/clinician")
        assert page.status_code == 403
        assert "This is for clinicians." in page.text

    def test_clinician_cannot_open_a_patient_outside_the_team(
        self, as_user: Callable[..., TestClient], clinician: User, other_patient: Patient
    ) -> None:
        page = as_user(clinician, browser=True).get(f"/clinician/patients/{other_patient.id}")
        assert page.status_code == 404
        assert other_patient.user.full_name not in page.text

    def test_navigation_matches_the_role(self, as_user: Callable[..., TestClient], admin: User) -> None:
        page = as_user(admin, browser=True).get("/admin")
        assert 'href="/admin/audit"' in page.text
        assert 'href="/clinician"' not in page.text

    def test_a_patient_has_a_short_menu_and_the_rest_under_more(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        page = as_user(patient.user, browser=True).get("/patient").text
        nav = page.split('<nav id="main-nav"', 1)[1].split("</nav>", 1)[0]
        top, more = nav.split("<summary>More</summary>", 1)
        top_links = re.findall(r'<a href="([^"]+)"', top)
        short = ["/patient", "/patient/today", "/patient/diary", "/patient/messages", "/patient/appointments"]
        assert top_links == short
        assert ">Today<" not in nav and ">Home<" in top and ">This week<" in top  # not two names for one idea
        for href in ("/patient/record", "/patient/questionnaires", "/patient/gmi", "/patient/neurofeedback"):
            assert f'href="{href}"' in more

    def test_home_redirects_by_role(self, as_user: Callable[..., TestClient], patient: Patient) -> None:
        response = as_user(patient.user, browser=True).get("/home", follow_redirects=False)
        assert response.headers["location"] == "/patient"


class TestForms:
    def test_admin_creates_a_clinician_in_the_browser(
        self, as_user: Callable[..., TestClient], admin: User, session: Session
    ) -> None:
        browser = as_user(admin, browser=True)
        response = browser.post(
            "/admin/clinicians/new",
            data={
                "email": "physio@example.org",
                "full_name": "Pat Physio",
                "password": "long enough pw",
                "role": "clinician",
                "discipline": "physical_therapist",
                "csrf_token": CSRF,
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        user = session.scalar(select(User).where(User.email == "physio@example.org"))
        assert (
            user is not None and user.discipline is not None and user.discipline.value == "physical_therapist"
        )

    def test_bad_clinician_form_is_shown_again_with_the_reason(
        self, as_user: Callable[..., TestClient], admin: User
    ) -> None:
        response = as_user(admin, browser=True).post(
            "/admin/clinicians/new",
            data={
                "email": "not-an-email",
                "full_name": "X",
                "password": "long enough pw",
                "role": "clinician",
                "discipline": "psychologist",
                "csrf_token": CSRF,
            },
        )
        assert response.status_code == 422
        assert "email:" in response.text
        assert 'value="not-an-email"' in response.text

    def test_clinician_registers_a_patient_in_the_browser(
        self, as_user: Callable[..., TestClient], clinician: User, session: Session
    ) -> None:
        response = as_user(clinician, browser=True).post(
            "/clinician/patients/new",
            data={
                "email": "p@example.org",
                "full_name": "Pia Patient",
                "password": "long enough pw",
                "timezone": "Europe/London",
                "csrf_token": CSRF,
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        patient = session.scalar(select(Patient).join(Patient.user).where(User.email == "p@example.org"))
        assert patient is not None
        assert response.headers["location"] == f"/clinician/patients/{patient.id}?created=1"

    def test_sign_up_asks_the_new_patient_to_confirm_their_email(self, client: TestClient) -> None:
        token = csrf_from(client.get("/signup").text)
        response = client.post(
            "/signup",
            data={
                "email": "new@example.org",
                "full_name": "Nia New",
                "password": "long enough pw",
                "timezone": "Europe/London",
                "csrf_token": token,
            },
        )
        assert response.status_code == 200
        assert "Check your email" in response.text and "new@example.org" in response.text
        assert SESSION_COOKIE not in client.cookies  # nobody is logged in before the address is confirmed

    def test_sign_up_with_a_taken_email_answers_as_for_any_other(
        self, client: TestClient, session: Session
    ) -> None:
        taken = create_user(session, role=Role.PATIENT)
        token = csrf_from(client.get("/signup").text)
        response = client.post(
            "/signup",
            data={
                "email": taken.email,
                "full_name": "Dup",
                "password": "long enough pw",
                "csrf_token": token,
            },
        )
        assert response.status_code == 200
        assert "Check your email" in response.text and "already" not in response.text

    def test_form_post_with_a_missing_field_is_a_page_not_a_500(
        self, as_user: Callable[..., TestClient], clinician: User, patient: Patient
    ) -> None:
        response = as_user(clinician, browser=True).post(
            f"/clinician/patients/{patient.id}/care-team", data={"csrf_token": CSRF}
        )
        assert response.status_code == 422
        assert "clinician_id" in response.text


class TestHeaders:
    def test_pages_carry_security_headers(self, client: TestClient) -> None:
        response = client.get("/")
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in response.headers

    def test_hsts_when_served_over_tls(self, app) -> None:  # type: ignore[no-untyped-def]
        with TestClient(app, base_url="https://testserver") as tls:
            assert tls.get("/").headers["strict-transport-security"].startswith("max-age=")

    def test_pages_have_no_inline_scripts(self, client: TestClient) -> None:
        for path in ("/", "/login", "/signup"):
            assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", client.get(path).text), path

    def test_unknown_page_is_a_friendly_404(self, client: TestClient) -> None:
        response = client.get("/no/such/page")
        assert response.status_code == 404
        assert "There is no page here." in response.text

    def test_oversized_body_is_refused(self, client: TestClient) -> None:
        response = client.post(
            "/api/v1/auth/login",
            content=b"x" * (3 * 1024 * 1024),
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 413


class TestHealth:
    def test_healthz_is_200_with_the_database_reachable(self, client: TestClient) -> None:
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["database"] == "ok"

    def test_healthz_is_503_when_the_database_is_unreachable(self, settings) -> None:  # type: ignore[no-untyped-def]
        from painrewire.app import create_app
        from painrewire.db import get_engine, session_factory

        broken = settings.model_copy(update={"database_url": "sqlite:////nonexistent-dir/x/y.sqlite3"})
        app = create_app(broken, sessions=session_factory(get_engine(broken.database_url)))
        with TestClient(app) as c:
            response = c.get("/healthz")
        assert response.status_code == 503
        assert response.json()["database"] == "unreachable"

    def test_openapi_lists_the_api(self, client: TestClient) -> None:
        paths = client.get("/openapi.json").json()["paths"]
        assert "/api/v1/auth/login" in paths and "/api/v1/patients/{patient_id}" in paths
        assert "/login" not in paths
