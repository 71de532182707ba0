"""Pages: the care team's notes on a patient, grouped by discipline, and the form to add one."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician, refused_user
from painrewire.accounts.models import Role, User
from painrewire.notes import service as notes
from painrewire.notes.schemas import MAX_NOTE_LENGTH, NoteCreate
from painrewire.patients import panels
from painrewire.patients.models import Patient
from painrewire.web.deps import SessionDep
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, render

router = page_router()
PANEL_NOTES_PER_DISCIPLINE = 2


def _context(
    session: Session, user: User, patient_id: uuid.UUID, *, form: Mapping[str, Any], errors: list[str]
) -> dict[str, Any]:
    patient, found = notes.list_notes(session, user, patient_id)
    return {
        "patient": patient,
        "groups": notes.by_discipline(found),
        "by_id": {n.id: n for n in found},
        "form": form,
        "errors": errors,
        "max_length": MAX_NOTE_LENGTH,
    }


@router.get("/clinician/patients/{patient_id}/notes", response_class=HTMLResponse)
def notes_page(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    return render(request, "notes/notes.html", _context(session, user, patient_id, form={}, errors=[]))


def _notes_again(refused: Refused) -> dict[str, Any]:
    form = {"body": refused.form.get("body", ""), "corrects_id": refused.form.get("corrects_id", "")}
    return _context(
        refused.session,
        refused_user(refused),
        uuid.UUID(refused.path["patient_id"]),
        form=form,
        errors=refused.errors,
    )


@router.post(
    "/clinician/patients/{patient_id}/notes",
    response_class=HTMLResponse,
    dependencies=[refusal_page("notes/notes.html", _notes_again)],
)
def add_note(
    patient_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    body: Annotated[str, Form(max_length=MAX_NOTE_LENGTH * 2)] = "",
    corrects_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    data = NoteCreate.model_validate({"body": body, "corrects_id": corrects_id or None})
    notes.write_note(session, user, patient_id, data)
    return redirect(f"/clinician/patients/{patient_id}/notes?saved=1")


@panels.clinician_patient_panel
def _notes_panel(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    if user.role != Role.CLINICIAN:
        return None
    groups = [
        (discipline, items[:PANEL_NOTES_PER_DISCIPLINE], len(items))
        for discipline, items in notes.by_discipline(notes.notes_of(session, patient))
    ]
    return panels.Panel(
        title="Notes by discipline",
        template="notes/_overview_panel.html",
        context={"patient": patient, "groups": groups, "max_length": MAX_NOTE_LENGTH},
        order=60,
    )
