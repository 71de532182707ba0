"""Pages: the patient's GP and referring doctor (the patient's own and a clinician's view), and the overview panel."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician, CurrentPatientUser
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.errors import InvalidInput
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.physicians import service as physicians
from painrewire.physicians.models import PhysicianRole
from painrewire.physicians.schemas import PhysicianSave
from painrewire.web.deps import SessionDep
from painrewire.web.errors import readable_pydantic_errors
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, render

router = page_router()
PATIENT_PATH = "/patient/physician"
FIELDS = ("name", "practice", "address", "phone", "email")


def _clinician_path(patient_id: uuid.UUID) -> str:
    return f"/clinician/patients/{patient_id}/physician"


def _page(
    request: Request,
    session: Session,
    user: User,
    patient: Patient,
    *,
    path: str,
    typed: tuple[PhysicianRole, dict[str, Any]] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    history = physicians.history_of(session, patient)
    current = physicians.current_of(session, patient)
    forms: dict[PhysicianRole, dict[str, Any]] = {}
    for role in PhysicianRole:
        saved = current.get(role)
        forms[role] = {name: getattr(saved, name) for name in (*FIELDS, "share_letters")} if saved else {}
    if typed is not None:
        forms[typed[0]] = typed[1]
    return render(
        request,
        "physicians/physician.html",
        {
            "patient": patient,
            "for_patient": user.role == Role.PATIENT,
            "path": path,
            "roles": list(PhysicianRole),
            "current": current,
            "forms": forms,
            "failed_role": typed[0] if typed else None,
            "history": history,
            "errors": errors or [],
        },
        status_code=status_code,
    )


async def _save(request: Request, session: Session, user: User, patient: Patient, path: str) -> Response:
    raw = await request.form()
    try:
        role = PhysicianRole(str(raw.get("role") or ""))
    except ValueError as exc:
        raise InvalidInput("role: choose GP or referring doctor.", field="role") from exc
    form: dict[str, Any] = {name: str(raw.get(name) or "") for name in FIELDS}
    form["share_letters"] = raw.get("share_letters") == "yes"
    try:
        physicians.save_physician_for(session, user, patient, role, PhysicianSave.model_validate(form))
    except ValidationError as exc:
        errors = readable_pydantic_errors(exc)
        return _page(
            request, session, user, patient, path=path, typed=(role, form), errors=errors, status_code=422
        )
    except InvalidInput as exc:
        return _page(
            request,
            session,
            user,
            patient,
            path=path,
            typed=(role, form),
            errors=[exc.message],
            status_code=422,
        )
    return redirect(f"{path}?saved={role.value}")


@router.get(PATIENT_PATH, response_class=HTMLResponse)
def patient_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type=physicians.RESOURCE)
    return _page(request, session, user, patient, path=PATIENT_PATH)


@router.post(PATIENT_PATH, response_class=HTMLResponse)
async def patient_saves(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, action=AuditAction.UPDATE, resource_type=physicians.RESOURCE)
    return await _save(request, session, user, patient, PATIENT_PATH)


@router.get("/clinician/patients/{patient_id}/physician", response_class=HTMLResponse)
def clinician_page(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient, _ = physicians.get_physicians(session, user, patient_id)
    return _page(request, session, user, patient, path=_clinician_path(patient_id))


@router.post("/clinician/patients/{patient_id}/physician", response_class=HTMLResponse)
async def clinician_saves(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient = access.patient_for(
        session, user, patient_id, action=AuditAction.UPDATE, resource_type=physicians.RESOURCE
    )
    return await _save(request, session, user, patient, _clinician_path(patient_id))


@panels.clinician_patient_panel
def _physician_panel(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    if user.role != Role.CLINICIAN:
        return None
    return panels.Panel(
        title="GP and referring doctor",
        template="physicians/_overview_panel.html",
        context={
            "patient": patient,
            "current": physicians.current_of(session, patient),
            "roles": list(PhysicianRole),
        },
        order=31,
    )
