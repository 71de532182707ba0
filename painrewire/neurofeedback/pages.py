"""Pages: the practitioner's session list, a patient's sessions with the set-up form, the live console and the
recording review, n-of-1 series; the patient's sessions, their feedback screen and the questions before and
after each session; the panels on both home pages (side effects that need a look on the clinician's)."""

from __future__ import annotations

import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from fastapi import BackgroundTasks, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician, CurrentPatientUser, refused_user
from painrewire.accounts.models import Role, User
from painrewire.clearance import gate
from painrewire.errors import Conflict, InvalidInput
from painrewire.neurofeedback import api, ratings, series, service
from painrewire.neurofeedback.live.hub import hub_of
from painrewire.neurofeedback.models import (
    NeurofeedbackSeries,
    NeurofeedbackSession,
    SeriesStatus,
    SessionStatus,
    Severity,
    SideEffect,
)
from painrewire.neurofeedback.schemas import SeriesCreate, SessionCreate, SourceKind, blind_summary
from painrewire.neurofeedback.signal.protocols import PROTOCOLS, Purpose
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.practice.models import Module
from painrewire.web.deps import SessionDep
from painrewire.web.errors import status_for
from painrewire.web.forms import FormDep
from painrewire.web.refusals import OtherPage, Refused, SeeOther, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, register_nav, render

router = page_router()
register_nav(Role.PATIENT, "/patient/neurofeedback", "Neurofeedback")
register_nav(Role.CLINICIAN, "/clinician/neurofeedback", "Neurofeedback")

STATUS_LABELS = {
    SessionStatus.PLANNED: "starting",
    SessionStatus.CHECKING: "live",
    SessionStatus.RUNNING: "live",
    SessionStatus.COMPLETED: "completed",
    SessionStatus.ABORTED: "ended early",
}
FORM_DEFAULTS: dict[str, Any] = {
    "protocol": "alpha",
    "source": "brainflow",
    "board_id": "-1",
    "minutes": "20",
    "baseline_seconds": "60",
    "check_seconds": "5",
    "target_percent": "70",
    "line_freq": "50",
    "lsl_type": "EEG",
    "eyes": "",
    "blocks": "3",
}


TEXT_FILE = Path(__file__).with_name("patient_text.yaml")


@lru_cache
def patient_text() -> dict[str, Any]:
    """What the patient reads about and during neurofeedback (a data file beside this module)."""
    data: dict[str, Any] = yaml.safe_load(TEXT_FILE.read_text(encoding="utf-8"))
    return data


def _common() -> dict[str, Any]:
    return {
        "protocols": PROTOCOLS,
        "pain_protocols": {k: p for k, p in PROTOCOLS.items() if p.purpose is Purpose.PAIN},
        "other_protocols": {k: p for k, p in PROTOCOLS.items() if p.purpose is not Purpose.PAIN},
        "status_labels": STATUS_LABELS,
        "title_of": service.protocol_title,
        "active": service.ACTIVE,
        "side_effect_labels": ratings.SIDE_EFFECT_LABELS,
        "describe_effects": ratings.describe,
    }


def duration_words(seconds: float) -> str:
    """How long a baseline lasts, for "a quiet ...": ``minute``, ``2 minutes``, ``30 seconds``."""
    whole = round(seconds)
    if whole >= 60 and whole % 60 == 0:
        return "minute" if whole == 60 else f"{whole // 60} minutes"
    return f"{whole} seconds"


def screen_states(row: NeurofeedbackSession) -> dict[str, str]:
    """What the patient's screen says in each state of this session, its eyes condition included."""
    text = patient_text()
    eyes = row.eyes.value
    return {
        **text["states"],
        "baseline": text["baseline"][eyes].format(duration=duration_words(row.baseline_seconds)),
        "feedback": text["feedback"][eyes],
    }


# --- The practitioner ------------------------------------------------------------------------------------------


@router.get("/clinician/neurofeedback/start", response_class=HTMLResponse)
def choose_patient(patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep) -> Response:
    patient = access.patient_for(session, user, patient_id, resource_type="nfb_session")
    return redirect(f"/clinician/patients/{patient.id}/neurofeedback")


