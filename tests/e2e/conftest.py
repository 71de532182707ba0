"""Browser tests: a real server process on a free loopback port, driven by Debian's Chromium via Playwright."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench import loadtest
from painrewire import migrate
from painrewire.demo import DEMO_PASSWORD, create_demo_clinic
from tests.conftest import drop_database, new_empty_database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    password: str = DEMO_PASSWORD


def start_server(database_url: str, log: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    """The server as a browser meets it; every browser test signs up and logs in from 127.0.0.1, so the
    per-client limits (tested elsewhere) are raised."""
    limits = {"PAINREWIRE_SIGNUPS_PER_CLIENT": "10000", "PAINREWIRE_LOGIN_FAILURES_PER_CLIENT": "10000"}
    return loadtest.start_server(database_url, log, env={**limits, **env})


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo clinic, migrated and seeded exactly as `painrewire demo` does, served by `painrewire serve`."""
    folder = tmp_path_factory.mktemp("e2e")
    url, token = new_empty_database(folder, "e2e")
    migrate.upgrade(url)
    create_demo_clinic(url)
    process, base = start_server(url, folder / "server.log")
    try:
        yield LiveServer(url=base, database_url=url)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        drop_database(url, token)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, server: LiveServer, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{server.url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(server.password)
    page.get_by_role("button", name="Log in").click()


def confirm_email(page, server: LiveServer, email: str) -> None:  # type: ignore[no-untyped-def]
    """Open the sign-up confirmation link the clinic emailed to ``email`` (read from the outbox, which the
    worker sends from) and confirm: the account becomes active and the browser is logged in."""
    from sqlalchemy import select

    from painrewire.db import get_engine, session_factory
    from painrewire.notifications.models import OutboundEmail
    from painrewire.patients.signup import CONFIRM_KIND

    with session_factory(get_engine(server.database_url))() as session:
        link = session.scalar(
            select(OutboundEmail.link_path)
            .where(OutboundEmail.to_address == email, OutboundEmail.kind == CONFIRM_KIND)
            .order_by(OutboundEmail.created_at.desc())
            .limit(1)
        )
    assert link, f"no confirmation email was queued for {email}"
    page.goto(f"{server.url}{link}")
    page.get_by_role("button", name="Confirm my email").click()
