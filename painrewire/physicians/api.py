"""JSON routes for the patient's GP and referring doctor."""

from __future__ import annotations

import uuid

from painrewire.accounts.deps import CurrentUser
from painrewire.physicians import service as physicians
from painrewire.physicians.models import PhysicianRole
from painrewire.physicians.schemas import PhysicianRead, PhysicianSave
from painrewire.web.deps import SessionDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["physicians"])
ERRORS = error_responses(401, 403, 404, 422)


@router.get(
    "/patients/{patient_id}/physicians",
    response_model=list[PhysicianRead],
    summary="The patient's GP and referring doctor as they hold now",
    responses=ERRORS,
)
def list_physicians(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[PhysicianRead]:
    _, current = physicians.get_physicians(session, user, patient_id)
    return [PhysicianRead.model_validate(p) for p in current.values()]


@router.put(
    "/patients/{patient_id}/physicians/{role}",
    response_model=PhysicianRead,
    summary="Save the GP (gp) or referring doctor (referring), with whether letters may go to them",
    responses=ERRORS,
)
def save_physician(
    patient_id: uuid.UUID, role: PhysicianRole, data: PhysicianSave, user: CurrentUser, session: SessionDep
) -> PhysicianRead:
    return PhysicianRead.model_validate(physicians.save_physician(session, user, patient_id, role, data))


@router.get(
    "/patients/{patient_id}/physicians/history",
    response_model=list[PhysicianRead],
    summary="Every saved version, newest first",
    responses=ERRORS,
)
def list_history(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[PhysicianRead]:
    return [PhysicianRead.model_validate(p) for p in physicians.list_history(session, user, patient_id)]
