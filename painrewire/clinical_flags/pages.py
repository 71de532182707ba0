"""Pages: a clinician records their judgement for the plan rules (what they saw, why), clears it, and sees the
history; the patient overview shows the judgements that stand."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician, refused_user
from painrewire.accounts.models import Role, User
from painrewire.clinical_flags import service as flags
from painrewire.clinical_flags.models import FlagKind
from painrewire.clinical_flags.schemas import MAX_NOTE, MIN_NOTE, FlagClear, FlagCreate
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.web.deps import SessionDep
from painrewire.web.forms import FormDep
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, render

router = page_router()


def _path(patient_id: uuid.UUID) -> str:
    return f"/clinician/patients/{patient_id}/clinical-flags"


def _context(
    session: Session,
    patient: Patient,
    *,
    form: Mapping[str, Any] | None = None,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    history = flags.history_for(session, patient)
    standing = {f.kind: f for f in history if f.standing}
    return {
        "patient": patient,
        "path": _path(patient.id),
        "kinds": list(FlagKind),
        "standing": standing,
        "history": history,
        "form": form or {"kind": "", "note": ""},
        "min_note": MIN_NOTE,
        "max_note": MAX_NOTE,
        "errors": errors or [],
    }


@router.get("/clinician/patients/{patient_id}/clinical-flags", response_class=HTMLResponse)
def flags_page(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient, _ = flags.list_flags(session, user, patient_id)
    return render(request, "clinical_flags/flags.html", _context(session, patient))


def _flags_again(refused: Refused) -> dict[str, Any]:
    patient = access.patient_for(
        refused.session,
        refused_user(refused),
        uuid.UUID(refused.path["patient_id"]),
        resource_type=flags.RESOURCE,
    )
    form = None
    if "kind" in refused.form:  # the record form; the clear form starts the record form afresh
        form = {"kind": refused.form.get("kind", ""), "note": refused.form.get("note", "")}
    return _context(refused.session, patient, form=form, errors=refused.errors)


FLAGS_AGAIN = refusal_page("clinical_flags/flags.html", _flags_again)


@router.post(
    "/clinician/patients/{patient_id}/clinical-flags", response_class=HTMLResponse, dependencies=[FLAGS_AGAIN]
)
def record(patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep, raw: FormDep) -> Response:
    form = {"kind": str(raw.get("kind") or ""), "note": str(raw.get("note") or "")}
    data = FlagCreate.model_validate(form)
    flags.record_flag(session, user, patient_id, data)
    return redirect(f"{_path(patient_id)}?recorded={form['kind']}")


@router.post(
    "/clinician/patients/{patient_id}/clinical-flags/{flag_id}/clear",
    response_class=HTMLResponse,
    dependencies=[FLAGS_AGAIN],
)
def clear(
    patient_id: uuid.UUID, flag_id: uuid.UUID, user: CurrentClinician, session: SessionDep, raw: FormDep
) -> Response:
    data = FlagClear.model_validate({"note": str(raw.get("note") or "")})
    flags.clear_flag(session, user, patient_id, flag_id, data)
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
