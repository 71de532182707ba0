"""GMI pages: the patient's home, trainer, results, imagery and movement pages render; the clinician sees the
scores and moves a stage with a note; outsiders see nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.db import utcnow
from painrewire.patients.models import Patient
from painrewire.programs.gmi import service as gmi
from painrewire.programs.gmi.models import ImageryLog, MovementLog, StageChange
from painrewire.programs.gmi.schemas import BlockResults
from tests.fixtures.factories import CSRF
from tests.programs.gmi.helpers import answers


def _played_block(session: Session, patient: Patient) -> gmi.BlockOutcome:
    now = utcnow() - timedelta(minutes=10)
    block = gmi.start_block(session, patient.user, patient.id, now=now)
    data = BlockResults.model_validate(
        {"trials": answers(block.plan, rt_ms=1100, wrong=lambda i, s: s == "left" and i % 2 == 0)}
    )
    return gmi.submit_results(
        session, patient.user, patient.id, block.id, data, now=now + timedelta(minutes=3)
    )


def _count(session: Session, model: type) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_home_page_shows_the_stages_and_the_latest_block(
    as_user: Callable[..., TestClient], session: Session, patient: Patient
) -> None:
    browser = as_user(patient.user, browser=True)
    first = browser.get("/patient/gmi")
    assert first.status_code == 200
    assert "Stage 1: Left/right judgement" in first.text and "No blocks yet" in first.text
    _played_block(session, patient)
    page = browser.get("/patient/gmi").text
    assert "Your latest block" in page and "Movements to the left" in page
    assert "<svg" in page  # the trend charts
    home = browser.get("/patient").text
    assert "Graded motor imagery" in home and "Latest left/right block" in home


def test_the_trainer_page_carries_its_configuration_without_inline_script(
    as_user: Callable[..., TestClient], patient: Patient
) -> None:
    page = as_user(patient.user, browser=True).get("/patient/gmi/laterality")
    assert page.status_code == 200
    html = page.text
    assert f'data-start-url="/api/v1/patients/{patient.id}/gmi/blocks"' in html
    assert 'src="/static/gmi/trainer.js"' in html
    assert 'data-answer="left"' in html and 'data-answer="right"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # every script is a file


def test_the_static_files_are_served(client: TestClient) -> None:
    for name in ("trainer.js", "imagery.js", "gmi.css"):
        assert client.get(f"/static/gmi/{name}").status_code == 200, name
    script = client.get("/static/gmi/trainer.js").text
    assert "requestAnimationFrame" in script and "event.timeStamp" in script and "decode()" in script


def test_the_results_page_shows_scores_by_side_and_the_flag(
    as_user: Callable[..., TestClient], session: Session, patient: Patient, other_patient: Patient
) -> None:
    outcome = _played_block(session, patient)
    page = as_user(patient.user, browser=True).get(f"/patient/gmi/blocks/{outcome.block.id}")
    assert page.status_code == 200
    assert "Left and right differ" in page.text  # half the left pictures were answered wrong
    assert "Compared with the norms" in page.text and "Every picture" in page.text
    assert 'data-view="front"' in page.text and "From behind" in page.text  # level 1: front and back views
    outsider = as_user(other_patient.user, browser=True).get(f"/patient/gmi/blocks/{outcome.block.id}")
    assert outsider.status_code == 404


def test_imagery_is_closed_at_stage_one_and_saves_at_stage_two(
    as_user: Callable[..., TestClient], session: Session, patient: Patient, clinician: User
) -> None:
    browser = as_user(patient.user, browser=True)
    assert "open at stage 2" in browser.get("/patient/gmi/imagery").text
    gmi.move_stage(session, clinician, patient.id, stage=2, note="Ready to imagine")
    listing = browser.get("/patient/gmi/imagery").text
    assert "/patient/gmi/imagery/turn_left_gently" in listing
    exercise = browser.get("/patient/gmi/imagery/turn_left_gently")
    assert (
        exercise.status_code == 200 and 'name="effort"' in exercise.text and "/gmi/stimuli/" in exercise.text
    )
    bad = browser.post(
        "/patient/gmi/imagery/turn_left_gently", data={"csrf_token": CSRF, "seconds": "90", "effort": "4"}
    )
    assert bad.status_code == 422 and "pain" in bad.text and _count(session, ImageryLog) == 0
    saved = browser.post(
        "/patient/gmi/imagery/turn_left_gently",
        data={"csrf_token": CSRF, "seconds": "90", "effort": "4", "pain": "1"},
        follow_redirects=True,
    )
    assert saved.status_code == 200 and "Saved" in saved.text and _count(session, ImageryLog) == 1
    assert browser.get("/patient/gmi/imagery/nope").status_code == 404


def test_the_movement_ladder_saves_pain_and_fear(
    as_user: Callable[..., TestClient], session: Session, patient: Patient, clinician: User
) -> None:
    browser = as_user(patient.user, browser=True)
    assert "opens at stage 3" in browser.get("/patient/gmi/movement").text
    gmi.move_stage(session, clinician, patient.id, stage=3, note="Straight to movement")
    page = browser.get("/patient/gmi/movement").text
    assert "Small turns sitting down" in page and "Opens when the step before feels steady" in page
    form = {"csrf_token": CSRF, "pain_before": "4", "fear_before": "6", "pain_after": "3", "fear_after": "2"}
    saved = browser.post("/patient/gmi/movement/seated_turn_small", data=form, follow_redirects=True)
    assert saved.status_code == 200 and _count(session, MovementLog) == 1
    bad = browser.post("/patient/gmi/movement/seated_turn_small", data={**form, "fear_after": "12"})
    assert bad.status_code == 422 and _count(session, MovementLog) == 1
    closed = browser.post("/patient/gmi/movement/carry_and_turn", data=form)
    assert closed.status_code == 409 and "steady" in closed.text  # a conflict, as the API says


def test_the_clinician_sees_scores_and_moves_a_stage_with_a_note(
    as_user: Callable[..., TestClient], session: Session, patient: Patient, clinician: User
) -> None:
    outcome = _played_block(session, patient)
    doctor = as_user(clinician, browser=True)
    page = doctor.get(f"/clinician/patients/{patient.id}/gmi")
    assert page.status_code == 200
    assert "Movements to the left" in page.text and "Move stage" in page.text
    block = doctor.get(f"/clinician/patients/{patient.id}/gmi/blocks/{outcome.block.id}")
    assert block.status_code == 200 and "Every picture" in block.text
    overview = doctor.get(f"/clinician/patients/{patient.id}").text
    assert "Open the motor imagery view" in overview
    url = f"/clinician/patients/{patient.id}/gmi/stage"
    no_note = doctor.post(url, data={"csrf_token": CSRF, "stage": "2", "note": ""})
    assert no_note.status_code == 422 and "note" in no_note.text and _count(session, StageChange) == 0
    moved = doctor.post(
        url, data={"csrf_token": CSRF, "stage": "2", "note": "Good in clinic"}, follow_redirects=True
    )
    assert moved.status_code == 200 and "Moved to stage 2" in moved.text
    assert "Good in clinic" in moved.text and _count(session, StageChange) == 1


def test_outsiders_cannot_open_the_clinician_view(
    as_user: Callable[..., TestClient], patient: Patient, other_clinician: User, other_patient: Patient
) -> None:
    assert (
        as_user(other_clinician, browser=True).get(f"/clinician/patients/{patient.id}/gmi").status_code == 404
    )
    assert as_user(other_patient.user, browser=True).get(
        f"/clinician/patients/{patient.id}/gmi"
    ).status_code in (
        403,
        404,
    )


def test_a_movement_is_rated_before_it_is_done_and_again_after(
    as_user: Callable[..., TestClient], session: Session, patient: Patient, clinician: User
) -> None:
    browser = as_user(patient.user, browser=True)
    gmi.move_stage(session, clinician, patient.id, stage=3, note="Ready to move")
    assert "/patient/gmi/movement/seated_turn_small" in browser.get("/patient/gmi/movement").text
    first = browser.get("/patient/gmi/movement/seated_turn_small")
    assert "Pain right now, before you start" in first.text and "Pain now, after" not in first.text
    missing = browser.post(
        "/patient/gmi/movement/seated_turn_small/before", data={"csrf_token": CSRF, "pain_before": "4"}
    )
    assert missing.status_code == 422 and "fear_before" in missing.text.lower().replace(" ", "_")
    after = browser.post(
        "/patient/gmi/movement/seated_turn_small/before",
        data={"csrf_token": CSRF, "pain_before": "4", "fear_before": "7"},
    )
    # Nothing is stored until the movement is done and rated again; the before ratings travel with the form.
    assert after.status_code == 200 and _count(session, MovementLog) == 0
    assert "Now do the movement" in after.text and "Pain now, after the movement" in after.text
    assert 'name="pain_before" value="4"' in after.text and 'name="fear_before" value="7"' in after.text
    saved = browser.post(
        "/patient/gmi/movement/seated_turn_small",
        data={
            "csrf_token": CSRF,
            "pain_before": "4",
            "fear_before": "7",
            "pain_after": "3",
            "fear_after": "2",
        },
        follow_redirects=True,
    )
    assert saved.status_code == 200 and _count(session, MovementLog) == 1
    [log] = session.scalars(select(MovementLog)).all()
    assert (log.pain_before, log.fear_before, log.pain_after, log.fear_after) == (4, 7, 3, 2)
    closed = browser.get("/patient/gmi/movement/carry_and_turn")
    assert "opens when the step before it feels steady" in closed.text and "/before" not in closed.text
    assert browser.get("/patient/gmi/movement/no_such_step").status_code == 404
