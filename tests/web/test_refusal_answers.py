"""The answers a refused page may give besides its own form: another page, a see-other with the reason, the
form for a refusal otherwise shown as an error page, and several reasons at once."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, User
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF
from tests.fixtures.refusals import writes_audited


def test_a_practice_that_is_closed_shows_the_closed_practice_page_instead_of_the_form(
    as_user: Callable[..., TestClient], session: Session, new_patient: Patient
) -> None:
    response = as_user(new_patient.user, browser=True).post(
        "/patient/cbt/thought-records",
        data={
            "csrf_token": CSRF,
            "situation": "Sat through a long meeting",
            "automatic_thought": "If sitting does this, I will lose my job",
            "feeling_1": "anxious",
            "intensity_1": "80",
            "evidence_for": "Pain was 7 by the end",
            "evidence_against": "It came down after a walk",
            "balanced_thought": "Sitting winds pain up and I can wind it down",
        },
    )

    assert response.status_code == 409
    assert "Thought records" in response.text
    assert 'name="situation"' not in response.text  # why practice is closed, not the form
    assert writes_audited(session, new_patient.id) == []


def test_a_console_command_the_form_got_wrong_goes_back_to_the_console_with_the_reason(
    as_user: Callable[..., TestClient], clinician: User
) -> None:
    session_id = uuid.uuid4()
    response = as_user(clinician, browser=True).post(
        f"/clinician/neurofeedback/sessions/{session_id}/notes",
        data={"csrf_token": CSRF, "text": "   "},
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/clinician/neurofeedback/sessions/{session_id}?message=A%20note%20needs%20some%20text."
    )


def test_a_wrong_password_is_answered_on_the_login_form_and_its_failure_is_kept(
    client: TestClient, session: Session, patient: Patient
) -> None:
    client.cookies.set("pr_csrf", CSRF)
    response = client.post(
        "/login",
        data={"csrf_token": CSRF, "email": patient.user.email, "password": "not the password"},
        follow_redirects=False,
    )

    assert response.status_code == 401
    assert "The email or password is not right." in response.text
    assert patient.user.email in response.text  # the form, with the address typed
    session.expire_all()
    failed = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == AuditAction.LOGIN_FAILED, AuditEvent.resource_id == str(patient.user_id)
        )
    ).all()
    assert len(failed) == 1  # the refusal keeps its changes: the failure counts towards lock-out
