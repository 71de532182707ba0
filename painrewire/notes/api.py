"""JSON routes for clinical notes."""

from __future__ import annotations

import uuid

from painrewire.accounts.deps import CurrentUser
from painrewire.accounts.models import Discipline
from painrewire.notes import service as notes
from painrewire.notes.models import ClinicalNote
from painrewire.notes.schemas import NoteCreate, NoteRead
from painrewire.web.deps import SessionDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["notes"])
ERRORS = error_responses(401, 403, 404, 422)


def _read(note: ClinicalNote) -> NoteRead:
    return NoteRead.model_validate(note).model_copy(
        update={"author_name": note.author.full_name if note.author else None}
    )


@router.get(
    "/patients/{patient_id}/notes",
    response_model=list[NoteRead],
    summary="The care team's notes on a patient, newest first, optionally of one discipline",
    responses=ERRORS,
)
def list_notes(
    patient_id: uuid.UUID, user: CurrentUser, session: SessionDep, discipline: Discipline | None = None
) -> list[NoteRead]:
    _, found = notes.list_notes(session, user, patient_id, discipline=discipline)
    return [_read(n) for n in found]


@router.post(
    "/patients/{patient_id}/notes",
    response_model=NoteRead,
    status_code=201,
    summary="Write a note under your discipline (notes are never changed; a correction is a new note)",
    responses=ERRORS,
)
def write_note(patient_id: uuid.UUID, data: NoteCreate, user: CurrentUser, session: SessionDep) -> NoteRead:
    note = notes.write_note(session, user, patient_id, data)
    return NoteRead.model_validate(note).model_copy(update={"author_name": user.full_name})
