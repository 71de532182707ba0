"""Downloads: a patient's own data as JSON (the PDF report is in `painrewire.reports`); research CSV for staff."""

from __future__ import annotations

import json
import uuid
from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from painrewire.accounts import service as accounts
from painrewire.accounts.deps import CurrentAdmin, CurrentClinician, CurrentPatientUser, refused_user
from painrewire.accounts.models import Role, User
from painrewire.config import Settings
from painrewire.dashboard import cohort as cohorts
from painrewire.db import utcnow
from painrewire.errors import InvalidInput, NotFound
from painrewire.interop import erasure, personal_data, research
from painrewire.neurofeedback.live import hub as live
from painrewire.patients import panels
from painrewire.patients.models import Patient
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, render

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


def _erasure_context(session: Session, user: User, *, errors: list[str]) -> dict[str, Any]:
    latest = erasure.own_latest(session, user)
    return {"latest": latest, "errors": errors, "max_length": erasure.MAX_TEXT}


def _erasure_again(refused: Refused) -> dict[str, Any]:
    return _erasure_context(refused.session, refused_user(refused), errors=refused.errors)


#: "There is no request to withdraw" is this page's answer, shown on it.
ERASURE_AGAIN = refusal_page("interop/erasure.html", _erasure_again, shown_for=(NotFound,))


@router.get("/patient/record/erasure", response_class=HTMLResponse)
def erasure_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    return render(request, "interop/erasure.html", _erasure_context(session, user, errors=[]))


@router.post("/patient/record/erasure", response_class=HTMLResponse, dependencies=[ERASURE_AGAIN])
def ask_for_erasure(
    user: CurrentPatientUser,
    session: SessionDep,
    confirm: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=erasure.MAX_TEXT * 2)] = "",
) -> Response:
    erasure.request_erasure(session, user, confirm=confirm == "yes", reason=reason)
    return redirect("/patient/record/erasure?asked=1")


@router.post("/patient/record/erasure/withdraw", response_class=HTMLResponse, dependencies=[ERASURE_AGAIN])
def withdraw_erasure(user: CurrentPatientUser, session: SessionDep) -> Response:
    erasure.withdraw(session, user)
    return redirect("/patient/record/erasure?withdrawn=1")


@router.post("/clinician/patients/{patient_id}/erasure/{request_id}", response_class=HTMLResponse)
async def decide_erasure(
    request: Request,
    patient_id: uuid.UUID,
    request_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
    decision: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=erasure.MAX_TEXT * 2)] = "",
) -> Response:
    if decision not in ("confirm", "decline"):
        raise InvalidInput("Choose whether to confirm or decline the request.")
    confirm = decision == "confirm"
    live_sessions = await run_in_threadpool(erasure.live_sessions_of, session, patient_id) if confirm else []
    await run_in_threadpool(
        erasure.decide,
        session,
        user,
        patient_id,
        request_id,
        confirm=confirm,
        note=note,
        recording_dir=settings.recording_dir,
    )
    await live.hub_of(request.app).discard(live_sessions)  # nothing of a running session is kept
    if decision == "confirm":
        return redirect("/clinician?erased=1")
    return redirect(f"/clinician/patients/{patient_id}?erasure=declined")


@panels.clinician_patient_panel
def _erasure_panel(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    if user.role != Role.CLINICIAN:
        return None
    found = erasure.open_request(session, patient)
    if found is None:
        return None
    return panels.Panel(
        title="The patient asks for their data to be erased",
        template="interop/_erasure_panel.html",
        context={"patient": patient, "request": found, "max_length": erasure.MAX_TEXT},
        order=1,
    )


@panels.clinician_home_panel
def _erasure_home_panel(session: Session, user: User) -> panels.Panel | None:
    if user.role != Role.CLINICIAN:
        return None
    waiting = erasure.open_in_caseload(session, user)
    if not waiting:
        return None
    return panels.Panel(
        title="Patients asking for their data to be erased",
        template="interop/_erasure_home_panel.html",
        context={"waiting": waiting},
        order=12,
    )


@panels.admin_home_panel
def _erasure_admin_panel(session: Session, user: User) -> panels.Panel | None:
    waiting = erasure.open_without_care_team(session, user)
    if not waiting:
        return None
    return panels.Panel(
        title=f"Erasure requests with no care team to decide them ({len(waiting)})",
        template="interop/_erasure_admin_panel.html",
        context={"waiting": waiting, "clinicians": accounts.list_clinicians(session)},
        order=5,
    )
