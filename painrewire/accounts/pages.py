"""Pages for the public front, login, logout and the admin's account management."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from painrewire.accounts import password_reset
from painrewire.accounts import service as accounts
from painrewire.accounts.deps import CurrentAdmin, CurrentUser, OptionalUser
from painrewire.accounts.models import Discipline, Role, User
from painrewire.accounts.schemas import PasswordResetRequest, PasswordResetSet, UserCreate
from painrewire.accounts.security import MIN_PASSWORD_LENGTH
from painrewire.config import Settings
from painrewire.errors import Unauthenticated
from painrewire.web.deps import CSRF_COOKIE, SESSION_COOKIE, SessionDep, SettingsDep, client_address
from painrewire.web.refusals import OtherPage, Refused, refusal_page
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


def _login_again(refused: Refused) -> dict[str, object]:
    return {
        "error": " ".join(refused.errors),
        "email": refused.form.get("email", ""),
        "next": safe_next(refused.form.get("next")),
        "errors": [],
    }


@router.post(
    "/login",
    response_class=HTMLResponse,
    dependencies=[refusal_page("login.html", _login_again, shown_for=(Unauthenticated,))],
)
def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=254)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str | None, Form(max_length=500)] = None,
) -> Response:
    # A wrong password keeps its failure count (the error says so): the unit of work commits it.
    user = accounts.authenticate(session, settings, email, password, client=client_address(request))
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


def _forgot_again(refused: Refused) -> dict[str, object]:
    if refused.error is None:
        return {
            "errors": ["Email: enter the address you log in with, such as name@example.org."],
            "email": refused.form.get("email", ""),
        }
    return {"email": refused.form.get("email", "")}


@router.post(
    "/forgot-password",
    response_class=HTMLResponse,
    dependencies=[refusal_page("accounts/forgot_password.html", _forgot_again)],
)
def forgot_password(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    """The same page, status and work whether or not the address has an account (see ``password_reset``)."""
    data = PasswordResetRequest.model_validate({"email": email.strip()})
    password_reset.request_reset(session, settings, str(data.email), client=client_address(request))
    return render(
        request,
        "accounts/forgot_password.html",
        {"email": str(data.email), "sent": True, "minutes": int(settings.password_reset_minutes)},
    )


def _reset_again(refused: Refused) -> dict[str, object] | OtherPage:
    if isinstance(refused.error, password_reset.ResetLinkInvalid):
        # The link itself is refused: the page to ask for a new one.
        return OtherPage(
            "accounts/forgot_password.html",
            {"link_error": refused.error.message, "email": "", "sent": False, "errors": []},
        )
    return {"token": refused.path.get("token", ""), "min_length": MIN_PASSWORD_LENGTH}


RESET_AGAIN = refusal_page(
    "accounts/reset_password.html", _reset_again, shown_for=(password_reset.ResetLinkInvalid,)
)


@router.get("/reset-password/{token}", response_class=HTMLResponse, dependencies=[RESET_AGAIN])
def reset_password_form(request: Request, token: str, session: SessionDep, settings: SettingsDep) -> Response:
    password_reset.check_link(session, settings, token)
    return render(
        request, "accounts/reset_password.html", {"token": token, "min_length": MIN_PASSWORD_LENGTH}
    )


@router.post("/reset-password/{token}", response_class=HTMLResponse, dependencies=[RESET_AGAIN])
def reset_password(
    request: Request,
    token: str,
    session: SessionDep,
    settings: SettingsDep,
    password: Annotated[str, Form(max_length=256)] = "",
) -> Response:
    password_reset.check_link(session, settings, token)
    data = PasswordResetSet.model_validate({"password": password})
    password_reset.reset_password(session, settings, token, data.password)
    response = redirect("/login?reset=1")
    # This browser's own login (if any) ended with the others; its cookie goes too.
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/admin/clinicians/new", response_class=HTMLResponse)
def new_clinician_form(request: Request, admin: CurrentAdmin) -> Response:
    return render(request, "accounts/new_clinician.html", {"disciplines": list(Discipline), "form": {}})


def _new_clinician_again(refused: Refused) -> dict[str, object]:
    form = {key: refused.form.get(key, "") for key in ("email", "full_name", "role", "discipline")}
    return {"form": form, "disciplines": list(Discipline)}


@router.post(
    "/admin/clinicians/new",
    response_class=HTMLResponse,
    dependencies=[refusal_page("accounts/new_clinician.html", _new_clinician_again)],
)
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
    data = UserCreate.model_validate({**form, "password": password, "discipline": discipline or None})
    user = accounts.create_user(session, admin, data)
    return redirect(f"/admin?created={user.id}")


def user_label(user: User) -> str:
    return f"{user.full_name} ({user.discipline_label or user.role.value})"
