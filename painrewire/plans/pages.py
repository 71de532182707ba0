"""Pages: the patient's week from their signed plan; the clinician's plan review, edit, sign-off and history."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from painrewire.accounts.deps import CurrentClinician, CurrentPatientUser, refused_user
from painrewire.accounts.models import Role, User
from painrewire.db import utcnow
from painrewire.diary.outcomes import TimePoint, follow_up_due
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
from painrewire.web.forms import FormDep
from painrewire.web.refusals import Refused, refusal_page
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


def _plan_again(refused: Refused) -> dict[str, Any]:
    """The plan page again: an edit or an ending with what was typed, anything else with the reason on top."""
    user = refused_user(refused)
    patient_id = uuid.UUID(refused.path["patient_id"])
    action = refused.request.url.path.rsplit("/", 1)[-1]
    resource = "treatment_course" if action == "end" else "plan"
    patient = access.patient_for(refused.session, user, patient_id, resource_type=resource)
    if action == "edit":
        raw = FormData([(key, value) for key, values in refused.lists.items() for value in values])
        form, _ = _edit_from_form(raw)
        return _plan_context(refused.session, patient, form=form, errors=refused.errors)
    if action == "end":
        end_form = {name: refused.form.get(name, "") for name in ("ended_on", "reason", "note")}
        return _plan_context(refused.session, patient, end_errors=refused.errors, end_form=end_form)
    return {**_plan_context(refused.session, patient, message=" ".join(refused.errors)), "errors": []}


PLAN_AGAIN = refusal_page("plans/clinician_plan.html", _plan_again)


@router.post(
    "/clinician/patients/{patient_id}/plan/propose", response_class=HTMLResponse, dependencies=[PLAN_AGAIN]
)
def propose(patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep) -> Response:
    version = plans.propose(session, user, patient_id)
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


@router.post(
    "/clinician/patients/{patient_id}/plan/edit", response_class=HTMLResponse, dependencies=[PLAN_AGAIN]
)
def edit(patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep, raw: FormDep) -> Response:
    # The service loads the patient and audits the update: one access, one audit row.
    _, data = _edit_from_form(raw)
    version = plans.edit(session, user, patient_id, PlanEdit.model_validate(data))
    return redirect(f"/clinician/patients/{patient_id}/plan?edited={version.number}")


@router.post(
    "/clinician/patients/{patient_id}/plan/versions/{version_id}/sign",
    response_class=HTMLResponse,
    dependencies=[PLAN_AGAIN],
)
def sign(
    patient_id: uuid.UUID, version_id: uuid.UUID, user: CurrentClinician, session: SessionDep, raw: FormDep
) -> Response:
    note = str(raw.get("note") or "")[:2000]
    signed = plans.sign(session, user, patient_id, version_id, note=note)
    assigned = ",".join(signed.assigned)
    return redirect(
        f"/clinician/patients/{patient_id}/plan?signed={signed.version.number}&assigned={assigned}"
    )


@router.post(
    "/clinician/patients/{patient_id}/plan/assign-due", response_class=HTMLResponse, dependencies=[PLAN_AGAIN]
)
def assign_due(patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep) -> Response:
    assigned = plans.assign_due_questionnaires(session, user, patient_id)
    return redirect(f"/clinician/patients/{patient_id}/plan?assigned={','.join(assigned) or 'none'}")


@router.post(
    "/clinician/patients/{patient_id}/plan/end", response_class=HTMLResponse, dependencies=[PLAN_AGAIN]
)
def end_treatment(
    patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep, raw: FormDep
) -> Response:
    form = {name: str(raw.get(name) or "") for name in ("ended_on", "reason", "note")}
    data = TreatmentEnd.model_validate({k: v or None for k, v in form.items()} | {"note": form["note"]})
    # The service loads the patient and audits the ending: one access, one audit row.
    courses.end_treatment(
        session, user, patient_id, ended_on=data.ended_on, reason=data.reason, note=data.note
    )
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
