"""Pages: each person's reminders and quiet hours, one-click unsubscribe, and the admin's view of outgoing mail."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentAdmin, CurrentUser, refused_user
from painrewire.accounts.models import Role, User
from painrewire.config import Settings
from painrewire.errors import NotFound
from painrewire.notifications import preferences
from painrewire.notifications import service as notifications
from painrewire.notifications.models import ReminderChannel, ReminderKind
from painrewire.notifications.schemas import PreferencesUpdate
from painrewire.patients import panels
from painrewire.web.deps import SESSION_COOKIE, SessionDep, SettingsDep, verify_csrf
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, register_nav, render

register_nav(Role.PATIENT, "/account/notifications", "Reminders")
register_nav(Role.CLINICIAN, "/account/notifications", "Notifications")
register_nav(Role.ADMIN, "/admin/notifications", "Email")

#: Every page here but one checks the CSRF token, as everywhere (``page_router``).
_pages = page_router()

ONE_CLICK = "List-Unsubscribe=One-Click"


# --- a person's own preferences ---------------------------------------------------------------------------


def _context(
    session: Session, user: User, settings: Settings, form: dict[str, Any] | None = None
) -> dict[str, Any]:
    prefs = preferences.preferences_for(session, user, settings)
    shown = form or {
        "appointment": prefs.appointment.value,
        "diary": prefs.diary.value,
        "questionnaire": prefs.questionnaire.value,
        "diary_time": f"{prefs.diary_time:%H:%M}",
        "quiet_start": f"{prefs.quiet_start:%H:%M}" if prefs.quiet_start else "",
        "quiet_end": f"{prefs.quiet_end:%H:%M}" if prefs.quiet_end else "",
    }
    return {
        "prefs": prefs,
        "form": shown,
        "kinds": list(ReminderKind),
        "channels": list(ReminderChannel),
        "default_diary_time": f"{settings.diary_reminder_time:%H:%M}",
    }


@_pages.get("/account/notifications", response_class=HTMLResponse)
def preferences_page(
    request: Request, user: CurrentUser, session: SessionDep, settings: SettingsDep, saved: bool = False
) -> Response:
    context = _context(session, user, settings)
    return render(request, "notifications/preferences.html", {**context, "saved": saved})


def _preferences_again(refused: Refused) -> dict[str, Any]:
    """The form again with what was sent; a field not sent shows what is stored."""
    user = refused_user(refused)
    settings: Settings = refused.request.app.state.settings
    current = _context(refused.session, user, settings)["form"]
    form = {name: refused.form.get(name, value) for name, value in current.items()}
    return _context(refused.session, user, settings, form)


@_pages.post(
    "/account/notifications",
    response_class=HTMLResponse,
    dependencies=[refusal_page("notifications/preferences.html", _preferences_again)],
)
def save_preferences(
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    appointment: Annotated[str | None, Form(max_length=16)] = None,
    diary: Annotated[str | None, Form(max_length=16)] = None,
    questionnaire: Annotated[str | None, Form(max_length=16)] = None,
    diary_time: Annotated[str | None, Form(max_length=8)] = None,
    quiet_start: Annotated[str | None, Form(max_length=8)] = None,
    quiet_end: Annotated[str | None, Form(max_length=8)] = None,
) -> Response:
    given = {
        "appointment": appointment,
        "diary": diary,
        "questionnaire": questionnaire,
        "diary_time": diary_time,
        "quiet_start": quiet_start,
        "quiet_end": quiet_end,
    }
    # A field the form sent empty means "none" (quiet hours) or "the clinic's default" (diary time).
    data = {name: (value.strip() or None) for name, value in given.items() if value is not None}
    update = PreferencesUpdate.model_validate(data)
    preferences.update_preferences(session, user, update, settings=settings)
    return redirect("/account/notifications?saved=1")


# --- one-click unsubscribe (RFC 8058) ---------------------------------------------------------------------


def _email_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound(preferences.UNSUBSCRIBE_NOT_FOUND) from None


@_pages.get("/notifications/unsubscribe/{email_id}", response_class=HTMLResponse)
def unsubscribe_confirm(request: Request, email_id: str, session: SessionDep) -> Response:
    target = preferences.unsubscribe_target(session, _email_id(email_id))
    return render(request, "notifications/unsubscribe.html", {"target": target, "done": False})


async def _csrf_with_a_login(request: Request) -> None:
    """The one-click POST comes from a mail client without cookies (RFC 8058), so it cannot carry a CSRF token;
    the link's random id is its only authority and no login is used. A browser carrying a login still has to
    echo the token, as on every other form (the confirmation page's button does)."""
    if SESSION_COOKIE in request.cookies:
        await verify_csrf(request)


#: The router the app mounts: the pages above, and the unsubscribe POST with its own CSRF rule.
router = APIRouter(include_in_schema=False)


@router.post(
    "/notifications/unsubscribe/{email_id}",
    response_class=HTMLResponse,
    dependencies=[Depends(_csrf_with_a_login)],
)
def unsubscribe(request: Request, email_id: str, session: SessionDep) -> Response:
    target = preferences.unsubscribe(session, _email_id(email_id))
    return render(request, "notifications/unsubscribe.html", {"target": target, "done": True})


# --- the admin's view of outgoing mail --------------------------------------------------------------------


@_pages.get("/admin/notifications", response_class=HTMLResponse)
def admin_page(request: Request, admin: CurrentAdmin, session: SessionDep, retried: bool = False) -> Response:
    state = notifications.queue_state(session, admin)
    return render(request, "notifications/admin.html", {"state": state, "retried": retried})


@_pages.post("/admin/notifications/emails/{email_id}/retry")
def retry_email(email_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep) -> Response:
    notifications.retry_failed(session, admin, email_id)
    return redirect("/admin/notifications?retried=1")


# --- home-page panels -------------------------------------------------------------------------------------


@panels.admin_home_panel
def _mail_panel(session: Session, user: User) -> panels.Panel:
    state = notifications.queue_state(session, user)
    return panels.Panel(
        title="Email",
        template="notifications/_admin_panel.html",
        context={"state": state},
        order=5,
    )


router.include_router(_pages)
