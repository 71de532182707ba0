"""A patient says no to neurofeedback and records a treatment that did not help, in a real browser."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, log_in

MARIA = "maria@demo.painrewire.org"


def choose_neurofeedback(page: Page, server: LiveServer, answer: str) -> None:
    page.goto(f"{server.url}/patient/therapy-preferences")
    page.get_by_role("group", name="Neurofeedback", exact=True).get_by_label(answer).check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Saved. Your care team will see this.")


def test_maria_declines_neurofeedback_and_records_a_treatment_that_did_not_help(
    page: Page, demo_server: LiveServer
) -> None:
    log_in(page, demo_server, MARIA)
    page.wait_for_url("**/patient**")
    page.goto(f"{demo_server.url}/patient")
    page.get_by_role("link", name="What you want from treatment").click()
    expect(page.get_by_role("heading", name="What you want from treatment")).to_be_visible()
    try:
        choose_neurofeedback(page, demo_server, "No, thank you")
        expect(page.get_by_text("Neurofeedback: i'd like to try it → no, thank you")).to_be_visible()
        # She agreed to neurofeedback sessions earlier: the page says where to withdraw that consent.
        expect(page.get_by_text("To stop sessions, withdraw that consent there.")).to_be_visible()
        page.get_by_role("link", name="consent page").click()
        expect(page.get_by_role("button", name="Withdraw my consent: neurofeedback")).to_be_visible()

        page.goto(f"{demo_server.url}/patient")
        page.get_by_role("link", name="Treatments you have had").click()
        expect(page.get_by_role("heading", name="Treatments you have had")).to_be_visible()
        page.get_by_label("What kind of treatment").select_option("medicine")
        page.get_by_label("What it was").fill("Tramadol")
        page.get_by_label("Kind of medicine").select_option("opioid")
        page.get_by_label("Dose").fill("50 mg up to four times a day")
        page.get_by_label("or the year it started").fill("2022")
        page.get_by_label("How long, in weeks").fill("3")
        page.get_by_label("Did not help").check()
        page.get_by_label("Side effects").fill("Sick and dizzy")
        page.get_by_role("button", name="Add treatment").click()

        expect(page.get_by_role("status")).to_have_text("Treatment added.")
        row = page.get_by_role("row", name=re.compile(r"^Tramadol "))
        expect(row).to_contain_text("Did not help")
        expect(row).to_contain_text("Sick and dizzy")
        expect(page.get_by_text("Did not help: opioids.")).to_be_visible()
    finally:
        # The demo clinic is shared by the browser tests: Maria goes back to wanting neurofeedback.
        choose_neurofeedback(page, demo_server, "I'd like to try it")
