"""A newcomer books a first appointment from the public "Book now" page, in a real browser.

The browser says it is in New York while the demo clinic works in London, so the test also shows that free
times are offered in the visitor's own zone, that the confirmation names the clinic's time too, and that the
calendar file holds the same instant.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import icalendar
from playwright.sync_api import Browser, expect

from tests.e2e.conftest import LiveServer

VISITOR_ZONE = "America/New_York"


def test_a_new_patient_books_a_first_appointment_and_adds_it_to_their_calendar(
    browser: Browser, demo_server: LiveServer
) -> None:
    context = browser.new_context(
        viewport={"width": 1200, "height": 900}, timezone_id=VISITOR_ZONE, accept_downloads=True
    )
    page = context.new_page()
    try:
        page.goto(demo_server.url)
        page.get_by_role("link", name="Book now").first.click()
        expect(page.get_by_role("heading", name="Book an appointment")).to_be_visible()
        page.get_by_role("link", name="Choose initial assessment").click()
        expect(page.locator(".zone-note")).to_contain_text(
            VISITOR_ZONE
        )  # the browser's zone, not the clinic's

        slots = page.locator("a.slot")
        for _ in range(4):  # the nearest week may be full or inside the lead time
            if slots.count():
                break
            page.get_by_role("link", name="Later →").click()
            page.wait_for_load_state()
        first = slots.first
        label = first.get_attribute("aria-label") or ""
        href = first.get_attribute("href") or ""
        starts_at = datetime.fromisoformat(parse_qs(urlparse(href).query)["start"][0])
        clinician = label.rsplit(" with ", 1)[1]
        local = starts_at.astimezone(ZoneInfo(VISITOR_ZONE))
        assert f"at {local:%H:%M %Z}" in label  # e.g. "Tuesday 08 December at 04:00 EST with Dr ..."
        first.click()

        expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
        expect(page.get_by_text(f"{local:%A %d %B %Y at %H:%M %Z}")).to_be_visible()
        london = starts_at.astimezone(ZoneInfo("Europe/London"))
        expect(page.get_by_text(f"{london:%H:%M %Z} at the clinic")).to_be_visible()
        page.get_by_label("Full name").fill("Robin Newcomer")
        email = f"robin-{uuid.uuid4().hex[:8]}@example.org"
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("a long enough password")
        expect(page.get_by_label("Your time zone")).to_have_value(VISITOR_ZONE)
        in_person = page.get_by_label("In person at the clinic")
        if in_person.count():  # offered when the clinician sees patients both ways at that time
            in_person.check()
        page.get_by_role("button", name="Create my account and book").click()

        expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
        expect(page.get_by_text(f"{clinician} has joined your care team.")).to_be_visible()
        with page.expect_download() as download:
            page.get_by_role("link", name="Add to my calendar (.ics)").click()
        calendar = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes())
        events = calendar.walk("VEVENT")
        assert len(events) == 1
        event = events[0]
        assert event.decoded("DTSTART") == starts_at
        assert event.decoded("DTEND") - starts_at == timedelta(minutes=60)
        assert clinician in str(event["SUMMARY"])
        assert [a.decoded("TRIGGER") for a in event.walk("VALARM")], "the calendar entry carries reminders"

        # The new account is logged in: its home shows the next appointment in the patient's own zone.
        page.goto(f"{demo_server.url}/patient")
        expect(page.get_by_text(f"{local:%a %d %b, %H:%M %Z}")).to_be_visible()
        expect(page.get_by_text(f"Initial assessment with {clinician}")).to_be_visible()
    finally:
        context.close()
