"""JSON routes and WebSockets for neurofeedback: set a session up, command it live, notes, the record, review and
export; pain and side-effect ratings; n-of-1 series. Live commands reach the session's loop through the broadcast
channel, whichever process runs it."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from functools import lru_cache
from typing import Any

from fastapi import BackgroundTasks, FastAPI, Query, Request, WebSocket
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician, CurrentUser
from painrewire.accounts.models import User
from painrewire.errors import Conflict, InvalidInput
from painrewire.neurofeedback import ratings, series, service, sockets
from painrewire.neurofeedback.live.hub import hub_of
from painrewire.neurofeedback.models import NeurofeedbackSeries, NeurofeedbackSession
from painrewire.neurofeedback.schemas import (
    BeginTraining,
    Command,
    NoteCreate,
    NoteRead,
    RatingAfter,
    RatingBefore,
    RatingRead,
    ReviewOverview,
    ReviewWindow,
    SeriesCreate,
    SeriesRead,
    SeriesReportRead,
    SeriesStop,
    SessionCreate,
    SessionRead,
    TargetUpdate,
    Unblind,
)
from painrewire.patients import access
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.routing import api_router, error_responses


@contextlib.asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    hub = hub_of(app)
    await hub.startup()
    try:
        yield
    finally:
        await hub.shutdown()


router = api_router(tags=["neurofeedback"], lifespan=_lifespan)
ERRORS = error_responses(401, 403, 404, 409, 422)


async def start_live(app: Any, session_id: uuid.UUID) -> None:
    """Start a session's live loop; runs after the request that set it up has committed."""
    hub_of(app).start(session_id)


@router.post(
    "/patients/{patient_id}/neurofeedback/sessions",
    response_model=SessionRead,
    status_code=201,
    summary="Set up a neurofeedback session: the headset opens and the signal check starts",
    responses=error_responses(401, 403, 404, 409, 422, 503),
)
def create_session(
    patient_id: uuid.UUID,
    data: SessionCreate,
    request: Request,
    background: BackgroundTasks,
    user: CurrentClinician,
    session: SessionDep,
) -> SessionRead:
    if data.series_id is not None:
        row = series.start_session(session, user, data.series_id, data)
        if row.patient_id != patient_id:
            raise InvalidInput("That series belongs to another patient.", field="series_id")
    else:
        row = service.create_session(session, user, patient_id, data)
    # Last, so what is wrong with this patient's set-up is said first; refused, the request's transaction
    # is rolled back and nothing is kept.
    hub_of(request.app).admit()
    background.add_task(start_live, request.app, row.id)
    return SessionRead.of(row)


@router.get(
    "/patients/{patient_id}/neurofeedback/sessions",
    response_model=list[SessionRead],
    summary="A patient's neurofeedback sessions, newest first",
    responses=ERRORS,
)
def list_sessions(patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep) -> list[SessionRead]:
    patient = access.patient_for(session, user, patient_id, resource_type="nfb_session")
    return [SessionRead.of(row) for row in service.sessions_for_patient(session, patient)]


@router.get(
    "/neurofeedback/sessions/{session_id}",
    response_model=SessionRead,
    summary="One session: set-up, signal check, summary, latency, how it ended",
    responses=ERRORS,
)
def get_session(session_id: uuid.UUID, user: CurrentClinician, session: SessionDep) -> SessionRead:
    return SessionRead.of(service.get_session(session, user, session_id))


async def _live(session: Session, user: User, session_id: uuid.UUID) -> NeurofeedbackSession:
    row = await run_in_threadpool(service.get_session, session, user, session_id)
    if row.status not in service.ACTIVE:
        raise service.SessionNotLive(f"The session has {row.status.value}; it cannot take live commands.")
    return row


