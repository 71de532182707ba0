"""Pages: the patient's treatment history (add, edit, remove, each change kept), the same for a clinician, and
the panels on the patient's home and the clinician's overview."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician, CurrentPatientUser
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.consent import service as consent
from painrewire.errors import Conflict, InvalidInput
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.physicians import service as physicians
from painrewire.physicians.models import PhysicianRole
from painrewire.therapy_preferences import service as preferences
from painrewire.treatment_history import service as history
from painrewire.treatment_history.models import Category, Effect, MedicineClass, TreatmentEntry
from painrewire.treatment_history.schemas import TreatmentCreate, TreatmentUpdate
from painrewire.web.deps import SessionDep
from painrewire.web.errors import readable_pydantic_errors, status_for
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, render

router = page_router()
PATIENT_PATH = "/patient/treatment-history"
FORM_FIELDS = ("category", "name", *(f for f in history.FIELDS if f not in ("category", "name")))


def _clinician_path(patient_id: uuid.UUID) -> str:
    return f"/clinician/patients/{patient_id}/treatment-history"


def _vocabulary() -> dict[str, Any]:
    return {"categories": list(Category), "classes": list(MedicineClass), "effects": list(Effect)}


def _form_of(entry: TreatmentEntry) -> dict[str, str]:
    form: dict[str, str] = {}
    for name in FORM_FIELDS:
        value = getattr(entry, name)
        form[name] = "" if value is None else (value.value if hasattr(value, "value") else str(value))
    form["version"] = str(entry.version)
    return form


def _list_page(
    request: Request,
    session: Session,
    user: User,
    patient: Patient,
    *,
    path: str,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    entries = history.entries_of(session, patient)
    return render(
        request,
        "treatment_history/history.html",
        {
            "patient": patient,
            "for_patient": user.role == Role.PATIENT,
            "path": path,
            "groups": history.by_category(entries),
            "summary": history.summary_lines(history.history_summary(session, patient)),
            "form": form or {},
            "errors": errors or [],
            **_vocabulary(),
        },
        status_code=status_code,
    )


def _entry_page(
    request: Request,
    session: Session,
    user: User,
    patient: Patient,
    entry_id: uuid.UUID,
    *,
    path: str,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    entry = history.entry_of(session, patient, entry_id)
    revisions = history.revisions_of(session, patient, entry_id)
    return render(
        request,
        "treatment_history/entry.html",
        {
            "patient": patient,
            "for_patient": user.role == Role.PATIENT,
            "path": path,
            "entry": entry,
            "revisions": revisions,
            "form": form or _form_of(entry),
            "errors": errors or [],
            "labels": {
                "category": {c.value: c.label for c in Category},
                "medicine_class": {c.value: c.label for c in MedicineClass},
                "effect": {e.value: e.label for e in Effect},
            },
            **_vocabulary(),
        },
        status_code=status_code,
    )


async def _form(request: Request) -> dict[str, str]:
    raw = await request.form()
    return {name: str(raw.get(name) or "") for name in (*FORM_FIELDS, "version")}


def _payload(form: dict[str, str]) -> dict[str, Any]:
    """Empty boxes are "not given" (None); the rest goes to the schema as typed, to be checked there."""
    return {name: (value.strip() or None) for name, value in form.items()}


async def _add(request: Request, session: Session, user: User, patient: Patient, path: str) -> Response:
    form = await _form(request)
    try:
        payload = _payload(form)
        payload.pop("version", None)
        history.add_entry_for(session, user, patient, TreatmentCreate.model_validate(payload))
    except ValidationError as exc:
        return _list_page(
            request,
            session,
            user,
            patient,
            path=path,
            form=form,
            errors=readable_pydantic_errors(exc),
            status_code=422,
        )
    except InvalidInput as exc:
        return _list_page(
            request, session, user, patient, path=path, form=form, errors=[exc.message], status_code=422
        )
    return redirect(f"{path}?added=1")


async def _edit(
    request: Request, session: Session, user: User, patient: Patient, entry_id: uuid.UUID, path: str
) -> Response:
    form = await _form(request)
    try:
        history.update_entry_for(
            session, user, patient, entry_id, TreatmentUpdate.model_validate(_payload(form))
        )
    except ValidationError as exc:
        errors = readable_pydantic_errors(exc)
        return _entry_page(
            request, session, user, patient, entry_id, path=path, form=form, errors=errors, status_code=422
        )
    except (InvalidInput, Conflict) as exc:
        return _entry_page(
            request,
            session,
            user,
            patient,
            entry_id,
            path=path,
            form=form,
            errors=[exc.message],
            status_code=status_for(exc),
        )
    return redirect(f"{path}?saved=1")


# --- the patient --------------------------------------------------------------------------------------------


@router.get(PATIENT_PATH, response_class=HTMLResponse)
def patient_history(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type=history.RESOURCE)
    return _list_page(request, session, user, patient, path=PATIENT_PATH)


@router.post(PATIENT_PATH, response_class=HTMLResponse)
async def patient_adds(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, action=AuditAction.CREATE, resource_type=history.RESOURCE)
    return await _add(request, session, user, patient, PATIENT_PATH)


@router.get(PATIENT_PATH + "/{entry_id}", response_class=HTMLResponse)
def patient_entry(
    request: Request, entry_id: uuid.UUID, user: CurrentPatientUser, session: SessionDep
) -> Response:
    patient = access.own_patient(session, user, resource_type=history.RESOURCE)
    return _entry_page(request, session, user, patient, entry_id, path=PATIENT_PATH)


@router.post(PATIENT_PATH + "/{entry_id}", response_class=HTMLResponse)
async def patient_edits(
    request: Request, entry_id: uuid.UUID, user: CurrentPatientUser, session: SessionDep
) -> Response:
    patient = access.own_patient(session, user, action=AuditAction.UPDATE, resource_type=history.RESOURCE)
    return await _edit(request, session, user, patient, entry_id, PATIENT_PATH)


@router.post(PATIENT_PATH + "/{entry_id}/remove", response_class=HTMLResponse)
def patient_removes(
    request: Request, entry_id: uuid.UUID, user: CurrentPatientUser, session: SessionDep
) -> Response:
    patient = access.own_patient(session, user, action=AuditAction.DELETE, resource_type=history.RESOURCE)
    history.remove_entry_for(session, user, patient, entry_id)
    return redirect(f"{PATIENT_PATH}?removed=1")


# --- the clinician ----------------------------------------------------------------------------------------


@router.get("/clinician/patients/{patient_id}/treatment-history", response_class=HTMLResponse)
def clinician_history(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient = access.patient_for(session, user, patient_id, resource_type=history.RESOURCE)
    return _list_page(request, session, user, patient, path=_clinician_path(patient_id))


@router.post("/clinician/patients/{patient_id}/treatment-history", response_class=HTMLResponse)
async def clinician_adds(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient = access.patient_for(
        session, user, patient_id, action=AuditAction.CREATE, resource_type=history.RESOURCE
    )
    return await _add(request, session, user, patient, _clinician_path(patient_id))


@router.get("/clinician/patients/{patient_id}/treatment-history/{entry_id}", response_class=HTMLResponse)
def clinician_entry(
    request: Request, patient_id: uuid.UUID, entry_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient = access.patient_for(
        session, user, patient_id, resource_type=history.RESOURCE, resource_id=entry_id
    )
    return _entry_page(request, session, user, patient, entry_id, path=_clinician_path(patient_id))


@router.post("/clinician/patients/{patient_id}/treatment-history/{entry_id}", response_class=HTMLResponse)
async def clinician_edits(
    request: Request, patient_id: uuid.UUID, entry_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient = access.patient_for(
        session,
        user,
        patient_id,
        action=AuditAction.UPDATE,
        resource_type=history.RESOURCE,
        resource_id=entry_id,
    )
    return await _edit(request, session, user, patient, entry_id, _clinician_path(patient_id))


@router.post(
    "/clinician/patients/{patient_id}/treatment-history/{entry_id}/remove", response_class=HTMLResponse
)
def clinician_removes(
    request: Request, patient_id: uuid.UUID, entry_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient = access.patient_for(
        session,
        user,
        patient_id,
        action=AuditAction.DELETE,
        resource_type=history.RESOURCE,
        resource_id=entry_id,
    )
    history.remove_entry_for(session, user, patient, entry_id)
    return redirect(f"{_clinician_path(patient_id)}?removed=1")


# --- panels ---------------------------------------------------------------------------------------------


@panels.clinician_patient_panel
def _overview_panel(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    if user.role != Role.CLINICIAN:
        return None
    entries = history.entries_of(session, patient)
    return panels.Panel(
        title="Treatment history",
        template="treatment_history/_overview_panel.html",
        context={
            "patient": patient,
            "groups": history.by_category(entries),
            "summary": history.summary_lines(history.history_summary(session, patient)),
        },
        order=32,
    )


@panels.patient_home_panel
def _patient_panel(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    """Links to what the patient tells the clinic about themself: treatments tried, their doctors, what they
    want from treatment, their consents; each with where it stands now."""
    if user.role != Role.PATIENT:
        return None
    entries = history.entries_of(session, patient)
    current = consent.consent_summary(session, patient)
    return panels.Panel(
        title="About you",
        template="treatment_history/_patient_panel.html",
        context={
            "treatments": len(entries),
            "gp": physicians.current_of(session, patient).get(PhysicianRole.GP),
            "preferences_saved": preferences.latest_of(session, patient) is not None,
            "consents": sum(1 for agreed in current.values() if agreed),
        },
        order=45,
    )
