"""Mindfulness pages: the tools' controls, the scripts, the clinic's audio page and the clinician's panel."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.config import Settings
from painrewire.patients.models import Patient
from painrewire.practice import service as practice_log
from painrewire.practice.models import Module
from painrewire.programs.mindfulness import timing
from painrewire.programs.mindfulness.content import practices
from tests.programs.cbt.conftest import open_safety_alert


def test_the_pacer_has_labelled_settings_start_and_finish_and_no_inline_script(
    as_user: Callable[..., TestClient], patient: Patient, settings: Settings
) -> None:
    page = as_user(patient.user, browser=True).get("/patient/mindfulness/pacer").text
    for label in ("Breaths per minute", "Breathe in : out", "Minutes"):
        assert f"<label>{label} <" in page, label
    assert ">Start</button>" in page and ">Finish</button>" in page
    assert re.findall(r"<script[^>]*>", page) == [
        '<script src="/static/app/app.js" defer>',
        '<script src="/static/mindfulness/common.js" defer>',
        '<script src="/static/mindfulness/pacer.js" defer>',
    ]
    stamp = re.search(r'data-page-stamp="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    opened = timing.opened_at(settings.secret_key, str(patient.user.id), stamp, now=time.time())
    assert abs(opened - time.time()) < 60


def test_the_pacer_and_timer_scripts_are_served(client: TestClient) -> None:
    for name in ("common.js", "pacer.js", "timer.js", "guide.js", "upload.js", "mindfulness.css"):
        assert client.get(f"/static/mindfulness/{name}").status_code == 200, name


def test_a_guided_practice_shows_every_timed_step_and_its_sources(
    as_user: Callable[..., TestClient], patient: Patient
) -> None:
    page = as_user(patient.user, browser=True).get("/patient/mindfulness/practices/loving_kindness").text
    practice = practices()["loving_kindness"]
    seconds = [int(s) for s in re.findall(r'<li data-seconds="(\d+)">', page)]
    assert seconds == [s.seconds for s in practice.steps]
    assert "Carson JW, Keefe FJ" in page
    assert 'data-activity="loving_kindness"' in page


def test_an_unknown_practice_is_not_found(as_user: Callable[..., TestClient], patient: Patient) -> None:
    assert as_user(patient.user, browser=True).get("/patient/mindfulness/practices/yoga").status_code == 404


def test_practice_waits_while_a_safety_alert_is_open(
    as_user: Callable[..., TestClient], patient: Patient, session: Session
) -> None:
    open_safety_alert(session, patient)
    browser = as_user(patient.user, browser=True)
    for path in (
        "/patient/mindfulness/pacer",
        "/patient/mindfulness/timer",
        "/patient/mindfulness/practices/noting",
    ):
        page = browser.get(path).text
        assert "Your program is paused for now" in page and "data-page-stamp" not in page, path


def test_only_staff_open_the_practice_audio_page(
    as_user: Callable[..., TestClient], patient: Patient, clinician: User, admin: User
) -> None:
    assert as_user(patient.user, browser=True).get("/clinic/mindfulness").status_code == 403
    for person in (clinician, admin):
        page = as_user(person, browser=True).get("/clinic/mindfulness").text
        assert page.count('enctype="multipart/form-data"') == len(practices())
        assert 'data-max-bytes="20971520"' in page


def test_the_clinician_sees_minutes_per_week(
    as_user: Callable[..., TestClient], patient: Patient, clinician: User, session: Session
) -> None:
    practice_log.log_practice(
        session, patient, module=Module.MINDFULNESS, activity="noting", title="Noting", minutes=8.5
    )
    session.commit()
    page = as_user(clinician, browser=True).get(f"/clinician/patients/{patient.id}").text
    assert "This week: <strong>8.5 min</strong>" in page
    assert "Mindfulness minutes per week" in page
