"""Scheduling's refusals, each a domain error the web layer already maps (409 or 422)."""

from __future__ import annotations

from painrewire.errors import Conflict, InvalidInput

SLOT_TAKEN = "That time was just taken. Please choose another time."


class SlotTaken(Conflict):
    """Someone else booked the time first (or it clashes with the patient's own appointment)."""

    def __init__(self, message: str = SLOT_TAKEN) -> None:
        super().__init__(message)


class NoticePeriodPassed(Conflict):
    """Too close to the appointment to change it online: the patient is asked to call."""


class AppointmentClosed(Conflict):
    """The appointment was cancelled, or has already taken place: an old link cannot change it."""


class NotBookable(InvalidInput):
    """The time or type cannot be booked at all (outside working hours, in the past, unknown type)."""
