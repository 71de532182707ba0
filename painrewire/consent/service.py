"""Consent: record it, withdraw it, and ask whether a patient currently consents.

A withdrawal takes effect at once (the next ``has_consent`` in any request says no) and is audited.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from painrewire.consent.models import ConsentKind, ConsentRecord


def has_consent(session: Session, patient_id: uuid.UUID, kind: ConsentKind) -> bool:
    """Whether the patient has a current (not withdrawn) consent of this kind.

    Not audited on its own: callers use it inside a use case whose access was already checked and audited.
    """
    found = session.scalar(
        select(ConsentRecord.id)
        .where(
            ConsentRecord.patient_id == patient_id,
            ConsentRecord.kind == kind,
            ConsentRecord.withdrawn_at.is_(None),
        )
        .limit(1)
    )
    return found is not None


def consented_patient_ids(kind: ConsentKind) -> Select[uuid.UUID]:
    """The ids of patients with a current consent of this kind, as a sub-select to filter any query."""
    return select(ConsentRecord.patient_id).where(
        ConsentRecord.kind == kind, ConsentRecord.withdrawn_at.is_(None)
    )
