"""Time zones as a visitor meets them: found from the browser, picked from a list, and free times that fit a phone."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from tests.e2e.conftest import LiveServer, log_in


def test_sign_up_takes_the_browsers_time_zone_and_offers_a_list(
    browser: Browser, demo_server: LiveServer
) -> None:
    context = browser.new_context(timezone_id="America/New_York")
    page = context.new_page()
    try:
        page.goto(f"{demo_server.url}/signup")
        field = page.get_by_label("Time zone")
        expect(field).to_have_value("America/New_York")  # not the clinic's zone, not UTC
        assert field.get_attribute("list") == "zones"
        assert page.locator("datalist#zones option[value='Asia/Kolkata']").count() == 1
    finally:
        context.close()


def test_free_times_on_a_phone_are_a_compact_grid_by_day(browser: Browser, demo_server: LiveServer) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        log_in(page, demo_server, "maria@demo.painrewire.org")
        page.goto(f"{demo_server.url}/book?type=follow_up")
        day = page.locator(".day").filter(has=page.locator("a.slot")).first
        tops = [round(box["y"]) for box in (s.bounding_box() for s in day.locator("a.slot").all()[:3]) if box]
        assert len(tops) == 3 and len(set(tops)) == 1, tops  # three times side by side in one row
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    finally:
        context.close()
