"""The clinician's home (the dashboard of their caseload), and cohort outcomes for clinicians and admins."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentAdmin, CurrentClinician
from painrewire.accounts.models import Discipline, Role, User
from painrewire.dashboard import cohort as cohorts
from painrewire.dashboard import service as dashboard
from painrewire.db import utcnow
from painrewire.patients import panels
from painrewire.practice.models import Module
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import register_nav, render

router = page_router()
register_nav(Role.CLINICIAN, "/clinician/outcomes", "Outcomes")
register_nav(Role.ADMIN, "/admin/outcomes", "Outcomes")

FilterValue = Annotated[str | None, Query(max_length=40)]


@router.get("/clinician", response_class=HTMLResponse)
def clinician_home(
    request: Request,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
    page: Annotated[int, Query(ge=1, le=dashboard.MAX_PAGE)] = 1,
    q: Annotated[str, Query(max_length=dashboard.MAX_SEARCH)] = "",
) -> Response:
    """The caseload: triage lists in full, then the rest a page at a time (``page``), or a name search (``q``)."""
    now = utcnow()
    today = now.astimezone(settings.zone).date()
    home = dashboard.caseload(session, user, today=today, now=now, page=page, search=q)
    return render(
        request,
        "dashboard/home.html",
        {
            "home": home,
            "today": today,
            "panels": panels.clinician_home_panels(session, user),
            "zone": settings.zone,
            "page_url": _page_url(home.search),
        },
    )


def _page_url(search: str) -> Callable[[int], str]:
    def url(page: int) -> str:
        query = urlencode({k: v for k, v in (("q", search), ("page", page if page > 1 else "")) if v})
        return "/clinician" + (f"?{query}" if query else "") + "#caseload"

    return url


FILTERS = ("as_of", "started_from", "started_to", "program", "discipline")


def _outcomes_again(refused: Refused) -> dict[str, Any]:
    """Filters that do not parse: the page again with the reason and no result."""
    params = refused.request.query_params
    form = {name: params.get(name) for name in FILTERS}
    today = utcnow().astimezone(refused.request.app.state.settings.zone).date()
    return _choices({"form": form, "result": None, "today": today})


OUTCOMES_AGAIN = refusal_page("dashboard/outcomes.html", _outcomes_again)


def _outcomes(
    request: Request, session: Session, user: User, today: date, form: dict[str, Any], csv_url: str
) -> Response:
    filters = cohorts.parse_filter(today=today, **form)
    result = cohorts.cohort(session, user, filters)
    query = urlencode({k: v for k, v in form.items() if v})
    context: dict[str, Any] = {
        "errors": [],
        "form": form,
        "result": result,
        "today": today,
        "csv_url": csv_url + (f"?{query}" if query else ""),
    }
    return render(request, "dashboard/outcomes.html", _choices(context))


def _choices(context: dict[str, Any]) -> dict[str, Any]:
    return {**context, "programs": list(Module), "disciplines": list(Discipline)}


@router.get("/clinician/outcomes", response_class=HTMLResponse, dependencies=[OUTCOMES_AGAIN])
def clinician_outcomes(
    request: Request,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
    as_of: FilterValue = None,
    started_from: FilterValue = None,
    started_to: FilterValue = None,
    program: FilterValue = None,
    discipline: FilterValue = None,
) -> Response:
    form = {
        "as_of": as_of,
        "started_from": started_from,
        "started_to": started_to,
        "program": program,
        "discipline": discipline,
    }
    today = utcnow().astimezone(settings.zone).date()
    return _outcomes(request, session, user, today, form, "/clinician/outcomes/research.csv")


@router.get("/admin/outcomes", response_class=HTMLResponse, dependencies=[OUTCOMES_AGAIN])
def clinic_outcomes(
    request: Request,
    user: CurrentAdmin,
    session: SessionDep,
    settings: SettingsDep,
    as_of: FilterValue = None,
    started_from: FilterValue = None,
    started_to: FilterValue = None,
    program: FilterValue = None,
    discipline: FilterValue = None,
) -> Response:
    form = {
        "as_of": as_of,
        "started_from": started_from,
        "started_to": started_to,
        "program": program,
        "discipline": discipline,
    }
    today = utcnow().astimezone(settings.zone).date()
    return _outcomes(request, session, user, today, form, "/admin/outcomes/research.csv")
