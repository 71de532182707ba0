"""The audit log: every read and write of a patient's health data goes through :func:`record`.

Append-only from the application's side: any session that tries to change or delete an audit row fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import ORMExecuteState, Session

from painrewire.accounts.models import AuditAction, AuditEvent, User


def record(
    session: Session,
    actor: User | None,
    action: AuditAction,
    resource_type: str,
    *,
    resource_id: uuid.UUID | str | None = None,
    patient_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> AuditEvent:
    """Add one audit row in the caller's transaction, so the row and the change land together."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_role=actor.role.value if actor else None,
        action=action,
        resource_type=resource_type,
        resource_id=str(resource_id) if resource_id is not None else None,
        patient_id=patient_id,
        reason=reason,
    )
    session.add(event)
    return event


def search(
    session: Session,
    *,
    patient_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    action: AuditAction | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[AuditEvent]:
    """Newest first; callers check that the actor is an admin."""
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id)
    if patient_id is not None:
        stmt = stmt.where(AuditEvent.patient_id == patient_id)
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if action is not None:
        stmt = stmt.where(AuditEvent.action == action)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEvent.at < until)
    return session.scalars(stmt.limit(limit).offset(offset)).all()


class AuditLogIsAppendOnly(RuntimeError):
    """Raised when code tries to change or delete an audit row: a programming error, never user input."""


@event.listens_for(Session, "before_flush")
def _refuse_changed_audit_rows(session: Session, _context: object, _instances: object) -> None:
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditLogIsAppendOnly("audit rows are only ever inserted")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_audit_changes(state: ORMExecuteState) -> None:
    if (state.is_update or state.is_delete) and any(
        mapper.class_ is AuditEvent for mapper in state.all_mappers
    ):
        raise AuditLogIsAppendOnly("audit rows are only ever inserted")
