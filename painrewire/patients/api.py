"""JSON routes for patient records and care teams."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Query, Request, Response

from painrewire.accounts.deps import CurrentStaff, CurrentUser
from painrewire.patients import service as patients
from painrewire.patients import signup
from painrewire.patients.schemas import CareTeamAdd, PatientCreate, PatientRead, SignUp, SignUpRequested
from painrewire.web.deps import SessionDep, SettingsDep, client_address
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["patients"])

ERRORS = error_responses(401, 403, 404, 409, 422)


@router.post(
    "/signup",
    response_model=SignUpRequested,
    status_code=202,
    summary="Sign up as a new patient: a link to finish is emailed; the same answer for any email",
    responses=error_responses(422, 429),
)
def sign_up(request: Request, data: SignUp, session: SessionDep, settings: SettingsDep) -> SignUpRequested:
    message = signup.request_sign_up(session, settings, data, client=client_address(request))
    return SignUpRequested(detail=message)


@router.get(
    "/patients", response_model=list[PatientRead], summary="List the patients you may see", responses=ERRORS
)
def list_patients(
    user: CurrentUser,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[PatientRead]:
    return [
        patients.to_read(session, p)
        for p in patients.list_patients(session, user, limit=limit, offset=offset)
    ]


@router.post(
    "/patients", response_model=PatientRead, status_code=201, summary="Register a patient", responses=ERRORS
)
def create_patient(
    data: PatientCreate, staff: CurrentStaff, session: SessionDep, settings: SettingsDep
) -> PatientRead:
    patient = patients.create_patient(session, staff, data, clinic_timezone=settings.clinic_timezone)
    return patients.to_read(session, patient)


@router.get(
    "/patients/{patient_id}", response_model=PatientRead, summary="Read a patient's record", responses=ERRORS
)
def get_patient(
    patient_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    reason: Annotated[str | None, Query(max_length=500, description="Required for administrators")] = None,
) -> PatientRead:
    return patients.to_read(session, patients.get_patient(session, user, patient_id, reason=reason))


@router.post(
    "/patients/{patient_id}/care-team",
    status_code=201,
    summary="Add a clinician to the care team",
    responses=ERRORS,
)
def add_to_care_team(
    patient_id: uuid.UUID, data: CareTeamAdd, staff: CurrentStaff, session: SessionDep
) -> Response:
    patients.add_to_care_team(session, staff, patient_id, data.clinician_id)
    return Response(status_code=201)


@router.delete(
    "/patients/{patient_id}/care-team/{clinician_id}",
    status_code=204,
    summary="Take a clinician off the care team",
    responses=ERRORS,
)
def remove_from_care_team(
    patient_id: uuid.UUID, clinician_id: uuid.UUID, staff: CurrentStaff, session: SessionDep
) -> Response:
    patients.remove_from_care_team(session, staff, patient_id, clinician_id)
    return Response(status_code=204)