@router.get("/clinician/neurofeedback", response_class=HTMLResponse)
def practitioner_sessions(request: Request, user: CurrentClinician, session: SessionDep) -> Response:
    rows = service.caseload_sessions(session, user)
    caseload = access.shown_caseload(session, user, resource_type="patient", reason="neurofeedback overview")
    return render(
        request,
        "neurofeedback/practitioner.html",
        {
            **_common(),
            "rows": rows,
            "caseload": caseload,
            "me": user.id,
        },
    )


def _boards() -> list[dict[str, Any]]:
    try:
        return api._boards()
    except Exception:  # BrainFlow's library failed to load: the synthetic board is still offered
        return [{"board_id": -1, "name": "Synthetic", "sfreq": 250.0, "eeg_channels": []}]


def _patient_context(
    session: Session, patient: Patient, form: dict[str, Any], errors: list[str], errors_title: str = ""
) -> dict[str, Any]:
    rows = service.sessions_for_patient(session, patient)
    all_series = series.series_of_patient(session, patient)
    running = next((s for s in all_series if s.status is SeriesStatus.RUNNING), None)
    # The headsets the clinic used lately and the synthetic one come first; BrainFlow's full list (about 60
    # boards) waits behind a <details>. The most recently used headset is the one preselected.
    boards = _boards()
    by_id = {int(b["board_id"]): b for b in boards}
    recent = service.recent_board_ids(session)
    first_ids = list(dict.fromkeys([*recent, -1]))
    boards_first = [by_id.get(i, {"board_id": i, "name": f"Board {i}", "sfreq": None}) for i in first_ids]
    form = {**FORM_DEFAULTS, "board_id": str(first_ids[0]), **form}
    other = str(form.get("other_board_id") or "")
    return {
        **_common(),
        "patient": patient,
        "rows": rows,
        "ratings": ratings.ratings_for(session, [r.id for r in rows]),
        "series_list": all_series,
        "running_series": running,
        "running_progress": series.progress(session, running) if running is not None else None,
        "blinded_consent": service.has_blinded_consent(session, patient.id),
        "live": next((r for r in rows if r.status in service.ACTIVE), None),
        "recordings": [r for r in rows if r.recording_seconds],
        "replayable": [r for r in service.replayable_sessions(session, patient.id) if r.hop_rewards],
        "boards": boards,
        "boards_first": boards_first,
        "recent_board_ids": recent,
        "other_board_open": bool(other) or str(form.get("board_id")) not in {str(i) for i in first_ids},
        "form": form,
        "errors": errors,
        "errors_title": errors_title,
        "sources": [s.value for s in SourceKind],
        "practice": gate.practice_status(session, patient, Module.NEUROFEEDBACK),
    }


@router.get("/clinician/patients/{patient_id}/neurofeedback", response_class=HTMLResponse)
def patient_sessions(
    patient_id: uuid.UUID, request: Request, user: CurrentClinician, session: SessionDep
) -> Response:
    patient = access.patient_for(session, user, patient_id, resource_type="nfb_session")
    return render(request, "neurofeedback/patient_sessions.html", _patient_context(session, patient, {}, []))


def _form_to_create(form: dict[str, str]) -> SessionCreate:
    def number(name: str, default: float) -> float:
        raw = (form.get(name) or "").strip()
        if not raw:
            return default
        try:
            return float(raw)
        except ValueError:
            raise InvalidInput(
                f"{name.replace('_', ' ')}: enter a number, not {raw!r}.", field=name
            ) from None

    channels = [c.strip() for c in (form.get("channels") or "").split(",") if c.strip()]
    series_id = (form.get("series_id") or None) if form.get("in_series") == "on" else None
    return SessionCreate.model_validate(
        {
            "protocol": form.get("protocol") or "alpha",
            "channels": channels or None,
            "source": form.get("source") or "brainflow",
            # A board chosen from the full list (behind the <details>) wins over the short list's radio buttons.
            "board_id": int(number("other_board_id", number("board_id", -1))),
            "serial_port": form.get("serial_port") or "",
            "mac_address": form.get("mac_address") or "",
            "ip_address": form.get("ip_address") or "",
            "ip_port": int(number("ip_port", 0)),
            "serial_number": form.get("serial_number") or "",
            "lsl_name": form.get("lsl_name") or "",
            "lsl_type": form.get("lsl_type") or "EEG",
            "playback_session_id": form.get("playback_session_id") or None,
            "duration_seconds": number("minutes", 20) * 60,
            "baseline_seconds": number("baseline_seconds", 60),
            "check_seconds": number("check_seconds", 5),
            "target_reward_rate": number("target_percent", 70) / 100,
            "line_freq": int(number("line_freq", 50)),
            "eyes": form.get("eyes") or None,
            "sham": form.get("sham") == "on" and not series_id,
            "sham_source_id": (form.get("sham_source_id") or None) if not series_id else None,
            "series_id": series_id,
        }
    )


