"""Check the minutes a browser says were practised against the time the practice page has been open.

The page carries a signed "opened at" stamp from the server's clock; when minutes come back, they must fit
between that moment and now (plus a little slack for rounding and the request itself). A page left open
overnight, a clock jump or a typing slip cannot log more time than really passed. Pure: stdlib only.
"""

from __future__ import annotations

import hashlib
import hmac

#: Allowance for rounding and the time the request takes, in minutes.
SLACK_MINUTES = 1.0
#: A stamp older than this is stale: reload the page to practise again.
MAX_AGE_SECONDS = 6 * 3600


def _signature(secret: str, subject: str, opened_at: int) -> str:
    message = f"practice-page:{subject}:{opened_at}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]


def stamp(secret: str, subject: str, opened_at: float) -> str:
    """A stamp "<unix seconds>.<signature>" for a practice page opened at ``opened_at`` by ``subject``."""
    when = int(opened_at)
    return f"{when}.{_signature(secret, subject, when)}"


def opened_at(secret: str, subject: str, value: str, *, now: float) -> int:
    """The moment a stamp says the page was opened; ValueError if it was forged, is for someone else or stale."""
    text, _, signature = value.partition(".")
    if not text.isdigit() or not hmac.compare_digest(signature, _signature(secret, subject, int(text))):
        raise ValueError("this practice page's time stamp is not valid")
    when = int(text)
    if when > now + 5 or now - when > MAX_AGE_SECONDS:
        raise ValueError("this practice page has been open too long; reload it to practise again")
    return when


def fits(minutes: float, *, opened: float, now: float) -> bool:
    """Whether ``minutes`` could have been practised since the page was opened."""
    return minutes <= max(0.0, now - opened) / 60 + SLACK_MINUTES
