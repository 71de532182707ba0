"""Pages: the public clinician directory, profile editing (the clinician's own, or the front desk's for anyone),
and the front desk's list of outside services."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentAdmin, CurrentClinician, CurrentStaff, OptionalUser, refused_user
from painrewire.accounts.models import Discipline, Role, User
from painrewire.config import Settings
from painrewire.directory import service as directory
from painrewire.directory.models import Modality, ServiceKind
from painrewire.directory.schemas import MAX_BIO, ExternalServiceCreate, ExternalServiceUpdate, ProfileUpdate
from painrewire.scheduling import service as scheduling
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, register_nav, render

router = page_router()
register_nav(None, "/clinicians", "Our clinicians")
register_nav(Role.CLINICIAN, "/clinician/profile", "My profile")
register_nav(Role.ADMIN, "/admin/external-services", "Outside services")


def _directory_context(
    session: Session, user: User | None, settings: Settings, found: Any, filters: dict[str, str]
) -> dict[str, Any]:
    return {
        "directory": found,
        "filters": filters,
        "disciplines": list(Discipline),
        "modalities": list(Modality),
        "zone": scheduling.viewer_zone(session, user, settings),
        "errors": [],
    }


def _directory_again(refused: Refused) -> dict[str, Any]:
    """A filter that does not parse: the whole directory, with the reason."""
    settings: Settings = refused.request.app.state.settings
    params = refused.request.query_params
    filters = {k: params.get(k, "") for k in ("discipline", "language", "modality")}
    user = refused.session.get(User, refused.user_id) if refused.user_id is not None else None
    found = directory.directory(refused.session, clinic_zone=settings.clinic_timezone)
    context = _directory_context(refused.session, user, settings, found, filters)
    return {**context, "errors": refused.errors}


@router.get(
    "/clinicians",
    response_class=HTMLResponse,
    dependencies=[refusal_page("directory/clinicians.html", _directory_again)],
)
def clinicians_page(
    request: Request, user: OptionalUser, session: SessionDep, settings: SettingsDep
) -> Response:
    params = request.query_params
    filters = {k: params.get(k, "") for k in ("discipline", "language", "modality")}
    found = directory.directory(
        session,
        clinic_zone=settings.clinic_timezone,
        discipline=directory.parse_discipline(filters["discipline"]),
        language=filters["language"][:40] or None,
        modality=directory.parse_modality(filters["modality"]),
    )
    return render(
        request, "directory/clinicians.html", _directory_context(session, user, settings, found, filters)
    )


# --- profiles ---------------------------------------------------------------------------------------------


def _profile_context(
    session: Session,
    actor: User,
    clinician_id: uuid.UUID,
    *,
    form: dict[str, Any] | None = None,
    errors: list[str] | None = None,
    saved: bool = False,
) -> dict[str, Any]:
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
    return {
        "clinician": clinician,
        "form": form,
        "errors": errors or [],
        "saved": saved,
        "action": action,
        "modalities": list(Modality),
        "max_bio": MAX_BIO,
    }


def _profile_form(
    qualifications: str, languages: str, modalities: list[str] | None, bio: str, listed: str
) -> dict[str, Any]:
    return {
        "qualifications": qualifications,
        "languages": languages,
        "modalities": modalities or [],
        "bio": bio,
        "listed": listed == "yes",
    }


def _profile_again(refused: Refused) -> dict[str, Any]:
    actor = refused_user(refused)
    clinician_id = uuid.UUID(refused.path["clinician_id"]) if "clinician_id" in refused.path else actor.id
    sent = refused.form
    form = _profile_form(
        sent.get("qualifications", ""),
        sent.get("languages", ""),
        refused.lists.get("modalities", []),
        sent.get("bio", ""),
        sent.get("listed", ""),
    )
    return _profile_context(refused.session, actor, clinician_id, form=form, errors=refused.errors)


PROFILE_AGAIN = refusal_page("directory/profile.html", _profile_again)


def _save_profile(
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
    form = _profile_form(qualifications, languages, modalities, bio, listed)
    data = ProfileUpdate.model_validate(
        {**form, "languages": [part for part in languages.split(",") if part.strip()]}
    )
    directory.update_profile(session, actor, clinician_id, data)
    return redirect(done)


ProfileForm = Annotated[str, Form(max_length=300)]


@router.get("/clinician/profile", response_class=HTMLResponse)
def own_profile(request: Request, user: CurrentClinician, session: SessionDep) -> Response:
    saved = request.query_params.get("saved") == "1"
    return render(request, "directory/profile.html", _profile_context(session, user, user.id, saved=saved))


@router.post("/clinician/profile", response_class=HTMLResponse, dependencies=[PROFILE_AGAIN])
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
    return render(
        request, "directory/profile.html", _profile_context(session, admin, clinician_id, saved=saved)
    )


@router.post(
    "/admin/clinicians/{clinician_id}/profile", response_class=HTMLResponse, dependencies=[PROFILE_AGAIN]
)
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


def _services_context(
    session: Session,
    actor: User,
    *,
    form: Mapping[str, str] | None = None,
    errors: list[str] | None = None,
    message: str | None = None,
) -> dict[str, Any]:
    return {
        "services": directory.list_services(session, actor, include_retired=True),
        "kinds": list(ServiceKind),
        "form": form or {},
        "errors": errors or [],
        "message": message,
        "can_edit": actor.role == Role.ADMIN,
    }


def _services_page(
    request: Request, session: Session, actor: User, *, message: str | None = None
) -> Response:
    return render(request, "directory/services.html", _services_context(session, actor, message=message))


def _services_again(refused: Refused) -> dict[str, Any]:
    form = None
    if "service_id" not in refused.path:  # the new-service form is filled in again; an edit starts afresh
        form = {k: refused.form.get(k, "") for k in ("name", "kind", "contact", "email", "notes")}
    return _services_context(refused.session, refused_user(refused), form=form, errors=refused.errors)


SERVICES_AGAIN = refusal_page("directory/services.html", _services_again)


@router.get("/clinic/external-services", response_class=HTMLResponse)
def services_for_staff(request: Request, user: CurrentStaff, session: SessionDep) -> Response:
    return _services_page(request, session, user)


@router.get("/admin/external-services", response_class=HTMLResponse)
def services_page(request: Request, admin: CurrentAdmin, session: SessionDep) -> Response:
    message = {"added": "Service added.", "saved": "Service saved."}.get(request.query_params.get("done", ""))
    return _services_page(request, session, admin, message=message)


ServiceText = Annotated[str, Form(max_length=4000)]


@router.post("/admin/external-services", response_class=HTMLResponse, dependencies=[SERVICES_AGAIN])
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
    directory.create_service(session, admin, ExternalServiceCreate.model_validate(form))
    return redirect("/admin/external-services?done=added")


@router.post(
    "/admin/external-services/{service_id}", response_class=HTMLResponse, dependencies=[SERVICES_AGAIN]
)
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
    data = ExternalServiceUpdate.model_validate({**values, "active": active == "yes"})
    directory.update_service(session, admin, service_id, data)
    return redirect("/admin/external-services?done=saved")
