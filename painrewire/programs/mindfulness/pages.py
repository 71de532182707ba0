"""Pages: guided practices played step by step, the breathing pacer, the meditation timer, minutes per week;
the clinic's page for attaching its own recordings, and the route that plays them."""

from __future__ import annotations

import time
import uuid
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from painrewire.accounts.deps import CurrentPatientUser, CurrentStaff, CurrentUser
from painrewire.accounts.models import Role, User
from painrewire.charts import weekly_bars
from painrewire.clearance import gate
from painrewire.config import Settings
from painrewire.errors import InvalidInput
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.practice.models import Module
from painrewire.programs.mindfulness import audio, timing
from painrewire.programs.mindfulness import service as mindfulness
from painrewire.programs.mindfulness.content import BREATHING_PACER, MEDITATION_TIMER, practices
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.forms import FormDep
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, register_nav, render

router = page_router()
register_nav(Role.PATIENT, "/patient/mindfulness", "Mindfulness")
for _staff in (Role.CLINICIAN, Role.ADMIN):
    register_nav(_staff, "/clinic/mindfulness", "Practice audio")

#: Breathing-pacer choices: label -> share of each breath spent breathing in.
RATIOS = [("1 : 1", 0.5), ("1 : 1.5", 0.4), ("1 : 2", 1 / 3)]


def _tool_context(settings: Settings, user: User, patient: Patient, activity: str) -> dict[str, object]:
    """What every practice page's script needs: where to log, what, and the signed opened-at stamp."""
    return {
        "log_url": f"/api/v1/patients/{patient.id}/mindfulness/sessions",
        "page_stamp": timing.stamp(settings.secret_key, str(user.id), time.time()),
        "activity": activity,
        "max_minutes": mindfulness.max_minutes(activity),
    }


def _own(session: Session, user: User) -> Patient:
    return access.own_patient(session, user, resource_type="mindfulness_session")


