"""``has_consent``: the one question other modules ask before acting on a consent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.consent.models import ConsentKind, ConsentMethod, ConsentRecord
from painrewire.consent.service import consented_patient_ids, has_consent
from painrewire.db import utcnow
from painrewire.patients.models import Patient


def _given(session: Session, patient: Patient, kind: ConsentKind) -> ConsentRecord:
    record = ConsentRecord(
        patient_id=patient.id, kind=kind, text_version="t-1", text="I agree.", method=ConsentMethod.ONLINE
    )
    session.add(record)
    session.flush()
    return record


class TestHasConsent:
    def test_no_record_means_no_consent(self, session: Session, patient: Patient) -> None:
        assert not has_consent(session, patient.id, ConsentKind.TREATMENT)

    def test_a_current_consent_counts_only_for_its_own_kind_and_patient(
        self, session: Session, patient: Patient, other_patient: Patient
    ) -> None:
        _given(session, patient, ConsentKind.NEUROFEEDBACK)
        assert has_consent(session, patient.id, ConsentKind.NEUROFEEDBACK)
        assert not has_consent(session, patient.id, ConsentKind.BLINDED_NEUROFEEDBACK)
        assert not has_consent(session, other_patient.id, ConsentKind.NEUROFEEDBACK)

    def test_a_withdrawn_consent_no_longer_counts(self, session: Session, patient: Patient) -> None:
        record = _given(session, patient, ConsentKind.BLINDED_NEUROFEEDBACK)
        record.withdrawn_at = utcnow()
        session.flush()
        assert not has_consent(session, patient.id, ConsentKind.BLINDED_NEUROFEEDBACK)

    def test_consented_patient_ids_lists_current_consents_only(
        self, session: Session, patient: Patient, other_patient: Patient
    ) -> None:
        _given(session, patient, ConsentKind.RESEARCH)
        _given(session, other_patient, ConsentKind.RESEARCH).withdrawn_at = utcnow()
        session.flush()
        ids = set(
            session.scalars(
                select(Patient.id).where(Patient.id.in_(consented_patient_ids(ConsentKind.RESEARCH)))
            )
        )
        assert ids == {patient.id}
