"""JSON routes for a patient's letters (the care team's clinicians): list, make, read, send."""

from __future__ import annotations

import uuid

from painrewire.accounts.deps import CurrentClinician
from painrewire.letters import service as letters
from painrewire.letters.models import DeliveryMethod
from painrewire.letters.schemas import LetterCreate, LetterRead, LetterSend
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["letters"])


@router.get(
    "/patients/{patient_id}/letters",
    response_model=list[LetterRead],
    summary="Letters about a patient, newest first (care team; audited)",
    responses=error_responses(401, 403, 404),
)
def list_letters(patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep) -> list[LetterRead]:
    _, found = letters.list_letters(session, user, patient_id)
    return [LetterRead.model_validate(letter) for letter in found]


@router.post(
    "/patients/{patient_id}/letters",
    response_model=LetterRead,
    status_code=201,
    summary="Make a letter from the record to one of the patient's doctors or an outside service",
    responses=error_responses(401, 403, 404, 409, 422),
)
def create_letter(
    patient_id: uuid.UUID,
    data: LetterCreate,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
) -> LetterRead:
    return LetterRead.model_validate(letters.create_letter(session, user, settings, patient_id, data))


@router.get(
    "/patients/{patient_id}/letters/{letter_id}",
    response_model=LetterRead,
    summary="One letter (care team; audited)",
    responses=error_responses(401, 403, 404),
)
def get_letter(
    patient_id: uuid.UUID, letter_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> LetterRead:
    _, letter = letters.get_letter(session, user, patient_id, letter_id)
    return LetterRead.model_validate(letter)


@router.post(
    "/patients/{patient_id}/letters/{letter_id}/send",
    response_model=LetterRead,
    summary="Send by email (a download link that expires) or record as posted",
    responses=error_responses(401, 403, 404, 409, 422),
)
def send_letter(
    patient_id: uuid.UUID,
    letter_id: uuid.UUID,
    data: LetterSend,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
) -> LetterRead:
    if data.method == DeliveryMethod.EMAIL:
        letter = letters.send_by_email(session, user, settings, patient_id, letter_id)
    else:
        letter = letters.record_posted(session, user, patient_id, letter_id)
    return LetterRead.model_validate(letter)
