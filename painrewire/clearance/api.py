"""JSON routes for clearance: a patient's clearances and practice status, record a clearance, withdraw it."""

from __future__ import annotations

import uuid

from painrewire.accounts.deps import CurrentUser
from painrewire.accounts.models import Role, User
from painrewire.clearance import gate
from painrewire.clearance import service as clearance
from painrewire.clearance.models import Cause, Clearance, Finding
from painrewire.clearance.schemas import (
    CauseRead,
    ClearanceCreate,
    ClearanceRead,
    ClearanceStateRead,
    ClearanceWithdraw,
    ModuleStatusRead,
)
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["clearance"])
ERRORS = error_responses(401, 403, 404, 409, 422)
BASE = "/patients/{patient_id}"


def clearance_read(row: Clearance) -> ClearanceRead:
    """One clearance version as the API shows it (``row`` loaded with who cleared and who withdrew it)."""
    causes = []
    for cause in Cause:
        entry = row.causes.get(cause.value, {})
        causes.append(
            CauseRead(
                cause=cause,
                label=cause.label,
                finding=Finding(entry.get("finding", Finding.RULED_OUT.value)),
                note=entry.get("note", ""),
                text=entry.get("text") if cause is Cause.OTHER else None,
            )
        )
    return ClearanceRead(
        id=row.id,
        patient_id=row.patient_id,
        version=row.version,
        intake_id=row.intake_id,
        cleared_by_id=row.cleared_by_id,
        cleared_by_name=row.cleared_by.full_name if row.cleared_by else None,
        cleared_at=row.cleared_at,
        causes=causes,
        modules=row.modules,
        note=row.note,
        withdrawn_at=row.withdrawn_at,
        withdrawn_by_id=row.withdrawn_by_id,
        withdrawn_by_name=row.withdrawn_by.full_name if row.withdrawn_by else None,
        withdrawal_reason=row.withdrawal_reason,
    )


def _module_read(status: gate.PracticeStatus, user: User) -> ModuleStatusRead:
    message = status.message if user.role == Role.PATIENT else status.staff_message
    return ModuleStatusRead(
        module=status.module,
        open=status.open,
        reason=status.reason.value if status.reason else None,
        message=message or "Open.",
    )


@router.get(
    f"{BASE}/clearance",
    response_model=ClearanceStateRead,
    summary="Whether the patient is cleared for practice, every clearance version, and each module's status",
    responses=ERRORS,
)
def get_clearance(patient_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> ClearanceStateRead:
    patient, state = clearance.clearance_state(session, user, patient_id)
    return ClearanceStateRead(
        cleared=state.cleared,
        current=clearance_read(state.current) if state.current else None,
        history=[clearance_read(c) for c in state.history],
        practice=[_module_read(s, user) for s in gate.practice_overview(session, patient)],
    )


@router.post(
    f"{BASE}/clearances",
    response_model=ClearanceRead,
    status_code=201,
    summary="Clear the patient for practice (a medically qualified clinician on the care team): the next version",
    responses=ERRORS,
)
def record_clearance(
    patient_id: uuid.UUID,
    data: ClearanceCreate,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> ClearanceRead:
    return clearance_read(clearance.record_clearance(session, user, patient_id, data, settings=settings))


@router.post(
    f"{BASE}/clearances/{{clearance_id}}/withdraw",
    response_model=ClearanceRead,
    summary="Withdraw the current clearance, with a reason: practice closes at once",
    responses=ERRORS,
)
def withdraw_clearance(
    patient_id: uuid.UUID,
    clearance_id: uuid.UUID,
    data: ClearanceWithdraw,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
) -> ClearanceRead:
    row = clearance.withdraw_clearance(
        session, user, patient_id, clearance_id, reason=data.reason, settings=settings
    )
    return clearance_read(row)
