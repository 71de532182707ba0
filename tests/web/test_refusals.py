"""A page that refuses what was asked shows its form again with the reason, and keeps nothing of the attempt."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent
from painrewire.diary.models import DiaryEntry
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF


def _post_entry(browser: TestClient, day: str, **fields: object) -> object:
    values = {"average_pain": "4", "pain_now": "3", "interference": "2", "mood": "7", "sleep_quality": "6"}
    return browser.post(
        "/patient/diary",
        data={"csrf_token": CSRF, "day": day, **values, **fields},
        follow_redirects=False,
    )


def test_a_refused_diary_day_shows_the_form_again_and_stores_no_trace(
    as_user: Callable[..., TestClient], patient: Patient, session: Session
) -> None:
    browser = as_user(patient.user, browser=True)
    tomorrow = patient.local_today() + timedelta(days=1)

    response = _post_entry(browser, tomorrow.isoformat(), triggers=["stress", "poor_sleep"])

    assert response.status_code == 422  # type: ignore[attr-defined]
    page = response.text  # type: ignore[attr-defined]
    assert "is in the future; the diary can be filled up to today" in page
    assert "Average pain over the last 24 hours" in page  # the form, not an error page
    assert 'value="stress" checked' in page and 'value="poor_sleep" checked' in page
    session.expire_all()
    assert session.scalar(select(DiaryEntry)) is None
    # The refused save wrote an UPDATE audit row before the rule refused it; it must not survive the refusal.
    updates = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == AuditAction.UPDATE, AuditEvent.resource_type == "diary_entry"
        )
    ).all()
    assert updates == []


def test_a_form_that_fails_validation_names_the_field_and_keeps_what_was_typed(
    as_user: Callable[..., TestClient], patient: Patient
) -> None:
    browser = as_user(patient.user, browser=True)
    response = _post_entry(browser, patient.local_today().isoformat(), average_pain="14", note="stiff")

    assert response.status_code == 422  # type: ignore[attr-defined]
    page = response.text  # type: ignore[attr-defined]
    assert "average_pain:" in page
    assert "stiff" in page


def test_a_day_that_is_not_a_date_is_refused_on_the_form(
    as_user: Callable[..., TestClient], patient: Patient
) -> None:
    response = _post_entry(as_user(patient.user, browser=True), "31/02/2026")

    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "day: not a date" in response.text  # type: ignore[attr-defined]
    assert "Average pain over the last 24 hours" in response.text  # type: ignore[attr-defined]
