"""The clinician's caseload page writes every date one way: "08 Dec 2026" (with ", 15:00" for a time)."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from tests.e2e.conftest import LiveServer, log_in

MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"


def test_the_caseload_page_uses_one_date_format(page: Page, demo_server: LiveServer) -> None:
    log_in(page, demo_server, "amara.okafor@demo.painrewire.org")
    page.wait_for_url("**/clinician")
    text = page.inner_text("main")
    assert re.findall(r"\b\d{4}-\d\d-\d\d\b", text) == []  # no ISO dates
    days = re.findall(rf"\b\d\d ({MONTHS})\b(?! \d{{4}})", text)
    assert days == [], "a day without its year"
    assert re.findall(rf"\b\d\d (?:{MONTHS}) \d{{4}}\b", text)  # and the page does show dates
