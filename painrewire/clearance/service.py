"""Clearance for practice: recorded, versioned and withdrawn by a medically qualified clinician on the care team.

Brain-centred practice (somatic tracking, exposure, graded motor imagery, neurofeedback...) assumes the pain
has no specific cause that needs other care. Before it starts, a clinician whose discipline is in
``settings.medically_qualified_disciplines`` reads the patient's intake and records which causes were
considered and ruled out (NICE NG59; inflammatory back pain by the ASAS criteria, Sieper J et al. Ann Rheum Dis
2009;68:784-8) and which practice modules that opens. `painrewire.clearance.gate` reads the current clearance.

* A clearance is refused while the patient has no intake, or while a red-flag alert is open (close it first).
* Each clearance is the patient's next version; none is edited. The newest is the current one; withdrawing it
  closes practice at once, and no older version comes back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from painrewire.accounts.models import AuditAction, Discipline, Role, User
from painrewire.assessments.models import AlertKind, Intake, SafetyAlert
from painrewire.clearance.models import Clearance
from painrewire.clearance.schemas import ClearanceCreate
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound
from painrewire.patients import access
from painrewire.patients.models import Patient

RESOURCE = "clearance"
#: The shortest reason that says why practice must stop.
MIN_REASON_CHARS = 10
INTAKE_MISSING = (
    "{name} has not completed the intake yet: the pain history and the red-flag screen are missing. "
    "A clearance is based on the intake, so ask them to fill it in first."
)


class IntakeMissing(Conflict):
    """The patient has no complete intake, so there is nothing to base a clearance on."""


class RedFlagOpen(Conflict):
    """A red-flag alert is still open: it must be closed before the patient is cleared."""


@dataclass(frozen=True)
class ClearanceState:
    """A patient's clearances: every version newest first, and whether the newest one still stands."""

    history: list[Clearance]

    @property
    def latest(self) -> Clearance | None:
        return self.history[0] if self.history else None

    @property
    def current(self) -> Clearance | None:
        """The clearance in force: the newest version, unless it was withdrawn."""
        latest = self.latest
        return latest if latest is not None and not latest.withdrawn else None

    @property
    def cleared(self) -> bool:
        return self.current is not None


# --- who may -----------------------------------------------------------------------------------------------


def qualified_label(settings: Settings) -> str:
    """``"pain specialist"``: the medically qualified disciplines in words."""
    names = []
    for code in settings.medically_qualified_disciplines:
        try:
            names.append(Discipline(code).label.lower())
        except ValueError:
            names.append(code.replace("_", " "))
    return " or ".join(names) or "none configured"


def may_clear(actor: User, settings: Settings) -> bool:
    """Whether the actor's discipline may clear patients (care-team membership is checked on access)."""
    return (
        actor.role == Role.CLINICIAN
        and actor.discipline is not None
        and actor.discipline.value in settings.medically_qualified_disciplines
    )


def _ensure_may_clear(actor: User, settings: Settings, what: str) -> None:
    if not may_clear(actor, settings):
        raise Forbidden(
            f"Only a medically qualified clinician ({qualified_label(settings)}) on the care team can {what}."
        )


# --- reads for a patient whose access was already checked ------------------------------------------------------


def history_for(session: Session, patient: Patient) -> list[Clearance]:
    """Every clearance version of the patient, newest first, with who cleared and who withdrew."""
    return list(
        session.scalars(
            select(Clearance)
            .where(Clearance.patient_id == patient.id)
            .options(joinedload(Clearance.cleared_by), joinedload(Clearance.withdrawn_by))
            .order_by(Clearance.version.desc())
        )
    )


def state_for(session: Session, patient: Patient) -> ClearanceState:
    return ClearanceState(history_for(session, patient))


def _loaded(session: Session, clearance_id: uuid.UUID) -> Clearance:
    """A clearance with who cleared and who withdrew it loaded (its relationships never load lazily)."""
    return session.scalars(
        select(Clearance)
        .where(Clearance.id == clearance_id)
        .options(joinedload(Clearance.cleared_by), joinedload(Clearance.withdrawn_by))
        .execution_options(populate_existing=True)
    ).one()


def latest_for(session: Session, patient: Patient) -> Clearance | None:
    """The patient's newest clearance version, withdrawn or not, or None."""
    return session.scalar(
        select(Clearance)
        .where(Clearance.patient_id == patient.id)
        .order_by(Clearance.version.desc())
        .limit(1)
    )


def current_for(session: Session, patient: Patient) -> Clearance | None:
    """The clearance in force (the newest version, not withdrawn), or None."""
    latest = latest_for(session, patient)
    return latest if latest is not None and not latest.withdrawn else None


def latest_intake_for(session: Session, patient: Patient) -> Intake | None:
    return session.scalar(
        select(Intake).where(Intake.patient_id == patient.id).order_by(Intake.created_at.desc()).limit(1)
    )


