"""Pages: the patient's week from their signed plan; the clinician's plan review, edit, sign-off and history."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from painrewire.accounts.deps import CurrentClinician, CurrentPatientUser
from painrewire.accounts.models import Role, User
from painrewire.db import utcnow
from painrewire.diary.outcomes import TimePoint, follow_up_due
from painrewire.errors import Conflict, InvalidInput
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.plans import course as courses
from painrewire.plans import labels
from painrewire.plans import service as plans
from painrewire.plans.models import EndReason
from painrewire.plans.rules import (
    DISCIPLINES,
    INSTRUMENTS,
    INTENSITIES,
    MODULE_FOCUS,
    MODULES,
    SCHEDULES,
    schedule_words,
)
from painrewire.plans.schemas import PlanEdit, TreatmentEnd
from painrewire.programs.prt import service as prt
from painrewire.web.deps import SessionDep
from painrewire.web.errors import readable_pydantic_errors, status_for
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, register_nav, render, templates

router = page_router()
register_nav(Role.PATIENT, "/patient/today", "This week")

templates.env.globals["plan_labels"] = labels


# --- the patient's week ------------------------------------------------------------------------------------


@router.get("/patient/today", response_class=HTMLResponse)
def today_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type="plan_tasks")
    week = plans.this_week_for(session, patient)
    return render(
        request,
        "plans/today.html",
        {"week": week, "course": prt.course_view(session, patient)},
    )


@panels.patient_home_panel
def _week_panel(session: Session, user: User, patient: Patient) -> panels.Panel:
    return panels.Panel(
        title="This week",
        template="plans/_week_panel.html",
        context={"week": plans.this_week_for(session, patient)},
        order=1,
    )


# --- the clinician's review ---------------------------------------------------------------------------------


def _form_from(view: plans.VersionView | None) -> dict[str, Any]:
    """The edit form filled from a version."""
    if view is None:
        return {
            "modules": {},
            "disciplines": [],
            "questionnaires": {},
            "intensity": "standard",
            "starts_on": "",
        }
    p = view.proposal
    return {
        "modules": {
            m.id: {"sessions": m.sessions_per_week, "weeks": m.weeks, "focus": list(m.focus)}
            for m in p.modules
        },
        "disciplines": list(p.disciplines),
        "questionnaires": {q.instrument: list(schedule_words(q.weeks, p.end_week)) for q in p.questionnaires},
        "intensity": p.intensity,
        "starts_on": view.version.starts_on.isoformat(),
        "reason": "",
    }


def _plan_context(
    session: Session,
    patient: Patient,
    *,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    message: str | None = None,
    end_form: dict[str, Any] | None = None,
    end_errors: list[str] | None = None,
) -> dict[str, Any]:
    state = plans.plan_state_for(session, patient)
    course = courses.course_for(session, patient)
    end = course.end if course.start is not None else None
    return {
        "course": course,
        "follow_up_dues": [(t, follow_up_due(end, t)) for t in TimePoint] if end else [],
        "end_reasons": list(EndReason),
        "end_form": end_form,
        "end_errors": end_errors or [],
        "today": patient.local_today(utcnow()),
        "patient": patient,
        "state": state,
        "sources": plans.rule_sources(),
        "rules_version": plans.clinic_rules().version,
        "form": form if form is not None else _form_from(state.latest),
        "errors": errors or [],
        "message": message,
        "choices": {
            "modules": MODULES,
            "focus": MODULE_FOCUS,
            "disciplines": DISCIPLINES,
            "instruments": INSTRUMENTS,
            "schedules": SCHEDULES,
            "intensities": INTENSITIES,
        },
    }


@router.get("/clinician/patients/{patient_id}/plan", response_class=HTMLResponse)
def plan_page(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient = access.patient_for(session, user, patient_id, resource_type="plan")
    return render(request, "plans/clinician_plan.html", _plan_context(session, patient))


@router.post("/clinician/patients/{patient_id}/plan/propose", response_class=HTMLResponse)
def propose(request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep) -> Response:
    try:
        version = plans.propose(session, user, patient_id)
    except plans.NoAssessment as exc:
        patient = access.patient_for(session, user, patient_id, resource_type="plan")
        return render(
            request,
            "plans/clinician_plan.html",
            _plan_context(session, patient, message=exc.message),
            status_code=409,
        )
    return redirect(f"/clinician/patients/{patient_id}/plan?proposed={version.number}")


def _edit_from_form(raw: FormData) -> tuple[dict[str, Any], dict[str, Any]]:
    """The form as typed (to show again) and the edit to validate."""
    form: dict[str, Any] = {"modules": {}, "questionnaires": {}}
    modules = []
    for module in MODULES:
        if raw.get(f"module_{module}") != "on":
            continue
        entry = {
            "sessions": str(raw.get(f"sessions_{module}") or ""),
            "weeks": str(raw.get(f"weeks_{module}") or ""),
            "focus": [str(f) for f in raw.getlist(f"focus_{module}")],
        }
        form["modules"][module] = entry
        modules.append(
            {
                "id": module,
                "sessions_per_week": entry["sessions"] or None,
                "weeks": entry["weeks"] or None,
                "focus": entry["focus"],
            }
        )
    questionnaires = []
    for instrument in INSTRUMENTS:
        words = [str(w) for w in raw.getlist(f"schedule_{instrument}")]
        if words:
            form["questionnaires"][instrument] = words
            questionnaires.append({"instrument": instrument, "schedule": words})
    form["disciplines"] = [str(d) for d in raw.getlist("disciplines")]
    form["intensity"] = str(raw.get("intensity") or "")
    form["starts_on"] = str(raw.get("starts_on") or "")
    form["reason"] = str(raw.get("reason") or "")
    data = {
        "reason": form["reason"],
        "modules": modules,
        "disciplines": form["disciplines"],
        "questionnaires": questionnaires,
        "intensity": form["intensity"] or None,
        "starts_on": form["starts_on"] or None,
    }
    return form, data


@router.post("/clinician/patients/{patient_id}/plan/edit", response_class=HTMLResponse)
async def edit(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    raw = await request.form()
    patient = access.patient_for(session, user, patient_id, resource_type="plan")
    form, data = _edit_from_form(raw)
    try:
        version = plans.edit(session, user, patient.id, PlanEdit.model_validate(data))
    except ValidationError as exc:
        context = _plan_context(session, patient, form=form, errors=readable_pydantic_errors(exc))
        return render(request, "plans/clinician_plan.html", context, status_code=422)
    except (InvalidInput, Conflict) as exc:
        context = _plan_context(session, patient, form=form, errors=[exc.message])
        return render(request, "plans/clinician_plan.html", context, status_code=status_for(exc))
    return redirect(f"/clinician/patients/{patient_id}/plan?edited={version.number}")


@router.post("/clinician/patients/{patient_id}/plan/versions/{version_id}/sign", response_class=HTMLResponse)
async def sign(
    request: Request,
    patient_id: uuid.UUID,
    version_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
) -> Response:
    raw = await request.form()
    note = str(raw.get("note") or "")[:2000]
    try:
        signed = plans.sign(session, user, patient_id, version_id, note=note)
    except Conflict as exc:
        patient = access.patient_for(session, user, patient_id, resource_type="plan")
        context = _plan_context(session, patient, message=exc.message)
        return render(request, "plans/clinician_plan.html", context, status_code=409)
    assigned = ",".join(signed.assigned)
    return redirect(
        f"/clinician/patients/{patient_id}/plan?signed={signed.version.number}&assigned={assigned}"
    )


@router.post("/clinician/patients/{patient_id}/plan/assign-due", response_class=HTMLResponse)
def assign_due(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    try:
        assigned = plans.assign_due_questionnaires(session, user, patient_id)
    except Conflict as exc:
        patient = access.patient_for(session, user, patient_id, resource_type="plan")
        context = _plan_context(session, patient, message=exc.message)
        return render(request, "plans/clinician_plan.html", context, status_code=409)
    return redirect(f"/clinician/patients/{patient_id}/plan?assigned={','.join(assigned) or 'none'}")


@router.post("/clinician/patients/{patient_id}/plan/end", response_class=HTMLResponse)
async def end_treatment(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    raw = await request.form()
    form = {name: str(raw.get(name) or "") for name in ("ended_on", "reason", "note")}
    patient = access.patient_for(session, user, patient_id, resource_type="treatment_course")
    try:
        data = TreatmentEnd.model_validate({k: v or None for k, v in form.items()} | {"note": form["note"]})
        courses.end_treatment(
            session, user, patient.id, ended_on=data.ended_on, reason=data.reason, note=data.note
        )
    except ValidationError as exc:
        context = _plan_context(session, patient, end_errors=readable_pydantic_errors(exc), end_form=form)
        return render(request, "plans/clinician_plan.html", context, status_code=422)
    except (InvalidInput, Conflict) as exc:
        context = _plan_context(session, patient, end_errors=[exc.message], end_form=form)
        return render(request, "plans/clinician_plan.html", context, status_code=status_for(exc))
    return redirect(f"/clinician/patients/{patient_id}/plan?ended=1#course")


@router.get("/clinician/patients/{patient_id}/plan/history", response_class=HTMLResponse)
def history(request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep) -> Response:
    patient = access.patient_for(session, user, patient_id, resource_type="plan")
    return render(
        request, "plans/history.html", {"patient": patient, "versions": plans.versions_for(session, patient)}
    )


@panels.clinician_patient_panel
def _plan_panel(session: Session, user: User, patient: Patient) -> panels.Panel:
    return panels.Panel(
        title="Plan",
        template="plans/_clinician_panel.html",
        context={"patient": patient, "state": plans.plan_state_for(session, patient)},
        order=8,
    )


@panels.clinician_home_panel
def _waiting_panel(session: Session, user: User) -> panels.Panel | None:
    if user.role != Role.CLINICIAN:
        return None
    waiting = plans.waiting_for_signature(session, user)
    if not waiting:
        return None
    return panels.Panel(
        title="Plans waiting for a signature",
        template="plans/_waiting_panel.html",
        context={"waiting": waiting},
        order=15,
    )
