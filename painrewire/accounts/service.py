"""Accounts: create users, check passwords (slowing guessers down), start and end login sessions."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from painrewire.accounts import audit, ratelimit
from painrewire.accounts.models import AuditAction, AuthSession, Discipline, Role, User
from painrewire.accounts.schemas import UserCreate
from painrewire.accounts.security import hash_password, new_token, token_digest, verify_password
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.errors import Conflict, Forbidden, NotFound, Unauthenticated


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(session: Session, actor: User | None, data: UserCreate, *, trusted: bool = False) -> User:
    """Create an account. Admins create clinicians and admins; anyone may create their own patient account.

    Clinicians create patients through the patients service. ``trusted`` is for the command line and the
    demo set-up, whose operator owns the database.
    """
    is_admin = actor is not None and actor.role == Role.ADMIN
    if data.role in (Role.CLINICIAN, Role.ADMIN) and not (is_admin or trusted):
        raise Forbidden("Only an administrator can create clinician or administrator accounts.")
    email = normalise_email(str(data.email))
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"An account with the email {email} already exists.")
    user = User(
        email=email,
        full_name=data.full_name,
        password_hash=hash_password(data.password),
        role=data.role,
        discipline=data.discipline,
    )
    try:
        with session.begin_nested():
            session.add(user)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"An account with the email {email} already exists.") from exc
    return user


def get_user(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such account.")
    return user


def list_clinicians(session: Session, *, discipline: Discipline | None = None) -> list[User]:
    stmt = select(User).where(User.role == Role.CLINICIAN, User.is_active.is_(True)).order_by(User.full_name)
    if discipline is not None:
        stmt = stmt.where(User.discipline == discipline)
    return list(session.scalars(stmt))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.role, User.full_name)))


@dataclass(frozen=True)
class Login:
    user: User
    token: str
    auth_session: AuthSession


def _email_key(email: str) -> str:
    """An email's rate-limit key part: its digest, so the counters do not keep the addresses people typed."""
    return hashlib.sha256(email.encode()).hexdigest()[:32]


def authenticate(
    session: Session, settings: Settings, email: str, password: str, *, client: str | None = None
) -> User:
    """Check a password, slowing down guessers without ever locking the account's owner out.

    * **Per email and client address**: after ``login_max_failures`` failed logins for one email from one
      address within the window, that address waits before it may try that email again (429). The owner, from
      any other address, logs in as usual; nothing locks the account itself, and nothing doubles.
    * **Per client address** (password spraying: one common password against many accounts): past
      ``login_failures_per_client`` failures from one address, that address's logins are refused (429) for
      the rest of the window -- except a right password for an account that logged in from that address before
      (within ``login_known_client_days``), so people who share the address (a hospital, a household) keep
      working while the guesser waits.
    * **The same answer and the same work whether or not the account exists**: the counters go by the email
      typed, one argon2 check runs either way (a dummy hash for an unknown email), and the same queries and
      the same audit row are written, so neither the answer nor its timing tells an account apart.
    """
    address = normalise_email(email)
    where = client or "-"
    window = timedelta(minutes=settings.login_failure_window_minutes)
    pair_key = f"login_failed:{_email_key(address)}@{where}"
    known_key = f"login_ok:{_email_key(address)}@{where}"
    ratelimit.check(
        session,
        pair_key,
        limit=settings.login_max_failures,
        window=window,
        message="Too many failed attempts.",
    )
    user = session.scalar(select(User).where(User.email == address))
    right = verify_password(user.password_hash if user is not None else None, password)
    accepted = user is not None and right and user.is_active
    if client:
        known = ratelimit.seen(session, known_key, window=timedelta(days=settings.login_known_client_days))
        if not (accepted and known):
            ratelimit.check(
                session,
                f"login_failed:{client}",
                limit=settings.login_failures_per_client,
                window=window,
                message="Too many failed logins from your network.",
            )
    if not accepted or user is None:
        audit.record(
            session, user, AuditAction.LOGIN_FAILED, "user", resource_id=user.id if user is not None else None
        )
        ratelimit.hit(session, pair_key, window=window)
        if client:
            ratelimit.hit(session, f"login_failed:{client}", window=window)
        raise Unauthenticated("The email or password is not right.", keep_changes=True)
    ratelimit.clear(session, pair_key)
    if client:
        ratelimit.touch(session, known_key)
    return user


