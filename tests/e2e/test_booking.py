"""Newcomers book a first appointment from the public "Book now" page, in a real browser.

In the first test the browser says it is in New York while the demo clinic works in London, so it also
shows that free times are offered in the visitor's own zone, that the confirmation names the clinic's time
too, and that the calendar file holds the same instant. The second, on a phone, moves and then cancels.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import icalendar
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveServer, confirm_email

VISITOR_ZONE = "America/New_York"
CLINIC_ZONE = "Europe/London"


@dataclass(frozen=True)
class Booked:
    starts_at: datetime
    clinician: str


def book_as_newcomer(page: Page, server: LiveServer, zone: str, *, weeks_ahead: int = 0) -> Booked:
    """From the landing page to "You're booked": an initial assessment at the first free time shown."""
    page.goto(server.url)
    page.get_by_role("link", name="Book now").first.click()
    expect(page.get_by_role("heading", name="Book an appointment")).to_be_visible()
    page.get_by_role("link", name="Choose initial assessment").click()
    expect(page.locator(".zone-note")).to_contain_text(zone)  # the browser's zone, not the clinic's
    for _ in range(weeks_ahead):
        page.get_by_role("link", name="Later →").click()
        page.wait_for_load_state()
    slots = page.locator("a.slot")
    for _ in range(4):  # the nearest week may be full or inside the lead time
        if slots.count():
            break
        page.get_by_role("link", name="Later →").click()
        page.wait_for_load_state()
    first = slots.first
    # what a screen reader says: the visible and the visually hidden words
    label = " ".join((first.text_content() or "").split())
    href = first.get_attribute("href") or ""
    starts_at = datetime.fromisoformat(parse_qs(urlparse(href).query)["start"][0])
    clinician = (first.locator(".who").text_content() or "").strip().removeprefix("with ")
    local = starts_at.astimezone(ZoneInfo(zone))
    assert f"at {local:%H:%M %Z}" in label  # e.g. "Tuesday 08 December at 04:00 EST with Dr ..."
    first.click()

    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    expect(page.get_by_text(f"{local:%A %d %B %Y at %H:%M %Z}")).to_be_visible()
    if zone != CLINIC_ZONE:
        london = starts_at.astimezone(ZoneInfo(CLINIC_ZONE))
        expect(page.get_by_text(f"{london:%H:%M %Z} at the clinic")).to_be_visible()
    email = f"robin-{uuid.uuid4().hex[:8]}@example.org"
    page.get_by_label("Full name").fill("Robin Newcomer")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a long enough password")
    expect(page.get_by_label("Your time zone")).to_have_value(zone)
    in_person = page.get_by_label("In person at the clinic")
    if in_person.count():  # offered when the clinician sees patients both ways at that time
        in_person.check()
    page.get_by_role("button", name="Create my account").click()

    # The account waits for its email to be confirmed; the link brings the newcomer back to the same time.
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    confirm_email(page, server, email)
    expect(page.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    page.get_by_role("button", name="Book this appointment").click()

    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    expect(page.get_by_text(f"{clinician} has joined your care team.")).to_be_visible()
    return Booked(starts_at, clinician)


def test_a_new_patient_books_a_first_appointment_and_adds_it_to_their_calendar(
    browser: Browser, demo_server: LiveServer
) -> None:
    context = browser.new_context(
        viewport={"width": 1200, "height": 900}, timezone_id=VISITOR_ZONE, accept_downloads=True
    )
    page = context.new_page()
    try:
        booked = book_as_newcomer(page, demo_server, VISITOR_ZONE)

        with page.expect_download() as download:
            page.get_by_role("link", name="Add to my calendar (.ics)").click()
        calendar = icalendar.Calendar.from_ical(Path(download.value.path()).read_bytes())
        events = calendar.walk("VEVENT")
        assert len(events) == 1
        event = events[0]
        assert event.decoded("DTSTART") == booked.starts_at
        assert event.decoded("DTEND") - booked.starts_at == timedelta(minutes=60)
        assert booked.clinician in str(event["SUMMARY"])
        assert [a.decoded("TRIGGER") for a in event.walk("VALARM")], "the calendar entry carries reminders"

        # The new account is logged in: its home shows the next appointment in the patient's own zone.
        page.goto(f"{demo_server.url}/patient")
        local = booked.starts_at.astimezone(ZoneInfo(VISITOR_ZONE))
        expect(page.get_by_text(f"{local:%a %d %b, %H:%M %Z}")).to_be_visible()
        # Case-sensitive: when the first free time is within a day, a reminder ("... your initial assessment
        # with ...") is on the home page too.
        next_visit = page.get_by_text(re.compile(f"Initial assessment with {re.escape(booked.clinician)}"))
        expect(next_visit).to_be_visible()
    finally:
        context.close()


def test_a_new_patient_on_a_phone_moves_and_then_cancels_their_booking(
    browser: Browser, demo_server: LiveServer
) -> None:
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, timezone_id=CLINIC_ZONE
    )
    page = context.new_page()
    try:
        booked = book_as_newcomer(
            page, demo_server, CLINIC_ZONE, weeks_ahead=1
        )  # well before the notice period

        page.get_by_role("link", name="Move to another time").click()
        expect(page.get_by_role("heading", name="Move your initial assessment")).to_be_visible()
        choice = page.locator("input[name=start]").last
        new_start = datetime.fromisoformat(choice.get_attribute("value") or "")
        assert new_start != booked.starts_at
        choice.check()
        page.get_by_role("button", name="Move to the chosen time").click()
        expect(page.get_by_text("Your appointment has been moved.")).to_be_visible()
        local = new_start.astimezone(ZoneInfo(CLINIC_ZONE))
        expect(page.get_by_text(f"{local:%A %d %B %Y, %H:%M}", exact=False)).to_be_visible()

        page.once("dialog", lambda dialog: dialog.accept())  # "Cancel this appointment?"
        page.get_by_label("Reason").fill("Found a closer clinic")
        page.get_by_role("button", name="Cancel this appointment").click()
        expect(page.get_by_text("Your appointment is cancelled.")).to_be_visible()
        expect(page.get_by_role("link", name="Book a new time")).to_be_visible()
        page.goto(f"{demo_server.url}/patient")
        expect(page.get_by_role("link", name="Book one")).to_be_visible()  # nothing booked any more
    finally:
        context.close()
