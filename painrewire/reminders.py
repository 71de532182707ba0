"""Reminders a patient keeps in the app instead of email: each domain's source, and the home-page panel.

Composition, like ``worker.py``: the sources live in the domains that know what is due (appointments, the
diary, questionnaires); ``painrewire.notifications.in_app`` keeps only those the patient chose to see here.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments import due_reminders
from painrewire.config import get_settings
from painrewire.db import utcnow
from painrewire.diary import reminders as diary_reminders
from painrewire.notifications import in_app
from painrewire.notifications.in_app import InAppSource
from painrewire.notifications.models import ReminderKind
from painrewire.patients import panels
from painrewire.patients.models import Patient
from painrewire.scheduling import email_reminders as appointment_reminders


def in_app_reminders() -> dict[ReminderKind, InAppSource]:
    """What each reminder kind shows on the home page of a patient who keeps it in the app instead of email."""
    return {
        ReminderKind.APPOINTMENT: appointment_reminders.in_app,
        ReminderKind.DIARY: diary_reminders.in_app,
        ReminderKind.QUESTIONNAIRE: due_reminders.in_app,
    }


@panels.patient_home_panel
def _reminders(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    current = in_app.current_reminders(session, patient, get_settings(), utcnow(), in_app_reminders())
    if not current:
        return None
    return panels.Panel(
        title="Reminders",
        template="notifications/_reminders_panel.html",
        context={"reminders": current},
        order=0,
    )
