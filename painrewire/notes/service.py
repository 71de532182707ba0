"""Clinical notes: the care team writes them, each tagged with the writer's discipline; only the team reads them.

Notes are append-only. A correction is a new note naming the note it corrects; both stay in the record.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from painrewire.accounts.models import AuditAction, Discipline, Role, User
from painrewire.errors import Forbidden, InvalidInput
from painrewire.notes.models import ClinicalNote
from painrewire.notes.schemas import NoteCreate
from painrewire.patients import access
from painrewire.patients.models import Patient

CARE_TEAM_ONLY = "Clinical notes are written and read by the patient's care team."


def _require_clinician(actor: User) -> None:
    access.require_role(actor, Role.CLINICIAN, message=CARE_TEAM_ONLY)


def write_note(session: Session, actor: User, patient_id: uuid.UUID, data: NoteCreate) -> ClinicalNote:
    """Add a note to the patient's record under the author's discipline."""
    _require_clinician(actor)
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type="clinical_note"
    )
    if actor.discipline is None:
        raise Forbidden("Your account has no discipline yet; ask the clinic's admin to set it.")
    body = data.body.strip()
    if not body:
        raise InvalidInput("Write the note before saving it.", field="body")
    if data.corrects_id is not None:
        corrected = session.scalar(
            select(ClinicalNote.id).where(
                ClinicalNote.id == data.corrects_id, ClinicalNote.patient_id == patient.id
            )
        )
        if corrected is None:
            raise InvalidInput("The note to correct is not in this patient's record.", field="corrects_id")
    note = ClinicalNote(
        patient_id=patient.id,
        author_id=actor.id,
        discipline=actor.discipline,
        body=body,
        corrects_id=data.corrects_id,
    )
    session.add(note)
    session.flush()
    return note


def list_notes(
    session: Session, actor: User, patient_id: uuid.UUID, *, discipline: Discipline | None = None
) -> tuple[Patient, list[ClinicalNote]]:
    """The patient's notes, newest first, for a clinician on the care team (the read is audited)."""
    _require_clinician(actor)
    patient = access.patient_for(session, actor, patient_id, resource_type="clinical_note")
    return patient, notes_of(session, patient, discipline=discipline)


def notes_of(
    session: Session, patient: Patient, *, discipline: Discipline | None = None, limit: int | None = None
) -> list[ClinicalNote]:
    """The same, for a patient whose access was already checked and audited."""
    stmt = (
        select(ClinicalNote)
        .where(ClinicalNote.patient_id == patient.id)
        .options(joinedload(ClinicalNote.author))
        .order_by(ClinicalNote.created_at.desc(), ClinicalNote.id)
    )
    if discipline is not None:
        stmt = stmt.where(ClinicalNote.discipline == discipline)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(session.scalars(stmt))


def by_discipline(notes: Sequence[ClinicalNote]) -> list[tuple[Discipline, list[ClinicalNote]]]:
    """Notes grouped under each discipline, in the clinic's order of disciplines; empty groups left out."""
    groups: dict[Discipline, list[ClinicalNote]] = {d: [] for d in Discipline}
    for note in notes:
        groups[note.discipline].append(note)
    return [(d, items) for d, items in groups.items() if items]
