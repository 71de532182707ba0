"""The audit log: every read and write of a patient's health data goes through :func:`record`.

Append-only from the application's side: any session that tries to change or delete an audit row fails.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, event, func, insert, literal, select
from sqlalchemy.orm import ORMExecuteState, Session

from painrewire.accounts.models import AuditAction, AuditEvent, User
from painrewire.db import utcnow
from painrewire.validation import check_instant


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


def record_shown(
    session: Session,
    actor: User,
    resource_type: str,
    patient_ids: Iterable[uuid.UUID],
    *,
    resource_id: uuid.UUID | str | None = None,
    reason: str | None = None,
) -> int:
    """One ``read`` row per patient a list showed (each once, in order), in one statement however many.

    For views across patients (a caseload, a schedule, an overview): the log then answers "who saw this
    patient's data" for the list views too. ``resource_id`` defaults to each patient's id. Returns the rows.
    """
    shown = list(dict.fromkeys(patient_ids))
    if not shown:
        return 0
    now = utcnow()
    session.execute(
        insert(AuditEvent),
        [
            {
                "id": uuid.uuid4(),
                "at": now,
                "actor_id": actor.id,
                "actor_role": actor.role.value,
                "action": AuditAction.READ,
                "resource_type": resource_type,
                "resource_id": str(resource_id if resource_id is not None else patient_id),
                "patient_id": patient_id,
                "reason": reason,
            }
            for patient_id in shown
        ],
    )
    return len(shown)


def record_shown_query(
    session: Session,
    actor: User,
    resource_type: str,
    patient_ids: Select[Any],
    *,
    resource_id: uuid.UUID | str | None = None,
    reason: str | None = None,
) -> None:
    """`record_shown` for a list whose patients a query selects, done by the database in one statement (an
    ``INSERT ... SELECT``): for long lists (a caseload of thousands), where making a row object per patient
    in Python would cost more than the page itself."""
    table = AuditEvent.__table__
    shown = patient_ids.subquery()
    dialect = session.get_bind().dialect.name
    new_id = func.gen_random_uuid() if dialect == "postgresql" else func.lower(func.hex(func.randomblob(16)))

    def value(name: str, given: object) -> Any:
        return literal(given, type_=table.c[name].type)

    session.execute(
        insert(AuditEvent).from_select(
            [
                "id",
                "at",
                "actor_id",
                "actor_role",
                "action",
                "resource_type",
                "resource_id",
                "patient_id",
                "reason",
            ],
            select(
                new_id,
                value("at", utcnow()),
                value("actor_id", actor.id),
                value("actor_role", actor.role.value),
                value("action", AuditAction.READ),
                value("resource_type", resource_type),
                value("resource_id", str(resource_id) if resource_id is not None else None),
                shown.c[0],
                value("reason", reason),
            ),
        )
    )


def search(
    session: Session,
    *,
    patient_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    patient_ids: Collection[uuid.UUID] | None = None,
    actor_ids: Collection[uuid.UUID] | None = None,
    action: AuditAction | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> Sequence[AuditEvent]:
    """Newest first; callers check that the actor is an admin. ``since`` and ``until`` must carry their
    offset (a time without one is refused, 422: it names no instant)."""
    since = check_instant(since, field="since") if since is not None else None
    until = check_instant(until, field="until") if until is not None else None
    stmt = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id)
    if patient_id is not None:
        stmt = stmt.where(AuditEvent.patient_id == patient_id)
    if actor_id is not None:
        stmt = stmt.where(AuditEvent.actor_id == actor_id)
    if patient_ids is not None:  # e.g. everyone whose name matched a search; none matched, nothing found
        stmt = stmt.where(AuditEvent.patient_id.in_(list(patient_ids)))
    if actor_ids is not None:
        stmt = stmt.where(AuditEvent.actor_id.in_(list(actor_ids)))
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
