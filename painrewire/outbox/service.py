"""Write one outbox row in the caller's transaction: no preferences, no recipients' rules, only the row.

``painrewire.notifications.service.enqueue_email`` applies the person's preferences and quiet hours first;
account mail (sign-up, password reset), which no preference may hold back, is queued here directly.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from painrewire.db import utcnow
from painrewire.outbox.models import Category, OutboundEmail, OutboxStatus

#: Longest subject and body a notification may have: a notification says that something is waiting, no more.
MAX_SUBJECT = 200
MAX_BODY = 4000


def message_id_for(email_id: uuid.UUID) -> str:
    """The Message-ID of a queued email: fixed when it is queued, so every try of it carries the same one."""
    return f"<{email_id.hex}@painrewire.outbox>"


def queue_email(
    session: Session,
    *,
    kind: str,
    category: Category,
    dedupe_key: str,
    subject: str,
    body: str,
    link_path: str,
    to_address: str,
    recipient_id: uuid.UUID | None = None,
    urgent: bool = False,
    send_after: datetime | None = None,
) -> OutboundEmail | None:
    """Queue one email; None when the same ``dedupe_key`` is already queued."""
    if len(subject) > MAX_SUBJECT or len(body) > MAX_BODY:
        raise ValueError("a notification's subject or body is too long")
    email_id = uuid.uuid4()
    email = OutboundEmail(
        id=email_id,
        dedupe_key=dedupe_key,
        kind=kind,
        category=category,
        recipient_id=recipient_id,
        to_address=to_address,
        subject=subject,
        body_text=body,
        link_path=link_path,
        message_id=message_id_for(email_id),
        urgent=urgent,
        status=OutboxStatus.PENDING,
        send_after=send_after or utcnow(),
        attempts=0,
    )
    try:
        with session.begin_nested():
            session.add(email)
    except IntegrityError:
        return None
    return email
