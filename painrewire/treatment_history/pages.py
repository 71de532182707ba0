"""Pages: the patient's treatment history (add, edit, remove, each change kept), the same for a clinician, and
the panels on the patient's home and the clinician's overview."""

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
from painrewire.consent import service as consent
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.physicians import service as physicians
from painrewire.physicians.models import PhysicianRole
from painrewire.therapy_preferences import service as preferences
from painrewire.treatment_history import service as history
from painrewire.treatment_history.models import Category, Effect, MedicineClass, TreatmentEntry
from painrewire.treatment_history.schemas import TreatmentCreate, TreatmentUpdate
from painrewire.web.deps import SessionDep
from painrewire.web.forms import FormDep
from painrewire.web.refusals import Refused, refusal_page
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


def _list_context(
    session: Session,
    user: User,
    patient: Patient,
    *,
    path: str,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    entries = history.entries_of(session, patient)
    return {
        "patient": patient,
        "for_patient": user.role == Role.PATIENT,
        "path": path,
        "groups": history.by_category(entries),
        "summary": history.summary_lines(history.history_summary(session, patient)),
        "form": form or {},
        "errors": errors or [],
        **_vocabulary(),
    }


def _entry_context(
    session: Session,
    user: User,
    patient: Patient,
    entry_id: uuid.UUID,
    *,
    path: str,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    entry = history.entry_of(session, patient, entry_id)
    revisions = history.revisions_of(session, patient, entry_id)
    return {
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
    }


def _form(raw: Mapping[str, Any]) -> dict[str, str]:
    return {name: str(raw.get(name) or "") for name in (*FORM_FIELDS, "version")}


def _payload(form: dict[str, str]) -> dict[str, Any]:
    """Empty boxes are "not given" (None); the rest goes to the schema as typed, to be checked there."""
    return {name: (value.strip() or None) for name, value in form.items()}


def _refused_patient(refused: Refused) -> tuple[User, Patient, str]:
    """Who posted, the patient (read again, audited), and the page's path."""
    user = refused_user(refused)
    if "patient_id" in refused.path:
        patient_id = uuid.UUID(refused.path["patient_id"])
        entry_id = refused.path.get("entry_id")
        patient = access.patient_for(
            refused.session, user, patient_id, resource_type=history.RESOURCE, resource_id=entry_id
        )
        return user, patient, _clinician_path(patient_id)
    return user, access.own_patient(refused.session, user, resource_type=history.RESOURCE), PATIENT_PATH


def _list_again(refused: Refused) -> dict[str, Any]:
    user, patient, path = _refused_patient(refused)
    return _list_context(
        refused.session, user, patient, path=path, form=_form(refused.form), errors=refused.errors
    )


def _entry_again(refused: Refused) -> dict[str, Any]:
    user, patient, path = _refused_patient(refused)
    entry_id = uuid.UUID(refused.path["entry_id"])
    form = _form(refused.form)
    return _entry_context(
        refused.session, user, patient, entry_id, path=path, form=form, errors=refused.errors
    )


LIST_AGAIN = refusal_page("treatment_history/history.html", _list_again)
ENTRY_AGAIN = refusal_page("treatment_history/entry.html", _entry_again)


def _add(session: Session, user: User, patient: Patient, path: str, raw: FormData) -> Response:
    payload = _payload(_form(raw))
    payload.pop("version", None)
    history.add_entry_for(session, user, patient, TreatmentCreate.model_validate(payload))
    return redirect(f"{path}?added=1")


def _edit(
    session: Session, user: User, patient: Patient, entry_id: uuid.UUID, path: str, raw: FormData
) -> Response:
    data = TreatmentUpdate.model_validate(_payload(_form(raw)))
    history.update_entry_for(session, user, patient, entry_id, data)
    return redirect(f"{path}?saved=1")


# --- the patient --------------------------------------------------------------------------------------------


@router.get(PATIENT_PATH, response_class=HTMLResponse)
def patient_history(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type=history.RESOURCE)
    return render(
        request, "treatment_history/history.html", _list_context(session, user, patient, path=PATIENT_PATH)
    )


@router.post(PATIENT_PATH, response_class=HTMLResponse, dependencies=[LIST_AGAIN])
def patient_adds(user: CurrentPatientUser, session: SessionDep, raw: FormDep) -> Response:
    patient = access.own_patient(session, user, action=AuditAction.CREATE, resource_type=history.RESOURCE)
    return _add(session, user, patient, PATIENT_PATH, raw)


@router.get(PATIENT_PATH + "/{entry_id}", response_class=HTMLResponse)
def patient_entry(
    request: Request, entry_id: uuid.UUID, user: CurrentPatientUser, session: SessionDep
) -> Response:
    patient = access.own_patient(session, user, resource_type=history.RESOURCE)
    context = _entry_context(session, user, patient, entry_id, path=PATIENT_PATH)
    return render(request, "treatment_history/entry.html", context)


@router.post(PATIENT_PATH + "/{entry_id}", response_class=HTMLResponse, dependencies=[ENTRY_AGAIN])
def patient_edits(
    entry_id: uuid.UUID, user: CurrentPatientUser, session: SessionDep, raw: FormDep
) -> Response:
    patient = access.own_patient(session, user, action=AuditAction.UPDATE, resource_type=history.RESOURCE)
    return _edit(session, user, patient, entry_id, PATIENT_PATH, raw)


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
    context = _list_context(session, user, patient, path=_clinician_path(patient_id))
    return render(request, "treatment_history/history.html", context)


@router.post(
    "/clinician/patients/{patient_id}/treatment-history",
    response_class=HTMLResponse,
    dependencies=[LIST_AGAIN],
)
def clinician_adds(
    patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep, raw: FormDep
) -> Response:
    patient = access.patient_for(
        session, user, patient_id, action=AuditAction.CREATE, resource_type=history.RESOURCE
    )
    return _add(session, user, patient, _clinician_path(patient_id), raw)


@router.get("/clinician/patients/{patient_id}/treatment-history/{entry_id}", response_class=HTMLResponse)
def clinician_entry(
    request: Request, patient_id: uuid.UUID, entry_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient = access.patient_for(
        session, user, patient_id, resource_type=history.RESOURCE, resource_id=entry_id
    )
    context = _entry_context(session, user, patient, entry_id, path=_clinician_path(patient_id))
    return render(request, "treatment_history/entry.html", context)


@router.post(
    "/clinician/patients/{patient_id}/treatment-history/{entry_id}",
    response_class=HTMLResponse,
    dependencies=[ENTRY_AGAIN],
)
def clinician_edits(
    patient_id: uuid.UUID, entry_id: uuid.UUID, user: CurrentClinician, session: SessionDep, raw: FormDep
) -> Response:
    patient = access.patient_for(
        session,
        user,
        patient_id,
        action=AuditAction.UPDATE,
        resource_type=history.RESOURCE,
        resource_id=entry_id,
    )
    return _edit(session, user, patient, entry_id, _clinician_path(patient_id), raw)


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