@router.post(
    "/neurofeedback/sessions/{session_id}/begin",
    response_model=Command,
    summary="Start the baseline and feedback (over a failed signal check only with an override note)",
    responses=ERRORS,
)
async def begin_training(
    session_id: uuid.UUID, data: BeginTraining, request: Request, user: CurrentClinician, session: SessionDep
) -> Command:
    row = await _live(session, user, session_id)
    reply = await hub_of(request.app).command(
        row.id, "begin", override_note=data.override_note.strip(), practitioner=user.full_name
    )
    if not reply["ok"]:
        if reply.get("data", {}).get("reason") == "check_failed":
            raise InvalidInput(reply["detail"], field="override_note")
        raise Conflict(reply["detail"])
    return Command(ok=True, detail=reply["detail"])


@router.post(
    "/neurofeedback/sessions/{session_id}/recheck",
    response_model=Command,
    summary="Run the signal check again before training (after fixing an electrode)",
    responses=ERRORS,
)
async def recheck(
    session_id: uuid.UUID, request: Request, user: CurrentClinician, session: SessionDep
) -> Command:
    row = await _live(session, user, session_id)
    reply = await hub_of(request.app).command(row.id, "recheck")
    if not reply["ok"]:
        raise Conflict(reply["detail"])
    return Command(ok=True, detail=reply["detail"])


@router.put(
    "/neurofeedback/sessions/{session_id}/target",
    response_model=Command,
    summary="Change the reward rate the adaptive threshold aims at",
    responses=ERRORS,
)
async def set_target(
    session_id: uuid.UUID, data: TargetUpdate, request: Request, user: CurrentClinician, session: SessionDep
) -> Command:
    row = await _live(session, user, session_id)
    reply = await hub_of(request.app).command(row.id, "target", target_reward_rate=data.target_reward_rate)
    if not reply["ok"]:
        raise InvalidInput(reply["detail"], field="target_reward_rate")
    return Command(ok=True, detail=reply["detail"])


@router.post(
    "/neurofeedback/sessions/{session_id}/stop",
    response_model=Command,
    summary="End the session now: the recording and summary are stored",
    responses=ERRORS,
)
async def stop_session(
    session_id: uuid.UUID, request: Request, user: CurrentClinician, session: SessionDep
) -> Command:
    return await stop_live(request.app, session, user, session_id)


async def stop_live(app: Any, session: Session, user: User, session_id: uuid.UUID) -> Command:
    """Stop a live session; one whose loop no longer answers is marked as ended."""
    row = await _live(session, user, session_id)
    try:
        reply = await hub_of(app).command(row.id, "stop", reason=f"Stopped by {user.full_name}.")
    except service.SessionNotLive:
        await run_in_threadpool(service.abandon_session, session, user, row.id)
        return Command(
            ok=True, detail="The session's live loop was not answering; it is now marked as ended."
        )
    return Command(ok=bool(reply["ok"]), detail=str(reply["detail"]))


@router.post(
    "/neurofeedback/sessions/{session_id}/notes",
    response_model=NoteRead,
    status_code=201,
    summary="Add a note during the session; it becomes an event in the recording",
    responses=ERRORS,
)
async def add_note(
    session_id: uuid.UUID, data: NoteCreate, request: Request, user: CurrentClinician, session: SessionDep
) -> NoteRead:
    return await note_live(request.app, session, user, session_id, data.text)


async def note_live(app: Any, session: Session, user: User, session_id: uuid.UUID, text: str) -> NoteRead:
    note = await run_in_threadpool(service.add_note, session, user, session_id, text)
    reply = await hub_of(app).command(session_id, "note", text=note.text)
    if not reply["ok"]:
        raise Conflict(reply["detail"])
    return NoteRead.model_validate(note)


@router.get(
    "/neurofeedback/sessions/{session_id}/notes",
    response_model=list[NoteRead],
    summary="The practitioner's notes of a session",
    responses=ERRORS,
)
def list_notes(session_id: uuid.UUID, user: CurrentClinician, session: SessionDep) -> list[NoteRead]:
    row = service.get_session(session, user, session_id, resource_type="nfb_note")
    return [NoteRead.model_validate(n) for n in service.notes_for(session, row)]


