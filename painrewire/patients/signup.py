"""Signing up by email, so that the answer never tells anyone whether an email already has an account.

A sign-up (the public form, the API, or the /book page for a newcomer) always answers "check your email",
and every path does the same work that the time could betray: one argon2 hash of the password, one email
queued, the same rate limits counted.

* **A new email**: the account and the patient record are made, not yet active (no login works), and a link
  to confirm the address is emailed. Opening it activates the account and logs the person in.
* **An email with an account not confirmed yet**: that sign-up is replaced by this one (its name, date of
  birth, time zone and password), and a new link is emailed; the earlier link stops working. So whoever
  owns the address always ends up in control of it.
* **An email with an active account**: nothing changes; the owner is emailed that someone tried to sign up
  with their address, with links to log in or reset the password.

The link is ``/signup/confirm/<user id>.<expiry>.<signature>``: an HMAC-SHA256 under the clinic's secret key
of the account, the expiry and the account's password hash, so it needs no table, lapses at the expiry, and
stops working as soon as the password changes (a newer sign-up, an erasure).
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import timedelta
from urllib.parse import urlencode

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from painrewire.accounts import audit
from painrewire.accounts import service as accounts
from painrewire.accounts.models import AuditAction, Role, User
from painrewire.accounts.security import hash_password
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.errors import Conflict, NotFound
from painrewire.outbox.models import Category
from painrewire.outbox.service import queue_email
from painrewire.patients.models import Patient
from painrewire.patients.schemas import SignUp

LINK_PREFIX = "/signup/confirm/"
CONFIRM_KIND = "signup_confirm"
EXISTING_KIND = "signup_existing"
#: A token longer than this is not one of ours.
MAX_TOKEN = 200


def sent_message(email: str) -> str:
    """What every sign-up answers, whatever the email: the same words for a new and a known address."""
    return (
        f"We have sent an email to {email}. Open the link in it to finish: it says what to do next. "
        "No email after a few minutes? Check your spam folder, and that the address is right."
    )


class SignUpLinkInvalid(NotFound):
    """The confirmation link is unknown, broken or expired; the message says which and what to do."""


class AlreadyConfirmed(Conflict):
    """The link was used already: the account is active, the person logs in."""


UNKNOWN = (
    "This link is not valid. Check that you opened the whole link from the email, or sign up again to get a "
    "new one."
)


def _signature(settings: Settings, user_id: uuid.UUID, expires: int, password_hash: str) -> str:
    message = f"signup-confirm:{user_id.hex}:{expires}:{password_hash}".encode()
    return hmac.new(settings.secret_key.encode(), message, hashlib.sha256).hexdigest()


def confirmation_token(settings: Settings, user: User, *, expires: int) -> str:
    """The token of the link that activates ``user``'s account until ``expires`` (seconds since 1970)."""
    return f"{user.id.hex}.{expires}.{_signature(settings, user.id, expires, user.password_hash)}"


def request_sign_up(
    session: Session, settings: Settings, data: SignUp, *, client: str | None, next_path: str | None = None
) -> str:
    """Sign up by email (see the module docstring); returns what to tell the person, the same for any email.

    ``next_path`` is where the link takes the person once they are in (the booking they were making).
    """
    accounts.limit_signups(session, settings, client)
    address = accounts.normalise_email(str(data.email))
    password_hash = hash_password(data.password)  # on every path, so the time tells nothing
    found = session.scalar(select(User).where(User.email == address))
    if found is None:
        user = User(
            email=address,
            full_name=data.full_name,
            password_hash=password_hash,
            role=Role.PATIENT,
            is_active=False,
        )
        session.add(user)
        session.flush()
        patient = Patient(
            user=user,
            user_id=user.id,
            date_of_birth=data.date_of_birth,
            timezone=data.timezone or settings.clinic_timezone,
            created_by_id=user.id,
        )
        session.add(patient)
        session.flush()
        audit.record(
            session, user, AuditAction.CREATE, "patient", resource_id=patient.id, patient_id=patient.id
        )
        _send_link(session, settings, user, next_path)
    elif not found.is_active and found.role == Role.PATIENT:
        # Never confirmed: the newest sign-up stands; only the address's owner can confirm it.
        patient_row = session.scalar(select(Patient).where(Patient.user_id == found.id))
        found.full_name, found.password_hash = data.full_name, password_hash
        if patient_row is not None:
            patient_row.date_of_birth = data.date_of_birth
            patient_row.timezone = data.timezone or settings.clinic_timezone
        session.flush()
        _send_link(session, settings, found, next_path)
    else:
        _tell_the_owner(session, found, next_path)
    return sent_message(address)


