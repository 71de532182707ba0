"""A newcomer's first minutes in the demo clinic, in a real browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, log_in


def test_demo_patient_logs_in_and_sees_their_home(page: Page, demo_server: LiveServer) -> None:
    log_in(page, demo_server, "maria@demo.painrewire.org")
    expect(page).to_have_url(f"{demo_server.url}/patient")
    expect(page.get_by_role("heading", name="Hello, Maria")).to_be_visible()
    expect(page.get_by_text("Dr Amara Okafor")).to_be_visible()


def test_demo_clinician_logs_in_and_sees_the_caseload(page: Page, demo_server: LiveServer) -> None:
    log_in(page, demo_server, "amara.okafor@demo.painrewire.org")
    expect(page).to_have_url(f"{demo_server.url}/clinician")
    expect(page.get_by_role("heading", name="Your caseload")).to_be_visible()
    page.get_by_role("link", name="Maria Gonzalez").click()
    expect(page.get_by_role("heading", name="Maria Gonzalez")).to_be_visible()


def test_demo_admin_logs_in_and_sees_accounts(page: Page, demo_server: LiveServer) -> None:
    log_in(page, demo_server, "admin@demo.painrewire.org")
    expect(page).to_have_url(f"{demo_server.url}/admin")
    expect(page.get_by_role("heading", name="New patients waiting for a care team")).to_be_visible()


def test_wrong_password_stays_on_the_login_page(page: Page, demo_server: LiveServer) -> None:
    page.goto(f"{demo_server.url}/login")
    page.get_by_label("Email").fill("maria@demo.painrewire.org")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("The email or password is not right.")


def test_menu_opens_on_a_phone(phone: Page, demo_server: LiveServer) -> None:
    log_in(phone, demo_server, "james@demo.painrewire.org")
    nav = phone.locator("#main-nav")
    expect(nav).to_be_hidden()
    phone.get_by_role("button", name="Menu").click()
    expect(nav.get_by_role("link", name="Diary")).to_be_visible()
    expect(nav.get_by_role("link", name="My record")).to_be_hidden()  # the short menu; the rest under "More"
    nav.get_by_text("More", exact=True).click()
    expect(nav.get_by_role("link", name="My record")).to_be_visible()
