"""The set-up page offers the clinic's recent headset and the synthetic one first, the full list behind a
<details>."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.db import utcnow
from painrewire.neurofeedback import service
from painrewire.neurofeedback.models import NeurofeedbackSession, SessionStatus
from painrewire.neurofeedback.pages import _form_to_create
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF

Browser = Callable[..., TestClient]


def _used(session: Session, patient: Patient, clinician: User, board_id: int, days_ago: int) -> None:
    """A past session of the clinic on BrainFlow board ``board_id``."""
    when = utcnow() - timedelta(days=days_ago)
    session.add(
        NeurofeedbackSession(
            patient_id=patient.id,
            practitioner_id=clinician.id,
            protocol="alpha",
            source="brainflow",
            board_id=board_id,
            source_params={},
            planned_seconds=600,
            baseline_seconds=60,
            target_reward_rate=0.7,
            status=SessionStatus.COMPLETED,
            created_at=when,
            started_at=when,
            ended_at=when + timedelta(minutes=10),
        )
    )
    session.commit()


def _details_tag(page: str) -> str:
    match = re.search(r'<details[^>]*data-role="boards-all"[^>]*>', page)
    assert match is not None
    return match.group(0)


def _first_choices(page: str) -> list[str]:
    """The board radio buttons, in order, shown before the full list."""
    before = page[: page.index('data-role="boards-all"')]
    return re.findall(r'name="board_id" value="(-?\d+)"', before)


def test_a_clinic_without_history_sees_the_synthetic_headset_first_and_the_rest_folded(
    as_user: Browser, clinician: User, patient: Patient
) -> None:
    page = as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}/neurofeedback").text
    assert _first_choices(page) == ["-1"]
    assert re.search(r'name="board_id" value="-1" checked', page)
    assert " open" not in _details_tag(page)
    folded = page[page.index('data-role="boards-all"') :]
    assert "<summary>Another headset: all" in folded and "0 · Cyton" in folded
    assert len(re.findall(r'<option value="-?\d+"', folded.split("</details>")[0])) > 30
    assert '<select name="board_id"' not in page  # the long list is no longer the first thing shown


def test_the_headsets_used_lately_come_first_newest_first_then_the_synthetic_one(
    as_user: Browser, session: Session, clinician: User, patient: Patient
) -> None:
    _used(session, patient, clinician, board_id=1, days_ago=10)  # Ganglion
    _used(session, patient, clinician, board_id=0, days_ago=2)  # Cyton, the latest
    _used(session, patient, clinician, board_id=1, days_ago=20)
    assert service.recent_board_ids(session) == [0, 1]
    page = as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}/neurofeedback").text
    assert _first_choices(page) == ["0", "1", "-1"]
    assert re.search(r'name="board_id" value="0" checked> Cyton \(board 0', page)
    assert "used here lately" in page and "no hardware needed" in page
    assert " open" not in _details_tag(page)


def test_a_board_from_the_full_list_stays_chosen_and_shown_when_the_form_comes_back(
    as_user: Browser, clinician: User, patient: Patient
) -> None:
    page = as_user(clinician, browser=True).post(
        f"/clinician/patients/{patient.id}/neurofeedback",
        data={"csrf_token": CSRF, "minutes": "ten", "board_id": "-1", "other_board_id": "2"},
    )
    assert page.status_code == 422
    assert " open" in _details_tag(page.text)
    assert re.search(r'<option value="2" selected>2 · CytonDaisy', page.text)


def test_a_board_chosen_from_the_full_list_wins_over_the_short_list() -> None:
    assert _form_to_create({"board_id": "-1", "other_board_id": "5"}).board_id == 5
    assert _form_to_create({"board_id": "0", "other_board_id": ""}).board_id == 0
    assert _form_to_create({}).board_id == -1
