"""Queue mail and jobs inside the caller's transaction; read the queue's state for the admin page.

Nothing here sends anything: a row is written beside the event that causes it and the worker (``worker.py``)
sends it once that transaction has committed. A rolled-back request therefore sends nothing, and a committed
one cannot lose its mail. Mail carries no health content: no scores, diagnoses or alert text, only that
something is waiting in the app and a link to it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from painrewire.accounts.models import Role, User
from painrewire.db import utcnow
from painrewire.errors import NotFound
from painrewire.notifications import preferences
from painrewire.notifications.models import (
    Category,
    JobStatus,
    OutboundEmail,
    OutboxStatus,
    ScheduledJob,
)
from painrewire.outbox.service import MAX_BODY, MAX_SUBJECT, message_id_for, queue_email
from painrewire.patients import access

__all__ = ["MAX_BODY", "MAX_SUBJECT", "enqueue_email", "enqueue_for_users", "message_id_for"]


def enqueue_email(
    session: Session,
    *,
    kind: str,
    category: Category,
    dedupe_key: str,
    subject: str,
    body: str,
    link_path: str,
    recipient: User | None = None,
    to_address: str | None = None,
    urgent: bool = False,
    send_after: datetime | None = None,
) -> OutboundEmail | None:
    """Queue one email in the caller's transaction; None when the same ``dedupe_key`` is already queued, or
    when the recipient chose not to get this reminder by email (see ``preferences``).

    ``recipient`` is a user (their address is used and they can be found again for preferences and
    erasure) or, for someone without an account (a referring physician), give ``to_address``.
    ``body`` is plain text without health content; the worker adds the greeting, the link and the footer.
    """
    if recipient is None and to_address is None:
        raise ValueError("an email needs a recipient or an address")
    if len(subject) > MAX_SUBJECT or len(body) > MAX_BODY:
        raise ValueError("a notification's subject or body is too long")
    send_after = send_after or utcnow()
    if recipient is not None:  # the person's own choices: reminders off or in the app only, quiet hours
        chosen = preferences.delivery_time(
            session, recipient, kind=kind, category=category, urgent=urgent, at=send_after
        )
        if chosen is None:
            return None
        send_after = chosen
    return queue_email(
        session,
        kind=kind,
        category=category,
        dedupe_key=dedupe_key,
        subject=subject,
        body=body,
        link_path=link_path,
        to_address=recipient.email if recipient is not None else str(to_address),
        recipient_id=recipient.id if recipient is not None else None,
        urgent=urgent,
        send_after=send_after,
    )


def enqueue_for_users(
    session: Session,
    users: Iterable[User],
    *,
    kind: str,
    category: Category,
    dedupe_key: str,
    subject: str,
    body: str,
    link_path: str,
    urgent: bool = False,
    send_after: datetime | None = None,
) -> list[OutboundEmail]:
    """The same notice to several people, each once (``dedupe_key`` is extended with the user's id)."""
    queued = []
    for user in users:
        if not user.is_active:
            continue
        email = enqueue_email(
            session,
            kind=kind,
            category=category,
            dedupe_key=f"{dedupe_key}:{user.id}",
            subject=subject,
            body=body,
            link_path=link_path,
            recipient=user,
            urgent=urgent,
            send_after=send_after,
        )
        if email is not None:
            queued.append(email)
    return queued


def schedule_job(
    session: Session, *, kind: str, key: str, due_at: datetime, payload: dict[str, Any] | None = None
) -> ScheduledJob | None:
    """Schedule work at ``due_at``; None when a job with this key exists (a job runs once per key)."""
    job = ScheduledJob(
        kind=kind, key=key, due_at=due_at, payload=payload or {}, status=JobStatus.PENDING, attempts=0
    )
    try:
        with session.begin_nested():
            session.add(job)
    except IntegrityError:
        return None
    return job


def cancel_jobs(session: Session, *, key_prefix: str) -> int:
    """Cancel the pending jobs whose key starts with ``key_prefix`` (a visit cancelled or moved)."""
    result = session.execute(
        update(ScheduledJob)
        .where(
            ScheduledJob.key.startswith(key_prefix, autoescape=True), ScheduledJob.status == JobStatus.PENDING
        )
        .values(status=JobStatus.CANCELLED, done_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def cancel_emails(session: Session, *, dedupe_prefix: str) -> int:
    """Cancel the unsent emails whose ``dedupe_key`` starts with ``dedupe_prefix`` (a visit cancelled or moved)."""
    result = session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.dedupe_key.startswith(dedupe_prefix, autoescape=True),
            OutboundEmail.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


# --- the admin's view of the queue --------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueState:
    counts: dict[str, int]
    job_counts: dict[str, int]
    failed: list[OutboundEmail]
    failed_jobs: list[ScheduledJob]
    oldest_pending: datetime | None


def queue_state(session: Session, actor: User, *, now: datetime | None = None, limit: int = 50) -> QueueState:
    """What the front desk needs to see: how much waits, what failed and why (addresses, no content)."""
    access.require_role(actor, Role.ADMIN, message="Only an administrator can see the notification queue.")
    now = now or utcnow()
    counts = {
        str(status): int(n)
        for status, n in session.execute(
            select(OutboundEmail.status, func.count()).group_by(OutboundEmail.status)
        ).all()
    }
    job_counts = {
        str(status): int(n)
        for status, n in session.execute(
            select(ScheduledJob.status, func.count()).group_by(ScheduledJob.status)
        )
    }
    failed = list(
        session.scalars(
            select(OutboundEmail)
            .where(OutboundEmail.status == OutboxStatus.FAILED)
            .order_by(OutboundEmail.created_at.desc())
            .limit(limit)
        )
    )
    failed_jobs = list(
        session.scalars(
            select(ScheduledJob)
            .where(ScheduledJob.status == JobStatus.FAILED)
            .order_by(ScheduledJob.due_at.desc())
            .limit(limit)
        )
    )
    oldest = session.scalar(
        select(func.min(OutboundEmail.send_after)).where(
            OutboundEmail.status == OutboxStatus.PENDING, OutboundEmail.send_after <= now
        )
    )
    return QueueState(counts, job_counts, failed, failed_jobs, oldest)


def retry_failed(session: Session, actor: User, email_id: uuid.UUID) -> OutboundEmail:
    """The admin puts a failed email back in the queue (after fixing the mail server, say)."""
    access.require_role(actor, Role.ADMIN, message="Only an administrator can retry a notification.")
    email = session.get(OutboundEmail, email_id, with_for_update=True, populate_existing=True)
    if email is None or email.status != OutboxStatus.FAILED:
        raise NotFound("No failed notification with this id.")
    email.status = OutboxStatus.PENDING
    email.attempts = 0
    email.send_after = utcnow()
    email.claimed_by = None
    email.claimed_until = None
    session.flush()
    return email
