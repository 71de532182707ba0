"""Clinical flags: a care-team clinician records their judgement for the plan rules, and clears it when it no
longer holds. The plan rules read the standing flags through ``standing_for``; nothing here proposes a plan.

Why: the clinic's rules open CBT and mindfulness from licensed questionnaires (PCS, TSK-11, CSI) that a clinic
may not be able to give. A clinician's judgement, recorded with who, when and why, stands in for them (NICE
guideline NG59 asks for psychosocial obstacles to recovery to be assessed, not only scored).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from painrewire.accounts.models import AuditAction, Role, User
from painrewire.clinical_flags.models import ClinicalFlag, FlagKind
from painrewire.clinical_flags.schemas import MIN_NOTE, FlagClear, FlagCreate
from painrewire.db import utcnow
from painrewire.errors import Conflict, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient

RESOURCE = "clinical_flag"


def _ensure_clinician(actor: User, what: str) -> None:
    access.require_role(
        actor, Role.CLINICIAN, message=f"Only a clinician on the patient's care team can {what}."
    )


def _loaded(session: Session, flag_id: uuid.UUID) -> ClinicalFlag:
    return session.scalars(
        select(ClinicalFlag)
        .where(ClinicalFlag.id == flag_id)
        .options(joinedload(ClinicalFlag.recorded_by), joinedload(ClinicalFlag.cleared_by))
        .execution_options(populate_existing=True)
    ).one()


# --- reads for a patient whose access was already checked ----------------------------------------------------


def history_for(session: Session, patient: Patient) -> list[ClinicalFlag]:
    """Every flag of the patient, standing or cleared, newest first, with who recorded and cleared it."""
    return list(
        session.scalars(
            select(ClinicalFlag)
            .where(ClinicalFlag.patient_id == patient.id)
            .options(joinedload(ClinicalFlag.recorded_by), joinedload(ClinicalFlag.cleared_by))
            .order_by(ClinicalFlag.recorded_at.desc(), ClinicalFlag.id)
        )
    )


def standing_for(session: Session, patient: Patient) -> list[ClinicalFlag]:
    """The flags that stand now (not cleared), in `FlagKind` order: what the plan rules read."""
    order = list(FlagKind)
    return sorted((f for f in history_for(session, patient) if f.standing), key=lambda f: order.index(f.kind))


# --- people ------------------------------------------------------------------------------------------------


def list_flags(session: Session, actor: User, patient_id: uuid.UUID) -> tuple[Patient, list[ClinicalFlag]]:
    """A patient's flags, newest first (the patient their own; a clinician on the care team), audited."""
    patient = access.patient_for(session, actor, patient_id, resource_type=RESOURCE)
    return patient, history_for(session, patient)


def record_flag(
    session: Session, actor: User, patient_id: uuid.UUID, data: FlagCreate, *, now: datetime | None = None
) -> ClinicalFlag:
    """Record a clinician's judgement; the plan rules read it the next time the plan is proposed."""
    _ensure_clinician(actor, "record a clinical judgement")
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type=RESOURCE
    )
    note = " ".join(data.note.split())
    if len(note) < MIN_NOTE:
        raise InvalidInput(
            f"note: say what you saw or heard that supports it, in at least {MIN_NOTE} characters.",
            field="note",
        )
    flag = ClinicalFlag(
        patient_id=patient.id,
        kind=data.kind,
        note=note,
        recorded_by_id=actor.id,
        recorded_at=now or utcnow(),
    )
    try:
        with session.begin_nested():  # the partial unique index settles two clinicians recording at once
            session.add(flag)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"“{data.kind.label}” is already recorded for this patient. Clear it first if it should be "
            "recorded again with a new reason."
        ) from None
    return _loaded(session, flag.id)


def clear_flag(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    flag_id: uuid.UUID,
    data: FlagClear,
    *,
    now: datetime | None = None,
) -> ClinicalFlag:
    """Clear a standing flag: the plan rules no longer read it; the row keeps who recorded and cleared it."""
    _ensure_clinician(actor, "clear a clinical judgement")
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.UPDATE, resource_type=RESOURCE, resource_id=flag_id
    )
    flag = session.scalar(
        select(ClinicalFlag).where(ClinicalFlag.id == flag_id, ClinicalFlag.patient_id == patient.id)
    )
    if flag is None:
        raise NotFound("No such clinical judgement for this patient.")
    done = session.execute(
        update(ClinicalFlag)
        .where(ClinicalFlag.id == flag.id, ClinicalFlag.cleared_at.is_(None))
        .values(cleared_at=now or utcnow(), cleared_by_id=actor.id, clear_note=" ".join(data.note.split()))
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise Conflict(f"“{flag.kind.label}” was already cleared.")
    return _loaded(session, flag.id)
