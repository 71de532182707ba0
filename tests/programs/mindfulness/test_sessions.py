"""Minutes practised: measured in the browser, checked on the server, logged on the patient's day."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.clearance.gate import PracticeClosed
from painrewire.errors import InvalidInput, NotFound
from painrewire.patients.models import Patient
from painrewire.practice.models import Module, PracticeLog
from painrewire.programs.mindfulness import service as mindfulness
from painrewire.programs.mindfulness import timing
from painrewire.programs.mindfulness.schemas import SessionCreate
from tests.fixtures.factories import CSRF
from tests.programs.cbt.conftest import open_safety_alert

SECRET = "test-secret"
T0 = 1_780_000_000.0


def _log(
    session: Session, actor: User, patient: Patient, *, clock: float = T0 + 600, **values: object
) -> PracticeLog:
    data = SessionCreate.model_validate({"page_stamp": timing.stamp(SECRET, str(actor.id), T0), **values})
    return mindfulness.log_session(session, actor, patient.id, data, secret=SECRET, clock=clock)


class TestLogging:
    def test_the_pacer_logs_breathing_pacer_with_its_minutes_and_settings(
        self, session: Session, patient: Patient
    ) -> None:
        log = _log(
            session,
            patient.user,
            patient,
            activity="breathing_pacer",
            minutes=5,
            breaths_per_minute=6,
            inhale_share=0.4,
        )
        assert (log.module, log.activity, log.minutes) == (Module.MINDFULNESS, "breathing_pacer", 5)
        assert log.title == "Breathing pacer · 6 breaths/min, in:out 1:1.5"

    def test_a_guided_practice_logs_under_its_own_id_and_counts_in_the_week(
        self, session: Session, patient: Patient
    ) -> None:
        _log(session, patient.user, patient, activity="body_scan", minutes=9.5)
        _log(session, patient.user, patient, activity="meditation_timer", minutes=2.25)
        weeks = mindfulness.weekly_minutes_for(session, patient)
        assert weeks[-1][1] == pytest.approx(11.75)
        titles = [log.title for log in mindfulness.recent_sessions_for(session, patient)]
        assert sorted(titles) == ["Body scan", "Meditation timer"]

    @pytest.mark.parametrize("minutes", [0, -3, float("nan"), float("inf"), 181])
    def test_impossible_minutes_are_refused_by_the_schema(self, minutes: float) -> None:
        with pytest.raises(ValueError, match="minutes"):
            SessionCreate(activity="breathing_pacer", minutes=minutes)

    def test_more_than_a_sitting_of_the_tool_allows_is_refused(
        self, session: Session, patient: Patient
    ) -> None:
        with pytest.raises(InvalidInput) as caught:
            _log(session, patient.user, patient, activity="breathing_pacer", minutes=61, clock=T0 + 7200)
        assert caught.value.field == "minutes" and "at most 60 minutes" in caught.value.message

    def test_more_minutes_than_the_page_has_been_open_are_refused(
        self, session: Session, patient: Patient
    ) -> None:
        # opened two minutes ago: up to 3 minutes (one of slack) can be logged
        assert (
            _log(session, patient.user, patient, activity="breath_focus", minutes=2.9, clock=T0 + 120).minutes
            == 2.9
        )
        with pytest.raises(InvalidInput) as caught:
            _log(session, patient.user, patient, activity="breath_focus", minutes=3.5, clock=T0 + 120)
        assert (
            caught.value.field == "minutes"
            and "more than the time since the practice began" in caught.value.message
        )

    @pytest.mark.parametrize(
        ("stamp", "message"),
        [
            (lambda user: f"{int(T0)}.0000", "not valid"),
            (lambda user: timing.stamp(SECRET, "someone-else", T0), "not valid"),
            (lambda user: timing.stamp("another-secret", str(user.id), T0), "not valid"),
            (lambda user: timing.stamp(SECRET, str(user.id), T0 - 7 * 3600), "open too long"),
        ],
    )
    def test_a_forged_foreign_or_stale_page_stamp_is_refused(
        self, session: Session, patient: Patient, stamp: Callable[[User], str], message: str
    ) -> None:
        data = SessionCreate(activity="noting", minutes=1, page_stamp=stamp(patient.user))
        with pytest.raises(InvalidInput, match=message) as caught:
            mindfulness.log_session(session, patient.user, patient.id, data, secret=SECRET, clock=T0 + 300)
        assert caught.value.field == "page_stamp"

    def test_an_unknown_activity_is_refused_naming_the_choices(
        self, session: Session, patient: Patient
    ) -> None:
        with pytest.raises(
            InvalidInput, match="unknown practice 'juggling'; choose from body_scan"
        ) as caught:
            _log(session, patient.user, patient, activity="juggling", minutes=1)
        assert caught.value.field == "activity"

    def test_nothing_is_logged_for_another_patient_or_while_the_program_is_paused(
        self, session: Session, patient: Patient, other_patient: Patient
    ) -> None:
        with pytest.raises(NotFound):
            _log(session, other_patient.user, patient, activity="noting", minutes=1)
        open_safety_alert(session, patient)
        with pytest.raises(PracticeClosed):
            _log(session, patient.user, patient, activity="noting", minutes=1)
        assert session.scalar(select(PracticeLog).where(PracticeLog.patient_id == patient.id)) is None


class TestThroughTheBrowser:
    def test_the_pacer_page_posts_its_minutes_with_its_stamp(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        browser = as_user(patient.user, browser=True)
        page = browser.get("/patient/mindfulness/pacer").text
        url = re.search(r'data-log-url="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        stamp = re.search(r'data-page-stamp="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        assert url == f"/api/v1/patients/{patient.id}/mindfulness/sessions"
        response = browser.post(
            url,
            json={"activity": "breathing_pacer", "minutes": 0.5, "page_stamp": stamp},
            headers={"x-csrf-token": CSRF},
        )
        assert response.status_code == 201, response.text
        assert response.json()["minutes"] == 0.5 and response.json()["week_minutes"] == 0.5
        too_long = browser.post(
            url,
            json={"activity": "breathing_pacer", "minutes": 5, "page_stamp": stamp},
            headers={"x-csrf-token": CSRF},
        )
        assert too_long.status_code == 422
        assert (
            too_long.json()["detail"] == "minutes: 5 minutes is more than the time since the practice began."
        )

    def test_a_browser_post_without_the_csrf_header_is_refused(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        response = as_user(patient.user, browser=True).post(
            f"/api/v1/patients/{patient.id}/mindfulness/sessions", json={"activity": "noting", "minutes": 1}
        )
        assert response.status_code == 403

    def test_the_weekly_minutes_api_counts_only_mindfulness(
        self, as_user: Callable[..., TestClient], patient: Patient, clinician: User, session: Session
    ) -> None:
        stamp = timing.stamp("development-only-secret-change-me", str(patient.user.id), time.time() - 600)
        api = as_user(patient.user)
        assert (
            api.post(
                f"/api/v1/patients/{patient.id}/mindfulness/sessions",
                json={"activity": "meditation_timer", "minutes": 8, "page_stamp": stamp},
            ).status_code
            == 201
        )
        weeks = as_user(clinician).get(f"/api/v1/patients/{patient.id}/mindfulness/minutes").json()
        assert weeks[-1]["minutes"] == 8
