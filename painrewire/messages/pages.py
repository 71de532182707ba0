"""Pages: the patient's messages with their care team, the clinician's view of a patient's messages, and the
home panels that show what waits unread.

A patient's message that is urgent or reads like a crisis comes back to its thread with what to do now at the
top (emergency number, crisis line), for as long as its safety alert is open.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician, CurrentPatientUser, refused_user
from painrewire.accounts.models import Discipline, Role, User
from painrewire.config import Settings, get_settings
from painrewire.errors import InvalidInput, NotFound
from painrewire.messages import service as messages
from painrewire.messages.schemas import HARD_CAP, MAX_BODY, MAX_SUBJECT, MessageCreate, ThreadCreate
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, register_nav, render

router = page_router()
register_nav(Role.PATIENT, "/patient/messages", "Messages")

PANEL_THREADS = 5
WHOLE_TEAM = "team"

BodyField = Annotated[str, Form(max_length=HARD_CAP)]


def _zone(patient: Patient, settings: Settings, viewer: User) -> ZoneInfo:
    """Times on the patient's own clock for the patient, on the clinic's for the care team."""
    if viewer.role == Role.PATIENT:
        try:
            return ZoneInfo(patient.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            return settings.zone
    return settings.zone


def _own_patient_id(session: Session, user: User) -> uuid.UUID:
    """The logged-in patient's record id; the service then loads it through ``access`` (and audits the read)."""
    patient_id = session.scalar(access.visible_patient_ids(user))
    if patient_id is None:
        raise NotFound("Your patient record was not found.")
    return patient_id


def _to_label(discipline: Discipline | None) -> str:
    return f"your {discipline.label.lower()}" if discipline else "your care team"


# --- patient ------------------------------------------------------------------------------------------


@router.get("/patient/messages", response_class=HTMLResponse)
def patient_threads(
    request: Request, user: CurrentPatientUser, session: SessionDep, settings: SettingsDep
) -> Response:
    patient, threads = messages.list_threads(session, user, _own_patient_id(session, user))
    return render(
        request,
        "messages/patient_threads.html",
        {
            "threads": threads,
            "zone": _zone(patient, settings, user),
            "has_team": bool(messages.addressees(session, patient)),
            "to_label": _to_label,
        },
    )


def _new_context(
    session: Session, patient: Patient, *, form: dict[str, Any], errors: list[str]
) -> dict[str, Any]:
    return {
        "form": form,
        "errors": errors,
        "disciplines": messages.addressees(session, patient),
        "team": WHOLE_TEAM,
        "max_body": MAX_BODY,
        "max_subject": MAX_SUBJECT,
    }


def _new_again(refused: Refused) -> dict[str, Any]:
    """Refused: the form again with what the patient typed."""
    patient = access.own_patient(refused.session, refused_user(refused), resource_type=messages.RESOURCE)
    sent = refused.form
    form = {
        "body": sent.get("body", ""),
        "subject": sent.get("subject", ""),
        "to": sent.get("to", WHOLE_TEAM),
        "urgent": bool(sent.get("urgent")),
    }
    return _new_context(refused.session, patient, form=form, errors=refused.errors)


@router.get("/patient/messages/new", response_class=HTMLResponse)
def new_thread_form(
    request: Request, user: CurrentPatientUser, session: SessionDep, to: str | None = None
) -> Response:
    patient = access.own_patient(session, user, resource_type=messages.RESOURCE)
    return render(
        request, "messages/new.html", _new_context(session, patient, form={"to": to or WHOLE_TEAM}, errors=[])
    )