def _patient_again(refused: Refused) -> dict[str, Any]:
    """The patient's sessions again: the set-up form as typed, or the series form, with the reasons."""
    patient_id = uuid.UUID(refused.path["patient_id"])
    planning = refused.request.url.path.endswith("/series")
    resource = "nfb_series" if planning else "nfb_session"
    patient = access.patient_for(refused.session, refused_user(refused), patient_id, resource_type=resource)
    if planning:
        context = _patient_context(refused.session, patient, {}, [], "")
        return {**context, "series_errors": refused.errors, "series_form": dict(refused.form)}
    mistake = refused.error is None or status_for(refused.error) == 422  # the form has a mistake
    title = "" if mistake else "The session was not set up:"
    return _patient_context(refused.session, patient, dict(refused.form), refused.errors, title)


PATIENT_AGAIN = refusal_page("neurofeedback/patient_sessions.html", _patient_again)


@router.post(
    "/clinician/patients/{patient_id}/neurofeedback",
    response_class=HTMLResponse,
    dependencies=[PATIENT_AGAIN],
)
def start_session(
    patient_id: uuid.UUID,
    request: Request,
    background: BackgroundTasks,
    user: CurrentClinician,
    session: SessionDep,
    raw: FormDep,
) -> Response:
    form = {k: str(v) for k, v in raw.items() if isinstance(v, str)}
    data = _form_to_create(form)
    # The services load the patient and audit the set-up: one access, one audit row.
    if data.series_id is not None:
        row = series.start_session(session, user, data.series_id, data)
        if row.patient_id != patient_id:
            raise InvalidInput("That series belongs to another patient.", field="series_id")
    else:
        row = service.create_session(session, user, patient_id, data)
    # Last, so what is wrong with this patient's set-up is said first.
    hub_of(request.app).admit()
    background.add_task(api.start_live, request.app, row.id)
    return redirect(f"/clinician/neurofeedback/sessions/{row.id}")


def _clinician_session(
    session: Session, user: User, session_id: uuid.UUID
) -> tuple[NeurofeedbackSession, Patient]:
    row = service.get_session(session, user, session_id)
    patient = access.patient_for(
        session, user, row.patient_id, resource_type="nfb_session", resource_id=row.id
    )
    return row, patient


@router.get("/clinician/neurofeedback/sessions/{session_id}", response_class=HTMLResponse)
def console(session_id: uuid.UUID, request: Request, user: CurrentClinician, session: SessionDep) -> Response:
    row, patient = _clinician_session(session, user, session_id)
    service.settle_orphans(session, patient_id=patient.id)
    if row.status not in service.ACTIVE:
        return redirect(f"/clinician/neurofeedback/sessions/{row.id}/review")
    return render(
        request,
        "neurofeedback/console.html",
        {
            **_common(),
            "row": row,
            "patient": patient,
            "notes": service.notes_for(session, row),
            "rating": ratings.rating_of(session, row),
            "message": request.query_params.get("message", ""),
        },
    )


def _console_again(refused: Refused) -> SeeOther:
    """A console command the form got wrong: back to the console, the reason on top. Any other refusal is the
    plain error page."""
    if refused.error is not None and not isinstance(refused.error, InvalidInput):
        raise refused.error
    message = _quote(" ".join(refused.errors))
    return SeeOther(f"/clinician/neurofeedback/sessions/{refused.path['session_id']}?message={message}")


