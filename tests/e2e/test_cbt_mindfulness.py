"""CBT and mindfulness in a real browser: a thought record, the breathing pacer, a guided practice, the timer,
each logging the time practised, and the clinician seeing it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from painrewire.db import get_engine, session_scope
from painrewire.practice.models import PracticeLog
from tests.e2e.conftest import LiveServer, log_in

pytestmark = pytest.mark.e2e
PATIENT = "maria@demo.painrewire.org"


def _logs(server: LiveServer, activity: str) -> list[PracticeLog]:
    with session_scope(get_engine(server.database_url)) as session:
        rows = list(session.scalars(select(PracticeLog).where(PracticeLog.activity == activity)))
        session.expunge_all()
        return rows


@pytest.fixture
def patient_page(page: Page, demo_server: LiveServer) -> Iterator[Page]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" and "favicon" not in msg.text else None,
    )
    log_in(page, demo_server, PATIENT)
    expect(page).to_have_url(f"{demo_server.url}/patient")
    yield page
    assert [e for e in errors if "Content Security Policy" in e or "Uncaught" in e] == []


def test_a_thought_record_is_written_and_shown_back(patient_page: Page, demo_server: LiveServer) -> None:
    page = patient_page
    before = len(_logs(demo_server, "thought_record"))
    page.goto(f"{demo_server.url}/patient/cbt/thought-records")
    expect(page.get_by_role("heading", name="New thought record")).to_be_visible()
    page.get_by_label("Situation").fill("Stood up after a long drive and my back seized")
    page.get_by_label("Automatic thought").fill("I have done real damage this time")
    page.get_by_label("Feeling 1").fill("frightened")
    page.get_by_label("Intensity 1 (0-100)").fill("75")
    page.get_by_role("checkbox", name="Catastrophising").check()
    page.get_by_label("Evidence against the thought").fill("It eased after I walked for five minutes")
    page.get_by_label("Balanced thought").fill("Stiffness after sitting is my alarm, not damage")
    page.get_by_label("Re-rated 1 (0-100)").fill("35")
    page.get_by_role("button", name="Save thought record").click()
    expect(page.get_by_role("status")).to_contain_text("Thought record saved")
    record = page.locator("article.record").first
    expect(record).to_contain_text("I have done real damage this time")
    expect(record).to_contain_text("frightened 75 → 35")
    assert len(_logs(demo_server, "thought_record")) == before + 1


def test_the_breathing_pacer_animates_and_logs_the_minutes(
    patient_page: Page, demo_server: LiveServer
) -> None:
    page = patient_page
    before = len(_logs(demo_server, "breathing_pacer"))
    page.goto(f"{demo_server.url}/patient/mindfulness/pacer")
    page.get_by_label("Breaths per minute").fill("10")
    page.get_by_label("Breathe in : out").select_option(label="1 : 1")
    expect(page.get_by_text("In 3 s, out 3 s.")).to_be_visible()
    page.get_by_role("button", name="Start").click()
    phase = page.locator('[data-role="phase"]')
    expect(phase).to_have_text("Breathe in")
    circle = page.locator('[data-role="circle"]')
    sizes = set()
    for _ in range(8):
        sizes.add(circle.get_attribute("r"))
        page.wait_for_timeout(400)
    assert len(sizes) > 3, "the circle grows and shrinks"
    expect(phase).to_have_text("Breathe out", timeout=5000)
    page.wait_for_timeout(3500)
    page.get_by_role("button", name="Finish").click()
    status = page.locator('[data-role="status"]')
    expect(status).to_contain_text("Logged", timeout=5000)
    expect(status).to_contain_text("min of breathing practice")
    logs = _logs(demo_server, "breathing_pacer")
    assert len(logs) == before + 1
    newest = max(logs, key=lambda log: log.completed_at)
    assert 0.1 <= newest.minutes <= 0.25  # about ten seconds of breathing
    assert newest.title == "Breathing pacer · 10 breaths/min, in:out 1:1"
    assert float(status.get_attribute("data-logged") or 0) == pytest.approx(newest.minutes)


def test_a_guided_practice_runs_step_by_step_and_logs_the_minutes(
    patient_page: Page, demo_server: LiveServer
) -> None:
    page = patient_page
    before = len(_logs(demo_server, "breath_focus"))
    page.goto(f"{demo_server.url}/patient/mindfulness")
    page.get_by_role("link", name="Begin breath focus").click()
    expect(page.get_by_role("heading", name="Breath focus")).to_be_visible()
    page.get_by_label("A soft bell between steps").uncheck()
    page.get_by_role("button", name="Start").click()
    expect(page.locator('[data-role="step-count"]')).to_have_text("Step 1 of 7")
    expect(page.locator('[data-role="step-text"]')).to_contain_text("supports your back")
    expect(page.locator('ol.steps li[aria-current="step"]')).to_have_count(1)
    page.get_by_role("button", name="Pause").click()
    expect(page.get_by_role("button", name="Resume")).to_be_visible()
    page.wait_for_timeout(1500)
    page.get_by_role("button", name="Resume").click()
    page.wait_for_timeout(7000)
    page.get_by_role("button", name="Finish").click()
    expect(page.locator('[data-role="status"]')).to_contain_text("min of breath focus", timeout=5000)
    logs = _logs(demo_server, "breath_focus")
    assert len(logs) == before + 1
    newest = max(logs, key=lambda log: log.completed_at)
    assert 0.1 <= newest.minutes <= 0.2  # about eight seconds running; the paused time does not count
    page.goto(f"{demo_server.url}/patient/mindfulness")
    expect(page.locator("table").first).to_contain_text("Breath focus")


def test_the_meditation_timer_logs_meditation_timer(patient_page: Page, demo_server: LiveServer) -> None:
    page = patient_page
    before = len(_logs(demo_server, "meditation_timer"))
    page.goto(f"{demo_server.url}/patient/mindfulness/timer")
    page.get_by_label("Minutes").fill("1")
    page.get_by_label("Bell interval (min)").fill("0")
    page.get_by_role("button", name="Start").click()
    expect(page.locator('[data-role="clock"]')).not_to_have_text("1:00", timeout=3000)
    page.wait_for_timeout(6500)
    page.get_by_role("button", name="Finish").click()
    expect(page.locator('[data-role="status"]')).to_contain_text("min of meditation", timeout=5000)
    assert len(_logs(demo_server, "meditation_timer")) == before + 1


def test_the_clinician_sees_the_cbt_and_mindfulness_panels(page: Page, demo_server: LiveServer) -> None:
    log_in(page, demo_server, "priya.raman@demo.painrewire.org")
    page.get_by_role("link", name="Maria Gonzalez").click()
    expect(page.get_by_role("heading", name="CBT for pain")).to_be_visible()
    expect(page.get_by_role("heading", name="Mindfulness", exact=True)).to_be_visible()
    page.get_by_role("link", name="Open the CBT view").click()
    expect(page.get_by_role("heading", name="Graded exposure")).to_be_visible()
    expect(page.get_by_text("Lifting a full shopping bag from the car boot")).to_be_visible()
