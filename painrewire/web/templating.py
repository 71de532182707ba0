"""Jinja2 templates: one loader over the shared layout, with the clinic, the user and the CSRF token in scope."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from painrewire.accounts.models import Role
from painrewire.web.deps import CSRF_FIELD, Viewer

TEMPLATES_DIR = Path(__file__).parent / "templates"

NAV: dict[Role | None, list[tuple[str, str]]] = {
    None: [("/", "Home"), ("/book", "Book now"), ("/login", "Log in"), ("/signup", "Sign up")],
    Role.PATIENT: [("/patient", "Today"), ("/patient/record", "My record")],
    Role.CLINICIAN: [("/clinician", "Caseload"), ("/clinician/patients/new", "New patient")],
    Role.ADMIN: [
        ("/admin", "Accounts"),
        ("/admin/clinicians/new", "New clinician"),
        ("/admin/audit", "Audit log"),
    ],
}


def register_nav(role: Role | None, href: str, label: str) -> None:
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
        "nav": NAV.get(user.role if user else None, []),
    }


templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_context])
templates.env.globals["quote"] = quote


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
