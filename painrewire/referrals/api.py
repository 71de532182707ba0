"""JSON routes for the front desk's triage of referrals (the public form is the page at /refer)."""

from __future__ import annotations

import uuid

from painrewire.accounts.deps import CurrentAdmin
from painrewire.referrals import service as referrals
from painrewire.referrals.models import Referral, ReferralStatus
from painrewire.referrals.schemas import ReferralAccept, ReferralDecline, ReferralRead
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["referrals"])


def _read(referral: Referral) -> ReferralRead:
    return ReferralRead.model_validate(referral)


@router.get(
    "/referrals",
    response_model=list[ReferralRead],
    summary="Referrals from physicians: new ones first (admin)",
    responses=error_responses(401, 403),
)
def list_referrals(
    admin: CurrentAdmin, session: SessionDep, status: ReferralStatus | None = None
) -> list[ReferralRead]:
    return [_read(r) for r in referrals.list_referrals(session, admin, status=status)]


@router.get(
    "/referrals/{referral_id}",
    response_model=ReferralRead,
    summary="One referral (admin; audited)",
    responses=error_responses(401, 403, 404),
)
def get_referral(referral_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep) -> ReferralRead:
    return _read(referrals.get_referral(session, admin, referral_id))


@router.post(
    "/referrals/{referral_id}/accept",
    response_model=ReferralRead,
    summary="Accept: open or link the patient's record, assign the care team, tell the referrer (admin)",
    responses=error_responses(401, 403, 404, 409, 422),
)
def accept_referral(
    referral_id: uuid.UUID,
    data: ReferralAccept,
    admin: CurrentAdmin,
    session: SessionDep,
    settings: SettingsDep,
) -> ReferralRead:
    return _read(referrals.accept_referral(session, admin, settings, referral_id, data).referral)


@router.post(
    "/referrals/{referral_id}/decline",
    response_model=ReferralRead,
    summary="Decline with a reason kept in the record; the referrer is told it was declined (admin)",
    responses=error_responses(401, 403, 404, 409, 422),
)
def decline_referral(
    referral_id: uuid.UUID,
    data: ReferralDecline,
    admin: CurrentAdmin,
    session: SessionDep,
    settings: SettingsDep,
) -> ReferralRead:
    return _read(referrals.decline_referral(session, admin, settings, referral_id, data))
