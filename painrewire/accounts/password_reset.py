"""Password reset by email: a single-use link that works for a short while, and that tells nobody which
addresses have an account.

* **Asking** (`request_reset`) answers the same, and does the same database work, whether or not the address
  belongs to an account: it counts the request against the address's and the client's limits, looks the
  address up, makes a random token and stores its SHA-256 with an expiry, and writes one outbox row. For an
  unknown or deactivated address the token row has no user (it can never be used) and the outbox row is written
  already cancelled, to nobody, so nothing is sent. The same statements run in the same order either way
  (a test compares them), so neither the answer nor its timing tells an account apart from no account.
* **Using** the link (`reset_password`) sets a new password by the sign-up rule, marks the link (and any other
  link of the account) used, clears a lock-out and ends every session of the account: whoever had the old
  password is logged out everywhere.
* The token lives in clear only in the email. The outbox keeps the link until the mail is sent; then
  `forget_sent_links` (a worker sweep) blanks it, and drops token rows a day after they expired.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from painrewire.accounts import audit, ratelimit
from painrewire.accounts.models import AuditAction, PasswordResetToken, User
from painrewire.accounts.security import hash_password, new_token, token_digest
from painrewire.accounts.service import end_all_sessions, normalise_email
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.errors import NotFound
from painrewire.outbox.models import Category, OutboundEmail, OutboxStatus
from painrewire.outbox.service import message_id_for

KIND = "password_reset"
LINK_PREFIX = "/reset-password/"
#: What a sent reset mail's link reads as once the token is blanked out of the outbox.
FORGOTTEN_LINK = "/forgot-password"
#: The address of the outbox row written for a request that matched no account: never sent.
NOBODY = "nobody@painrewire.invalid"
#: A token longer than this is not one of ours (``new_token`` makes 43 characters).
MAX_TOKEN = 128
#: Token rows are deleted this long after they expired.
KEEP_EXPIRED = timedelta(days=1)

SUBJECT = "Reset your PainRewire password"


def mail_body(settings: Settings) -> str:
    minutes = int(settings.password_reset_minutes)
    return (
        "Someone asked to reset the password of your PainRewire account.\n\n"
        f"To choose a new password, open the link below within {minutes} minutes. It works once.\n\n"
        "If you did not ask, you can ignore this email: your password stays as it is."
    )


class ResetLinkInvalid(NotFound):
    """The link is unknown, used or expired; the message says which and what to do."""


UNKNOWN = (
    "This reset link is not valid. Check that you opened the whole link from the email, or ask for a new one."
)
USED = "This reset link was already used. If you still need to reset your password, ask for a new link."


def _expired(settings: Settings) -> str:
    minutes = int(settings.password_reset_minutes)
    return f"This reset link has expired: links work for {minutes} minutes. Ask for a new one."


def _address_key(address: str) -> str:
    """The rate-limit key of an address: its digest, so the counters do not keep the addresses people typed."""
    return "password_reset:" + hashlib.sha256(address.encode()).hexdigest()[:32]


def request_reset(session: Session, settings: Settings, email: str, *, client: str | None) -> None:
    """Email a reset link to the account with this address, if there is one; the same work either way."""
    address = normalise_email(email)
    window = timedelta(minutes=settings.password_reset_window_minutes)
    ratelimit.consume(
        session,
        _address_key(address),
        limit=settings.password_resets_per_address,
        window=window,
        message="Too many password resets were asked for this address.",
    )
    if client:
        ratelimit.consume(
            session,
            f"password_reset_client:{client}",
            limit=settings.password_resets_per_client,
            window=window,
            message="Too many password resets were asked from your network.",
        )
    found = session.scalar(select(User).where(User.email == address))
    user = found if found is not None and found.is_active else None
    token = new_token()
    now = utcnow()
    link = PasswordResetToken(
        id=uuid.uuid4(),
        token_hash=token_digest(token),
        user_id=user.id if user is not None else None,
        expires_at=now + timedelta(minutes=settings.password_reset_minutes),
        used_at=None,
        created_at=now,
    )
    session.add(link)
    session.flush()
    _write_outbox_row(session, link, token, user, settings, now)


def _write_outbox_row(
    session: Session,
    link: PasswordResetToken,
    token: str,
    user: User | None,
    settings: Settings,
    now: datetime,
) -> None:
    """The reset mail, in the request's transaction: to the account, or, for no account, a row that is never sent.

    Written here rather than by ``notifications.service.enqueue_email``, which looks up the recipient's
    preferences first: that look-up would run for a real account only, and so tell the two apart. Account
    mail ignores preferences and quiet hours anyway.
    """
    email_id = uuid.uuid4()
    email = OutboundEmail(
        id=email_id,
        dedupe_key=f"{KIND}:{link.id}",
        kind=KIND,
        category=Category.ACCOUNT,
        recipient_id=user.id if user is not None else None,
        to_address=user.email if user is not None else NOBODY,
        subject=SUBJECT,
        body_text=mail_body(settings),
        link_path=LINK_PREFIX + token,
        message_id=message_id_for(email_id),
        urgent=True,
        status=OutboxStatus.PENDING if user is not None else OutboxStatus.CANCELLED,
        send_after=now,
        attempts=0,
        last_error=None,
        sent_at=None,
        claimed_by=None,
        claimed_until=None,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(email)
    except IntegrityError:  # pragma: no cover - the dedupe key holds a fresh random id
        return


def _valid_link(
    session: Session, settings: Settings, token: str, now: datetime
) -> tuple[PasswordResetToken, User]:
    if not token or len(token) > MAX_TOKEN:
        raise ResetLinkInvalid(UNKNOWN)
    link = session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == token_digest(token))
    )
    user = session.get(User, link.user_id) if link is not None and link.user_id is not None else None
    if link is None or user is None or not user.is_active:
        raise ResetLinkInvalid(UNKNOWN)
    if link.used_at is not None:
        raise ResetLinkInvalid(USED)
    if link.expires_at <= now:
        raise ResetLinkInvalid(_expired(settings))
    return link, user


def check_link(session: Session, settings: Settings, token: str) -> User:
    """The account a live link resets; refuses (404, saying why) an unknown, used or expired link."""
    _, user = _valid_link(session, settings, token, utcnow())
    return user


def reset_password(session: Session, settings: Settings, token: str, password: str) -> User:
    """Set the new password (already checked by the sign-up rule), use up the link, end every session."""
    now = utcnow()
    link, user = _valid_link(session, settings, token, now)
    won = session.execute(
        update(PasswordResetToken)
        .where(
            PasswordResetToken.id == link.id,
            PasswordResetToken.used_at.is_(None),
            PasswordResetToken.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(won, "rowcount", 0) != 1:
        raise ResetLinkInvalid(USED)  # used by a request that ran at the same moment
    session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    user.password_hash = hash_password(password)
    audit.record(
        session, user, AuditAction.UPDATE, "user", resource_id=user.id, reason="password reset by email"
    )
    end_all_sessions(session, user)
    session.flush()
    return user


def forget_sent_links(session: Session, settings: Settings, now: datetime) -> int:
    """Blank the link in reset mail that is no longer waiting to be sent, and drop long-expired tokens.

    A worker sweep; returns how many outbox rows it blanked (the deletions are housekeeping).
    """
    cutoff = now - timedelta(minutes=settings.password_reset_minutes)
    blanked = session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.kind == KIND,
            OutboundEmail.link_path.startswith(LINK_PREFIX),
            or_(OutboundEmail.status != OutboxStatus.PENDING, OutboundEmail.created_at < cutoff),
        )
        .values(link_path=FORGOTTEN_LINK)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(PasswordResetToken)
        .where(PasswordResetToken.expires_at < now - KEEP_EXPIRED)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(blanked, "rowcount", 0) or 0)
