"""JSON routes for mindfulness: the practices, minutes practised, and the clinic's recordings."""

from __future__ import annotations

import uuid

from fastapi import File, UploadFile
from fastapi.concurrency import run_in_threadpool

from painrewire.accounts.deps import CurrentStaff, CurrentUser
from painrewire.programs.mindfulness import service as mindfulness
from painrewire.programs.mindfulness.content import practices
from painrewire.programs.mindfulness.schemas import (
    PracticeAudioRead,
    PracticeRead,
    SessionCreate,
    SessionRead,
    StepRead,
    WeekMinutesRead,
)
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["mindfulness"])
ERRORS = error_responses(401, 403, 404, 409, 422)


@router.get(
    "/mindfulness/practices",
    response_model=list[PracticeRead],
    summary="The guided practices: scripts with timed steps, sources, and the clinic's recording if any",
    responses=error_responses(401),
)
def list_practices(user: CurrentUser, session: SessionDep) -> list[PracticeRead]:
    audio = mindfulness.current_audio(session)
    return [
        PracticeRead(
            id=p.id,
            title=p.title,
            summary=p.summary,
            minutes=round(p.minutes, 2),
            sources=list(p.sources),
            steps=[StepRead(seconds=s.seconds, text=s.text) for s in p.steps],
            audio_url=mindfulness.audio_url(audio[p.id]) if p.id in audio else None,
        )
        for p in practices().values()
    ]


@router.post(
    "/patients/{patient_id}/mindfulness/sessions",
    response_model=SessionRead,
    status_code=201,
    summary="Log minutes of a guided practice, the breathing pacer or the meditation timer",
    responses=ERRORS,
)
def log_session(
    patient_id: uuid.UUID, data: SessionCreate, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> SessionRead:
    log = mindfulness.log_session(session, user, patient_id, data, secret=settings.secret_key)
    weeks = mindfulness.weekly(session, user, patient_id)
    return SessionRead.model_validate(log).model_copy(update={"week_minutes": weeks[-1][1] if weeks else 0.0})


@router.get(
    "/patients/{patient_id}/mindfulness/minutes",
    response_model=list[WeekMinutesRead],
    summary="Mindfulness minutes per week (Monday to Sunday), weeks without practice as 0",
    responses=ERRORS,
)
def weekly_minutes(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[WeekMinutesRead]:
    return [WeekMinutesRead(week=w, minutes=m) for w, m in mindfulness.weekly(session, user, patient_id)]


@router.post(
    "/mindfulness/practices/{practice_id}/audio",
    response_model=PracticeAudioRead,
    status_code=201,
    summary="Attach the clinic's own recording to a practice (WAV, OGG, MP3, M4A or WebM; staff only)",
    responses=ERRORS,
)
async def attach_audio(
    practice_id: str,
    user: CurrentStaff,
    session: SessionDep,
    settings: SettingsDep,
    file: UploadFile = File(description="The recording; its format is read from its content"),
) -> PracticeAudioRead:
    data = await file.read(settings.practice_audio_max_bytes + 1)
    recording = await run_in_threadpool(
        mindfulness.attach_audio,
        session,
        user,
        practice_id,
        filename=file.filename or "recording",
        data=data,
        max_bytes=settings.practice_audio_max_bytes,
        size=file.size,
    )
    return PracticeAudioRead.model_validate(recording).model_copy(
        update={"url": mindfulness.audio_url(recording)}
    )
