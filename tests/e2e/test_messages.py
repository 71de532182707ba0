"""A patient writes to her care team on a phone, the pain specialist answers at a desk, she reads the answer."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveServer, log_in

PATIENT = "maria@demo.painrewire.org"
SPECIALIST = "amara.okafor@demo.painrewire.org"
QUESTION = "Since Monday I wake at 4 with my back aching. Should I change when I do the body scan?"
ANSWER = "Try the body scan before bed for a week, and note in your diary how you sleep."


def snapshot(page: Page, name: str) -> None:
    """Keep a screenshot for a person to look at when PAINREWIRE_SCREENSHOTS names a folder."""
    folder = os.environ.get("PAINREWIRE_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def fits_the_screen(page: Page) -> None:
    """Nothing on the page is wider than the phone: no sideways scrolling."""
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]


def test_a_patient_writes_on_a_phone_the_specialist_answers_and_she_reads_it(
    browser: Browser, demo_server: LiveServer
) -> None:
    phone_context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    desk_context = browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        phone = phone_context.new_page()
        desk = desk_context.new_page()
        subject = f"Waking at night {uuid.uuid4().hex[:6]}"

        # The patient, on her phone: from the menu to a message to her pain specialist.
        log_in(phone, demo_server, PATIENT)
        phone.get_by_role("button", name="Menu").click()
        phone.locator("#main-nav").get_by_role("link", name="Messages", exact=True).click()
        expect(phone.get_by_role("heading", name="Messages", exact=True)).to_be_visible()
        phone.get_by_role("link", name="Write a message").click()
        phone.get_by_label("To", exact=True).select_option(label="Your pain specialist")
        phone.get_by_label("Subject (optional)").fill(subject)
        phone.get_by_label("Message", exact=True).fill(QUESTION)
        fits_the_screen(phone)
        snapshot(phone, "message_write_phone")
        phone.get_by_role("button", name="Send").click()
        expect(phone.get_by_role("status")).to_have_text("Your message has been sent.")
        expect(phone.get_by_role("heading", name=subject)).to_be_visible()
        expect(phone.locator(".bubble.mine")).to_contain_text(QUESTION)
        thread_id = re.sub(r"[?#].*$", "", phone.url).rsplit("/", 1)[1]
        fits_the_screen(phone)

        # The pain specialist, at her desk: the message waits on her home page; she answers.
        log_in(desk, demo_server, SPECIALIST)
        unread = desk.locator("section.panel").filter(
            has=desk.get_by_role("heading", name=re.compile(r"^Unread messages \(\d+\)$"))
        )
        row = unread.locator("li").filter(has=desk.locator(f'a[href$="/messages/{thread_id}"]'))
        expect(row).to_contain_text("Maria Gonzalez")
        row.get_by_role("link", name="Read and answer").click()
        expect(desk.get_by_role("heading", name=subject)).to_be_visible()
        expect(desk.locator(".bubble.theirs")).to_contain_text(QUESTION)
        desk.get_by_label("Message", exact=True).fill(ANSWER)
        desk.get_by_role("button", name="Send").click()
        expect(desk.locator(".bubble.mine").last).to_contain_text(ANSWER)
        expect(desk.locator(f'a[href$="/messages/{thread_id}"]')).to_have_count(0)  # read: off her list
        desk.goto(f"{demo_server.url}/clinician")
        expect(desk.locator(f'a[href$="/messages/{thread_id}"]')).to_have_count(0)

        # The patient again, on her phone: the answer waits on her home page, and she reads it.
        phone.goto(f"{demo_server.url}/patient")
        news = phone.locator("section.panel").filter(
            has=phone.get_by_role("heading", name=re.compile(r"^New messages \(\d+\)$"))
        )
        news.get_by_role("link", name=subject).click()
        answer = phone.locator(".bubble.theirs").last
        expect(answer).to_contain_text(ANSWER)
        expect(answer).to_contain_text("Dr Amara Okafor")
        fits_the_screen(phone)
        snapshot(phone, "message_answer_phone")
        phone.goto(f"{demo_server.url}/patient")
        expect(phone.get_by_role("link", name=subject)).to_have_count(0)  # read: no longer new
    finally:
        phone_context.close()
        desk_context.close()
