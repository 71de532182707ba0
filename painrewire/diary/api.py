"""JSON routes for the pain diary."""

from __future__ import annotations

import uuid
from datetime import date

from painrewire.accounts.deps import CurrentUser
from painrewire.diary import service as diary
from painrewire.diary.schemas import (
    DiaryDayHistory,
    DiaryEntryRead,
    DiaryEntryWrite,
    DiaryRevisionRead,
    PracticeRead,
)
from painrewire.web.deps import SessionDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["diary"])
ERRORS = error_responses(401, 403, 404, 409, 422)


@router.put(
    "/patients/{patient_id}/diary/{day}",
    response_model=DiaryEntryRead,
    summary="Fill or change the diary entry of a day (earlier versions are kept)",
    responses=ERRORS,
)
def save_entry(
    patient_id: uuid.UUID, day: date, data: DiaryEntryWrite, user: CurrentUser, session: SessionDep
) -> DiaryEntryRead:
    return DiaryEntryRead.model_validate(diary.save_entry(session, user, patient_id, day, data))


@router.get(
    "/patients/{patient_id}/diary",
    response_model=list[DiaryEntryRead],
    summary="Diary entries in a date range, with the practice logged each day",
    responses=ERRORS,
)
def list_entries(
    patient_id: uuid.UUID, start: date, end: date, user: CurrentUser, session: SessionDep
) -> list[DiaryEntryRead]:
    return [
        DiaryEntryRead.model_validate(day.entry).model_copy(
            update={"practice": [PracticeRead.model_validate(p) for p in day.practice]}
        )
        for day in diary.entries(session, user, patient_id, start=start, end=end)
    ]


@router.get(
    "/patients/{patient_id}/diary/{day}/revisions",
    response_model=DiaryDayHistory,
    summary="A day's entry and every earlier version of it, with who changed it and when",
    responses=ERRORS,
)
def day_history(patient_id: uuid.UUID, day: date, user: CurrentUser, session: SessionDep) -> DiaryDayHistory:
    entry, replaced = diary.day_history(session, user, patient_id, day)
    return DiaryDayHistory(
        entry=DiaryEntryRead.model_validate(entry),
        revisions=[DiaryRevisionRead.model_validate(r) for r in replaced],
    )