def _with_next(path: str, next_path: str | None) -> str:
    return f"{path}?{urlencode({'next': next_path})}" if next_path else path


def _send_link(session: Session, settings: Settings, user: User, next_path: str | None) -> None:
    hours = int(settings.signup_confirm_hours)
    expires = int((utcnow() + timedelta(hours=settings.signup_confirm_hours)).timestamp())
    token = confirmation_token(settings, user, expires=expires)
    queue_email(
        session,
        kind=CONFIRM_KIND,
        category=Category.ACCOUNT,
        dedupe_key=f"{CONFIRM_KIND}:{user.id}:{uuid.uuid4().hex}",
        subject="Confirm your email to finish signing up",
        body=(
            "You asked to open a PainRewire account with this email address.\n\n"
            f"To finish, open the link below within {hours} hours.\n\n"
            "If you did not ask, you can ignore this email: no account is opened."
        ),
        link_path=_with_next(LINK_PREFIX + token, next_path),
        to_address=user.email,
        recipient_id=user.id,
        urgent=True,
    )


def _tell_the_owner(session: Session, user: User, next_path: str | None) -> None:
    """Tell an account's owner that their address was used to sign up (at most one such email an hour)."""
    now = utcnow()
    queue_email(
        session,
        kind=EXISTING_KIND,
        category=Category.ACCOUNT,
        dedupe_key=f"{EXISTING_KIND}:{user.id}:{now:%Y%m%d%H}",
        subject="Someone tried to sign up with your email",
        body=(
            "Someone asked to open a new PainRewire account with this email address. You already have an "
            "account, so nothing was opened and nothing has changed.\n\n"
            "If it was you, log in with the link below. Forgotten your password? Choose 'Forgot your password?' "
            "on the log-in page.\n\n"
            "If it was not you, you can ignore this email."
        ),
        link_path=_with_next("/login", next_path),
        to_address=user.email,
        recipient_id=user.id,
        urgent=True,
    )


def confirm_sign_up(session: Session, settings: Settings, token: str) -> User:
    """Activate the account a confirmation link names; refuses (404) a broken or expired link and (409) one
    already used."""
    parts = token.split(".") if 0 < len(token) <= MAX_TOKEN else []
    if len(parts) != 3 or not parts[1].isdigit():
        raise SignUpLinkInvalid(UNKNOWN)
    try:
        user_id = uuid.UUID(hex=parts[0])
    except ValueError as exc:
        raise SignUpLinkInvalid(UNKNOWN) from exc
    expires = int(parts[1])
    user = session.get(User, user_id)
    if user is None or user.role != Role.PATIENT:
        raise SignUpLinkInvalid(UNKNOWN)
    if not hmac.compare_digest(parts[2], _signature(settings, user.id, expires, user.password_hash)):
        raise SignUpLinkInvalid(UNKNOWN)
    if user.is_active:
        raise AlreadyConfirmed("Your email is already confirmed. Log in with your email and password.")
    if expires < utcnow().timestamp():
        raise SignUpLinkInvalid(
            f"This link has expired: links work for {int(settings.signup_confirm_hours)} hours. Sign up again "
            "with the same email to get a new one."
        )
    won = session.execute(
        update(User)
        .where(User.id == user.id, User.is_active.is_(False))
        .values(is_active=True)
        .execution_options(synchronize_session=False)
    )
    if getattr(won, "rowcount", 0) != 1:  # confirmed by a request that ran at the same moment
        raise AlreadyConfirmed("Your email is already confirmed. Log in with your email and password.")
    session.refresh(user)
    audit.record(session, user, AuditAction.UPDATE, "user", resource_id=user.id, reason="email confirmed")
    return user
