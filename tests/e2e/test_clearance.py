"""The demo pain specialist clears Noah, who did his intake and waits, and his practice opens in his browser."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import LiveServer, log_in

PAIN_SPECIALIST = "amara.okafor@demo.painrewire.org"
PATIENT = "noah@demo.painrewire.org"
CAUSES = [
    "Inflammatory back pain (axial spondyloarthritis)",
    "Radicular pain or a neurological deficit (including cauda equina)",
    "Fracture",
    "Malignancy",
    "Infection",
    "Visceral or vascular cause (such as an aortic aneurysm)",
]

pytestmark = pytest.mark.timeout(180)


def snapshot(page: Page, name: str) -> None:
    """Keep a screenshot for a person to look at when PAINREWIRE_SCREENSHOTS names a folder."""
    folder = os.environ.get("PAINREWIRE_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_a_pain_specialist_clears_a_waiting_patient_and_practice_opens(
    page: Page, browser: Browser, demo_server: LiveServer
) -> None:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    try:
        noah = context.new_page()
        log_in(noah, demo_server, PATIENT)
        expect(
            noah.get_by_text("Your pain specialist will check your answers before practice starts.")
        ).to_be_visible()
        noah.goto(f"{demo_server.url}/patient/prt/somatic-tracking")
        expect(noah.get_by_role("heading", name="Practice starts after your check")).to_be_visible()
        expect(noah.locator("#somatic-form")).to_have_count(0)
        snapshot(noah, "clearance-1-patient-waits")
        noah.goto(f"{demo_server.url}/patient/prt/checklist")
        expect(noah.get_by_text("before they are counted", exact=False)).to_be_visible()

        log_in(page, demo_server, PAIN_SPECIALIST)
        page.get_by_role("link", name="Noah Brennan").first.click()
        expect(page.get_by_role("heading", name="Noah Brennan")).to_be_visible()
        page.locator("#clearance summary", has_text="Clear for practice").click()
        for cause in CAUSES:
            page.get_by_role("group", name=cause).get_by_label("Ruled out", exact=True).check()
        other = page.get_by_role("group", name="Other specific cause")
        other.get_by_label("Not applicable", exact=True).check()
        page.get_by_role("group", name=CAUSES[0]).get_by_label("Note").fill(
            "Morning stiffness 20 minutes, CRP and HLA-B27 normal; MRI of the sacroiliac joints normal."
        )
        for module in ("Pain reprocessing therapy", "CBT for pain", "Mindfulness"):
            page.get_by_role("checkbox", name=module).check()
        snapshot(page, "clearance-2-form")
        page.get_by_role("button", name=re.compile("^Clear for practice")).click()
        expect(page.get_by_text("Cleared: version 1 recorded.")).to_be_visible()
        expect(page.locator("#clearance").get_by_text("Version 1", exact=False).first).to_be_visible()
        snapshot(page, "clearance-3-cleared")

        noah.goto(f"{demo_server.url}/patient/prt/somatic-tracking")
        expect(noah.get_by_role("button", name="Start the guided practice")).to_be_visible()
        expect(noah.get_by_role("heading", name="Practice starts after your check")).to_have_count(0)
        noah.goto(f"{demo_server.url}/patient")
        expect(noah.get_by_text("Your pain specialist has checked your answers.")).to_be_visible()
        snapshot(noah, "clearance-4-patient-home")
        noah.goto(f"{demo_server.url}/patient/gmi/laterality")
        expect(noah.get_by_role("heading", name="Not part of your practice yet")).to_be_visible()
    finally:
        context.close()
