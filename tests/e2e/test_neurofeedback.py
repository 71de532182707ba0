"""A live neurofeedback session in two browsers: the practitioner sets it up, checks the signal and starts it; the
patient's circle moves with the feedback; a note lands in the console; the practitioner stops and reviews it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveServer, log_in

PRACTITIONER = "tomas.herrera@demo.painrewire.org"
PATIENT = "james@demo.painrewire.org"

pytestmark = pytest.mark.timeout(180)


def test_the_patients_feedback_moves_during_a_live_session(
    page: Page, browser: Browser, demo_server: LiveServer
) -> None:
    log_in(page, demo_server, PRACTITIONER)
    page.goto(f"{demo_server.url}/clinician/neurofeedback")
    page.get_by_label("Patient").select_option(label="James Whitfield")
    page.get_by_role("button", name="Set up a session").click()
    expect(page.get_by_role("heading", name="Neurofeedback · James Whitfield")).to_be_visible()
    page.get_by_label("Minutes (baseline + feedback)").fill("2")
    page.get_by_label("Baseline, seconds").fill("3")
    page.get_by_label("Signal check, seconds").fill("2")
    page.get_by_role("button", name="Open the headset and check the signal").click()
    expect(page.get_by_role("heading", name=re.compile("^Live session"))).to_be_visible()

    context = browser.new_context(viewport={"width": 900, "height": 900})
    try:
        screen_page = context.new_page()
        log_in(screen_page, demo_server, PATIENT)
        screen_page.goto(f"{demo_server.url}/patient/neurofeedback")
        screen_page.get_by_role("link", name="Open the feedback screen").click()
        screen = screen_page.locator("#nfb-feedback")
        expect(screen).to_have_attribute("data-phase", re.compile("checking|ready"), timeout=15_000)

        # The signal check per channel, then start (with a reason if a trained channel failed).
        expect(page.locator('[data-role="check-table"]')).to_be_visible(timeout=20_000)
        expect(page.locator(".nfb-check tbody tr").first).to_be_visible()
        if page.locator('[data-role="override"]').is_visible():
            page.get_by_label(re.compile("Reason to proceed")).fill("Checked by eye; proceeding.")
        page.get_by_role("button", name="Start baseline and feedback").click()

        expect(screen).to_have_attribute("data-phase", "baseline", timeout=15_000)
        expect(screen).to_have_attribute("data-phase", "feedback", timeout=20_000)
        # The practitioner sees the live numbers: band powers and the raw traces' quality per channel.
        expect(page.locator('[data-role="bands"] table')).to_be_visible(timeout=10_000)
        expect(page.locator('[data-role="quality"] li').first).to_be_visible()

        # Watch the circle: its size follows the feedback the server sends four times a second.
        orb = screen.locator('[data-role="orb"]')
        sizes = set()
        for _ in range(30):
            sizes.add(float(orb.get_attribute("r") or 0))
            screen_page.wait_for_timeout(100)
        assert len(sizes) > 5, f"the circle did not move: {sorted(sizes)}"
        assert all(40.0 <= r <= 150.0 for r in sizes) and max(sizes) > 45.0

        page.get_by_label("Note (an event in the recording)").fill("Eyes closed from here")
        page.get_by_role("button", name="Add note").click()
        expect(page.locator('[data-role="notes"]')).to_contain_text("Eyes closed from here", timeout=10_000)

        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Stop the session").click()
        expect(screen).to_have_attribute("data-phase", "ended", timeout=15_000)
        expect(screen_page.get_by_text("The session has finished")).to_be_visible()
        expect(screen_page.get_by_text("sham", exact=False)).to_have_count(0)
    finally:
        context.close()

    expect(page.get_by_role("heading", name=re.compile("^Session review"))).to_be_visible(timeout=20_000)
    expect(page.get_by_text("live EEG").first).to_be_visible()
    expect(page.get_by_role("link", name="Download EDF+")).to_be_visible()
    # The recording reads back in the browser, with the note among its events.
    expect(page.locator('[data-role="events"]')).to_contain_text("Eyes closed from here", timeout=15_000)