@router.get(
    "/neurofeedback/sessions/{session_id}/recording.edf",
    summary="Download the session's EDF+ recording (raw EEG in microvolts and every event)",
    responses={**ERRORS, 200: {"content": {"application/octet-stream": {}}, "description": "EDF+ file"}},
)
def download_recording(session_id: uuid.UUID, user: CurrentClinician, session: SessionDep) -> Response:
    row, data = service.recording_of(session, user, session_id)
    return Response(
        data,
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{recording_name(row)}.edf"'},
    )


@router.get(
    "/neurofeedback/sessions/{session_id}/bids.zip",
    summary="Download the recording as a BIDS dataset (mne-bids), zipped",
    responses={**ERRORS, 200: {"content": {"application/zip": {}}, "description": "BIDS dataset"}},
)
def download_bids(
    session_id: uuid.UUID, user: CurrentClinician, session: SessionDep, settings: SettingsDep
) -> Response:
    row, data = service.bids_zip(session, user, session_id, clinic_name=settings.clinic_name)
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{recording_name(row)}-bids.zip"'},
    )


@router.get(
    "/neurofeedback/sessions/{session_id}/bids-research.zip",
    summary="Download a de-identified BIDS copy for research: dates shifted, a research subject label, "
    "no free text, the clinic as author",
    responses={
        **ERRORS,
        200: {"content": {"application/zip": {}}, "description": "De-identified BIDS dataset"},
    },
)
def download_bids_research(
    session_id: uuid.UUID, user: CurrentClinician, session: SessionDep, settings: SettingsDep
) -> Response:
    _, data = service.bids_research_zip(
        session, user, session_id, secret=settings.secret_key, clinic_name=settings.clinic_name
    )
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="neurofeedback-research-bids.zip"'},
    )


def recording_name(row: NeurofeedbackSession) -> str:
    """A file name that says what the recording is, with the patient's pseudonym, never their name."""
    return f"nfb-{service.patient_code(row.patient_id)}-{row.created_at:%Y%m%d-%H%M}-{row.protocol}"


@router.get(
    "/neurofeedback/sessions/{session_id}/review",
    response_model=ReviewOverview,
    summary="The whole recording at a glance: band power each second and every event",
    responses=ERRORS,
)
def review_overview(session_id: uuid.UUID, user: CurrentClinician, session: SessionDep) -> dict[str, Any]:
    return service.review_overview(session, user, session_id)


@router.get(
    "/neurofeedback/sessions/{session_id}/review/traces",
    response_model=ReviewWindow,
    summary="Traces of a stretch of the recording, as minimum and maximum per screen slice",
    responses=ERRORS,
)
def review_traces(
    session_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    start: float = Query(0.0, ge=0.0, description="Seconds from the start of the recording"),
    seconds: float = Query(10.0, gt=0.0, le=120.0, description="Length of the stretch"),
    buckets: int = Query(1000, ge=10, le=4000, description="Slices across the screen"),
) -> dict[str, Any]:
    return service.review_window(session, user, session_id, start=start, seconds=seconds, buckets=buckets)


# -- pain and side effects ------------------------------------------------------------------------------------


@router.put(
    "/neurofeedback/sessions/{session_id}/ratings/before",
    response_model=RatingRead,
    summary="Pain now before the session (0-10): the patient, or a clinician entering what they said",
    responses=ERRORS,
)
def rate_before(
    session_id: uuid.UUID, data: RatingBefore, user: CurrentUser, session: SessionDep
) -> RatingRead:
    return RatingRead.model_validate(ratings.record_before(session, user, session_id, data))


@router.put(
    "/neurofeedback/sessions/{session_id}/ratings/after",
    response_model=RatingRead,
    summary="Pain now after the session (0-10) and the side effects the patient had, each mild/moderate/severe",
    responses=ERRORS,
)
def rate_after(
    session_id: uuid.UUID, data: RatingAfter, user: CurrentUser, session: SessionDep
) -> RatingRead:
    return RatingRead.model_validate(ratings.record_after(session, user, session_id, data))


@router.get(
    "/neurofeedback/sessions/{session_id}/ratings",
    response_model=RatingRead | None,
    summary="The pain ratings and side effects of a session (null before any)",
    responses=ERRORS,
)
def get_ratings(session_id: uuid.UUID, user: CurrentClinician, session: SessionDep) -> RatingRead | None:
    row = service.get_session(session, user, session_id, resource_type="nfb_rating")
    rating = ratings.rating_of(session, row)
    return RatingRead.model_validate(rating) if rating is not None else None


