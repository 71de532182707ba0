"""Pages: the public clinician directory, profile editing (the clinician's own, or the front desk's for anyone),
and the front desk's list of outside services."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentAdmin, CurrentClinician, CurrentStaff, OptionalUser
from painrewire.accounts.models import Discipline, Role, User
from painrewire.directory import service as directory
from painrewire.directory.models import Modality, ServiceKind
from painrewire.directory.schemas import MAX_BIO, ExternalServiceCreate, ExternalServiceUpdate, ProfileUpdate
from painrewire.errors import InvalidInput
from painrewire.scheduling import service as scheduling
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.errors import readable_pydantic_errors
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, register_nav, render

router = page_router()
register_nav(None, "/clinicians", "Our clinicians")
register_nav(Role.CLINICIAN, "/clinician/profile", "My profile")
register_nav(Role.ADMIN, "/admin/external-services", "Outside services")


@router.get("/clinicians", response_class=HTMLResponse)
def clinicians_page(
    request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep
) -> Response:
    params = request.query_params
    filters = {k: params.get(k, "") for k in ("discipline", "language", "modality")}
    errors: list[str] = []
    try:
        found = directory.directory(
            session,
            clinic_zone=settings.clinic_timezone,
            discipline=directory.parse_discipline(filters["discipline"]),
            language=filters["language"][:40] or None,
            modality=directory.parse_modality(filters["modality"]),
        )
    except InvalidInput as exc:
        errors = [exc.message]
        found = directory.directory(session, clinic_zone=settings.clinic_timezone)
    zone = scheduling.viewer_zone(session, user, settings)
    return render(
        request,
        "directory/clinicians.html",
        {
            "directory": found,
            "filters": filters,
            "disciplines": list(Discipline),
            "modalities": list(Modality),
            "zone": zone,
            "errors": errors,
        },
        status_code=422 if errors else 200,
    )


# --- profiles ---------------------------------------------------------------------------------------------


def _profile_page(
    request: Request,
    session: Session,
    actor: User,
    clinician_id: uuid.UUID,
    *,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    saved: bool = False,
    status_code: int = 200,
) -> Response:
    clinician, profile = directory.get_profile(session, actor, clinician_id)
    if form is None:
        form = {
            "qualifications": profile.qualifications,
            "languages": ", ".join(profile.languages),
            "modalities": list(profile.modalities),
            "bio": profile.bio,
            "listed": profile.listed,
        }
    action = "/clinician/profile" if actor.id == clinician.id else f"/admin/clinicians/{clinician.id}/profile"
    return render(
        request,
        "directory/profile.html",
        {
            "clinician": clinician,
            "form": form,
            "errors": errors or [],
            "saved": saved,
            "action": action,
            "modalities": list(Modality),
            "max_bio": MAX_BIO,
        },
        status_code=status_code,
    )


def _save_profile(
    request: Request,
    session: Session,
    actor: User,
    clinician_id: uuid.UUID,
    *,
    qualifications: str,
    languages: str,
    modalities: list[str] | None,
    bio: str,
    listed: str,
    done: str,
) -> Response:
    form = {
        "qualifications": qualifications,
        "languages": languages,
        "modalities": modalities or [],
        "bio": bio,
        "listed": listed == "yes",
    }
    try:
        data = ProfileUpdate.model_validate(
            {**form, "languages": [part for part in languages.split(",") if part.strip()]}
        )
        directory.update_profile(session, actor, clinician_id, data)
    except ValidationError as exc:
        errors = readable_pydantic_errors(exc)
        return _profile_page(request, session, actor, clinician_id, form=form, errors=errors, status_code=422)
    return redirect(done)


ProfileForm = Annotated[str, Form(max_length=300)]


@router.get("/clinician/profile", response_class=HTMLResponse)
def own_profile(request: Request, user: CurrentClinician, session: SessionDep) -> Response:
    return _profile_page(request, session, user, user.id, saved=request.query_params.get("saved") == "1")


@router.post("/clinician/profile", response_class=HTMLResponse)
def save_own_profile(
    request: Request,
    user: CurrentClinician,
    session: SessionDep,
    qualifications: ProfileForm = "",
    languages: Annotated[str, Form(max_length=600)] = "",
    modalities: Annotated[list[str] | None, Form()] = None,
    bio: Annotated[str, Form(max_length=2000)] = "",
    listed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    return _save_profile(
        request,
        session,
        user,
        user.id,
        qualifications=qualifications,
        languages=languages,
        modalities=modalities,
        bio=bio,
        listed=listed,
        done="/clinician/profile?saved=1",
    )


@router.get("/admin/clinicians/{clinician_id}/profile", response_class=HTMLResponse)
def clinician_profile(
    request: Request, clinician_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep
) -> Response:
    saved = request.query_params.get("saved") == "1"
    return _profile_page(request, session, admin, clinician_id, saved=saved)


@router.post("/admin/clinicians/{clinician_id}/profile", response_class=HTMLResponse)
def save_clinician_profile(
    request: Request,
    clinician_id: uuid.UUID,
    admin: CurrentAdmin,
    session: SessionDep,
    qualifications: ProfileForm = "",
    languages: Annotated[str, Form(max_length=600)] = "",
    modalities: Annotated[list[str] | None, Form()] = None,
    bio: Annotated[str, Form(max_length=2000)] = "",
    listed: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    return _save_profile(
        request,
        session,
        admin,
        clinician_id,
        qualifications=qualifications,
        languages=languages,
        modalities=modalities,
        bio=bio,
        listed=listed,
        done=f"/admin/clinicians/{clinician_id}/profile?saved=1",
    )


# --- outside services -------------------------------------------------------------------------------------


def _services_page(
    request: Request,
    session: Session,
    actor: User,
    *,
    form: dict[str, str] | None = None,
    errors: list[str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "directory/services.html",
        {
            "services": directory.list_services(session, actor, include_retired=True),
            "kinds": list(ServiceKind),
            "form": form or {},
            "errors": errors or [],
            "message": message,
            "can_edit": actor.role == Role.ADMIN,
        },
        status_code=status_code,
    )


@router.get("/clinic/external-services", response_class=HTMLResponse)
def services_for_staff(request: Request, user: CurrentStaff, session: SessionDep) -> Response:
    return _services_page(request, session, user)


@router.get("/admin/external-services", response_class=HTMLResponse)
def services_page(request: Request, admin: CurrentAdmin, session: SessionDep) -> Response:
    message = {"added": "Service added.", "saved": "Service saved."}.get(request.query_params.get("done", ""))
    return _services_page(request, session, admin, message=message)


ServiceText = Annotated[str, Form(max_length=4000)]


@router.post("/admin/external-services", response_class=HTMLResponse)
def add_service(
    request: Request,
    admin: CurrentAdmin,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    contact: ServiceText = "",
    email: Annotated[str, Form(max_length=254)] = "",
    notes: ServiceText = "",
) -> Response:
    form = {"name": name, "kind": kind, "contact": contact, "email": email, "notes": notes}
    try:
        directory.create_service(session, admin, ExternalServiceCreate.model_validate(form))
    except ValidationError as exc:
        return _services_page(
            request, session, admin, form=form, errors=readable_pydantic_errors(exc), status_code=422
        )
    return redirect("/admin/external-services?done=added")


@router.post("/admin/external-services/{service_id}", response_class=HTMLResponse)
def edit_service(
    request: Request,
    service_id: uuid.UUID,
    admin: CurrentAdmin,
    session: SessionDep,
    name: Annotated[str, Form(max_length=200)] = "",
    kind: Annotated[str, Form(max_length=32)] = "",
    contact: ServiceText = "",
    email: Annotated[str, Form(max_length=254)] = "",
    notes: ServiceText = "",
    active: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    values = {"name": name, "kind": kind, "contact": contact, "email": email, "notes": notes}
    try:
        data = ExternalServiceUpdate.model_validate({**values, "active": active == "yes"})
        directory.update_service(session, admin, service_id, data)
    except ValidationError as exc:
        return _services_page(request, session, admin, errors=readable_pydantic_errors(exc), status_code=422)
    except InvalidInput as exc:
        return _services_page(request, session, admin, errors=[exc.message], status_code=422)
    return redirect("/admin/external-services?done=saved")