def limit_signups(session: Session, settings: Settings, client: str | None) -> None:
    """Count a new self-service account from ``client``; refuse (429) past the clinic's limit."""
    if client:
        ratelimit.consume(
            session,
            f"signup:{client}",
            limit=settings.signups_per_client,
            window=timedelta(minutes=settings.signup_window_minutes),
            message="Too many new accounts were made from your network.",
        )


def start_session(session: Session, settings: Settings, user: User, *, kind: str) -> Login:
    """A fresh random token for each login, so a token seen before login is never reused (no fixation)."""
    token = new_token()
    auth_session = AuthSession(
        token_hash=token_digest(token),
        user_id=user.id,
        kind=kind,
        expires_at=utcnow() + timedelta(hours=settings.session_hours),
    )
    session.add(auth_session)
    audit.record(session, user, AuditAction.LOGIN, "user", resource_id=user.id)
    session.flush()
    return Login(user=user, token=token, auth_session=auth_session)


#: The login check every request makes, built once: one row, one entity, the rules in the query. (A statement
#: built per call costs more to construct and to key for SQLAlchemy's cache than to run.)
_LIVE_LOGIN = (
    select(User)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(
        AuthSession.token_hash == bindparam("digest"),
        AuthSession.revoked_at.is_(None),
        AuthSession.expires_at > bindparam("now"),
        User.is_active.is_(True),
    )
    .limit(1)
)


def resolve_session(session: Session, token: str) -> User | None:
    """The user behind a live token, or None when it is unknown, revoked or expired."""
    return session.scalars(_LIVE_LOGIN, {"digest": token_digest(token), "now": utcnow()}).first()


#: Tokens looked up per query by ``live_logins`` (well under every database's limit on bound parameters).
LOOKUP_BATCH = 500


def live_logins(session: Session, tokens: Iterable[str]) -> dict[str, uuid.UUID]:
    """Of these tokens, the ones still live (as ``resolve_session`` judges), each with its user's id: one
    query per ``LOOKUP_BATCH`` tokens, for re-checking many open connections at once."""
    by_digest = {token_digest(token): token for token in tokens}
    digests = list(by_digest)
    now = utcnow()
    alive: dict[str, uuid.UUID] = {}
    for start in range(0, len(digests), LOOKUP_BATCH):
        rows = session.execute(
            select(AuthSession.token_hash, AuthSession.user_id)
            .join(User, User.id == AuthSession.user_id)
            .where(
                AuthSession.token_hash.in_(digests[start : start + LOOKUP_BATCH]),
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > now,
                User.is_active.is_(True),
            )
        )
        for digest, user_id in rows:
            alive[by_digest[digest]] = user_id
    return alive


def end_session(session: Session, token: str) -> None:
    """Log out this browser or token."""
    auth_session = session.scalar(select(AuthSession).where(AuthSession.token_hash == token_digest(token)))
    if auth_session is not None and auth_session.revoked_at is None:
        auth_session.revoked_at = utcnow()
        audit.record(session, None, AuditAction.LOGOUT, "user", resource_id=auth_session.user_id)


def end_all_sessions(session: Session, user: User) -> int:
    """Log out everywhere: revoke every live session of the user."""
    result = session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    audit.record(session, user, AuditAction.LOGOUT, "user", resource_id=user.id, reason="everywhere")
    return int(getattr(result, "rowcount", 0) or 0)
