"""JSON routes for FHIR R4 exports."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from painrewire.accounts.deps import CurrentClinician, CurrentPatientUser, CurrentUser
from painrewire.errors import NotFound
from painrewire.interop import erasure
from painrewire.interop import service as exports
from painrewire.interop.fhir import FHIR_MEDIA_TYPE
from painrewire.interop.schemas import ErasureDecision, ErasureRequestCreate, ErasureRequestOut
from painrewire.neurofeedback.live import hub as live
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["interop"])
ERRORS = error_responses(401, 403, 404)
Reason = Annotated[
    str | None, Query(max_length=500, description="Required of an administrator: why the record is exported")
]
FHIR_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"description": "A FHIR R4 Bundle of type collection", "content": {FHIR_MEDIA_TYPE: {}}}
}


def fhir_json(bundle: dict[str, Any], *, filename: str | None = None) -> JSONResponse:
    """The bundle as FHIR JSON; with ``filename``, a download (Content-Disposition) rather than a page."""
    headers = {"Cache-Control": "no-store, private"}
    if filename:
        headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return JSONResponse(bundle, media_type=FHIR_MEDIA_TYPE, headers=headers)


@router.get(
    "/patients/{patient_id}/fhir",
    summary="The patient's record as a FHIR R4 Bundle (Patient, QuestionnaireResponse, Observation, "
    "CarePlan, Appointment, Practitioner)",
    responses={**FHIR_RESPONSE, **ERRORS},
    response_class=JSONResponse,
)
def patient_bundle(
    patient_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    reason: Reason = None,
) -> JSONResponse:
    return fhir_json(
        exports.patient_bundle(session, user, patient_id, base_url=settings.base_url, reason=reason),
        filename=f"patient-record-{patient_id}.fhir.json",
    )


@router.get(
    "/patients/{patient_id}/responses/{response_id}/fhir",
    summary="One completed questionnaire as FHIR R4: its QuestionnaireResponse and score Observation",
    responses={**FHIR_RESPONSE, **ERRORS},
    response_class=JSONResponse,
)
def response_bundle(
    patient_id: uuid.UUID,
    response_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    reason: Reason = None,
) -> JSONResponse:
    bundle = exports.response_bundle(
        session, user, patient_id, response_id, base_url=settings.base_url, reason=reason
    )
    return fhir_json(bundle)


ERASURE_ERRORS = error_responses(401, 403, 404, 409, 422)


@router.post(
    "/me/erasure-request",
    response_model=ErasureRequestOut,
    status_code=201,
    summary="Ask for all your data to be erased; a clinician on your care team confirms it",
    responses=ERASURE_ERRORS,
)
def request_erasure(
    data: ErasureRequestCreate, user: CurrentPatientUser, session: SessionDep
) -> ErasureRequestOut:
    found = erasure.request_erasure(session, user, confirm=data.confirm, reason=data.reason)
    return ErasureRequestOut.model_validate(found)


@router.get(
    "/me/erasure-request",
    response_model=ErasureRequestOut,
    summary="Your most recent erasure request and what became of it",
    responses=ERASURE_ERRORS,
)
def my_erasure_request(user: CurrentPatientUser, session: SessionDep) -> ErasureRequestOut:
    found = erasure.own_latest(session, user)
    if found is None:
        raise NotFound("You have not asked for your data to be erased.")
    return ErasureRequestOut.model_validate(found)


@router.delete(
    "/me/erasure-request",
    response_model=ErasureRequestOut,
    summary="Withdraw your open erasure request",
    responses=ERASURE_ERRORS,
)
def withdraw_erasure(user: CurrentPatientUser, session: SessionDep) -> ErasureRequestOut:
    return ErasureRequestOut.model_validate(erasure.withdraw(session, user))


@router.post(
    "/patients/{patient_id}/erasure-requests/{request_id}/decision",
    response_model=ErasureRequestOut,
    summary="Confirm (erase now) or decline a patient's erasure request, with a note",
    responses=ERASURE_ERRORS,
)
async def decide_erasure(
    request: Request,
    patient_id: uuid.UUID,
    request_id: uuid.UUID,
    data: ErasureDecision,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
) -> ErasureRequestOut:
    live_sessions = (
        await run_in_threadpool(erasure.live_sessions_of, session, patient_id) if data.confirm else []
    )
    found = await run_in_threadpool(
        erasure.decide,
        session,
        user,
        patient_id,
        request_id,
        confirm=data.confirm,
        note=data.note,
        recording_dir=settings.recording_dir,
    )
    await live.hub_of(request.app).discard(live_sessions)  # nothing of a running session is kept
    return ErasureRequestOut.model_validate(found)
