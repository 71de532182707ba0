"""Pages: the patient says which therapies they want, are unsure about or decline, and what matters to them;
a clinician records the same with them; the clinician's overview shows it."""

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
from painrewire.consent.models import ConsentKind
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.practice.models import Module
from painrewire.therapy_preferences import service as preferences
from painrewire.therapy_preferences.models import Choice, Goal
from painrewire.therapy_preferences.schemas import MAX_OTHER_GOAL, PreferencesUpdate
from painrewire.web.deps import SessionDep
from painrewire.web.forms import FormDep
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, render

router = page_router()
PATIENT_PATH = "/patient/therapy-preferences"


def _clinician_path(patient_id: uuid.UUID) -> str:
    return f"/clinician/patients/{patient_id}/therapy-preferences"


def _context(
    session: Session,
    user: User,
    patient: Patient,
    *,
    path: str,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    history = preferences.history_of(session, patient)
    latest = history[0] if history else None
    shown = form or {
        "choices": dict(latest.choices) if latest else {},
        "goals": list(latest.goals) if latest else [],
        "other_goal": latest.other_goal if latest else "",
    }
    return {
        "patient": patient,
        "for_patient": user.role == Role.PATIENT,
        "path": path,
        "consent_path": "/patient/consent"
        if user.role == Role.PATIENT
        else f"/clinician/patients/{patient.id}/consent",
        "modules": [(m, preferences.DESCRIPTIONS[m]) for m in Module],
        "choices": list(Choice),
        "goals": list(Goal),
        "form": shown,
        "latest": latest,
        "versions": preferences.versions(history),
        "neurofeedback_consent": consent.has_consent(session, patient.id, ConsentKind.NEUROFEEDBACK),
        "max_other_goal": MAX_OTHER_GOAL,
        "errors": errors or [],
    }


def _parse(raw: Mapping[str, Any], goals: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form as typed (to show again) and as the update to validate."""
    choices = {m.value: str(raw.get(f"choice_{m.value}") or "") for m in Module}
    other = str(raw.get("other_goal") or "")
    form = {"choices": {k: v for k, v in choices.items() if v}, "goals": goals, "other_goal": other}
    update = {"choices": form["choices"], "goals": goals, "other_goal": other}
    return form, update


def _preferences_again(refused: Refused) -> dict[str, Any]:
    user = refused_user(refused)
    if "patient_id" in refused.path:
        patient_id = uuid.UUID(refused.path["patient_id"])
        patient = access.patient_for(refused.session, user, patient_id, resource_type=preferences.RESOURCE)
        path = _clinician_path(patient_id)
    else:
        patient = access.own_patient(refused.session, user, resource_type=preferences.RESOURCE)
        path = PATIENT_PATH
    form, _ = _parse(refused.form, refused.lists.get("goals", []))
    return _context(refused.session, user, patient, path=path, form=form, errors=refused.errors)


PREFERENCES_AGAIN = refusal_page("therapy_preferences/preferences.html", _preferences_again)


def _save(session: Session, user: User, patient: Patient, path: str, raw: FormData) -> Response:
    _, update = _parse(raw, [str(g) for g in raw.getlist("goals")])
    data = PreferencesUpdate.model_validate(update)
    preferences.save_preferences_for(session, user, patient, data)
    return redirect(f"{path}?saved=1")


@router.get(PATIENT_PATH, response_class=HTMLResponse)
def patient_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type=preferences.RESOURCE)
    context = _context(session, user, patient, path=PATIENT_PATH)
    return render(request, "therapy_preferences/preferences.html", context)


@router.post(PATIENT_PATH, response_class=HTMLResponse, dependencies=[PREFERENCES_AGAIN])
def patient_saves(user: CurrentPatientUser, session: SessionDep, raw: FormDep) -> Response:
    patient = access.own_patient(session, user, action=AuditAction.UPDATE, resource_type=preferences.RESOURCE)
    return _save(session, user, patient, PATIENT_PATH, raw)


@router.get("/clinician/patients/{patient_id}/therapy-preferences", response_class=HTMLResponse)
def clinician_page(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient, _ = preferences.get_preferences(session, user, patient_id)
    context = _context(session, user, patient, path=_clinician_path(patient_id))
    return render(request, "therapy_preferences/preferences.html", context)


@router.post(
    "/clinician/patients/{patient_id}/therapy-preferences",
    response_class=HTMLResponse,
    dependencies=[PREFERENCES_AGAIN],
)
def clinician_saves(
    patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep, raw: FormDep
) -> Response:
    patient = access.patient_for(
        session, user, patient_id, action=AuditAction.UPDATE, resource_type=preferences.RESOURCE
    )
    return _save(session, user, patient, _clinician_path(patient_id), raw)


@panels.clinician_patient_panel
def _preferences_panel(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    if user.role != Role.CLINICIAN:
        return None
    latest = preferences.latest_of(session, patient)
    return panels.Panel(
        title="Therapy preferences and goals",
        template="therapy_preferences/_overview_panel.html",
        context={
            "patient": patient,
            "latest": latest,
            "modules": list(Module),
            "choice": {
                m: Choice(latest.choices[m.value]) for m in Module if latest and m.value in latest.choices
            },
            "goals": [Goal(g) for g in latest.goals] if latest else [],
        },
        order=33,
    )
