"""Pages: the clinician's risk and safety-plan page for a patient, and pausing practice on a self-harm alert.

The patient's own safety plan is shown on their safety page (``/patient/safety``), from `service.patient_safety`.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from painrewire.accounts.deps import CurrentClinician, refused_user
from painrewire.accounts.models import Role, User
from painrewire.assessments import alerts
from painrewire.assessments.models import SafetyAlert
from painrewire.config import Settings, get_settings
from painrewire.db import utcnow
from painrewire.errors import InvalidInput
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.risk import service as risk
from painrewire.risk.models import SafetyPlan
from painrewire.risk.schemas import RiskAssessmentCreate, SafetyPlanCreate
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.forms import FormDep
from painrewire.web.refusals import FormInvalid, Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, render

router = page_router()
YES, NO = "yes", "no"


def _closing(user: User, alert: SafetyAlert, settings: Settings) -> dict[str, Any]:
    """What an alert's close form and pause control need (as on the assessment page)."""
    return {
        "may_close": alerts.may_close(user, alert, settings),
        "actions": alerts.actions_for(alert.kind),
        "owners": alerts.owners_label(alert.kind, settings),
        "min_note": alerts.MIN_NOTE_CHARS,
    }


def _open_self_harm_alerts(session: Session, patient: Patient) -> list[SafetyAlert]:
    found = session.scalars(
        select(SafetyAlert)
        .where(SafetyAlert.patient_id == patient.id, SafetyAlert.acknowledged_at.is_(None))
        .order_by(SafetyAlert.raised_at.desc())
    )
    return [a for a in found if a.kind.about_self_harm]


def _plan_form(plan: SafetyPlan | None, settings: Settings) -> dict[str, str]:
    """The plan form's starting text: the newest version, or the clinic's contacts in an empty plan."""
    if plan is None:
        return {"professionals": "\n".join(risk.default_professionals(settings))}
    return {s.field: "\n".join(getattr(plan, s.field)) for s in risk.SECTIONS}


def _context(
    session: Session,
    user: User,
    patient_id: uuid.UUID,
    settings: Settings,
    *,
    assessment_form: dict[str, Any] | None = None,
    plan_form: dict[str, str] | None = None,
    assessment_errors: list[str] | None = None,
    plan_errors: list[str] | None = None,
) -> dict[str, Any]:
    assessments = risk.list_risk_assessments(session, user, patient_id)
    patient = access.patient_for(session, user, patient_id, resource_type="safety_plan")
    plans = risk.plans_of(session, patient)
    newest = plans[0] if plans else None
    now = utcnow()
    open_alerts = _open_self_harm_alerts(session, patient)
    return {
        "patient": patient,
        "alerts": [(a, _closing(user, a, settings)) for a in open_alerts],
        "assessments": assessments,
        "plans": plans,
        "newest": newest,
        "current": newest is not None and risk.is_current(newest, settings, now),
        "review_due": risk.review_due(newest, settings) if newest is not None else None,
        "review_days": settings.safety_plan_review_days,
        "may_record": risk.is_reviewer(user, settings),
        "reviewers": risk.reviewers_label(settings),
        "domains": risk.DOMAINS,
        "levels": risk.RISK_LEVELS,
        "actions": risk.RISK_ACTIONS,
        "sections": risk.SECTIONS,
        "assessment_form": assessment_form or {},
        "plan_form": plan_form if plan_form is not None else _plan_form(newest, settings),
        "assessment_errors": assessment_errors or [],
        "plan_errors": plan_errors or [],
    }


def _risk_again(refused: Refused) -> dict[str, Any]:
    """The page again with the refused form as typed and the reasons beside it."""
    user = refused_user(refused)
    settings: Settings = refused.request.app.state.settings
    patient_id = uuid.UUID(refused.path["patient_id"])
    raw = FormData([(key, value) for key, values in refused.lists.items() for value in values])
    action = refused.request.url.path.rsplit("/", 1)[-1]
    if action == "risk-assessments":
        form = {k: str(v) for k, v in raw.items()} | {"actions": [str(a) for a in raw.getlist("actions")]}
        return _context(
            refused.session,
            user,
            patient_id,
            settings,
            assessment_form=form,
            assessment_errors=refused.errors,
        )
    plan_form = _plan_payload(raw)[1] if action == "safety-plans" else None
    return _context(
        refused.session, user, patient_id, settings, plan_form=plan_form, plan_errors=refused.errors
    )


#: The page shows each form's reasons beside it, not at the top.
RISK_AGAIN = refusal_page("risk/risk.html", _risk_again)


def _path(patient_id: uuid.UUID) -> str:
    return f"/clinician/patients/{patient_id}/risk"


