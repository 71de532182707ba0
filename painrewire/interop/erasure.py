"""The right to erasure: a patient asks, a clinician on the care team confirms, the health data goes.

What is removed is found from the metadata, as for the download (:mod:`painrewire.interop.personal_data`),
so a module added later is erased without an edit here: every row of every table that hangs off the patient
(diary, questionnaires, plans, program logs, recordings, notes, appointments, ...), the patient's logins and
calendar feed. What stays is what the law asks a clinic to keep and holds no health content: the audit log
(who opened which record when), the erasure request itself with the number of rows removed per table, and an
anonymised, deactivated account shell so those rows still point somewhere.

A clinician confirms rather than the patient alone, because erasing a record can conflict with a duty to keep
it (an open safety alert, a legal hold); the clinician may decline with a reason the patient sees.
"""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

from sqlalchemy import ColumnElement, delete, event, select
from sqlalchemy.orm import Session, joinedload

from painrewire.accounts import audit
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.accounts.security import hash_password, new_token
from painrewire.db import checkpoint_sqlite, utcnow
from painrewire.errors import Conflict, InvalidInput, NotFound
from painrewire.interop.models import ErasureRequest, ErasureStatus
from painrewire.interop.personal_data import row_filters
from painrewire.neurofeedback import service as neurofeedback
from painrewire.patients import access
from painrewire.patients.models import Patient
from painrewire.schema import import_all_models

logger = logging.getLogger(__name__)

RESOURCE = "erasure_request"
#: Tables never emptied by an erasure: the audit trail, the requests, accounts and records (anonymised
#: instead), and the rate-limit counters (keyed by client address, not by person).
KEPT = frozenset({"audit_events", "erasure_requests", "users", "patients", "rate_limit_buckets"})
ERASED_NAME = "Erased patient"
MAX_TEXT = 1000


def latest_request(session: Session, patient: Patient) -> ErasureRequest | None:
    return session.scalar(
        select(ErasureRequest)
        .where(ErasureRequest.patient_id == patient.id)
        .order_by(ErasureRequest.created_at.desc(), ErasureRequest.id)
        .limit(1)
    )


def open_request(session: Session, patient: Patient) -> ErasureRequest | None:
    found = latest_request(session, patient)
    return found if found is not None and found.status == ErasureStatus.REQUESTED else None


def _open_requests(
    session: Session, of_patients: ColumnElement[bool]
) -> list[tuple[ErasureRequest, Patient]]:
    """Open requests of the patients ``of_patients`` selects, oldest first, with their accounts."""
    rows = session.execute(
        select(ErasureRequest, Patient)
        .join(Patient, Patient.id == ErasureRequest.patient_id)
        .where(ErasureRequest.status == ErasureStatus.REQUESTED, of_patients)
        .options(joinedload(Patient.user))
        .order_by(ErasureRequest.created_at, ErasureRequest.id)
    ).all()
    return [(request, patient) for request, patient in rows]


def open_in_caseload(session: Session, clinician: User) -> list[tuple[ErasureRequest, Patient]]:
    """Open requests of the patients this clinician may see, oldest first (for the home page); audited."""
    rows = _open_requests(session, Patient.id.in_(access.visible_patient_ids(clinician)))
    audit.record_shown(session, clinician, RESOURCE, [p.id for _, p in rows], reason="open erasure requests")
    return rows


def open_without_care_team(session: Session, admin: User) -> list[tuple[ErasureRequest, Patient]]:
    """Open requests of patients nobody looks after yet: the front desk assigns a clinician to decide them.

    The admin learns only that a request is open (no reason, no health data); each such read is audited.
    """
    access.require_role(admin, Role.ADMIN, message="This list is for administrators.")
    rows = _open_requests(session, access.without_care_team())
    for request, patient in rows:
        audit.record(
            session, admin, AuditAction.READ, RESOURCE, resource_id=request.id, patient_id=patient.id
        )
    return rows


def own_latest(session: Session, actor: User) -> ErasureRequest | None:
    """The logged-in patient's most recent request, if any (audited as a read)."""
    patient = access.own_patient(session, actor, resource_type=RESOURCE)
    return latest_request(session, patient)


def request_erasure(session: Session, actor: User, *, confirm: bool, reason: str | None) -> ErasureRequest:
    """The logged-in patient asks for their data to be erased; their care team is asked to confirm."""
    if not confirm:
        raise InvalidInput("Tick the box to confirm you understand that erasing your data cannot be undone.")
    reason = (reason or "").strip() or None
    if reason is not None and len(reason) > MAX_TEXT:
        raise InvalidInput(f"Please keep the reason under {MAX_TEXT} characters.")
    patient = access.own_patient(session, actor, action=AuditAction.CREATE, resource_type=RESOURCE)
    if open_request(session, patient) is not None:
        raise Conflict("You have already asked for your data to be erased; your care team will confirm it.")
    request = ErasureRequest(
        patient_id=patient.id, status=ErasureStatus.REQUESTED, requested_by_id=actor.id, reason=reason
    )
    session.add(request)
    session.flush()
    return request


