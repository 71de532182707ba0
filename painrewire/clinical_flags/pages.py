"""Pages: a clinician records their judgement for the plan rules (what they saw, why), clears it, and sees the
history; the patient overview shows the judgements that stand."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician
from painrewire.accounts.models import Role, User
from painrewire.clinical_flags import service as flags
from painrewire.clinical_flags.models import FlagKind
from painrewire.clinical_flags.schemas import MAX_NOTE, MIN_NOTE, FlagClear, FlagCreate
from painrewire.errors import DomainError
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.web.deps import SessionDep
from painrewire.web.errors import readable_pydantic_errors, status_for
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, render

router = page_router()


def _path(patient_id: uuid.UUID) -> str:
    return f"/clinician/patients/{patient_id}/clinical-flags"


def _page(
    request: Request,
    session: Session,
    patient: Patient,
    *,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    history = flags.history_for(session, patient)
    standing = {f.kind: f for f in history if f.standing}
    return render(
        request,
        "clinical_flags/flags.html",
        {
            "patient": patient,
            "path": _path(patient.id),
            "kinds": list(FlagKind),
            "standing": standing,
            "history": history,
            "form": form or {"kind": "", "note": ""},
            "min_note": MIN_NOTE,
            "max_note": MAX_NOTE,
            "errors": errors or [],
        },
        status_code=status_code,
    )


@router.get("/clinician/patients/{patient_id}/clinical-flags", response_class=HTMLResponse)
def flags_page(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient, _ = flags.list_flags(session, user, patient_id)
    return _page(request, session, patient)


@router.post("/clinician/patients/{patient_id}/clinical-flags", response_class=HTMLResponse)
async def record(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    raw = await request.form()
    form = {"kind": str(raw.get("kind") or ""), "note": str(raw.get("note") or "")}
    try:
        data = FlagCreate.model_validate(form)
        flags.record_flag(session, user, patient_id, data)
    except ValidationError as exc:
        patient = access.patient_for(session, user, patient_id, resource_type=flags.RESOURCE)
        return _page(
            request, session, patient, form=form, errors=readable_pydantic_errors(exc), status_code=422
        )
    except DomainError as exc:
        patient = access.patient_for(session, user, patient_id, resource_type=flags.RESOURCE)
        return _page(request, session, patient, form=form, errors=[exc.message], status_code=status_for(exc))
    return redirect(f"{_path(patient_id)}?recorded={form['kind']}")


@router.post("/clinician/patients/{patient_id}/clinical-flags/{flag_id}/clear", response_class=HTMLResponse)
async def clear(
    request: Request, patient_id: uuid.UUID, flag_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    raw = await request.form()
    try:
        data = FlagClear.model_validate({"note": str(raw.get("note") or "")})
        flags.clear_flag(session, user, patient_id, flag_id, data)
    except ValidationError as exc:
        patient = access.patient_for(session, user, patient_id, resource_type=flags.RESOURCE)
        return _page(request, session, patient, errors=readable_pydantic_errors(exc), status_code=422)
    except DomainError as exc:
        patient = access.patient_for(session, user, patient_id, resource_type=flags.RESOURCE)
        return _page(request, session, patient, errors=[exc.message], status_code=status_for(exc))
    return redirect(f"{_path(patient_id)}?cleared=1")


@panels.clinician_patient_panel
def _flags_panel(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    if user.role != Role.CLINICIAN:
        return None
    return panels.Panel(
        title="Clinical judgement for the plan",
        template="clinical_flags/_overview_panel.html",
        context={"patient": patient, "standing": flags.standing_for(session, patient)},
        order=34,
    )