CONSOLE_AGAIN = refusal_page("neurofeedback/console.html", _console_again)


def _quote(text: str) -> str:
    from urllib.parse import quote

    return quote(text[:300])


@router.post(
    "/clinician/neurofeedback/sessions/{session_id}/begin",
    response_class=HTMLResponse,
    dependencies=[CONSOLE_AGAIN],
)
async def console_begin(
    session_id: uuid.UUID, request: Request, user: CurrentClinician, session: SessionDep, raw: FormDep
) -> Response:
    """Async: the command goes to the live loop of the running session (its database work runs in threads)."""
    from painrewire.neurofeedback.schemas import BeginTraining

    note = str(raw.get("override_note") or "")[:500]
    await api.begin_training(session_id, BeginTraining(override_note=note), request, user, session)
    return redirect(f"/clinician/neurofeedback/sessions/{session_id}")


@router.post(
    "/clinician/neurofeedback/sessions/{session_id}/notes",
    response_class=HTMLResponse,
    dependencies=[CONSOLE_AGAIN],
)
async def console_note(
    session_id: uuid.UUID, request: Request, user: CurrentClinician, session: SessionDep, raw: FormDep
) -> Response:
    """Async: the note goes to the live loop of the running session (its database work runs in threads)."""
    text = str(raw.get("text") or "").strip()[:500]
    if not text:
        raise InvalidInput("A note needs some text.", field="text")
    await api.note_live(request.app, session, user, session_id, text)
    return redirect(f"/clinician/neurofeedback/sessions/{session_id}")


@router.post("/clinician/neurofeedback/sessions/{session_id}/stop", response_class=HTMLResponse)
async def console_stop(
    session_id: uuid.UUID, request: Request, user: CurrentClinician, session: SessionDep
) -> Response:
    await api.stop_live(request.app, session, user, session_id)
    return redirect(f"/clinician/neurofeedback/sessions/{session_id}/review")


@router.get("/clinician/neurofeedback/sessions/{session_id}/review", response_class=HTMLResponse)
def review(session_id: uuid.UUID, request: Request, user: CurrentClinician, session: SessionDep) -> Response:
    row, patient = _clinician_session(session, user, session_id)
    return render(
        request,
        "neurofeedback/review.html",
        {
            **_common(),
            "row": row,
            "patient": patient,
            "summary": (blind_summary(row.summary) if row.blinded else row.summary) or {},
            "notes": service.notes_for(session, row),
            "sham_source": session.get(NeurofeedbackSession, row.sham_source_id)
            if row.sham_source_id and not row.blinded
            else None,
            "rating": ratings.rating_of(session, row),
            "file_name": api.recording_name(row),
        },
    )


# --- The patient -----------------------------------------------------------------------------------------------


@router.get("/patient/neurofeedback", response_class=HTMLResponse)
def patient_home(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type="nfb_session")
    rows = service.sessions_for_patient(session, patient)
    ended = [r for r in rows if r.status not in service.ACTIVE and r.training_started_at is not None]
    return render(
        request,
        "neurofeedback/patient_home.html",
        {
            **_common(),
            "text": patient_text(),
            "live": next((r for r in rows if r.status in service.ACTIVE), None),
            "done": [r for r in rows if r.status is SessionStatus.COMPLETED],
            "ended": ended,
            "ratings": ratings.ratings_for(session, [r.id for r in ended]),
            "practice": gate.practice_status(session, patient, Module.NEUROFEEDBACK),
        },
    )


@router.get("/patient/neurofeedback/sessions/{session_id}", response_class=HTMLResponse)
def feedback_screen(
    session_id: uuid.UUID, request: Request, user: CurrentPatientUser, session: SessionDep
) -> Response:
    _, row = service.own_session(session, user, session_id)
    return render(request, "neurofeedback/feedback.html", _feedback_context(session, row))


def _feedback_context(
    session: Session, row: NeurofeedbackSession, errors: list[str] | None = None
) -> dict[str, Any]:
    rating = ratings.rating_of(session, row)
    return {
        **_common(),
        "text": patient_text(),
        "states": screen_states(row),
        "row": row,
        "rating": rating,
        "errors": errors or [],
        "ask_before": row.status in service.ACTIVE
        and row.training_started_at is None
        and (rating is None or rating.pain_before is None),
        "ended": row.status not in service.ACTIVE,
        "minutes": (row.summary or {}).get("minutes_trained"),
    }


