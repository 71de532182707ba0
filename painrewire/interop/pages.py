"""Downloads: a patient's own data as JSON (the PDF report is in `painrewire.reports`); research CSV for staff."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Query
from fastapi.responses import Response
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.config import Settings
from painrewire.dashboard import cohort as cohorts
from painrewire.db import utcnow
from painrewire.interop import personal_data, research
from painrewire.web.deps import CurrentAdmin, CurrentClinician, CurrentPatientUser, SessionDep, SettingsDep
from painrewire.web.routing import page_router

router = page_router()


@router.get("/patient/my-data.json")
def my_data(user: CurrentPatientUser, session: SessionDep) -> Response:
    document = personal_data.own_data(session, user)
    return Response(
        json.dumps(document, ensure_ascii=False, indent=1),
        media_type="application/json",
        headers={
            "Content-Disposition": 'attachment; filename="my-painrewire-data.json"',
            "Cache-Control": "no-store, private",
        },
    )


FilterValue = Annotated[str | None, Query(max_length=40)]


def _csv(
    session: Session,
    user: User,
    settings: Settings,
    form: dict[str, str | None],
) -> Response:
    today = utcnow().astimezone(settings.zone).date()
    filters = cohorts.parse_filter(today=today, **form)
    content = research.research_csv(session, user, filters, secret=settings.secret_key)
    return Response(
        content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="painrewire-outcomes-{today.isoformat()}.csv"',
            "Cache-Control": "no-store, private",
        },
    )


@router.get("/clinician/outcomes/research.csv")
def caseload_csv(
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
    as_of: FilterValue = None,
    started_from: FilterValue = None,
    started_to: FilterValue = None,
    program: FilterValue = None,
    discipline: FilterValue = None,
) -> Response:
    form = {"as_of": as_of, "started_from": started_from, "started_to": started_to, "program": program}
    return _csv(session, user, settings, form | {"discipline": discipline})


@router.get("/admin/outcomes/research.csv")
def clinic_csv(
    user: CurrentAdmin,
    session: SessionDep,
    settings: SettingsDep,
    as_of: FilterValue = None,
    started_from: FilterValue = None,
    started_to: FilterValue = None,
    program: FilterValue = None,
    discipline: FilterValue = None,
) -> Response:
    form = {"as_of": as_of, "started_from": started_from, "started_to": started_to, "program": program}
    return _csv(session, user, settings, form | {"discipline": discipline})
