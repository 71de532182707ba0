"""Pages: the clinician's clearance panel and page (status, the form, the version history, withdrawal), and the
patient's home panel saying whether practice is open and, if not, why and what to do."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician, refused_user
from painrewire.accounts.models import User
from painrewire.clearance import gate
from painrewire.clearance import service as clearance
from painrewire.clearance.models import Cause, Clearance, Finding
from painrewire.clearance.schemas import ClearanceCreate
from painrewire.errors import Forbidden
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.practice.models import Module
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.forms import FormDep
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, render

router = page_router()

FIELD_LABELS = {"modules": "Practice it opens", "note": "Note", "intake_id": "Intake"}


def _default_form(current: Clearance | None) -> dict[str, Any]:
    """A new version starts from the current one's modules; the causes are answered afresh each time."""
    return {"modules": list(current.modules) if current else []}


def clearance_context(
    session: Session,
    user: User,
    patient: Patient,
    *,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    """What the clearance panel and page show (access already checked and audited)."""
    state = clearance.state_for(session, patient)
    intake = clearance.latest_intake_for(session, patient)
    current = state.current
    return {
        "patient": patient,
        "actor": user,
        # Who may clear depends on the clinic's settings, which the template has from the request.
        "may_clear": clearance.may_clear,
        "qualified_label": clearance.qualified_label,
        "state": state,
        "intake": intake,
        "newer_intake": bool(current and intake and current.intake_id != intake.id),
        "red_flags": clearance.open_red_flag_alerts(session, patient),
        "practice": gate.practice_overview(session, patient),
        "causes": list(Cause),
        "findings": list(Finding),
        "modules": list(Module),
        "module_labels": {m.value: m.label for m in Module},
        "form": form if form is not None else _default_form(current),
        "errors": errors or [],
    }


def form_to_create(form: Mapping[str, Any], modules: list[str]) -> ClearanceCreate:
    """The page's fields as a `ClearanceCreate` (raises pydantic's ValidationError, as the API would)."""
    causes: dict[str, dict[str, Any]] = {}
    for cause in Cause:
        entry: dict[str, Any] = {"note": form.get(f"note_{cause.value}", "")}
        finding = form.get(f"finding_{cause.value}")
        if finding:
            entry["finding"] = finding
        if cause is Cause.OTHER:
            entry["text"] = form.get("other_text", "")
        causes[cause.value] = entry
    return ClearanceCreate.model_validate(
        {
            "intake_id": form.get("intake_id") or None,
            "causes": causes,
            "modules": modules,
            "note": form.get("note", ""),
        }
    )


def _errors(exc: ValidationError) -> list[str]:
    """Pydantic's errors in the form's own words: the cause or field, then what to do."""
    messages = []
    for err in exc.errors():
        loc = tuple(err.get("loc", ()))
        msg = str(err.get("msg", "is not valid")).removeprefix("Value error, ")
        if loc and loc[0] == "causes" and len(loc) >= 2 and str(loc[1]) in {c.value for c in Cause}:
            label = Cause(str(loc[1])).label
            if loc[-1] == "finding":
                messages.append(f"{label}: choose ruled out or not applicable.")
            else:
                messages.append(f"{label}: {msg}.")
        elif loc and loc[0] in FIELD_LABELS:
            what = "choose at least one module" if loc[0] == "modules" and len(loc) == 1 else msg
            messages.append(f"{FIELD_LABELS[str(loc[0])]}: {what}.")
        else:
            messages.append(f"{'.'.join(str(p) for p in loc) or 'input'}: {msg}.")
    return messages


def _page_context(
    session: Session,
    user: User,
    patient_id: uuid.UUID,
    *,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    patient = access.patient_for(session, user, patient_id, resource_type=clearance.RESOURCE)
    return {"ctx": clearance_context(session, user, patient, form=form, errors=errors)}


@router.get("/clinician/patients/{patient_id}/clearance", response_class=HTMLResponse)
def clearance_page(
    patient_id: uuid.UUID, request: Request, user: CurrentClinician, session: SessionDep
) -> Response:
    return render(request, "clearance/clinician.html", _page_context(session, user, patient_id))


def _sent_form(raw: Mapping[str, str], modules: list[str]) -> dict[str, Any]:
    form: dict[str, Any] = {k: v for k, v in raw.items() if k != "modules" and isinstance(v, str)}
    form["modules"] = modules
    return form


def _clearance_again(refused: Refused) -> dict[str, Any]:
    form: dict[str, Any]
    if "reason" in refused.form:  # the withdrawal form
        form = {"reason": refused.form["reason"]}
    else:
        form = _sent_form(refused.form, refused.lists.get("modules", []))
    # A form that failed validation is told in its own words.
    errors = _errors(refused.invalid) if refused.invalid is not None else refused.errors
    patient_id = uuid.UUID(refused.path["patient_id"])
    return _page_context(refused.session, refused_user(refused), patient_id, form=form, errors=errors)


#: "Only a qualified clinician may clear" is a refusal of this form, shown on it.
CLEARANCE_AGAIN = refusal_page("clearance/clinician.html", _clearance_again, shown_for=(Forbidden,))


@router.post(
    "/clinician/patients/{patient_id}/clearance", response_class=HTMLResponse, dependencies=[CLEARANCE_AGAIN]
)
def record_clearance(
    patient_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
    raw: FormDep,
) -> Response:
    form = _sent_form(
        {k: v for k, v in raw.items() if isinstance(v, str)}, [str(m) for m in raw.getlist("modules")]
    )
    data = form_to_create(form, form["modules"])
    row = clearance.record_clearance(session, user, patient_id, data, settings=settings)
    return redirect(f"/clinician/patients/{patient_id}?cleared={row.version}#clearance")


@router.post(
    "/clinician/patients/{patient_id}/clearances/{clearance_id}/withdraw",
    response_class=HTMLResponse,
    dependencies=[CLEARANCE_AGAIN],
)
def withdraw_clearance(
    patient_id: uuid.UUID,
    clearance_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    row = clearance.withdraw_clearance(
        session, user, patient_id, clearance_id, reason=reason, settings=settings
    )
    return redirect(f"/clinician/patients/{patient_id}?withdrawn={row.version}#clearance")


@panels.clinician_patient_panel
def _clinician_panel(session: Session, user: User, patient: Patient) -> panels.Panel:
    return panels.Panel(
        title="Clearance for practice",
        template="clearance/_panel.html",
        context=clearance_context(session, user, patient),
        order=5,
    )


@panels.patient_home_panel
def _patient_panel(session: Session, user: User, patient: Patient) -> panels.Panel:
    overview = gate.practice_overview(session, patient)
    closed = [s for s in overview if not s.open]
    everything_closed = (
        len(closed) == len(overview) and closed[0].reason is not gate.Reason.MODULE_NOT_ALLOWED
    )
    return panels.Panel(
        title="Your practice",
        template="clearance/_patient_panel.html",
        context={
            "closed": closed[0] if everything_closed else None,
            "open": [s.module for s in overview if s.open],
            "not_allowed": [s.module for s in closed],
        },
        order=5,
    )
