"""JSON routes for consent: the texts, a patient's consents, giving one and withdrawing one."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentUser
from painrewire.accounts.models import User
from painrewire.consent import service as consent
from painrewire.consent.models import ConsentKind, ConsentRecord
from painrewire.consent.schemas import (
    ConsentGive,
    ConsentOverview,
    ConsentRecordRead,
    ConsentTextRead,
    ConsentWithdraw,
)
from painrewire.web.deps import SessionDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["consent"])
ERRORS = error_responses(401, 403, 404, 409, 422)


def record_read(session: Session, record: ConsentRecord) -> ConsentRecordRead:
    """A record with the names of who recorded and who withdrew it."""
    return ConsentRecordRead.model_validate(record).model_copy(
        update={
            "recorded_by_name": _name(session, record.recorded_by_id),
            "withdrawn_by_name": _name(session, record.withdrawn_by_id),
        }
    )


def _name(session: Session, user_id: uuid.UUID | None) -> str | None:
    user = session.get(User, user_id) if user_id is not None else None
    return user.full_name if user is not None else None


@router.get(
    "/consent-texts",
    response_model=list[ConsentTextRead],
    summary="What a patient reads before each kind of consent, with its current version",
    responses=error_responses(401),
)
def list_texts(user: CurrentUser) -> list[ConsentTextRead]:
    return [
        ConsentTextRead(
            kind=t.kind, version=t.version, title=t.title, summary=t.summary, paragraphs=t.paragraphs
        )
        for t in consent.consent_texts().values()
    ]


@router.get(
    "/patients/{patient_id}/consents",
    response_model=ConsentOverview,
    summary="Which consents hold now, and every consent given and withdrawn, newest first",
    responses=ERRORS,
)
def list_consents(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> ConsentOverview:
    _, records = consent.list_consents(session, user, patient_id)
    current = consent.current_by_kind(records)
    return ConsentOverview(
        current={kind: record is not None for kind, record in current.items()},
        records=[record_read(session, r) for r in records],
    )


@router.post(
    "/patients/{patient_id}/consents",
    response_model=ConsentRecordRead,
    status_code=201,
    summary="Give consent (the patient, online) or record one given in clinic or on paper (a clinician)",
    responses=ERRORS,
)
def give_consent(
    patient_id: uuid.UUID, data: ConsentGive, user: CurrentUser, session: SessionDep
) -> ConsentRecordRead:
    record = consent.give_consent(
        session, user, patient_id, kind=data.kind, text_version=data.text_version, method=data.method
    )
    return record_read(session, record)


@router.post(
    "/patients/{patient_id}/consents/{kind}/withdrawal",
    response_model=list[ConsentRecordRead],
    summary="Withdraw a consent now (withdrawing neurofeedback also withdraws blinded sessions)",
    responses=ERRORS,
)
def withdraw_consent(
    patient_id: uuid.UUID, kind: ConsentKind, data: ConsentWithdraw, user: CurrentUser, session: SessionDep
) -> list[ConsentRecordRead]:
    withdrawn = consent.withdraw_consent(
        session, user, patient_id, kind=kind, method=data.method, note=data.note
    )
    return [record_read(session, r) for r in withdrawn]