def withdraw(session: Session, actor: User) -> ErasureRequest:
    """The patient changes their mind before the care team acts."""
    patient = access.own_patient(session, actor, action=AuditAction.UPDATE, resource_type=RESOURCE)
    request = open_request(session, patient)
    if request is None:
        raise NotFound("You have no open request to erase your data.")
    request.status = ErasureStatus.WITHDRAWN
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    return request


def decide(
    session: Session,
    actor: User,
    patient_id: uuid.UUID,
    request_id: uuid.UUID,
    *,
    confirm: bool,
    note: str,
    recording_dir: Path | None = None,
) -> ErasureRequest:
    """A clinician on the care team confirms (and the erasure happens now) or declines with a reason.

    ``recording_dir`` is the clinic's folder of live recordings, whose files of the patient go too.
    """
    access.require_role(
        actor,
        Role.CLINICIAN,
        message="Only a clinician on the patient's care team can confirm or decline an erasure.",
    )
    note = note.strip()
    if not note:
        raise InvalidInput("Write a short note: why you confirm or decline this request.")
    if len(note) > MAX_TEXT:
        raise InvalidInput(f"Please keep the note under {MAX_TEXT} characters.")
    patient = access.patient_for(
        session,
        actor,
        patient_id,
        action=AuditAction.DELETE if confirm else AuditAction.UPDATE,
        resource_type=RESOURCE,
        resource_id=request_id,
    )
    request = session.scalar(
        select(ErasureRequest)
        .where(ErasureRequest.id == request_id, ErasureRequest.patient_id == patient.id)
        .with_for_update()
    )
    if request is None:
        raise NotFound("No such erasure request for this patient.")
    if request.status != ErasureStatus.REQUESTED:
        raise Conflict(f"This request was already {request.status.value}.")
    request.decided_by_id = actor.id
    request.decided_at = utcnow()
    request.decision_note = note
    if not confirm:
        request.status = ErasureStatus.DECLINED
        return request
    request.removed = erase(session, patient, recording_dir=recording_dir)
    # The patient's own words may mention their health: they go with the rest.
    request.reason = None
    request.status = ErasureStatus.COMPLETED
    request.anonymised_email = _erased_email(patient)
    return request


def live_sessions_of(session: Session, patient_id: uuid.UUID) -> list[uuid.UUID]:
    """The patient's neurofeedback sessions set up or running: the route confirming an erasure stops them
    (``LiveHub.discard``), keeping nothing."""
    return neurofeedback.session_ids_of(session, patient_id, live=True)


def _checkpoint(session: Session) -> None:
    bind = session.get_bind()
    if not checkpoint_sqlite(bind.engine.url.render_as_string(hide_password=False)):
        logger.warning(
            "The write-ahead log still held pages after an erasure; the next checkpoint empties it"
        )


def _erased_email(patient: Patient) -> str:
    return f"erased-{patient.id.hex}@erased.invalid"


def erase(session: Session, patient: Patient, *, recording_dir: Path | None = None) -> dict[str, int]:
    """Delete every row holding the patient's data and anonymise the account; returns rows removed per table.

    Runs in the caller's transaction: either all of it lands or none of it. Files too: the patient's
    neurofeedback recordings in ``recording_dir`` (a session still running is stopped by the caller,
    ``neurofeedback.live.LiveHub.discard``, and found by its server's heartbeat otherwise). Once the
    transaction commits on SQLite, the write-ahead log, which still holds the erased pages, is emptied.
    """
    sessions = neurofeedback.session_ids_of(session, patient.id)
    metadata = import_all_models()
    filters = row_filters(patient, own_rows_only=False)
    removed: dict[str, int] = {}
    # Children before parents, so every condition that goes through a parent row still finds it.
    for table in reversed(metadata.sorted_tables):
        if table.name in KEPT:
            continue
        condition = filters.get(table.name)
        if condition is None and "user_id" in table.c:
            condition = table.c.user_id == patient.user_id
        if condition is None:
            continue
        result = session.execute(delete(table).where(condition))
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            removed[table.name] = count
    user = session.get(User, patient.user_id)
    if user is not None:
        user.email = _erased_email(patient)
        user.full_name = ERASED_NAME
        user.password_hash = hash_password(new_token())
        user.is_active = False
    patient.date_of_birth = None
    patient.phone = None
    session.flush()
    if recording_dir is not None:
        neurofeedback.remove_session_files(Path(recording_dir), sessions)
    event.listen(session, "after_commit", _checkpoint, once=True)
    audit.record(
        session,
        None,
        AuditAction.DELETE,
        "patient_record",
        resource_id=patient.id,
        patient_id=patient.id,
        reason="erasure carried out",
    )
    return removed
