"""Saving a diary entry from its page is one access: one audit row, the service's."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent
from painrewire.diary import service as diary
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF


def test_a_saved_entry_writes_one_audit_row_naming_its_day(
    as_user: Callable[..., TestClient], session: Session, patient: Patient
) -> None:
    today = diary.local_today(patient).isoformat()
    scales = {"average_pain": "4", "pain_now": "3", "interference": "2", "mood": "7", "sleep_quality": "6"}
    response = as_user(patient.user, browser=True).post(
        "/patient/diary", data={"csrf_token": CSRF, "day": today, **scales}, follow_redirects=False
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/patient/diary?saved={today}"
    session.expire_all()
    rows = session.execute(
        select(AuditEvent.action, AuditEvent.resource_id).where(AuditEvent.patient_id == patient.id)
    ).all()
    assert [tuple(row) for row in rows] == [(AuditAction.UPDATE, today)]