def _rating_form(form: dict[str, str]) -> dict[str, object]:
    """The after-session form as plain data for ``RatingAfter`` (a blank or unknown answer is left to it)."""
    effects = {}
    for key, value in form.items():
        if key.startswith("effect_") and value and value != "none":
            effects[key.removeprefix("effect_")] = value
    return {
        "pain_after": form.get("pain_after", "").strip() or None,
        "side_effects": effects,
        "other_text": form.get("other_text", ""),
        "other_severity": (form.get("other_severity") or None)
        if form.get("other_text", "").strip()
        else None,
    }


def _rating_context(
    row: NeurofeedbackSession,
    rating: Any,
    *,
    errors: list[str] | None = None,
    form: dict[str, str] | None = None,
    saved: bool = False,
) -> dict[str, Any]:
    return {
        **_common(),
        "text": patient_text(),
        "row": row,
        "rating": rating,
        "errors": errors or [],
        "form": form or {},
        "saved": saved,
        "effects": [e.value for e in SideEffect],
        "severities": [s.value for s in Severity],
    }


@router.get("/patient/neurofeedback/sessions/{session_id}/rating", response_class=HTMLResponse)
def rating_page(
    session_id: uuid.UUID, request: Request, user: CurrentPatientUser, session: SessionDep
) -> Response:
    """The questions after a session (pain now, side effects)."""
    _, row = service.own_session(session, user, session_id)
    if row.status in service.ACTIVE:
        return redirect(f"/patient/neurofeedback/sessions/{row.id}")
    saved = bool(request.query_params.get("saved"))
    return render(
        request,
        "neurofeedback/rating.html",
        _rating_context(row, ratings.rating_of(session, row), saved=saved),
    )


def _rating_again(refused: Refused) -> dict[str, Any] | OtherPage:
    """The rating form again with the answers given; a refused pain-before is shown on the session's screen."""
    _, row = service.own_session(
        refused.session, refused_user(refused), uuid.UUID(refused.path["session_id"])
    )
    if refused.form.get("when", "after") == "before":
        return OtherPage(
            "neurofeedback/feedback.html", _feedback_context(refused.session, row, refused.errors)
        )
    rating = ratings.rating_of(refused.session, row)
    return _rating_context(row, rating, errors=refused.errors, form=dict(refused.form))


@router.post(
    "/patient/neurofeedback/sessions/{session_id}/rating",
    response_class=HTMLResponse,
    dependencies=[refusal_page("neurofeedback/rating.html", _rating_again)],
)
def save_rating(
    session_id: uuid.UUID, user: CurrentPatientUser, session: SessionDep, raw: FormDep
) -> Response:
    """Save the patient's answer: pain before (while the session has not begun) or after it, with side effects."""
    form = {k: str(v) for k, v in raw.items() if isinstance(v, str)}
    if form.get("when", "after") == "before":
        ratings.record_before(session, user, session_id, {"pain_before": form.get("pain_before") or None})
        return redirect(f"/patient/neurofeedback/sessions/{session_id}")
    ratings.record_after(session, user, session_id, _rating_form(form))
    return redirect(f"/patient/neurofeedback/sessions/{session_id}/rating?saved=1")


# --- n-of-1 series ---------------------------------------------------------------------------------------------


def _series_form(form: dict[str, str]) -> SeriesCreate:
    def number(name: str, default: float) -> float:
        raw = (form.get(name) or "").strip()
        try:
            return float(raw) if raw else default
        except ValueError:
            raise InvalidInput(
                f"{name.replace('_', ' ')}: enter a number, not {raw!r}.", field=name
            ) from None

    channels = [c.strip() for c in (form.get("channels") or "").split(",") if c.strip()]
    return SeriesCreate.model_validate(
        {
            "protocol": form.get("protocol") or "alpha",
            "channels": channels or None,
            "eyes": form.get("eyes") or None,
            "blocks": int(number("blocks", 3)),
            "duration_seconds": number("minutes", 20) * 60,
            "baseline_seconds": number("baseline_seconds", 60),
            "target_reward_rate": number("target_percent", 70) / 100,
        }
    )


