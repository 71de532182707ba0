"""The public list of clinicians and the referral form, as an anonymous visitor on a 390 px phone.

A newcomer opens the menu, finds the list of clinicians, narrows it to physical therapists, picks one and lands
on the booking page with that clinician chosen, then on the confirmation step with them. A physician sends a
referral from the same phone with a real PDF letter, and is told the reference.
"""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer


def fits_the_screen(page: Page) -> None:
    """Nothing on the page is wider than the phone: no sideways scrolling."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px screen"


def test_a_newcomer_on_a_phone_picks_a_physical_therapist_and_books_with_them(
    phone: Page, demo_server: LiveServer
) -> None:
    phone.goto(demo_server.url)
    phone.get_by_role("button", name="Menu").click()
    phone.get_by_role("link", name="Our clinicians").click()
    expect(phone.get_by_role("heading", name="Our clinicians", level=1)).to_be_visible()
    cards = phone.locator("article.clinician")
    expect(cards).to_have_count(4)
    fits_the_screen(phone)

    phone.get_by_label("Discipline").select_option(label="Physical therapist")
    phone.get_by_role("button", name="Show clinicians").click()
    expect(cards).to_have_count(1)
    card = cards.first
    expect(card.get_by_role("heading", name="Sam Lindqvist")).to_be_visible()
    expect(card).to_contain_text("Physical therapist")
    expect(card).to_contain_text("BSc Physiotherapy, MSc Pain Science")
    expect(card).to_contain_text("English, Swedish")
    expect(card).to_contain_text("Graded movement and exercise")
    expect(card.locator(".next")).to_contain_text(
        re.compile(r"Next free for physical therapy: \w{3} \d{2} \w{3}, \d{2}:\d{2}")
    )
    fits_the_screen(phone)

    card.get_by_role("link", name="Book with Sam Lindqvist").click()
    expect(phone.get_by_role("heading", name="Book an appointment")).to_be_visible()
    expect(phone.get_by_role("heading", name=re.compile("^Physical therapy"))).to_be_visible()
    expect(phone.locator("select[name=clinician] option:checked")).to_have_text(re.compile("^Sam Lindqvist"))
    slots = phone.locator("a.slot")
    for _ in range(4):  # the nearest week may be inside the lead time
        if slots.count():
            break
        phone.get_by_role("link", name="Later →").click()
        phone.wait_for_load_state()
    first = slots.first
    chosen = phone.locator("select[name=clinician]").input_value()
    assert f"clinician={chosen}" in (first.get_attribute("href") or "")  # every time offered is Sam's
    fits_the_screen(phone)
    first.click()
    expect(phone.get_by_role("heading", name="Confirm your booking")).to_be_visible()
    expect(phone.locator("dl.facts")).to_contain_text("Sam Lindqvist")


def test_a_physician_on_a_phone_refers_a_patient_with_a_pdf_letter(
    phone: Page, demo_server: LiveServer
) -> None:
    from weasyprint import HTML

    letter = HTML(string="<p>Dear colleague, please see Ms Ada Byron.</p>").write_pdf()
    phone.goto(f"{demo_server.url}/clinicians")
    phone.get_by_role("link", name="Refer a patient").last.click()
    expect(phone.get_by_role("heading", name="Refer a patient")).to_be_visible()
    fits_the_screen(phone)
    phone.get_by_label("Your name").fill("Dr Mary Somerville")
    phone.get_by_label("Practice or organisation").fill("Canal Street Surgery")
    phone.get_by_label("Your email").fill("mary.somerville@surgery.example.org")
    phone.get_by_label("Patient's full name").fill("Ada Byron")
    phone.get_by_label("Patient's date of birth").fill("1985-12-10")
    phone.get_by_label("Patient's phone").fill("07700 900789")
    phone.get_by_label("Reason for referral").fill(
        "Two years of low back pain; scans normal; keen to try PRT."
    )
    phone.get_by_label("Fracture").check()
    phone.get_by_label("Malignancy").check()
    phone.get_by_label("Soon (within two weeks)").check()
    phone.get_by_label("Referral letter").set_input_files(
        files=[{"name": "letter.pdf", "mimeType": "application/pdf", "buffer": letter}]
    )
    phone.get_by_role("button", name="Send the referral").click()
    expect(phone.get_by_role("heading", name="Referral sent")).to_be_visible()
    expect(phone.get_by_text(re.compile(r"its reference is R-[0-9A-F]{8}"))).to_be_visible()
    fits_the_screen(phone)