# -- n-of-1 series ----------------------------------------------------------------------------------------------


def _series_read(session: Session, row: NeurofeedbackSeries) -> SeriesRead:
    return SeriesRead.of(row, done=series.progress(session, row).done)


@router.post(
    "/patients/{patient_id}/neurofeedback/series",
    response_model=SeriesRead,
    status_code=201,
    summary="Plan an n-of-1 series: blocks of one real and one sham session in random order (needs consent)",
    responses=ERRORS,
)
def plan_series(
    patient_id: uuid.UUID, data: SeriesCreate, user: CurrentClinician, session: SessionDep
) -> SeriesRead:
    return _series_read(session, series.plan_series(session, user, patient_id, data))


@router.get(
    "/patients/{patient_id}/neurofeedback/series",
    response_model=list[SeriesRead],
    summary="A patient's n-of-1 series, newest first",
    responses=ERRORS,
)
def list_series(patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep) -> list[SeriesRead]:
    patient = access.patient_for(session, user, patient_id, resource_type="nfb_series")
    return [_series_read(session, row) for row in series.series_of_patient(session, patient)]


@router.get(
    "/neurofeedback/series/{series_id}",
    response_model=SeriesRead,
    summary="One n-of-1 series: its progress (the sequence only once unblinded)",
    responses=ERRORS,
)
def get_series(series_id: uuid.UUID, user: CurrentClinician, session: SessionDep) -> SeriesRead:
    return _series_read(session, series.get_series(session, user, series_id))


@router.post(
    "/neurofeedback/series/{series_id}/stop",
    response_model=SeriesRead,
    summary="Stop a series early: the sessions not yet run are cancelled",
    responses=ERRORS,
)
def stop_series(
    series_id: uuid.UUID, data: SeriesStop, user: CurrentClinician, session: SessionDep
) -> SeriesRead:
    return _series_read(session, series.stop_series(session, user, series_id, reason=data.reason))


@router.post(
    "/neurofeedback/series/{series_id}/unblind",
    response_model=SeriesRead,
    summary="Unblind a finished series: which sessions were real and which sham (recorded and audited)",
    responses=ERRORS,
)
def unblind_series(
    series_id: uuid.UUID, data: Unblind, user: CurrentClinician, session: SessionDep
) -> SeriesRead:
    row = series.unblind_series(session, user, series_id, accept_missing_ratings=data.accept_missing_ratings)
    return _series_read(session, row)


@router.get(
    "/neurofeedback/series/{series_id}/report",
    response_model=SeriesReportRead,
    summary="The unblinded comparison: pain change in real against sham sessions, with the exact randomisation test",
    responses=ERRORS,
)
def series_report(series_id: uuid.UUID, user: CurrentClinician, session: SessionDep) -> SeriesReportRead:
    return series.series_report(session, user, series_id)


@lru_cache(maxsize=1)
def _boards() -> list[dict[str, Any]]:
    from painrewire.neurofeedback.sources.brainflow import list_boards

    return [board.to_dict() for board in list_boards()]


@router.get(
    "/neurofeedback/devices",
    summary="The EEG headsets BrainFlow supports (board id, name, sampling rate, channels)",
    responses=error_responses(401, 403),
)
def devices(user: CurrentClinician) -> list[dict[str, Any]]:
    return _boards()


@router.websocket("/neurofeedback/sessions/{session_id}/feedback/ws")
async def feedback_socket(websocket: WebSocket, session_id: uuid.UUID) -> None:
    """The patient's feedback (and the session's state), live."""
    await sockets.serve(websocket, session_id, console=False)


@router.websocket("/neurofeedback/sessions/{session_id}/console/ws")
async def console_socket(websocket: WebSocket, session_id: uuid.UUID) -> None:
    """The practitioner's console: status, signal check and quality, band powers, traces, alarms, notes."""
    await sockets.serve(websocket, session_id, console=True)
