"""Every page names the clinic's icon, so the browser tab shows it instead of a blank page."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_every_page_links_an_svg_favicon_that_is_served(client: TestClient) -> None:
    page = client.get("/login").text
    assert '<link rel="icon" href="/static/app/favicon.svg" type="image/svg+xml">' in page
    icon = client.get("/static/app/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.lstrip().startswith("<svg")
