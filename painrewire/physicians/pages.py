"""Pages: the patient's GP and referring doctor (the patient's own and a clinician's view), and the overview panel."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from painrewire.accounts.deps import CurrentClinician, CurrentPatientUser, refused_user
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.errors import InvalidInput
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.physicians import service as physicians
from painrewire.physicians.models import PhysicianRole
from painrewire.physicians.schemas import PhysicianSave
from painrewire.web.deps import SessionDep
from painrewire.web.forms import FormDep
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, render

router = page_router()
PATIENT_PATH = "/patient/physician"
FIELDS = ("name", "practice", "address", "phone", "email")


def _clinician_path(patient_id: uuid.UUID) -> str:
    return f"/clinician/patients/{patient_id}/physician"


def _context(
    session: Session,
    user: User,
    patient: Patient,
    *,
    path: str,
    typed: tuple[PhysicianRole, dict[str, Any]] | None = None,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    history = physicians.history_of(session, patient)
    current = physicians.current_of(session, patient)
    forms: dict[PhysicianRole, dict[str, Any]] = {}
    for role in PhysicianRole:
        saved = current.get(role)
        forms[role] = {name: getattr(saved, name) for name in (*FIELDS, "share_letters")} if saved else {}
    if typed is not None:
        forms[typed[0]] = typed[1]
    return {
        "patient": patient,
        "for_patient": user.role == Role.PATIENT,
        "path": path,
        "roles": list(PhysicianRole),
        "current": current,
        "forms": forms,
        "failed_role": typed[0] if typed else None,
        "history": history,
        "errors": errors or [],
    }


def _role(raw: object) -> PhysicianRole:
    try:
        return PhysicianRole(str(raw or ""))
    except ValueError as exc:
        raise InvalidInput("role: choose GP or referring doctor.", field="role") from exc


def _typed(raw: Mapping[str, Any]) -> dict[str, Any]:
    form: dict[str, Any] = {name: str(raw.get(name) or "") for name in FIELDS}
    form["share_letters"] = raw.get("share_letters") == "yes"
    return form


def _physician_again(refused: Refused) -> dict[str, Any]:
    user = refused_user(refused)
    if "patient_id" in refused.path:
        patient_id = uuid.UUID(refused.path["patient_id"])
        patient = access.patient_for(refused.session, user, patient_id, resource_type=physicians.RESOURCE)
        path = _clinician_path(patient_id)
    else:
        patient = access.own_patient(refused.session, user, resource_type=physicians.RESOURCE)
        path = PATIENT_PATH
    try:
        typed: tuple[PhysicianRole, dict[str, Any]] | None = (
            _role(refused.form.get("role")),
            _typed(refused.form),
        )
    except InvalidInput:
        typed = None
    return _context(refused.session, user, patient, path=path, typed=typed, errors=refused.errors)


PHYSICIAN_AGAIN = refusal_page("physicians/physician.html", _physician_again)


def _save(session: Session, user: User, patient: Patient, path: str, raw: FormData) -> Response:
    role = _role(raw.get("role"))
    physicians.save_physician_for(session, user, patient, role, PhysicianSave.model_validate(_typed(raw)))
    return redirect(f"{path}?saved={role.value}")


@router.get(PATIENT_PATH, response_class=HTMLResponse)
def patient_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type=physicians.RESOURCE)
    return render(request, "physicians/physician.html", _context(session, user, patient, path=PATIENT_PATH))


@router.post(PATIENT_PATH, response_class=HTMLResponse, dependencies=[PHYSICIAN_AGAIN])
def patient_saves(user: CurrentPatientUser, session: SessionDep, raw: FormDep) -> Response:
    patient = access.own_patient(session, user, action=AuditAction.UPDATE, resource_type=physicians.RESOURCE)
    return _save(session, user, patient, PATIENT_PATH, raw)


@router.get("/clinician/patients/{patient_id}/physician", response_class=HTMLResponse)
def clinician_page(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient, _ = physicians.get_physicians(session, user, patient_id)
    context = _context(session, user, patient, path=_clinician_path(patient_id))
    return render(request, "physicians/physician.html", context)


@router.post(
    "/clinician/patients/{patient_id}/physician", response_class=HTMLResponse, dependencies=[PHYSICIAN_AGAIN]
)
def clinician_saves(
    patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep, raw: FormDep
) -> Response:
    patient = access.patient_for(
        session, user, patient_id, action=AuditAction.UPDATE, resource_type=physicians.RESOURCE
    )
    return _save(session, user, patient, _clinician_path(patient_id), raw)


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
