"""The patient's download and the right to erasure cover the consent, preference, treatment-history and
physician tables (both walk the tables by their patient_id; this checks they find these)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.consent import service as consent
from painrewire.consent.models import ConsentKind, ConsentRecord
from painrewire.interop import erasure, personal_data
from painrewire.patients.models import Patient
from painrewire.physicians import service as physicians
from painrewire.physicians.models import PatientPhysician, PhysicianRole
from painrewire.physicians.schemas import PhysicianSave
from painrewire.practice.models import Module
from painrewire.therapy_preferences import service as preferences
from painrewire.therapy_preferences.models import Choice, TherapyPreferences
from painrewire.therapy_preferences.schemas import PreferencesUpdate
from painrewire.treatment_history import service as history
from painrewire.treatment_history.models import TreatmentEntry, TreatmentEntryRevision
from painrewire.treatment_history.schemas import TreatmentCreate, TreatmentUpdate

TABLES = {
    "consent_records": ConsentRecord,
    "therapy_preferences": TherapyPreferences,
    "treatment_entries": TreatmentEntry,
    "treatment_entry_revisions": TreatmentEntryRevision,
    "patient_physicians": PatientPhysician,
}


def fill(session: Session, patient: Patient) -> None:
    user = patient.user
    text = consent.consent_texts()[ConsentKind.RESEARCH]
    consent.give_consent(session, user, patient.id, kind=ConsentKind.RESEARCH, text_version=text.version)
    preferences.save_preferences(
        session, user, patient.id, PreferencesUpdate(choices={Module.NEUROFEEDBACK: Choice.DECLINE})
    )
    entry = history.add_entry(
        session,
        user,
        patient.id,
        TreatmentCreate.model_validate(
            {"category": "physiotherapy", "name": "Back class QUILL-7", "started_year": 2020}
        ),
    )
    history.update_entry(
        session, user, patient.id, entry.id, TreatmentUpdate.model_validate({"effect": "none"})
    )
    physicians.save_physician(
        session, user, patient.id, PhysicianRole.GP, PhysicianSave(name="Dr Quillon", share_letters=False)
    )


def count(session: Session, model: type, patient: Patient) -> int:
    stmt = select(func.count()).select_from(model).where(model.patient_id == patient.id)  # type: ignore[attr-defined]
    return int(session.scalar(stmt) or 0)


def test_the_download_holds_every_new_table_with_only_the_patients_rows(
    session: Session, patient: Patient, other_patient: Patient
) -> None:
    fill(session, patient)
    fill(session, other_patient)
    data = personal_data.collect(session, patient)
    counts = {name: data["counts"].get(name) for name in TABLES}
    assert counts == {
        "consent_records": 1,
        "therapy_preferences": 1,
        "treatment_entries": 1,
        "treatment_entry_revisions": 2,
        "patient_physicians": 1,
    }
    assert {r["patient_id"] for name in TABLES for r in data["tables"][name]} == {str(patient.id)}
    assert data["tables"]["treatment_entry_revisions"][1]["snapshot"]["effect"] == "none"
    assert data["tables"]["consent_records"][0]["text"].startswith("The clinic studies")


def test_erasure_removes_every_new_row_of_the_patient_and_no_one_elses(
    session: Session, patient: Patient, other_patient: Patient
) -> None:
    fill(session, patient)
    fill(session, other_patient)
    removed = erasure.erase(session, patient)
    for name, model in TABLES.items():
        assert removed.get(name) == (2 if name == "treatment_entry_revisions" else 1), name
        assert count(session, model, patient) == 0
        assert count(session, model, other_patient) > 0
    assert not consent.has_consent(session, patient.id, ConsentKind.RESEARCH)
