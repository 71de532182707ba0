"""Pages: the care team's notes on a patient, grouped by discipline, and the form to add one."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician
from painrewire.accounts.models import Role, User
from painrewire.errors import InvalidInput
from painrewire.notes import service as notes
from painrewire.notes.schemas import MAX_NOTE_LENGTH, NoteCreate
from painrewire.patients import panels
from painrewire.patients.models import Patient
from painrewire.web.deps import SessionDep
from painrewire.web.errors import readable_pydantic_errors
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, render

router = page_router()
PANEL_NOTES_PER_DISCIPLINE = 2


def _page(
    request: Request,
    session: Session,
    user: User,
    patient_id: uuid.UUID,
    *,
    form: dict[str, Any],
    errors: list[str],
    status_code: int = 200,
) -> Response:
    patient, found = notes.list_notes(session, user, patient_id)
    return render(
        request,
        "notes/notes.html",
        {
            "patient": patient,
            "groups": notes.by_discipline(found),
            "by_id": {n.id: n for n in found},
            "form": form,
            "errors": errors,
            "max_length": MAX_NOTE_LENGTH,
        },
        status_code=status_code,
    )


@router.get("/clinician/patients/{patient_id}/notes", response_class=HTMLResponse)
def notes_page(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    return _page(request, session, user, patient_id, form={}, errors=[])


@router.post("/clinician/patients/{patient_id}/notes", response_class=HTMLResponse)
def add_note(
    request: Request,
    patient_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    body: Annotated[str, Form(max_length=MAX_NOTE_LENGTH * 2)] = "",
    corrects_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    form = {"body": body, "corrects_id": corrects_id}
    try:
        data = NoteCreate.model_validate({"body": body, "corrects_id": corrects_id or None})
        notes.write_note(session, user, patient_id, data)
    except ValidationError as exc:
        return _page(
            request,
            session,
            user,
            patient_id,
            form=form,
            errors=readable_pydantic_errors(exc),
            status_code=422,
        )
    except InvalidInput as exc:
        return _page(request, session, user, patient_id, form=form, errors=[exc.message], status_code=422)
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