def intake_missing(session: Session, patient: Patient) -> str | None:
    """What is missing from the patient's intake, or None when it is complete.

    An intake is stored only whole (pain history and every red-flag answer, checked on submission), so the
    patient has a complete intake once one is stored.
    """
    if latest_intake_for(session, patient) is None:
        return "the intake (pain history and the red-flag screen)"
    return None


def open_red_flag_alerts(session: Session, patient: Patient) -> list[SafetyAlert]:
    return list(
        session.scalars(
            select(SafetyAlert)
            .where(
                SafetyAlert.patient_id == patient.id,
                SafetyAlert.kind == AlertKind.RED_FLAG,
                SafetyAlert.acknowledged_at.is_(None),
            )
            .order_by(SafetyAlert.raised_at)
        )
    )


# --- people ------------------------------------------------------------------------------------------------


def clearance_state(session: Session, actor: User, patient_id: uuid.UUID) -> tuple[Patient, ClearanceState]:
    """A patient's clearances (the patient their own; a clinician on the care team), audited."""
    patient = access.patient_for(session, actor, patient_id, resource_type=RESOURCE)
    return patient, state_for(session, patient)


def record_clearance(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    data: ClearanceCreate,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> Clearance:
    """Record the patient's next clearance version, based on their latest intake."""
    _ensure_may_clear(actor, settings, "clear a patient for practice")
    patient = access.patient_for(
        session, actor, patient_id, action=AuditAction.CREATE, resource_type=RESOURCE
    )
    intake = latest_intake_for(session, patient)
    if intake is None:
        raise IntakeMissing(INTAKE_MISSING.format(name=patient.user.full_name))
    alerts = open_red_flag_alerts(session, patient)
    if alerts:
        first = alerts[0]
        raised = first.raised_at.strftime("%d %B %Y")
        raise RedFlagOpen(
            f"Close the red-flag alert first: “{first.summary}” (raised {raised}) is still open. A patient "
            "is cleared for practice only once every red flag has been assessed and its alert closed."
        )
    if data.intake_id is not None and data.intake_id != intake.id:
        based_on = session.get(Intake, data.intake_id)
        if based_on is None or based_on.patient_id != patient.id:
            raise InvalidInput("intake_id: this patient has no such intake.", field="intake_id")
        raise InvalidInput(
            "intake_id: a newer intake was submitted on "
            f"{intake.created_at.strftime('%d %B %Y')}; read it and clear on that one.",
            field="intake_id",
        )
    latest = session.scalar(select(func.max(Clearance.version)).where(Clearance.patient_id == patient.id))
    clearance = Clearance(
        patient_id=patient.id,
        version=(latest or 0) + 1,
        intake_id=intake.id,
        cleared_by_id=actor.id,
        cleared_at=now or utcnow(),
        causes=data.causes.as_record(),
        modules=[m.value for m in data.modules],
        note=data.note.strip(),
    )
    try:
        with session.begin_nested():  # the unique (patient, version) settles two clearances at once
            session.add(clearance)
            session.flush()
    except IntegrityError:
        raise Conflict(
            "Another clearance for this patient was recorded at the same moment. Reload to see it."
        ) from None
    return _loaded(session, clearance.id)


def withdraw_clearance(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    clearance_id: uuid.UUID,
    *,
    reason: str,
    settings: Settings,
    now: datetime | None = None,
) -> Clearance:
    """Withdraw the current clearance: practice closes at once, and no older version comes back."""
    _ensure_may_clear(actor, settings, "withdraw a clearance")
    patient = access.patient_for(
        session,
        actor,
        patient_id,
        action=AuditAction.UPDATE,
        resource_type=RESOURCE,
        resource_id=clearance_id,
    )
    clearance = session.scalar(
        select(Clearance).where(Clearance.id == clearance_id, Clearance.patient_id == patient.id)
    )
    if clearance is None:
        raise NotFound("No such clearance for this patient.")
    if clearance.withdrawn:
        raise Conflict(f"Clearance version {clearance.version} was already withdrawn.")
    newest = session.scalar(select(func.max(Clearance.version)).where(Clearance.patient_id == patient.id))
    if newest != clearance.version:
        raise Conflict(
            f"Version {clearance.version} is no longer the current clearance (version {newest} is); "
            "only the current one can be withdrawn."
        )
    reason = " ".join(reason.split())
    if len(reason) < MIN_REASON_CHARS:
        raise InvalidInput(
            f"Reason: say why practice must stop, in at least {MIN_REASON_CHARS} characters.", field="reason"
        )
    done = session.execute(
        update(Clearance)
        .where(Clearance.id == clearance.id, Clearance.withdrawn_at.is_(None))
        .values(withdrawn_at=now or utcnow(), withdrawn_by_id=actor.id, withdrawal_reason=reason)
        .execution_options(synchronize_session=False)
    )
    if getattr(done, "rowcount", 0) != 1:
        raise Conflict("This clearance was withdrawn by another clinician a moment ago.")
    return _loaded(session, clearance.id)
