"""A patient's download of all their data: every table with their rows, found from the metadata, and never a
row of anyone else."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, User
from painrewire.diary import service as diary
from painrewire.diary.schemas import DiaryEntryWrite
from painrewire.interop import personal_data
from painrewire.schema import import_all_models
from tests.reports.seed import seed_patient


def test_every_table_with_a_patient_id_column_is_in_the_download(session: Session, clinician: User) -> None:
    seeded = seed_patient(session, clinician)
    document = personal_data.collect(session, seeded.patient)
    with_patient_id = {t.name for t in import_all_models().sorted_tables if "patient_id" in t.c}
    assert with_patient_id <= set(document["tables"])
    assert "diary_entry_revisions" in document["tables"]  # reached through diary_entries


def test_the_download_holds_the_patients_data_and_never_another_patients(
    session: Session, clinician: User, other_clinician: User
) -> None:
    mine = seed_patient(session, clinician, name="Mina Mine")
    theirs = seed_patient(session, other_clinician, name="Theo Theirs")
    today = mine.patient.local_today()
    values = DiaryEntryWrite(
        pain_now=2, average_pain=2, interference=1, mood=7, sleep_quality=7, note="edited"
    )
    diary.save_entry(session, mine.patient.user, mine.patient.id, today, values)
    diary.save_entry(session, theirs.patient.user, theirs.patient.id, today, values)
    document = personal_data.collect(session, mine.patient)
    text = json.dumps(document, ensure_ascii=False)
    for marker in (mine.diary_note, mine.clinical_note, mine.intake_text, mine.cancel_reason, mine.email):
        assert marker in text
    for marker in (
        theirs.name,
        theirs.email,
        theirs.diary_note,
        theirs.clinical_note,
        theirs.intake_text,
        theirs.cancel_reason,
        str(theirs.patient.id),
    ):
        assert marker not in text
    tables = document["tables"]
    assert len(tables["diary_entries"]) == 14
    assert {
        r["patient_id"] for name in ("diary_entries", "questionnaire_responses") for r in tables[name]
    } == {str(mine.patient.id)}
    [revision] = tables["diary_entry_revisions"]
    assert revision["values"]["note"] == mine.diary_note
    assert document["counts"]["questionnaire_responses"] == 4
    assert "password_hash" not in text


def test_patient_downloads_from_their_record_and_the_export_is_audited(
    as_user: Callable[..., TestClient], session: Session, clinician: User
) -> None:
    seeded = seed_patient(session, clinician)
    session.commit()
    browser = as_user(seeded.patient.user, browser=True)
    assert "/patient/my-data.json" in browser.get("/patient/record").text
    response = browser.get("/patient/my-data.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "attachment" in response.headers["content-disposition"]
    body = response.json()
    assert body["account"]["full_name"] == seeded.name
    assert body["patient"]["date_of_birth"] == "1980-02-29"
    exports = session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == AuditAction.EXPORT, AuditEvent.resource_type == "personal_data"
        )
    ).all()
    assert [e.patient_id for e in exports] == [seeded.patient.id]


def test_staff_cannot_use_the_patients_download(as_user: Callable[..., TestClient], clinician: User) -> None:
    assert as_user(clinician, browser=True).get("/patient/my-data.json").status_code == 403