@router.get("/patient/mindfulness", response_class=HTMLResponse)
def mindfulness_home(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = _own(session, user)
    weeks = mindfulness.weekly_minutes_for(session, patient)
    return render(
        request,
        "mindfulness/home.html",
        {
            "practices": list(practices().values()),
            "audio": mindfulness.current_audio(session),
            "weeks": weeks,
            "this_week": weeks[-1][1] if weeks else 0.0,
            "chart": weekly_bars(weeks[-12:], title="Mindfulness minutes per week", chart_id="mindful-weeks"),
            "recent": mindfulness.recent_sessions_for(session, patient),
            "practice": _practice(session, patient),
        },
    )


def _practice(session: Session, patient: Patient) -> gate.PracticeStatus:
    return gate.practice_status(session, patient, Module.MINDFULNESS)


def _closed(request: Request, what: str, practice: gate.PracticeStatus) -> Response:
    """The page of a practice that is closed: why, and what to do, instead of its player."""
    return render(request, "programs/practice_closed.html", {"what": what, "practice": practice})


@router.get("/patient/mindfulness/practices/{practice_id}", response_class=HTMLResponse)
def practice_page(
    practice_id: str, request: Request, user: CurrentPatientUser, session: SessionDep, settings: SettingsDep
) -> Response:
    found = mindfulness.practice(practice_id)
    patient = _own(session, user)
    practice = _practice(session, patient)
    if not practice.open:
        return _closed(request, found.title, practice)
    recording = mindfulness.current_audio(session).get(found.id)
    return render(
        request,
        "mindfulness/practice.html",
        {
            "practice": found,
            "audio_url": mindfulness.audio_url(recording) if recording else None,
            **_tool_context(settings, user, patient, found.id),
        },
    )


@router.get("/patient/mindfulness/pacer", response_class=HTMLResponse)
def pacer_page(
    request: Request, user: CurrentPatientUser, session: SessionDep, settings: SettingsDep
) -> Response:
    patient = _own(session, user)
    practice = _practice(session, patient)
    if not practice.open:
        return _closed(request, "Breathing pacer", practice)
    return render(
        request,
        "mindfulness/pacer.html",
        {"ratios": RATIOS, **_tool_context(settings, user, patient, BREATHING_PACER)},
    )


@router.get("/patient/mindfulness/timer", response_class=HTMLResponse)
def timer_page(
    request: Request, user: CurrentPatientUser, session: SessionDep, settings: SettingsDep
) -> Response:
    patient = _own(session, user)
    practice = _practice(session, patient)
    if not practice.open:
        return _closed(request, "Meditation timer", practice)
    return render(request, "mindfulness/timer.html", _tool_context(settings, user, patient, MEDITATION_TIMER))


# --- The clinic's recordings ----------------------------------------------------------------------------------


def _audio_context(session: Session, settings: Settings, errors: dict[str, str]) -> dict[str, Any]:
    return {
        "practices": list(practices().values()),
        "audio": mindfulness.current_audio(session),
        "errors": errors,
        "max_bytes": settings.practice_audio_max_bytes,
        "accepted": audio.ACCEPTED,
    }


@router.get("/clinic/mindfulness", response_class=HTMLResponse)
def clinic_audio(
    request: Request, user: CurrentStaff, session: SessionDep, settings: SettingsDep
) -> Response:
    return render(request, "mindfulness/clinic_audio.html", _audio_context(session, settings, {}))


def _audio_again(refused: Refused) -> dict[str, Any]:
    """The recordings again, with the reason beside the practice whose upload was refused."""
    settings: Settings = refused.request.app.state.settings
    errors = {refused.path["practice_id"]: " ".join(refused.errors)}
    return _audio_context(refused.session, settings, errors)


@router.post(
    "/clinic/mindfulness/practices/{practice_id}/audio",
    response_class=HTMLResponse,
    dependencies=[refusal_page("mindfulness/clinic_audio.html", _audio_again)],
)
def upload_audio(
    practice_id: str, user: CurrentStaff, session: SessionDep, settings: SettingsDep, form: FormDep
) -> Response:
    mindfulness.practice(practice_id)
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise InvalidInput("file: choose an audio recording to upload.", field="file")
    data = upload.file.read(settings.practice_audio_max_bytes + 1)
    mindfulness.attach_audio(
        session,
        user,
        practice_id,
        filename=upload.filename,
        data=data,
        max_bytes=settings.practice_audio_max_bytes,
        size=upload.size,
    )
    return redirect(f"/clinic/mindfulness?attached={practice_id}#practice-{practice_id}")


@router.get("/mindfulness/audio/{audio_id}")
def play_audio(audio_id: uuid.UUID, request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """Stream a recording with its content type; a single byte range is answered with 206 Partial Content."""
    try:
        part = mindfulness.play_audio(session, user, audio_id, request.headers.get("range"))
    except mindfulness.RangeNotSatisfiable as exc:
        return Response(
            status_code=416, headers={"Content-Range": f"bytes */{exc.total}", "Accept-Ranges": "bytes"}
        )
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": part.etag,
        "Cache-Control": "private, max-age=3600",
        "Content-Disposition": "inline",
    }
    if request.headers.get("if-none-match") == part.etag and not part.partial:
        return Response(status_code=304, headers=headers)
    if part.partial:
        headers["Content-Range"] = f"bytes {part.start}-{part.end}/{part.total}"
    return Response(
        content=part.data,
        status_code=206 if part.partial else 200,
        media_type=part.content_type,
        headers=headers,
    )


# --- Clinician's overview -------------------------------------------------------------------------------------


@panels.clinician_patient_panel
def _clinician_minutes(session: Session, user: User, patient: Patient) -> panels.Panel:
    weeks = mindfulness.weekly_minutes_for(session, patient)
    recent = mindfulness.recent_sessions_for(session, patient, limit=5)
    return panels.Panel(
        title="Mindfulness",
        template="mindfulness/_clinician_panel.html",
        context={
            "weeks": weeks,
            "chart": weekly_bars(
                weeks[-12:], title="Mindfulness minutes per week", chart_id=f"mindful-{patient.id.hex[:8]}"
            ),
            "recent": recent,
            "this_week": weeks[-1][1] if weeks else 0.0,
        },
        order=46,
    )
