"""Password hashing (argon2id), the rule a new password must meet, and random tokens."""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections.abc import Iterable

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

_hasher = PasswordHasher()
# A hash of a random password, checked when the email is unknown so both paths cost the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 10
#: zxcvbn's strength score (0-4) a new password needs. 3 means it would take about 10^8 guesses or more: no
#: common password, keyboard walk, sequence, repeated word or name-and-year ("Winter2026!") gets there, while
#: a phrase of three or four unrelated words does. (Wheeler, "zxcvbn: Low-Budget Password Strength
#: Estimation", USENIX Security 2016; NIST SP 800-63B 5.1.1.2 asks for new passwords to be checked against
#: lists of common and breached ones.)
MIN_PASSWORD_SCORE = 3
#: zxcvbn looks at this many characters (its cost grows with the length; a longer password is no weaker).
_CHECKED_CHARACTERS = 72
#: zxcvbn keeps the words of the person being checked in a module-wide table: one check at a time.
_checking = threading.Lock()


def password_problem(password: str, *, user_inputs: Iterable[str] = ()) -> str | None:
    """Why ``password`` may not be used (too short, or too easy to guess); None when it may.

    ``user_inputs`` are the person's own words (their name, their email's local part): a password made of
    them is easier to guess.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"use at least {MIN_PASSWORD_LENGTH} characters"
    words = [w for w in user_inputs if w]
    with _checking:
        result = zxcvbn(password[:_CHECKED_CHARACTERS], user_inputs=words)
    if result["score"] >= MIN_PASSWORD_SCORE:
        return None
    warning = str(result["feedback"].get("warning") or "").rstrip(".")
    why = f" ({warning[0].lower()}{warning[1:]})" if warning else ""
    return f"this password is too easy to guess{why}; a phrase of three or four unrelated words is safer"


def personal_words(email: object, full_name: object) -> list[str]:
    """The words of a person that their password should not be made of: their name, their email's local part."""
    local = str(email or "").split("@", 1)[0]
    return [local, *str(full_name or "").split()]


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; an unknown account still costs one argon2 verification."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
