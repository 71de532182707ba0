"""A new patient's intake with a red flag, then a questionnaire, in a real browser (desktop and phone)."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, confirm_email, log_in


def snapshot(page: Page, name: str) -> None:
    """Keep a screenshot for a person to look at when PAINREWIRE_SCREENSHOTS names a folder."""
    folder = os.environ.get("PAINREWIRE_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def sign_up(page: Page, server: LiveServer, name: str) -> None:
    """A patient nobody else's test depends on: created here, through the sign-up form."""
    email = f"intake-{uuid.uuid4().hex[:10]}@example.org"
    page.goto(f"{server.url}/signup")
    page.get_by_label("Full name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    confirm_email(page, server, email)
    page.wait_for_url("**/patient**")


def answer_safety_questions(
    page: Page, *, new: set[str] = frozenset(), longstanding: set[str] = frozenset()
) -> None:
    """Every safety question "No", except those answered "new or getting worse" or "long-standing"."""
    for group in page.locator(".red-flags .rf-question").all():
        question = (group.locator("input").first.get_attribute("name") or "").removeprefix("rf_")
        code = "new" if question in new else "longstanding" if question in longstanding else "no"
        group.locator(f'input[value="{code}"]').check()


def test_intake_with_a_red_flag_goes_to_the_safety_page_then_a_questionnaire(
    page: Page, demo_server: LiveServer
) -> None:
    sign_up(page, demo_server, "Robin Intake")
    page.goto(f"{demo_server.url}/patient/intake")
    expect(page.get_by_role("heading", name="About your back pain")).to_be_visible()
    page.get_by_label("Number").fill("3")
    page.get_by_label("Unit").select_option("months")
    page.get_by_label("Gradually, without a clear cause").check()
    page.get_by_label("Lower back").check()
    page.get_by_label("Your average pain over the last week").select_option("6")
    page.get_by_label("Your age, in years").fill("34")  # signed up without a date of birth: the form asks
    expect(page.get_by_role("group", name="Numbness, bladder, bowel and sex")).to_be_visible()
    answer_safety_questions(page, new={"ce_saddle"}, longstanding={"neuro_numbness"})
    page.get_by_role("button", name="Send to my care team").click()

    expect(page).to_have_url(f"{demo_server.url}/patient/safety")
    expect(page.get_by_role("heading", name="What to do now")).to_be_visible()
    expect(page.get_by_text("We have flagged this to the clinic.")).to_be_visible()
    expect(page.get_by_text("Get medical help now.")).to_be_visible()
    expect(page.get_by_text("Call 999 now, or go to the emergency department.")).to_be_visible()
    expect(page.get_by_text("You have new numbness around your bottom or private parts.")).to_be_visible()
    expect(page.get_by_text("You do not have a care team yet.")).to_be_visible()
    snapshot(page, "safety_desktop")

    # One questionnaire, by keyboard: arrow keys move within each radio group.
    page.goto(f"{demo_server.url}/patient/questionnaires/gad7")
    expect(page.get_by_role("heading", name="Generalized Anxiety Disorder scale (GAD-7)")).to_be_visible()
    for number in range(1, 8):
        group = page.locator(f"#q-{number}")
        group.get_by_label("Not at all").focus()
        page.keyboard.press("ArrowDown")  # "Several days"
        expect(group.get_by_label("Several days")).to_be_checked()
    snapshot(page, "questionnaire_desktop")
    page.get_by_role("button", name="Save my answers").click()
    expect(page).to_have_url(f"{demo_server.url}/patient/questionnaires?done=gad7")
    expect(page.get_by_text("your answers to the GAD-7 are saved")).to_be_visible()
    expect(page.get_by_role("cell", name="7 · mild")).to_be_visible()  # 7 x 1 = 7
    expect(page.get_by_text("Your program is paused")).to_be_visible()


def test_a_questionnaire_works_on_a_phone_and_keeps_prefer_not_to_answer_apart(
    phone: Page, demo_server: LiveServer
) -> None:
    sign_up(phone, demo_server, "Sam Phone")
    phone.goto(f"{demo_server.url}/patient/questionnaires/phq9")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a 390 px phone ({width} px)"
    item9 = phone.locator("#q-9")
    expect(item9.get_by_label("Prefer not to answer")).to_have_count(0)
    for number in range(1, 9):
        phone.locator(f"#q-{number}").get_by_label("Not at all").check()
    phone.locator("#q-8").get_by_label("Prefer not to answer").check()
    phone.get_by_role("button", name="Save my answers").click()
    expect(phone.get_by_text("Please answer item 9: it helps us keep you safe")).to_be_visible()
    expect(
        phone.locator("#q-8").get_by_label("Prefer not to answer")
    ).to_be_checked()  # kept on the re-shown form
    item9.get_by_label("Not at all").check()
    snapshot(phone, "questionnaire_phone")
    phone.get_by_role("button", name="Save my answers").click()
    expect(phone).to_have_url(f"{demo_server.url}/patient/questionnaires?done=phq9")


def test_the_care_team_sees_the_demo_alert_and_the_scores(page: Page, demo_server: LiveServer) -> None:
    log_in(page, demo_server, "priya.raman@demo.painrewire.org")
    expect(page.get_by_role("heading", name="Open safety alerts (1)")).to_be_visible()
    page.locator(".alerts").get_by_role("link", name="Aisha Bello").click()
    expect(page).to_have_url(re.compile(r"/clinician/patients/[0-9a-f-]+/assessment$"))
    expect(page.get_by_role("heading", name="Assessment", exact=True)).to_be_visible()
    expect(page.get_by_text("thoughts of being better off dead or of self-harm").first).to_be_visible()
    expect(page.get_by_role("heading", name="Patient Health Questionnaire (PHQ-9)")).to_be_visible()
    snapshot(page, "clinician_assessment")