@router.get("/clinician/patients/{patient_id}/risk", response_class=HTMLResponse)
def risk_page(
    request: Request,
    patient_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    return render(request, "risk/risk.html", _context(session, user, patient_id, settings))


def _assessment_payload(raw: FormData) -> tuple[dict[str, Any], list[str]]:
    errors: list[str] = []
    payload: dict[str, Any] = {}
    for name, label in risk.DOMAINS.items():
        given = raw.get(name)
        if given not in (YES, NO):
            errors.append(f"{label}: answer yes or no.")
        payload[name] = given == YES
    payload |= {
        "protective_factors": str(raw.get("protective_factors") or ""),
        "access_to_means": str(raw.get("access_to_means") or ""),
        "risk_level": str(raw.get("risk_level") or "") or None,
        "actions": [str(a) for a in raw.getlist("actions")],
        "note": str(raw.get("note") or ""),
        "judgement_reason": str(raw.get("judgement_reason") or "") or None,
        "alert_id": str(raw.get("alert_id") or "") or None,
    }
    if payload["risk_level"] is None:
        errors.append("Your overall judgement: choose low, moderate or high.")
    return payload, errors


@router.post(
    "/clinician/patients/{patient_id}/risk-assessments",
    response_class=HTMLResponse,
    dependencies=[RISK_AGAIN],
)
def record_risk_assessment(
    patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep, settings: SettingsDep, raw: FormDep
) -> Response:
    risk.require_reviewer(user, settings, "a risk assessment")
    payload, unanswered = _assessment_payload(raw)
    if unanswered:
        raise FormInvalid(unanswered)
    data = RiskAssessmentCreate.model_validate(payload)
    risk.record_risk_assessment(session, user, patient_id, data, settings=settings)
    return redirect(_path(patient_id) + "?assessed=1")


def _plan_payload(raw: FormData) -> tuple[dict[str, Any], dict[str, str]]:
    form = {s.field: str(raw.get(s.field) or "") for s in risk.SECTIONS}
    payload: dict[str, Any] = {field: text.splitlines() for field, text in form.items()}
    payload["made_with_patient"] = raw.get("made_with_patient") == YES
    based_on = str(raw.get("based_on_version") or "")
    payload["based_on_version"] = int(based_on) if based_on.isdigit() and int(based_on) > 0 else None
    return payload, form


@router.post(
    "/clinician/patients/{patient_id}/safety-plans", response_class=HTMLResponse, dependencies=[RISK_AGAIN]
)
def save_safety_plan(
    patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep, settings: SettingsDep, raw: FormDep
) -> Response:
    risk.require_reviewer(user, settings, "a safety plan")
    payload, _ = _plan_payload(raw)
    data = SafetyPlanCreate.model_validate(payload)
    risk.save_safety_plan(session, user, patient_id, data, settings=settings)
    return redirect(_path(patient_id) + "?plan_saved=1")


@router.post(
    "/clinician/patients/{patient_id}/safety-plans/{plan_id}/withdraw",
    response_class=HTMLResponse,
    dependencies=[RISK_AGAIN],
)
def withdraw_safety_plan(
    patient_id: uuid.UUID,
    plan_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
    raw: FormDep,
) -> Response:
    reason = str(raw.get("reason") or "")
    risk.withdraw_safety_plan(session, user, patient_id, plan_id, reason=reason, settings=settings)
    return redirect(_path(patient_id) + "?plan_withdrawn=1")


def _safe_back(target: str) -> str:
    """Only a page of this site's clinician area (never another site) after pausing or resuming practice."""
    if (
        target.startswith("/clinician")
        and not target.startswith("//")
        and "\\" not in target
        and "://" not in target
    ):
        return target
    return "/clinician"


@router.post("/clinician/alerts/{alert_id}/practice-hold", response_class=HTMLResponse)
def set_practice_hold(
    alert_id: uuid.UUID, user: CurrentClinician, session: SessionDep, settings: SettingsDep, raw: FormDep
) -> Response:
    hold = str(raw.get("hold") or "")
    if hold not in ("1", "0"):
        raise InvalidInput("Choose whether to pause or resume practice.", field="hold")
    alerts.set_practice_hold(session, user, alert_id, hold=hold == "1", settings=settings)
    return redirect(_safe_back(str(raw.get("back") or "/clinician")))


@panels.clinician_patient_panel
def _risk_panel(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    if user.role != Role.CLINICIAN:
        return None
    settings = get_settings()
    newest = risk.latest_plan(session, patient.id)
    latest = risk.latest_risk_assessment(session, patient.id)
    open_alerts = _open_self_harm_alerts(session, patient)
    if newest is None and latest is None and not open_alerts:
        return None
    return panels.Panel(
        title="Self-harm risk and safety plan",
        template="risk/_overview_panel.html",
        context={
            "patient": patient,
            "plan": newest,
            "current": newest is not None and risk.is_current(newest, settings, utcnow()),
            "latest": latest,
            "levels": risk.RISK_LEVELS,
            "open_alerts": open_alerts,
        },
        order=2,
    )
