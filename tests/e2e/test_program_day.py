"""One day of a patient's program in a real browser: open this week's tasks, do a guided somatic-tracking
practice, write a thought record, run the breathing pacer, and see the day's tasks done and the streak begun.

The patient is signed up here, so no other browser test depends on them. Their care team, intake and signed
plan are arranged through the same services the clinic's pages use (those pages have their own tests): the
rules' proposal, changed by the clinician to add CBT thought records and breathing practice, then signed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from painrewire.accounts.models import Discipline, Role, User
from painrewire.assessments import red_flags
from painrewire.assessments import service as assessments
from painrewire.assessments.schemas import IntakeCreate
from painrewire.db import get_engine, session_scope
from painrewire.demo import DOMAIN
from painrewire.patients import service as patients
from painrewire.patients.models import Patient
from painrewire.plans import service as plans
from painrewire.plans.schemas import PlanEdit
from painrewire.practice.models import Module, PracticeLog
from tests.e2e.conftest import LiveServer, confirm_email
from tests.fixtures.factories import create_clearance

pytestmark = pytest.mark.e2e


def snapshot(page: Page, name: str) -> None:
    """Keep a screenshot for a person to look at when PAINREWIRE_SCREENSHOTS names a folder."""
    folder = os.environ.get("PAINREWIRE_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _practice(server: LiveServer, patient_id: uuid.UUID) -> list[PracticeLog]:
    with session_scope(get_engine(server.database_url)) as session:
        rows = list(session.scalars(select(PracticeLog).where(PracticeLog.patient_id == patient_id)))
        session.expunge_all()
        return rows


def _arrange_signed_plan(server: LiveServer, email: str) -> uuid.UUID:
    """Care team, intake and a signed plan with PRT, CBT thought records and mindfulness."""
    with session_scope(get_engine(server.database_url)) as session:
        patient = session.scalar(
            select(Patient).join(User, User.id == Patient.user_id).where(User.email == email)
        )
        assert patient is not None
        admin = session.scalar(select(User).where(User.role == Role.ADMIN, User.email == f"admin@{DOMAIN}"))
        team = list(
            session.scalars(select(User).where(User.role == Role.CLINICIAN, User.email.endswith(DOMAIN)))
        )
        assert admin is not None and team
        lead = next(c for c in team if c.discipline == Discipline.PAIN_SPECIALIST)
        for clinician in team:
            patients.add_to_care_team(session, admin, patient.id, clinician.id)
        assessments.submit_intake(
            session,
            patient.user,
            patient.id,
            IntakeCreate(
                pain_duration_weeks=60,
                onset="stress",
                pain_location="lower_back",
                average_pain_last_week=6,
                age_years=38,
                red_flags={q.id: "no" for q in red_flags.questions()},
            ),
        )
        # Practice opens once a pain specialist has cleared the patient (painrewire.clearance.gate).
        create_clearance(session, patient, by=lead, days_ago=0)
        plans.propose(session, lead, patient.id)
        proposal = plans.versions_for(session, patient)[0].proposal
        modules = [
            {"id": m.id, "sessions_per_week": m.sessions_per_week, "weeks": m.weeks, "focus": list(m.focus)}
            for m in proposal.modules
        ]
        modules += [
            {"id": "cbt", "sessions_per_week": 2, "weeks": 8, "focus": ["thought_records"]},
            {"id": "mindfulness", "sessions_per_week": 5, "weeks": 8, "focus": ["breathing_practice"]},
        ]
        edit = PlanEdit.model_validate(
            {
                "reason": "Worry about the pain drives a lot of it; breathing practice for the evenings.",
                "modules": modules,
                "disciplines": [*proposal.disciplines, "psychologist"],
                "questionnaires": [{"instrument": "peg", "schedule": ["baseline", "every_2_weeks", "end"]}],
            }
        )
        version = plans.edit(session, lead, patient.id, edit)
        plans.sign(session, lead, patient.id, version.id, note="Agreed at the first visit.")
        return patient.id


@pytest.fixture
def patient_page(page: Page, demo_server: LiveServer) -> Iterator[tuple[Page, uuid.UUID]]:
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    email = f"day-{uuid.uuid4().hex[:10]}@example.org"
    page.goto(f"{demo_server.url}/signup")
    page.get_by_label("Full name").fill("Dana Dayton")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create account").click()
    confirm_email(page, demo_server, email)
    page.wait_for_url("**/patient**")
    patient_id = _arrange_signed_plan(demo_server, email)
    yield page, patient_id
    assert [e for e in errors if "Content Security Policy" in e or "Uncaught" in e] == []


def _task(page: Page, title: str):  # type: ignore[no-untyped-def]
    return page.locator("li.task").filter(has=page.get_by_role("link", name=title, exact=True))


def test_one_day_of_the_program(patient_page: tuple[Page, uuid.UUID], demo_server: LiveServer) -> None:
    page, patient_id = patient_page

    # Morning: the home page points to this week, which lists the plan's tasks.
    page.goto(f"{demo_server.url}/patient")
    expect(page.get_by_role("heading", name="This week")).to_be_visible()
    page.get_by_role("link", name="See this week's tasks").click()
    expect(page).to_have_url(f"{demo_server.url}/patient/today")
    expect(page.get_by_text("Week 1 of 8 of your plan")).to_be_visible()
    expect(_task(page, "Somatic tracking practice")).to_contain_text("0 / 5")
    expect(_task(page, "Fill in a thought record")).to_contain_text("0 / 2")
    expect(page.locator(".streak .big")).to_have_text("0 days")
    snapshot(page, "program_day_morning")

    # Somatic tracking: rate first, then the timed steps one at a time, then rate again.
    _task(page, "Somatic tracking practice").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Somatic tracking", level=1)).to_be_visible()
    steps = page.locator("[data-step]")
    expect(steps.first).to_be_hidden()  # the script shows the steps one at a time once started
    page.get_by_role("button", name="Start the guided practice").click()
    expect(page.get_by_role("alert")).to_contain_text("Please rate your pain and your fear first")
    page.locator('[data-phase="before"] fieldset').nth(0).get_by_text("6", exact=True).click()
    page.locator('[data-phase="before"] fieldset').nth(1).get_by_text("7", exact=True).click()
    page.get_by_role("button", name="Start the guided practice").click()
    timer = page.locator("[data-timer]")
    expect(timer).to_contain_text("Step 1 of 7 · Settle · 0:")
    expect(steps.nth(0)).to_be_visible()
    first_reading = timer.inner_text()
    page.wait_for_timeout(1600)
    assert timer.inner_text() != first_reading, "the step's time counts down"
    page.get_by_role("button", name="Pause").click()
    expect(timer).to_contain_text("(paused)")
    page.get_by_role("button", name="Carry on").click()
    snapshot(page, "program_day_somatic_tracking")
    for number in range(2, 8):
        page.get_by_role("button", name="Next step").click()
        expect(timer).to_contain_text(f"Step {number} of 7")
        expect(steps.nth(number - 1)).to_be_visible()
        expect(steps.nth(number - 2)).to_be_hidden()
    page.get_by_role("button", name="Finish").click()
    after = page.locator('[data-phase="after"]')
    expect(after).to_be_visible()
    after.locator("fieldset").nth(0).get_by_text("4", exact=True).click()
    after.locator("fieldset").nth(1).get_by_text("3", exact=True).click()
    page.get_by_role("button", name="Save this practice").click()
    expect(page.get_by_role("status")).to_contain_text("Practice saved.")
    (tracking,) = [p for p in _practice(demo_server, patient_id) if p.activity == "somatic_tracking"]
    assert (
        tracking.module,
        tracking.pain_before,
        tracking.fear_before,
        tracking.pain_after,
        tracking.fear_after,
    ) == (
        Module.PRT,
        6,
        7,
        4,
        3,
    )
    assert 0 < tracking.minutes < 1  # the seconds actually spent, a few here

    # A thought record on the CBT page.
    page.goto(f"{demo_server.url}/patient/today")
    expect(_task(page, "Somatic tracking practice")).to_contain_text("1 / 5")
    expect(_task(page, "Somatic tracking practice")).to_contain_text("done today")
    _task(page, "Fill in a thought record").get_by_role("link").click()
    page.get_by_label("Situation").fill("Bent to tie my shoe and felt a sharp twinge")
    page.get_by_label("Automatic thought").fill("Something has slipped again")
    page.get_by_label("Feeling 1").fill("worried")
    page.get_by_label("Intensity 1 (0-100)").fill("70")
    page.get_by_role("checkbox", name="Catastrophising").check()
    page.get_by_label("Evidence against the thought").fill("The twinge faded within a minute, as before")
    page.get_by_label("Balanced thought").fill("A twinge is my alarm being careful; my back is strong")
    page.get_by_label("Re-rated 1 (0-100)").fill("30")
    page.get_by_role("button", name="Save thought record").click()
    expect(page.get_by_role("status")).to_contain_text("Thought record saved")

    # The breathing pacer in the evening.
    page.goto(f"{demo_server.url}/patient/mindfulness/pacer")
    page.get_by_label("Breaths per minute").fill("10")
    page.get_by_label("Breathe in : out").select_option(label="1 : 1")
    page.get_by_role("button", name="Start").click()
    expect(page.locator('[data-role="phase"]')).to_have_text("Breathe in")
    expect(page.locator('[data-role="phase"]')).to_have_text("Breathe out", timeout=5000)
    page.wait_for_timeout(3500)
    page.get_by_role("button", name="Finish").click()
    expect(page.locator('[data-role="status"]')).to_contain_text("Logged", timeout=5000)

    # Back to the week: each of today's tasks is done today, the streak has begun, and what is next changed.
    page.goto(f"{demo_server.url}/patient/today")
    expect(_task(page, "Fill in a thought record")).to_contain_text("1 / 2")
    expect(_task(page, "Fill in a thought record")).to_contain_text("done today")
    mindfulness = _task(page, "Mindfulness practice (a guided practice, the breathing pacer or the timer)")
    expect(mindfulness).to_contain_text("1 / 5")
    expect(page.locator(".streak .big")).to_have_text("1 day")
    expect(page.get_by_text("1 of 7 days this week")).to_be_visible()
    activities = sorted(p.activity for p in _practice(demo_server, patient_id))
    assert activities == ["breathing_pacer", "somatic_tracking", "thought_record"]
    snapshot(page, "program_day_evening")
