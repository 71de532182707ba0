"""The clinician's home: the dashboard of their caseload, and their open safety alerts."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from painrewire.dashboard import service as dashboard
from painrewire.db import utcnow
from painrewire.web import panels
from painrewire.web.deps import CurrentClinician, SessionDep, SettingsDep
from painrewire.web.routing import page_router
from painrewire.web.templating import render

router = page_router()


@router.get("/clinician", response_class=HTMLResponse)
def clinician_home(
    request: Request, user: CurrentClinician, session: SessionDep, settings: SettingsDep
) -> Response:
    now = utcnow()
    today = now.astimezone(settings.zone).date()
    rows = dashboard.caseload(session, user, today=today, now=now)
    return render(
        request,
        "dashboard/home.html",
        {
            "rows": rows,
            "today": today,
            "panels": panels.clinician_home_panels(session, user),
            "zone": settings.zone,
        },
    )
