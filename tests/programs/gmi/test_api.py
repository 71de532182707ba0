"""GMI JSON API: a block's timed answers are posted and stored; bad input is refused with a message that
names the field and nothing is stored; nobody outside the care team reads or posts."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from painrewire.programs.gmi import stimuli
from painrewire.programs.gmi.models import LateralityBlock, LateralityTrial
from tests.programs.gmi.helpers import answers

TIMING = {"method": "decode+raf", "frame_ms": 16.67, "clock": "performance.now"}


def _start(client: TestClient, patient: Patient, trials: int = 20) -> dict[str, Any]:
    response = client.post(f"/api/v1/patients/{patient.id}/gmi/blocks", json={"trials": trials})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _stored_trials(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(LateralityTrial)) or 0)


def test_a_patient_plays_a_block_and_the_clinician_reads_every_trial(
    as_user: Callable[..., TestClient], patient: Patient, clinician: User
) -> None:
    me = as_user(patient.user)
    block = _start(me, patient)
    assert block["trials"] == 20 and block["practice_trials"] == 4 and block["timeout_ms"] == 5000
    # the answer is given for practice pictures only
    assert all((t["side"] is not None) == t["is_practice"] for t in block["plan"])
    image = me.get(block["plan"][0]["image_url"])
    assert image.status_code == 200 and image.headers["content-type"].startswith("image/svg+xml")

    plan = [{"index": t["index"], "stimulus_id": t["stimulus_id"]} for t in block["plan"]]
    results = answers(plan, rt_ms=812.5)
    results[-1] = {**results[-1], "answer": None, "rt_ms": None, "timed_out": True}
    posted = me.post(block["results_url"], json={"trials": results, "timing": TIMING})
    assert posted.status_code == 200, posted.text
    finished = posted.json()
    assert finished["block"]["accuracy"] == pytest.approx(19 / 20)
    assert finished["block"]["median_rt_ms"] == pytest.approx(812.5)
    assert finished["block"]["client_timing"] == TIMING
    assert {c["what"] for c in finished["norms"]} >= {
        "Movements to the left: accuracy",
        "Movements to the right: median time",
    }
    assert finished["stage"]["stage"] == 1 and finished["next_level"]["level"] == 1

    detail = as_user(clinician).get(f"/api/v1/patients/{patient.id}/gmi/blocks/{block['id']}")
    assert detail.status_code == 200
    trials = detail.json()["trials"]
    assert len(trials) == 24
    last = trials[-1]
    assert last["timed_out"] and last["answer"] is None and not last["correct"]
    first = trials[0]
    assert first["rt_ms"] == 812.5 and first["side"] == stimuli.stimulus(first["stimulus_id"]).side
    listed = as_user(clinician).get(f"/api/v1/patients/{patient.id}/gmi/blocks").json()
    assert [b["id"] for b in listed] == [block["id"]]
    status = me.get(f"/api/v1/patients/{patient.id}/gmi").json()
    assert status["blocks_done"] == 1 and status["latest"]["id"] == block["id"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r[:-1], "trials"),  # a picture missing
        (lambda r: [*r, r[0]], "index"),  # answered twice
        (lambda r: [{**r[0], "stimulus_id": r[1]["stimulus_id"]}, *r[1:]], "stimulus_id"),
        (lambda r: [{**r[0], "rt_ms": 9000}, *r[1:]], "rt_ms"),  # longer than the time-out
        (lambda r: [{**r[0], "rt_ms": -5}, *r[1:]], "rt_ms"),
        (lambda r: [{**r[0], "answer": "up"}, *r[1:]], "answer"),
        (lambda r: [{**r[0], "timed_out": True}, *r[1:]], "timed-out"),
        (lambda r: [{**r[0], "rt_ms": None}, *r[1:]], "rt_ms"),
        (lambda r: [{**r[0], "index": 999}, *r[1:]], "index"),
        (lambda r: [{**r[0], "colour": "red"}, *r[1:]], "colour"),
    ],
)
def test_bad_results_are_refused_with_a_clear_message_and_nothing_is_stored(
    as_user: Callable[..., TestClient],
    session: Session,
    patient: Patient,
    change: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
    field: str,
) -> None:
    me = as_user(patient.user)
    block = _start(me, patient)
    good = answers([{"index": t["index"], "stimulus_id": t["stimulus_id"]} for t in block["plan"]])
    response = me.post(block["results_url"], json={"trials": change(good)})
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    text = " ".join(detail) if isinstance(detail, list) else str(detail)
    assert field in text
    assert _stored_trials(session) == 0
    stored = session.get(LateralityBlock, uuid.UUID(block["id"]))
    assert stored is not None and stored.finished_at is None
    # and the right answers are still accepted afterwards
    assert me.post(block["results_url"], json={"trials": good}).status_code == 200


def test_results_that_are_not_a_list_or_empty_are_refused(
    as_user: Callable[..., TestClient], patient: Patient
) -> None:
    me = as_user(patient.user)
    block = _start(me, patient)
    bodies: list[dict[str, Any]] = [{"trials": []}, {"trials": "all left"}, {}, {"trials": [{"index": 0}]}]
    for body in bodies:
        response = me.post(block["results_url"], json=body)
        assert response.status_code == 422, body
        assert "trials" in " ".join(response.json()["detail"])
    assert me.post(f"/api/v1/patients/{patient.id}/gmi/blocks", json={"trials": 13}).status_code == 422


def test_a_second_post_of_the_same_block_is_a_conflict(
    as_user: Callable[..., TestClient], patient: Patient
) -> None:
    me = as_user(patient.user)
    block = _start(me, patient)
    good = answers([{"index": t["index"], "stimulus_id": t["stimulus_id"]} for t in block["plan"]])
    assert me.post(block["results_url"], json={"trials": good}).status_code == 200
    again = me.post(block["results_url"], json={"trials": good})
    assert again.status_code == 409 and "already" in again.json()["detail"]


def test_another_patient_cannot_read_or_post(
    as_user: Callable[..., TestClient],
    session: Session,
    patient: Patient,
    other_patient: Patient,
    other_clinician: User,
) -> None:
    block = _start(as_user(patient.user), patient)
    good = answers([{"index": t["index"], "stimulus_id": t["stimulus_id"]} for t in block["plan"]])
    for outsider in (as_user(other_patient.user), as_user(other_clinician)):
        assert outsider.get(f"/api/v1/patients/{patient.id}/gmi").status_code == 404
        assert outsider.get(f"/api/v1/patients/{patient.id}/gmi/blocks/{block['id']}").status_code == 404
        assert outsider.post(block["results_url"], json={"trials": good}).status_code == 404
        assert outsider.post(f"/api/v1/patients/{patient.id}/gmi/blocks", json={}).status_code == 404
        # nor under their own record
        own = outsider.get(f"/api/v1/patients/{other_patient.id}/gmi/blocks/{block['id']}")
        assert own.status_code in (403, 404)
    assert _stored_trials(session) == 0


def test_anonymous_requests_are_refused(client: TestClient, patient: Patient) -> None:
    assert client.get(f"/api/v1/patients/{patient.id}/gmi").status_code == 401
    stimulus = client.get("/gmi/stimuli/t000.svg", follow_redirects=False)
    assert stimulus.status_code in (401, 303), stimulus.status_code


def test_stage_moves_need_a_clinician_and_a_note(
    as_user: Callable[..., TestClient], patient: Patient, clinician: User
) -> None:
    url = f"/api/v1/patients/{patient.id}/gmi/stage"
    assert as_user(patient.user).post(url, json={"stage": 2, "note": "I am ready"}).status_code == 403
    doctor = as_user(clinician)
    missing = doctor.post(url, json={"stage": 2})
    assert missing.status_code == 422 and "note" in " ".join(missing.json()["detail"])
    moved = doctor.post(url, json={"stage": 2, "note": "Good accuracy in clinic"})
    assert moved.status_code == 201
    assert moved.json()["note"] == "Good accuracy in clinic"
    changes = doctor.get(f"/api/v1/patients/{patient.id}/gmi/stage-changes").json()
    assert [c["stage"] for c in changes] == [2]


def test_imagery_and_movement_logs_through_the_api(
    as_user: Callable[..., TestClient], patient: Patient, clinician: User
) -> None:
    me = as_user(patient.user)
    url = f"/api/v1/patients/{patient.id}/gmi/imagery"
    entry = {"exercise_id": "turn_left_gently", "seconds": 100, "effort": 4, "pain": 2}
    closed = me.post(url, json=entry)
    assert closed.status_code == 409 and "stage 2" in closed.json()["detail"]
    as_user(clinician).post(
        f"/api/v1/patients/{patient.id}/gmi/stage", json={"stage": 3, "note": "Fast track"}
    )
    assert me.post(url, json=entry).status_code == 201
    bad = me.post(url, json={**entry, "pain": 11})
    assert bad.status_code == 422 and "pain" in " ".join(bad.json()["detail"])
    unknown = me.post(url, json={**entry, "exercise_id": "cartwheel"})
    assert unknown.status_code == 422 and "exercise_id" in str(unknown.json()["detail"])
    moves = f"/api/v1/patients/{patient.id}/gmi/movements"
    step = {
        "movement_id": "seated_turn_small",
        "pain_before": 3,
        "fear_before": 5,
        "pain_after": 2,
        "fear_after": 3,
    }
    assert me.post(moves, json=step).status_code == 201
    [logged] = as_user(clinician).get(moves).json()
    assert (logged["pain_before"], logged["fear_after"]) == (3, 3)
