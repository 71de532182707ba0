"""Every main page, public and behind each login, has no serious or critical accessibility faults axe-core can find.

axe-core (Deque Systems, MPL-2.0) ships with the tests as tests/e2e/vendor/axe.min.js, unmodified from the npm
package axe-core 4.14.1, with its licence beside it (vendor/axe-core.LICENSE); nothing is downloaded while the tests
run. It is injected into each page from that file; the page's Content-Security-Policy (script-src 'self') would
refuse it, so these browser contexts bypass CSP, which changes nothing axe looks at.
"""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Browser, Page

from tests.e2e.conftest import LiveServer, log_in

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
PUBLIC = ["/", "/login", "/signup", "/book", "/book?type=initial_assessment", "/clinicians", "/refer"]
PATIENT_ID = re.compile(r"^/clinician/patients/[0-9a-f-]{36}$")


def serious_violations(page: Page, path: str) -> list[str]:
    """axe's serious and critical findings on one page, one readable line per element."""
    page.goto(path)
    page.wait_for_load_state()
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
    return [
        f"{path}: {v['id']} ({v['impact']}) at {node['target']}: {(node.get('failureSummary') or '').splitlines()[-1]}"
        for v in found
        if v["impact"] in ("serious", "critical")
        for node in v["nodes"]
    ]


def menu_links(page: Page) -> list[str]:
    hrefs: list[str] = page.eval_on_selector_all(
        "#main-nav a", "links => links.map(a => a.getAttribute('href'))"
    )
    return [h for h in hrefs if h.startswith("/") and h != "/logout"]


def scan(browser: Browser, server: LiveServer, email: str | None, extra: list[str]) -> list[str]:
    context = browser.new_context(
        viewport={"width": 1200, "height": 900}, base_url=server.url, bypass_csp=True
    )
    page = context.new_page()
    try:
        paths = list(PUBLIC)
        if email:
            log_in(page, server, email)
            page.wait_for_load_state()
            paths = [page.url.removeprefix(server.url), *menu_links(page)]
            if "/clinician" in paths[0]:
                records = page.eval_on_selector_all(
                    "a[href^='/clinician/patients/']", "a => a.map(x => x.pathname)"
                )
                paths += [p for p in records if PATIENT_ID.match(p)][:1]
        problems: list[str] = []
        for path in dict.fromkeys([*paths, *extra]):
            problems += serious_violations(page, path)
        return problems
    finally:
        context.close()


def test_public_pages_have_no_serious_accessibility_faults(browser: Browser, demo_server: LiveServer) -> None:
    assert scan(browser, demo_server, None, []) == []


def test_patient_pages_have_no_serious_accessibility_faults(
    browser: Browser, demo_server: LiveServer
) -> None:
    extra = ["/book", "/book?type=follow_up", "/patient/gmi/movement", "/patient/gmi/laterality"]
    assert scan(browser, demo_server, "maria@demo.painrewire.org", extra) == []


def test_a_patient_waiting_for_clearance_sees_locked_steps_clearly(
    browser: Browser, demo_server: LiveServer
) -> None:
    assert (
        scan(browser, demo_server, "noah@demo.painrewire.org", ["/patient/gmi", "/patient/gmi/movement"])
        == []
    )


def test_clinician_pages_have_no_serious_accessibility_faults(
    browser: Browser, demo_server: LiveServer
) -> None:
    assert scan(browser, demo_server, "amara.okafor@demo.painrewire.org", ["/clinician/neurofeedback"]) == []


def test_front_desk_pages_have_no_serious_accessibility_faults(
    browser: Browser, demo_server: LiveServer
) -> None:
    assert scan(browser, demo_server, "admin@demo.painrewire.org", ["/admin/audit"]) == []
