"""Pages: sign-up, the patient's home and record, the clinician's caseload and patient overview, and the
front desk's home and audit log (they name patients)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from painrewire.accounts import audit
from painrewire.accounts import pages as accounts_pages
from painrewire.accounts import service as accounts
from painrewire.accounts.deps import CurrentAdmin, CurrentClinician, CurrentPatientUser, OptionalUser
from painrewire.accounts.models import AuditAction
from painrewire.accounts.pages import set_login_cookies
from painrewire.patients import access, panels
from painrewire.patients import service as patients
from painrewire.patients import signup as signups
from painrewire.patients.schemas import PatientCreate, SignUp
from painrewire.web.deps import SessionDep, SettingsDep, client_address
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, render

router = page_router()


@router.get("/signup", response_class=HTMLResponse)
def signup_form(request: Request, user: OptionalUser) -> Response:
    return render(request, "patients/signup.html", {"form": {}})


def _signup_again(refused: Refused) -> dict[str, Any]:
    keys = ("email", "full_name", "date_of_birth", "timezone")
    return {"form": {key: refused.form.get(key, "") for key in keys}}


@router.post(
    "/signup", response_class=HTMLResponse, dependencies=[refusal_page("patients/signup.html", _signup_again)]
)
def signup(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=254)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    date_of_birth: Annotated[str, Form(max_length=20)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """The same page, status and work whether or not the email has an account (see ``patients.signup``)."""
    form = {"email": email, "full_name": full_name, "date_of_birth": date_of_birth, "timezone": timezone}
    data = SignUp.model_validate(
        {**form, "password": password, "date_of_birth": date_of_birth or None, "timezone": timezone or None}
    )
    message = signups.request_sign_up(session, settings, data, client=client_address(request))
    return render(request, "patients/signup_sent.html", {"message": message})


@router.get("/signup/confirm/{token}", response_class=HTMLResponse)
def confirm_signup_form(request: Request, token: str, next: str | None = None) -> Response:
    """A button, not the confirmation itself: a mail scanner that opens the link confirms nothing."""
    return render(
        request, "patients/signup_confirm.html", {"token": token, "next": accounts_pages.safe_next(next)}
    )


def _confirm_again(refused: Refused) -> dict[str, Any]:
    return {
        "token": refused.path.get("token", ""),
        "error": " ".join(refused.errors),
        "next": None,
        "errors": [],
    }


@router.post(
    "/signup/confirm/{token}",
    response_class=HTMLResponse,
    dependencies=[
        refusal_page("patients/signup_confirm.html", _confirm_again, shown_for=(signups.SignUpLinkInvalid,))
    ],
)
def confirm_signup(
    request: Request,
    token: str,
    session: SessionDep,
    settings: SettingsDep,
    next: Annotated[str | None, Form(max_length=2000)] = None,
) -> Response:
    """Activate the account and log its owner in, then go on to what they were doing (a booking)."""
    user = signups.confirm_sign_up(session, settings, token)
    started = accounts.start_session(session, settings, user, kind="browser")
    response = redirect(accounts_pages.safe_next(next) or "/patient?welcome=1")
    set_login_cookies(response, settings, started.token)
    return response


@router.get("/patient", response_class=HTMLResponse)
def patient_home(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user)
    return render(
        request,
        "patients/patient_home.html",
        {
            "patient": patient,
            "care_team": patients.care_team(session, patient),
            "panels": panels.patient_home_panels(session, user, patient),
        },
    )


@router.get("/patient/record", response_class=HTMLResponse)
def patient_record(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user)
    return render(
        request,
        "patients/record.html",
        {"patient": patient, "care_team": patients.care_team(session, patient)},
    )


@router.get("/clinician/patients/new", response_class=HTMLResponse)
def new_patient_form(request: Request, user: CurrentClinician, session: SessionDep) -> Response:
    return render(
        request, "patients/new_patient.html", {"form": {}, "clinicians": accounts.list_clinicians(session)}
    )


def _new_patient_again(refused: Refused) -> dict[str, Any]:
    keys = ("email", "full_name", "date_of_birth", "phone", "timezone")
    return {
        "form": {key: refused.form.get(key, "") for key in keys},
        "clinicians": accounts.list_clinicians(refused.session),
    }


@router.post(
    "/clinician/patients/new",
    response_class=HTMLResponse,
    dependencies=[refusal_page("patients/new_patient.html", _new_patient_again)],
)
def create_patient(
    request: Request,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=254)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    date_of_birth: Annotated[str, Form(max_length=20)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    timezone: Annotated[str, Form(max_length=64)] = "",
    care_team: Annotated[list[str] | None, Form()] = None,
) -> Response:
    form = {
        "email": email,
        "full_name": full_name,
        "date_of_birth": date_of_birth,
        "phone": phone,
        "timezone": timezone,
    }
    data = PatientCreate.model_validate(
        {
            **form,
            "password": password,
            "date_of_birth": date_of_birth or None,
            "phone": phone or None,
            "timezone": timezone or None,
            "care_team": care_team or [],
        }
    )
    patient = patients.create_patient(session, user, data, clinic_timezone=settings.clinic_timezone)
    return redirect(f"/clinician/patients/{patient.id}?created=1")


@router.get("/clinician/patients/{patient_id}", response_class=HTMLResponse)
def patient_overview(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient = access.patient_for(session, user, patient_id)
    team = patients.care_team(session, patient)
    on_team = {m.clinician_id for m in team}
    return render(
        request,
        "patients/overview.html",
        {
            "patient": patient,
            "care_team": team,
            "others": [c for c in accounts.list_clinicians(session) if c.id not in on_team],
            "panels": panels.clinician_patient_panels(session, user, patient),
        },
    )


@router.post("/clinician/patients/{patient_id}/care-team", response_class=HTMLResponse)
def add_care_team_member(
    patient_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    clinician_id: Annotated[uuid.UUID, Form()],
) -> Response:
    patients.add_to_care_team(session, user, patient_id, clinician_id)
    return redirect(f"/clinician/patients/{patient_id}")


@router.post("/admin/patients/{patient_id}/care-team", response_class=HTMLResponse)
def admin_assign_care_team(
    patient_id: uuid.UUID,
    admin: CurrentAdmin,
    session: SessionDep,
    clinician_id: Annotated[uuid.UUID, Form()],
) -> Response:
    patients.add_to_care_team(session, admin, patient_id, clinician_id)
    return redirect("/admin")


# --- the front desk: its home page and the audit log (both name patients) -----------------------------


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, admin: CurrentAdmin, session: SessionDep) -> Response:
    return render(
        request,
        "accounts/admin_home.html",
        {
            "users": accounts.list_users(session),
            "unassigned": patients.patients_without_care_team(session, admin),
            "clinicians": accounts.list_clinicians(session),
            "panels": panels.admin_home_panels(session, admin),
        },
    )


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    admin: CurrentAdmin,
    session: SessionDep,
    patient_id: Annotated[uuid.UUID | None, Query()] = None,
    actor_id: Annotated[uuid.UUID | None, Query()] = None,
    patient: Annotated[str, Query(max_length=200)] = "",
    who: Annotated[str, Query(max_length=200)] = "",
    action: Annotated[AuditAction | None, Query()] = None,
    since: Annotated[datetime | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    per_page = 100
    users = accounts.list_users(session)
    matched_patients = patients.names_for_audit(session, admin, matching=patient) if patient.strip() else None
    needle = who.strip().lower()
    matched_actors = (
        {u.id for u in users if needle in u.full_name.lower() or needle in u.email.lower()}
        if needle
        else None
    )
    events = audit.search(
        session,
        patient_id=patient_id,
        actor_id=actor_id,
        patient_ids=matched_patients.keys() if matched_patients is not None else None,
        actor_ids=matched_actors,
        action=action,
        since=since,
        limit=per_page,
        offset=(page - 1) * per_page,
    )
    names = {u.id: u.full_name for u in users}
    shown = {e.patient_id for e in events if e.patient_id is not None}
    return render(
        request,
        "accounts/audit.html",
        {
            "events": events,
            "names": names,
            "patient_names": patients.names_for_audit(session, admin, ids=shown),
            "actions": list(AuditAction),
            "page": page,
            "filters": {
                "patient_id": patient_id or "",
                "actor_id": actor_id or "",
                "patient": patient,
                "who": who,
                "action": action or "",
            },
        },
    )
