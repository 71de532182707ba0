"""The right to erasure: a patient asks, a clinician on the care team confirms, the health data is gone, the
audit log stays without health content, and another patient's data is untouched."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, User
from painrewire.interop import erasure, personal_data
from painrewire.interop.models import ErasureRequest, ErasureStatus
from painrewire.patients.models import CareTeamMember, Patient
from painrewire.schema import import_all_models
from tests.fixtures.factories import CSRF, PASSWORD, create_patient
from tests.reports.seed import Seeded, seed_patient


def rows_of(session: Session, patient: Patient) -> dict[str, int]:
    """How many rows each table holds for the patient, by the same metadata walk as the download (the audit
    log and the erasure requests, which are kept, aside)."""
    tables = import_all_models().tables
    counts = {}
    for name, condition in personal_data.row_filters(patient, own_rows_only=False).items():
        if name in erasure.KEPT:
            continue
        count = int(session.scalar(select(func.count()).select_from(tables[name]).where(condition)) or 0)
        if count:
            counts[name] = count
    return counts


def ask(client: TestClient, **body: object) -> dict[str, object]:
    response = client.post("/api/v1/me/erasure-request", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, object] = response.json()
    return result


def test_confirmed_erasure_removes_every_health_row_and_keeps_only_the_audit_trail(
    session: Session,
    as_user: Callable[..., TestClient],
    clinician: User,
    other_clinician: User,
) -> None:
    mine = seed_patient(session, clinician)
    theirs = seed_patient(session, other_clinician)
    session.commit()
    before_mine = rows_of(session, mine.patient)
    before_theirs = rows_of(session, theirs.patient)
    # The seeded record really is spread over many tables, so the test proves something.
    assert {
        "diary_entries",
        "questionnaire_responses",
        "plan_versions",
        "practice_logs",
        "clinical_notes",
    } <= set(before_mine)
    assert {"appointments", "care_team_members", "intakes"} <= set(before_mine)

    asked = ask(as_user(mine.patient.user), confirm=True, reason="Moving abroad")
    decision = as_user(clinician).post(
        f"/api/v1/patients/{mine.patient.id}/erasure-requests/{asked['id']}/decision",
        json={"confirm": True, "note": "Discharged; nothing requires us to keep the record."},
    )
    assert decision.status_code == 200, decision.text
    result = decision.json()
    assert result["status"] == "completed"
    assert result["reason"] is None  # the patient's own words went with the rest
    # What was removed is reported per table, and it is everything the patient had.
    assert result["removed"] == {**before_mine, **result["removed"]}
    assert all(result["removed"][name] >= count for name, count in before_mine.items())

    assert rows_of(session, mine.patient) == {}
    assert rows_of(session, theirs.patient) == before_theirs

    session.expire_all()
    user = session.get(User, mine.patient.user_id)
    assert user is not None
    assert user.full_name == erasure.ERASED_NAME and mine.email not in user.email and not user.is_active
    patient = session.get(Patient, mine.patient.id)
    assert patient is not None and patient.date_of_birth is None and patient.phone is None

    # The audit log keeps every access to the record, with no health content in it.
    events = session.scalars(select(AuditEvent).where(AuditEvent.patient_id == mine.patient.id)).all()
    assert any(e.action == AuditAction.DELETE and e.resource_type == "patient_record" for e in events)
    audit_text = json.dumps([[e.resource_type, e.resource_id, e.reason] for e in events])
    for marker in (mine.diary_note, mine.clinical_note, mine.intake_text, mine.name, "Moving abroad"):
        assert marker not in audit_text
    # Nothing anywhere in the database still names the patient or holds their words.
    everything = json.dumps(personal_data.collect(session, patient), ensure_ascii=False)
    for marker in (mine.diary_note, mine.clinical_note, mine.intake_text, mine.name, mine.email, mine.phone):
        assert marker not in everything


def test_after_erasure_the_patient_cannot_log_in_and_leaves_every_caseload(
    session: Session, client: TestClient, as_user: Callable[..., TestClient], clinician: User
) -> None:
    seeded = seed_patient(session, clinician)
    session.commit()
    patient_api = as_user(seeded.patient.user)
    asked = ask(patient_api, confirm=True)
    as_user(clinician).post(
        f"/api/v1/patients/{seeded.patient.id}/erasure-requests/{asked['id']}/decision",
        json={"confirm": True, "note": "Confirmed with the patient by phone."},
    )
    assert patient_api.get("/api/v1/me").status_code == 401  # every login ended
    login = client.post("/api/v1/auth/login", json={"email": seeded.email, "password": PASSWORD})
    assert login.status_code == 401
    assert as_user(clinician).get(f"/api/v1/patients/{seeded.patient.id}").status_code == 404
    assert (
        session.scalar(
            select(func.count())
            .select_from(CareTeamMember)
            .where(CareTeamMember.patient_id == seeded.patient.id)
        )
        == 0
    )


def test_nothing_is_erased_until_a_clinician_confirms_and_a_declined_request_tells_the_patient_why(
    session: Session, as_user: Callable[..., TestClient], clinician: User
) -> None:
    seeded = seed_patient(session, clinician)
    session.commit()
    before = rows_of(session, seeded.patient)
    patient_api = as_user(seeded.patient.user)
    asked = ask(patient_api, confirm=True, reason="I feel better")
    assert rows_of(session, seeded.patient) == before
    again = patient_api.post("/api/v1/me/erasure-request", json={"confirm": True})
    assert again.status_code == 409
    assert "already asked" in again.json()["detail"]

    declined = as_user(clinician).post(
        f"/api/v1/patients/{seeded.patient.id}/erasure-requests/{asked['id']}/decision",
        json={"confirm": False, "note": "Your safety alert is still open; let us talk first."},
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert rows_of(session, seeded.patient) == before
    mine = patient_api.get("/api/v1/me/erasure-request").json()
    assert mine["status"] == "declined"
    assert mine["decision_note"] == "Your safety alert is still open; let us talk first."
    # A decided request cannot be decided again.
    twice = as_user(clinician).post(
        f"/api/v1/patients/{seeded.patient.id}/erasure-requests/{asked['id']}/decision",
        json={"confirm": True, "note": "changed my mind"},
    )
    assert twice.status_code == 409
    assert rows_of(session, seeded.patient) == before


def test_bad_requests_are_refused_plainly_and_store_nothing(
    session: Session, as_user: Callable[..., TestClient], clinician: User, other_clinician: User
) -> None:
    seeded = seed_patient(session, clinician)
    session.commit()
    patient_api = as_user(seeded.patient.user)
    unconfirmed = patient_api.post("/api/v1/me/erasure-request", json={"confirm": False})
    assert unconfirmed.status_code == 422
    assert "cannot be undone" in unconfirmed.json()["detail"]
    assert patient_api.post("/api/v1/me/erasure-request", json={}).status_code == 422
    assert patient_api.delete("/api/v1/me/erasure-request").status_code == 404
    assert session.scalar(select(func.count()).select_from(ErasureRequest)) == 0

    asked = ask(patient_api, confirm=True)
    url = f"/api/v1/patients/{seeded.patient.id}/erasure-requests/{asked['id']}/decision"
    no_note = as_user(clinician).post(url, json={"confirm": True, "note": "   "})
    assert no_note.status_code == 422 and "note" in no_note.json()["detail"].lower()
    outsider = as_user(other_clinician).post(url, json={"confirm": True, "note": "not mine"})
    assert outsider.status_code == 404
    by_patient = patient_api.post(url, json={"confirm": True, "note": "do it"})
    assert by_patient.status_code == 403
    session.expire_all()
    found = session.get(ErasureRequest, uuid.UUID(str(asked["id"])))
    assert found is not None and found.status == ErasureStatus.REQUESTED

    withdrawn = patient_api.delete("/api/v1/me/erasure-request")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    assert as_user(clinician).post(url, json={"confirm": True, "note": "late"}).status_code == 409


def test_the_whole_journey_in_pages(
    session: Session, as_user: Callable[..., TestClient], clinician: User, other_clinician: User
) -> None:
    seeded: Seeded = seed_patient(session, clinician)
    session.commit()
    browser = as_user(seeded.patient.user, browser=True)
    assert "/patient/record/erasure" in browser.get("/patient/record").text
    page = browser.get("/patient/record/erasure")
    assert "cannot be undone" in page.text
    refused = browser.post("/patient/record/erasure", data={"csrf_token": CSRF, "reason": "x"})
    assert refused.status_code == 422 and "Tick the box" in refused.text
    asked = browser.post(
        "/patient/record/erasure",
        data={"csrf_token": CSRF, "confirm": "yes", "reason": "Starting afresh elsewhere"},
        follow_redirects=True,
    )
    assert "Your request is with your care team" in asked.text

    staff = as_user(clinician, browser=True)
    home = staff.get("/clinician").text
    assert "Patients asking for their data to be erased" in home
    assert f'href="/clinician/patients/{seeded.patient.id}">{seeded.name}</a>' in home
    assert seeded.name not in as_user(other_clinician, browser=True).get("/clinician").text
    overview = staff.get(f"/clinician/patients/{seeded.patient.id}")
    assert "asks for their data to be erased" in overview.text
    assert "Starting afresh elsewhere" in overview.text
    request_id = session.scalar(
        select(ErasureRequest.id).where(ErasureRequest.patient_id == seeded.patient.id)
    )
    done = staff.post(
        f"/clinician/patients/{seeded.patient.id}/erasure/{request_id}",
        data={"csrf_token": CSRF, "decision": "confirm", "note": "Confirmed in clinic."},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/clinician?erased=1"
    assert staff.get(f"/clinician/patients/{seeded.patient.id}").status_code == 404
    home_after = staff.get("/clinician").text
    assert seeded.name not in home_after and "asking for their data to be erased" not in home_after
    assert rows_of(session, seeded.patient) == {}


def test_a_request_from_a_patient_with_no_care_team_reaches_the_front_desk_and_then_a_clinician(
    session: Session, as_user: Callable[..., TestClient], clinician: User, admin: User
) -> None:
    alone = create_patient(session, full_name="Nadia Nocare")
    session.commit()
    ask(as_user(alone.user), confirm=True, reason="private reason")
    desk = as_user(admin, browser=True)
    home = desk.get("/admin").text
    assert "Erasure requests with no care team to decide them (1)" in home
    assert "Nadia Nocare" in home and "private reason" not in home
    assert (
        f'action="/admin/patients/{alone.id}/care-team"' in home
        and 'aria-label="Clinician for Nadia Nocare"' in home
    )
    assigned = desk.post(
        f"/admin/patients/{alone.id}/care-team",
        data={"csrf_token": CSRF, "clinician_id": str(clinician.id)},
        follow_redirects=False,
    )
    assert assigned.status_code == 303
    assert "Erasure requests with no care team" not in desk.get("/admin").text
    assert "Nadia Nocare" in as_user(clinician, browser=True).get("/clinician").text
    reads = session.scalars(
        select(AuditEvent).where(
            AuditEvent.patient_id == alone.id,
            AuditEvent.actor_id == admin.id,
            AuditEvent.resource_type == erasure.RESOURCE,
        )
    ).all()
    assert reads, "the front desk's look at the request is audited"
