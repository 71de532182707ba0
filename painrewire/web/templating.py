"""Jinja2 templates: one loader over the shared layout, with the clinic, the user and the CSRF token in scope."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import available_timezones

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from painrewire.web.deps import CSRF_FIELD, Viewer

TEMPLATES_DIR = Path(__file__).parent / "templates"

#: Each role's menu, keyed by the role's name (``accounts.models.Role`` values), None for visitors.
NAV: dict[str | None, list[tuple[str, str]]] = {
    None: [("/", "Home"), ("/book", "Book now"), ("/login", "Log in"), ("/signup", "Sign up")],
    "patient": [("/patient", "Home"), ("/patient/record", "My record")],
    "clinician": [("/clinician", "Caseload"), ("/clinician/patients/new", "New patient")],
    "admin": [
        ("/admin", "Accounts"),
        ("/admin/clinicians/new", "New clinician"),
        ("/admin/audit", "Audit log"),
    ],
}


#: The patient's short menu: what a patient uses most days. Every other page they can open is under "More"
#: (and linked from the home page), so the menu fits one row and a phone screen.
PATIENT_MENU = ("/patient", "/patient/today", "/patient/diary", "/patient/messages", "/patient/appointments")


def menus(role: str | None) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The role's menu, and what sits under "More" (only patients have a "More")."""
    entries = NAV.get(role, [])
    if role != "patient":
        return entries, []
    short = sorted((e for e in entries if e[0] in PATIENT_MENU), key=lambda e: PATIENT_MENU.index(e[0]))
    return short, [e for e in entries if e[0] not in PATIENT_MENU]


def register_nav(role: str | None, href: str, label: str) -> None:
    """A module adds its entry to a role's navigation when the app is built."""
    entries = NAV.setdefault(role, [])
    if (href, label) not in entries:
        entries.append((href, label))


def _context(request: Request) -> dict[str, Any]:
    user: Viewer | None = getattr(request.state, "user", None)
    return {
        "current_user": user,
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "csrf_field": CSRF_FIELD,
        "settings": request.app.state.settings,
        "nav": menus(user.role if user else None)[0],
        "nav_more": menus(user.role if user else None)[1],
    }


templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_context])
templates.env.globals["quote"] = quote
#: The time zones a person can pick (the list under every time-zone field): IANA names with a region.
templates.env.globals["time_zones"] = sorted(
    z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/"))
)


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render one page."""
    return templates.TemplateResponse(request, name, context or {}, status_code=status_code, headers=headers)


def redirect(url: str) -> RedirectResponse:
    """After a successful form post: see-other, so a reload does not post again."""
    return RedirectResponse(url, status_code=303)
