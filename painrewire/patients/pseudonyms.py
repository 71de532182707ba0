"""A patient's research pseudonym and secret date shift: what every de-identified export uses.

Both are keyed digests (HMAC-SHA256) of the patient's id under the clinic's secret, so the same patient gets the
same pseudonym and shift in every export, and nobody without the secret can turn them back into the patient.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import timedelta

MAX_SHIFT_DAYS = 182


def _digest(secret: str, purpose: str, patient_id: uuid.UUID) -> bytes:
    return hmac.new(secret.encode(), f"{purpose}:{patient_id}".encode(), hashlib.sha256).digest()


def research_id(secret: str, patient_id: uuid.UUID) -> str:
    """The patient's stable pseudonym: not reversible without the clinic's secret key."""
    return "R-" + _digest(secret, "research-id", patient_id).hex()[:16]


def date_shift(secret: str, patient_id: uuid.UUID) -> timedelta:
    """The patient's secret date shift: 1 to 182 days earlier or later, never 0, the same every export."""
    value = int.from_bytes(_digest(secret, "date-shift", patient_id)[:8], "big") % (2 * MAX_SHIFT_DAYS)
    days = value - MAX_SHIFT_DAYS if value < MAX_SHIFT_DAYS else value - MAX_SHIFT_DAYS + 1
    return timedelta(days=days)