@router.post(
    "/patient/messages/new",
    response_class=HTMLResponse,
    dependencies=[refusal_page("messages/new.html", _new_again)],
)
def start_thread(
    user: CurrentPatientUser,
    session: SessionDep,
    settings: SettingsDep,
    body: BodyField = "",
    subject: Annotated[str, Form(max_length=HARD_CAP)] = "",
    to: Annotated[str, Form(max_length=40)] = WHOLE_TEAM,
    urgent: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    patient_id = _own_patient_id(session, user)
    try:
        discipline = None if to in ("", WHOLE_TEAM) else Discipline(to)
    except ValueError as exc:
        raise InvalidInput("To: choose your care team or someone on it.", field="to") from exc
    data = ThreadCreate(body=body, subject=subject or None, to=discipline, urgent=bool(urgent))
    sent = messages.start_thread(session, user, patient_id, data, settings=settings)
    return redirect(f"/patient/messages/{sent.thread.id}?sent={sent.message.id}")


def _thread_context(
    request: Request,
    user: User,
    settings: Settings,
    view: messages.ThreadView,
    *,
    form: dict[str, Any],
    errors: list[str],
) -> dict[str, Any]:
    sent = request.query_params.get("sent")
    just_sent = next((m for m in view.messages if str(m.id) == sent), None)
    show_help = user.role == Role.PATIENT and (
        view.crisis_open or (just_sent is not None and just_sent.crisis)
    )
    base = (
        f"/patient/messages/{view.thread.id}"
        if user.role == Role.PATIENT
        else f"/clinician/patients/{view.patient.id}/messages/{view.thread.id}"
    )
    return {
        "view": view,
        "viewer_is_patient": user.role == Role.PATIENT,
        "viewer_id": user.id,
        "zone": _zone(view.patient, settings, user),
        "to_label": _to_label(view.thread.discipline)
        if user.role == Role.PATIENT
        else _addressed_to(view.thread.discipline),
        "just_sent": just_sent,
        "help": messages.what_to_do_now(settings) if show_help else None,
        "action": base,
        "back": "/patient/messages"
        if user.role == Role.PATIENT
        else f"/clinician/patients/{view.patient.id}/messages",
        "form": form,
        "errors": errors,
        "max_body": MAX_BODY,
    }


def _thread_again(refused: Refused) -> dict[str, Any]:
    user = refused_user(refused)
    if "patient_id" in refused.path:
        patient_id = uuid.UUID(refused.path["patient_id"])
    else:
        patient_id = _own_patient_id(refused.session, user)
    view = messages.open_thread(refused.session, user, patient_id, uuid.UUID(refused.path["thread_id"]))
    form = {"body": refused.form.get("body", ""), "urgent": bool(refused.form.get("urgent"))}
    settings: Settings = refused.request.app.state.settings
    return _thread_context(refused.request, user, settings, view, form=form, errors=refused.errors)


THREAD_AGAIN = refusal_page("messages/thread.html", _thread_again)


def _reply(
    request: Request,
    session: Session,
    user: User,
    settings: Settings,
    patient_id: uuid.UUID,
    thread_id: uuid.UUID,
    body: str,
    urgent: str,
) -> Response:
    sent = messages.send_message(
        session,
        user,
        patient_id,
        thread_id,
        MessageCreate(body=body, urgent=bool(urgent)),
        settings=settings,
    )
    if user.role == Role.PATIENT:
        return redirect(f"/patient/messages/{thread_id}?sent={sent.message.id}#m-{sent.message.id}")
    return redirect(
        f"/clinician/patients/{patient_id}/messages/{thread_id}?sent={sent.message.id}#m-{sent.message.id}"
    )


@router.get("/patient/messages/{thread_id}", response_class=HTMLResponse)
def patient_thread(
    request: Request,
    thread_id: uuid.UUID,
    user: CurrentPatientUser,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    view = messages.open_thread(session, user, _own_patient_id(session, user), thread_id)
    return render(
        request, "messages/thread.html", _thread_context(request, user, settings, view, form={}, errors=[])
    )


@router.post("/patient/messages/{thread_id}", response_class=HTMLResponse, dependencies=[THREAD_AGAIN])
def patient_reply(
    request: Request,
    thread_id: uuid.UUID,
    user: CurrentPatientUser,
    session: SessionDep,
    settings: SettingsDep,
    body: BodyField = "",
    urgent: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    patient_id = _own_patient_id(session, user)
    return _reply(request, session, user, settings, patient_id, thread_id, body, urgent)


# --- clinician ----------------------------------------------------------------------------------------


@router.get("/clinician/patients/{patient_id}/messages", response_class=HTMLResponse)
def clinician_threads(
    request: Request,
    patient_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    patient, threads = messages.list_threads(session, user, patient_id)
    return render(
        request,
        "messages/clinician_threads.html",
        {"patient": patient, "threads": threads, "zone": settings.zone, "to_label": _team_label},
    )


@router.get("/clinician/patients/{patient_id}/messages/{thread_id}", response_class=HTMLResponse)
def clinician_thread(
    request: Request,
    patient_id: uuid.UUID,
    thread_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    view = messages.open_thread(session, user, patient_id, thread_id)
    return render(
        request, "messages/thread.html", _thread_context(request, user, settings, view, form={}, errors=[])
    )


@router.post(
    "/clinician/patients/{patient_id}/messages/{thread_id}",
    response_class=HTMLResponse,
    dependencies=[THREAD_AGAIN],
)
def clinician_reply(
    request: Request,
    patient_id: uuid.UUID,
    thread_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
    body: BodyField = "",
) -> Response:
    return _reply(request, session, user, settings, patient_id, thread_id, body, "")


def _team_label(discipline: Discipline | None) -> str:
    return discipline.label if discipline else "Whole care team"


def _addressed_to(discipline: Discipline | None) -> str:
    return f"the {discipline.label.lower()}" if discipline else "the whole care team"


# --- home panels --------------------------------------------------------------------------------------


@panels.patient_home_panel
def _patient_panel(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    if user.role != Role.PATIENT:
        return None
    threads = messages.threads_of(session, user, patient)
    unread = [s for s in threads if s.unread]
    return panels.Panel(
        title=f"New messages ({sum(s.unread for s in unread)})" if unread else "Messages",
        template="messages/_patient_panel.html",
        context={
            "unread": unread[:PANEL_THREADS],
            "count": len(threads),
            "has_team": bool(messages.addressees(session, patient)),
            "to_label": _to_label,
        },
        order=2 if unread else 70,
    )


@panels.clinician_patient_panel
def _overview_panel(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    if user.role != Role.CLINICIAN:
        return None
    # Urgent unread first, then other unread, each newest first: a thread needing an answer is never cut off.
    threads = sorted(
        messages.threads_of(session, user, patient), key=lambda s: (not s.urgent_unread, not s.unread)
    )
    unread = sum(s.unread for s in threads)
    return panels.Panel(
        title=f"Messages ({unread} unread)" if unread else "Messages",
        template="messages/_overview_panel.html",
        context={
            "patient": patient,
            "threads": threads[:PANEL_THREADS],
            "more": len(threads) > PANEL_THREADS,
            "to_label": _team_label,
        },
        order=5 if unread else 55,
    )


@panels.clinician_home_panel
def _home_panel(session: Session, user: User) -> panels.Panel | None:
    waiting = messages.unread_in_caseload(session, user)
    return panels.Panel(
        title=f"Unread messages ({sum(w.unread for w in waiting)})" if waiting else "Messages",
        template="messages/_home_panel.html",
        context={"waiting": waiting, "zone": get_settings().zone},
        order=1,
    )
