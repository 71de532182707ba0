"""Pages for the public front, login, logout and the admin's account management."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from painrewire.accounts import password_reset
from painrewire.accounts import service as accounts
from painrewire.accounts.deps import CurrentAdmin, CurrentUser, OptionalUser
from painrewire.accounts.models import Discipline, Role, User
from painrewire.accounts.schemas import PasswordResetRequest, PasswordResetSet, UserCreate
from painrewire.accounts.security import MIN_PASSWORD_LENGTH
from painrewire.config import Settings
from painrewire.errors import Conflict, TooManyRequests, Unauthenticated
from painrewire.web.deps import CSRF_COOKIE, SESSION_COOKIE, SessionDep, SettingsDep, client_address
from painrewire.web.errors import headers_for, readable_pydantic_errors, status_for
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, render

router = page_router()

HOME_BY_ROLE = {Role.PATIENT: "/patient", Role.CLINICIAN: "/clinician", Role.ADMIN: "/admin"}


def safe_next(value: str | None) -> str | None:
    """Only local paths, so a login link cannot send someone to another site."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


def set_login_cookies(response: Response, settings: Settings, token: str) -> None:
    """The session cookie, and a fresh CSRF token so nothing from before the login is reused."""
    from painrewire.accounts.security import new_token

    max_age = int(settings.session_hours * 3600)
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="lax", secure=settings.secure_cookies
    )
    response.set_cookie(
        CSRF_COOKIE, new_token(), httponly=True, samesite="lax", secure=settings.secure_cookies
    )


@router.get("/", response_class=HTMLResponse)
def landing(request: Request, user: OptionalUser) -> Response:
    return render(request, "landing.html")


@router.get("/home")
def home(user: CurrentUser) -> RedirectResponse:
    return redirect(HOME_BY_ROLE[user.role])


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, user: OptionalUser, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": safe_next(next), "email": ""})


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    try:
        user = accounts.authenticate(session, settings, email, password, client=client_address(request))
    except (Unauthenticated, TooManyRequests) as exc:
        # The failure counter must be kept, so commit here instead of letting the error roll it back.
        session.commit()
        return render(
            request,
            "login.html",
            {"error": exc.message, "email": email, "next": safe_next(next)},
            status_code=status_for(exc),
            headers=headers_for(exc),
        )
    previous = request.cookies.get(SESSION_COOKIE)
    if previous:
        # Rotation: whatever login this browser carried before (perhaps someone else's) ends here.
        accounts.end_session(session, previous)
    started = accounts.start_session(session, settings, user, kind="browser")
    response = redirect(safe_next(next) or HOME_BY_ROLE[user.role])
    set_login_cookies(response, settings, started.token)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> RedirectResponse:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        accounts.end_session(session, token)
    response = redirect("/login?logged_out=1")
    response.delete_cookie(SESSION_COOKIE)
    response.delete_cookie(CSRF_COOKIE)
    return response


@router.post("/logout-everywhere")
def logout_everywhere(user: CurrentUser, session: SessionDep) -> RedirectResponse:
    accounts.end_all_sessions(session, user)
    response = redirect("/login?logged_out=1")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/forgot-password", response_class=HTMLResponse)
def forgot_password_form(request: Request, user: OptionalUser) -> Response:
    return render(request, "accounts/forgot_password.html", {"email": "", "sent": False})


@router.post("/forgot-password", response_class=HTMLResponse)
def forgot_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    """The same page, status and work whether or not the address has an account (see ``password_reset``)."""
    try:
        data = PasswordResetRequest.model_validate({"email": email.strip()})
        password_reset.request_reset(session, settings, str(data.email), client=client_address(request))
    except ValidationError:
        return render(
            request,
            "accounts/forgot_password.html",
            {
                "errors": ["Email: enter the address you log in with, such as name@example.org."],
                "email": email,
            },
            status_code=422,
        )
    except TooManyRequests as exc:
        return render(
            request,
            "accounts/forgot_password.html",
            {"errors": [exc.message], "email": email},
            status_code=status_for(exc),
            headers=headers_for(exc),
        )
    return render(
        request,
        "accounts/forgot_password.html",
        {"email": str(data.email), "sent": True, "minutes": int(settings.password_reset_minutes)},
    )


@router.get("/reset-password/{token}", response_class=HTMLResponse)
def reset_password_form(request: Request, token: str, session: SessionDep, settings: SettingsDep) -> Response:
    try:
        password_reset.check_link(session, settings, token)
    except password_reset.ResetLinkInvalid as exc:
        return _reset_refused(request, exc)
    return render(
        request, "accounts/reset_password.html", {"token": token, "min_length": MIN_PASSWORD_LENGTH}
    )


@router.post("/reset-password/{token}", response_class=HTMLResponse)
def reset_password(
    request: Request,
    token: str,
    session: SessionDep,
    settings: SettingsDep,
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    try:
        password_reset.check_link(session, settings, token)
        data = PasswordResetSet.model_validate({"password": password})
        password_reset.reset_password(session, settings, token, data.password)
    except password_reset.ResetLinkInvalid as exc:
        return _reset_refused(request, exc)
    except ValidationError as exc:
        return render(
            request,
            "accounts/reset_password.html",
            {"token": token, "errors": readable_pydantic_errors(exc), "min_length": MIN_PASSWORD_LENGTH},
            status_code=422,
        )
    response = redirect("/login?reset=1")
    # This browser's own login (if any) ended with the others; its cookie goes too.
    response.delete_cookie(SESSION_COOKIE)
    return response


def _reset_refused(request: Request, exc: password_reset.ResetLinkInvalid) -> Response:
    return render(
        request,
        "accounts/forgot_password.html",
        {"link_error": exc.message, "email": "", "sent": False},
        status_code=status_for(exc),
    )


@router.get("/admin/clinicians/new", response_class=HTMLResponse)
def new_clinician_form(request: Request, admin: CurrentAdmin) -> Response:
    return render(request, "accounts/new_clinician.html", {"disciplines": list(Discipline), "form": {}})


@router.post("/admin/clinicians/new", response_class=HTMLResponse)
def create_clinician(
    request: Request,
    admin: CurrentAdmin,
    session: SessionDep,
    email: Annotated[str, Form(max_length=254)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    role: Annotated[str, Form(max_length=20)] = "clinician",
    discipline: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    form = {"email": email, "full_name": full_name, "role": role, "discipline": discipline}
    try:
        data = UserCreate.model_validate({**form, "password": password, "discipline": discipline or None})
        user = accounts.create_user(session, admin, data)
    except ValidationError as exc:
        return render(
            request,
            "accounts/new_clinician.html",
            {"errors": readable_pydantic_errors(exc), "form": form, "disciplines": list(Discipline)},
            status_code=422,
        )
    except Conflict as exc:
        return render(
            request,
            "accounts/new_clinician.html",
            {"errors": [exc.message], "form": form, "disciplines": list(Discipline)},
            status_code=409,
        )
    return redirect(f"/admin?created={user.id}")


def user_label(user: User) -> str:
    return f"{user.full_name} ({user.discipline_label or user.role.value})"