@router.post(
    "/clinician/patients/{patient_id}/neurofeedback/series",
    response_class=HTMLResponse,
    dependencies=[PATIENT_AGAIN],
)
def plan_series(patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep, raw: FormDep) -> Response:
    data = _series_form({k: str(v) for k, v in raw.items() if isinstance(v, str)})
    # The service loads the patient and audits the plan: one access, one audit row.
    row = series.plan_series(session, user, patient_id, data)
    return redirect(f"/clinician/neurofeedback/series/{row.id}")


def _series_context(session: Session, user: User, row: NeurofeedbackSeries) -> dict[str, Any]:
    patient = access.patient_for(
        session, user, row.patient_id, resource_type="nfb_series", resource_id=row.id
    )
    state = series.progress(session, row)
    report = series.series_report(session, user, row.id) if row.unblinded_at is not None else None
    return {**_common(), "series": row, "patient": patient, "progress": state, "report": report}


@router.get("/clinician/neurofeedback/series/{series_id}", response_class=HTMLResponse)
def series_page(
    series_id: uuid.UUID, request: Request, user: CurrentClinician, session: SessionDep
) -> Response:
    row = series.get_series(session, user, series_id)
    series.enforce_consent(session, row.patient_id)
    context = _series_context(session, user, row)
    context["message"] = request.query_params.get("message", "")
    return render(request, "neurofeedback/series.html", context)


def _series_again(refused: Refused) -> SeeOther:
    """A series that cannot be stopped or unblinded now: back to it, the reason on top (a conflict only; any
    other refusal is the plain error page)."""
    if not isinstance(refused.error, Conflict):
        raise refused.error or InvalidInput(" ".join(refused.errors))
    message = _quote(refused.error.message)
    return SeeOther(f"/clinician/neurofeedback/series/{refused.path['series_id']}?message={message}")


SERIES_AGAIN = refusal_page("neurofeedback/series.html", _series_again)


@router.post(
    "/clinician/neurofeedback/series/{series_id}/stop",
    response_class=HTMLResponse,
    dependencies=[SERIES_AGAIN],
)
def series_stop(series_id: uuid.UUID, user: CurrentClinician, session: SessionDep, raw: FormDep) -> Response:
    reason = str(raw.get("reason") or "")[:500]
    series.stop_series(session, user, series_id, reason=reason)
    return redirect(f"/clinician/neurofeedback/series/{series_id}")


@router.post(
    "/clinician/neurofeedback/series/{series_id}/unblind",
    response_class=HTMLResponse,
    dependencies=[SERIES_AGAIN],
)
def series_unblind(
    series_id: uuid.UUID, user: CurrentClinician, session: SessionDep, raw: FormDep
) -> Response:
    accept = raw.get("accept_missing_ratings") == "on"
    series.unblind_series(session, user, series_id, accept_missing_ratings=accept)
    return redirect(f"/clinician/neurofeedback/series/{series_id}")


# --- Panels ----------------------------------------------------------------------------------------------------


@panels.clinician_patient_panel
def _clinician_panel(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    live = service.live_session_of(session, patient)
    recent = service.latest_completed(session, patient, limit=3)
    return panels.Panel(
        title="Neurofeedback",
        template="neurofeedback/_clinician_panel.html",
        context={"patient": patient, "live": live, "recent": recent, "title_of": service.protocol_title},
        order=60,
    )


@panels.patient_home_panel
def _patient_panel(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    live = service.live_session_of(session, patient)
    if live is None:
        return None
    return panels.Panel(
        title="Your neurofeedback session",
        template="neurofeedback/_patient_panel.html",
        context={"live": live},
        order=1,
    )


@panels.clinician_home_panel
def _side_effects_panel(session: Session, user: User) -> panels.Panel | None:
    notes = ratings.side_effect_notes(session, user)
    if not notes:
        return None
    return panels.Panel(
        title="Neurofeedback side effects to look at",
        template="neurofeedback/_side_effects_panel.html",
        context={"notes": notes},
        order=25,
    )
