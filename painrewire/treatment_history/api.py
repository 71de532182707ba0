"""JSON routes for the treatment history: entries, changes with their revisions, and the summary."""

from __future__ import annotations

import uuid
from typing import Any

from painrewire.accounts.deps import CurrentUser
from painrewire.treatment_history import service as history
from painrewire.treatment_history.schemas import RevisionRead, TreatmentCreate, TreatmentRead, TreatmentUpdate
from painrewire.web.deps import SessionDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["treatment history"])
ERRORS = error_responses(401, 403, 404, 409, 422)
BASE = "/patients/{patient_id}/treatments"


@router.get(
    BASE, response_model=list[TreatmentRead], summary="The patient's treatment history", responses=ERRORS
)
def list_treatments(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> list[TreatmentRead]:
    _, entries = history.list_entries(session, user, patient_id)
    return [TreatmentRead.model_validate(e) for e in entries]


@router.post(
    BASE,
    response_model=TreatmentRead,
    status_code=201,
    summary="Add a treatment (a medicine needs its class; dates not in the future, before birth, or reversed)",
    responses=ERRORS,
)
def add_treatment(
    patient_id: uuid.UUID, data: TreatmentCreate, user: CurrentUser, session: SessionDep
) -> TreatmentRead:
    return TreatmentRead.model_validate(history.add_entry(session, user, patient_id, data))


@router.patch(
    BASE + "/{entry_id}",
    response_model=TreatmentRead,
    summary="Change a treatment; the version before is kept in its revisions",
    responses=ERRORS,
)
def update_treatment(
    patient_id: uuid.UUID, entry_id: uuid.UUID, data: TreatmentUpdate, user: CurrentUser, session: SessionDep
) -> TreatmentRead:
    return TreatmentRead.model_validate(history.update_entry(session, user, patient_id, entry_id, data))


@router.delete(
    BASE + "/{entry_id}",
    response_model=TreatmentRead,
    summary="Remove a treatment entered by mistake (its revisions keep what it said)",
    responses=ERRORS,
)
def remove_treatment(
    patient_id: uuid.UUID, entry_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> TreatmentRead:
    return TreatmentRead.model_validate(history.remove_entry(session, user, patient_id, entry_id))


@router.get(
    BASE + "/{entry_id}/revisions",
    response_model=list[RevisionRead],
    summary="Every saved version of one treatment, newest first",
    responses=ERRORS,
)
def list_revisions(
    patient_id: uuid.UUID, entry_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> list[RevisionRead]:
    return [
        RevisionRead.model_validate(r) for r in history.list_revisions(session, user, patient_id, entry_id)
    ]


@router.get(
    "/patients/{patient_id}/treatment-summary",
    summary="What was tried and what did not help, as plain data (for plans and reports)",
    responses=ERRORS,
)
def treatment_summary(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> dict[str, Any]:
    patient, _ = history.list_entries(session, user, patient_id)
    return history.history_summary(session, patient)
