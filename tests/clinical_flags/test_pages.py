"""The clinician's page for clinical judgement: record with why, see it stand, clear it, and the plan reads it."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.clinical_flags import service as flags
from painrewire.patients.models import Patient
from painrewire.plans import service as plans
from tests.fixtures.factories import CSRF
from tests.plans import builders


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def page_url(patient: Patient) -> str:
    return f"/clinician/patients/{patient.id}/clinical-flags"


def test_a_clinician_not_on_the_team_gets_a_404(
    as_user: Callable[..., TestClient], other_clinician: User, patient: Patient
) -> None:
    assert as_user(other_clinician, browser=True).get(page_url(patient)).status_code == 404


def test_record_then_propose_and_the_plan_names_who_and_why(
    session: Session, as_user: Callable[..., TestClient], clinician: User, patient: Patient
) -> None:
    builders.intake(session, patient)
    browser = as_user(clinician, browser=True)
    done = browser.post(
        page_url(patient),
        data={"csrf_token": CSRF, "kind": "worry_or_low_mood", "note": "Expects the worst at every visit"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    page = browser.get(done.headers["location"])
    words = text(page.text)
    assert "Recorded. Propose the plan again to see what it changes." in words
    assert f"Recorded by {clinician.full_name} on" in words and "“Expects the worst at every visit”" in words

    proposed = browser.post(f"/clinician/patients/{patient.id}/plan/propose", data={"csrf_token": CSRF})
    assert proposed.status_code == 200
    assert "clinician_worry_or_low_mood" in proposed.text
    assert "CBT thought records with a psychologist" in text(proposed.text)


def test_a_short_note_shows_the_page_again_with_the_reason_and_stores_nothing(
    session: Session, as_user: Callable[..., TestClient], clinician: User, patient: Patient
) -> None:
    refused = as_user(clinician, browser=True).post(
        page_url(patient), data={"csrf_token": CSRF, "kind": "fear_of_movement", "note": "meh"}
    )
    assert refused.status_code == 422
    assert "note: say what you saw or heard that supports it" in text(refused.text)
    assert ">meh</textarea>" in refused.text  # what was typed is kept
    assert flags.history_for(session, patient) == []


def test_an_unknown_kind_is_a_422(
    as_user: Callable[..., TestClient], clinician: User, patient: Patient
) -> None:
    refused = as_user(clinician, browser=True).post(
        page_url(patient), data={"csrf_token": CSRF, "kind": "anger", "note": "Shouted at the receptionist"}
    )
    assert refused.status_code == 422
    assert "kind" in text(refused.text)


def test_clear_and_the_overview_panel_follows(
    session: Session, as_user: Callable[..., TestClient], clinician: User, patient: Patient
) -> None:
    builders.judge(
        session, clinician, patient, builders.FlagKind.STRESS_DRIVES_PAIN, "Flares in deadline weeks"
    )
    browser = as_user(clinician, browser=True)
    overview = text(browser.get(f"/clinician/patients/{patient.id}").text)
    assert "Clinical judgement for the plan Stress or tension drives the pain" in overview
    (flag,) = flags.standing_for(session, patient)
    cleared = browser.post(
        f"{page_url(patient)}/{flag.id}/clear", data={"csrf_token": CSRF, "note": "Calmer since the new job"}
    )
    assert cleared.status_code == 200
    assert "Cleared. The plan rules no longer read it" in text(cleared.text)
    assert "Calmer since the new job" in cleared.text
    session.expire_all()  # the page cleared it in its own request
    assert plans.build_profile(session, patient).clinician == {}
