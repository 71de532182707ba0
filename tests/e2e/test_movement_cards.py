"""Graded-movement steps are cards with room inside: the text does not touch the card's edge."""

from __future__ import annotations

from playwright.sync_api import Page

from tests.e2e.conftest import LiveServer, log_in


def test_movement_cards_keep_their_inner_padding(page: Page, demo_server: LiveServer) -> None:
    log_in(page, demo_server, "maria@demo.painrewire.org")
    page.wait_for_load_state()
    page.goto(f"{demo_server.url}/patient/gmi/movement")
    card = page.locator(".gmi-rung").first
    inner = card.locator("h2").bounding_box()
    outer = card.bounding_box()
    assert inner and outer
    assert inner["x"] - outer["x"] >= 12  # the title sits inside the card, not on its border
