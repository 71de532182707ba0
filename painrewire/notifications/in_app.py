"""Reminders kept in the app: what a person who chose "in the app only" sees on their home page instead of mail.

Each kind of reminder has a source that says what is current for a patient now (the next visit within the
reminder window, today's diary not yet written, a questionnaire due and still open), computed when the page
is shown, so the list is true at that moment and needs no clearing. The worker's composition
(``painrewire/worker.py``) lists the sources beside the jobs that send the same reminders by mail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from painrewire.config import Settings
from painrewire.notifications import preferences
from painrewire.notifications.models import ReminderKind
from painrewire.patients.models import Patient


@dataclass(frozen=True)
class InAppReminder:
    kind: ReminderKind
    text: str
    link_path: str
    link_label: str


#: What is current for one patient now, for one kind of reminder.
InAppSource = Callable[[Session, Patient, Settings, datetime], list[InAppReminder]]


def current_reminders(
    session: Session,
    patient: Patient,
    settings: Settings,
    now: datetime,
    sources: Mapping[ReminderKind, InAppSource],
) -> list[InAppReminder]:
    """The current reminders of the kinds this patient keeps in the app only."""
    kinds = preferences.in_app_kinds(session, patient.user_id)
    found: list[InAppReminder] = []
    for kind in ReminderKind:
        source = sources.get(kind)
        if kind in kinds and source is not None:
            found.extend(source(session, patient, settings, now))
    return found
