"""JSON routes for clinical flags: a patient's flags, record one, clear one."""

from __future__ import annotations

import uuid

from painrewire.accounts.deps import CurrentUser
from painrewire.clinical_flags import service as flags
from painrewire.clinical_flags.models import ClinicalFlag
from painrewire.clinical_flags.schemas import ClinicalFlagRead, FlagClear, FlagCreate
from painrewire.web.deps import SessionDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["clinical flags"])
ERRORS = error_responses(401, 403, 404, 409, 422)


def flag_read(flag: ClinicalFlag) -> ClinicalFlagRead:
    return ClinicalFlagRead(
        id=flag.id,
        patient_id=flag.patient_id,
        kind=flag.kind,
        label=flag.kind.label,
        note=flag.note,
        recorded_by_id=flag.recorded_by_id,
        recorded_by_name=flag.recorded_by.full_name if flag.recorded_by else None,
        recorded_at=flag.recorded_at,
        standing=flag.standing,
        cleared_at=flag.cleared_at,
        cleared_by_id=flag.cleared_by_id,
        cleared_by_name=flag.cleared_by.full_name if flag.cleared_by else None,
        clear_note=flag.clear_note,
    )


@router.get(
    "/patients/{patient_id}/clinical-flags",
    response_model=list[ClinicalFlagRead],
    summary="A clinician's judgements the plan rules read, standing and cleared, newest first",
    responses=ERRORS,
)
def list_flags(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[ClinicalFlagRead]:
    _, found = flags.list_flags(session, user, patient_id)
    return [flag_read(f) for f in found]


@router.post(
    "/patients/{patient_id}/clinical-flags",
    response_model=ClinicalFlagRead,
    status_code=201,
    summary="A care-team clinician records a judgement, with why; the plan rules read it",
    responses=ERRORS,
)
def record_flag(
    patient_id: uuid.UUID, data: FlagCreate, user: CurrentUser, session: SessionDep
) -> ClinicalFlagRead:
    return flag_read(flags.record_flag(session, user, patient_id, data))


@router.post(
    "/patients/{patient_id}/clinical-flags/{flag_id}/clear",
    response_model=ClinicalFlagRead,
    summary="A care-team clinician clears a judgement that no longer holds",
    responses=ERRORS,
)
def clear_flag(
    patient_id: uuid.UUID, flag_id: uuid.UUID, data: FlagClear, user: CurrentUser, session: SessionDep
) -> ClinicalFlagRead:
    return flag_read(flags.clear_flag(session, user, patient_id, flag_id, data))
