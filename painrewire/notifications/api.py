"""JSON routes: one's own reminder preferences, and the admin's view of the outgoing-mail queue."""

from __future__ import annotations

import uuid

from painrewire.accounts.deps import CurrentAdmin, CurrentUser
from painrewire.notifications import preferences
from painrewire.notifications import service as notifications
from painrewire.notifications.schemas import (
    FailedEmailRead,
    FailedJobRead,
    PreferencesRead,
    PreferencesUpdate,
    QueueRead,
)
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["notifications"])


def _read(prefs: preferences.Preferences) -> PreferencesRead:
    return PreferencesRead(
        appointment=prefs.appointment,
        diary=prefs.diary,
        questionnaire=prefs.questionnaire,
        diary_time=prefs.diary_time,
        quiet_start=prefs.quiet_start,
        quiet_end=prefs.quiet_end,
        timezone=prefs.timezone,
    )


@router.get("/account/notifications", response_model=PreferencesRead, responses=error_responses(401))
def get_preferences(user: CurrentUser, session: SessionDep, settings: SettingsDep) -> PreferencesRead:
    """How I am reminded (each kind by email, in the app only, or off) and my quiet hours."""
    return _read(preferences.preferences_for(session, user, settings))


@router.patch("/account/notifications", response_model=PreferencesRead, responses=error_responses(401, 422))
def update_preferences(
    data: PreferencesUpdate, user: CurrentUser, session: SessionDep, settings: SettingsDep
) -> PreferencesRead:
    """Change how I am reminded; only the fields given change."""
    return _read(preferences.update_preferences(session, user, data, settings=settings))


@router.get("/admin/notifications", response_model=QueueRead, responses=error_responses(401, 403))
def queue(admin: CurrentAdmin, session: SessionDep, settings: SettingsDep) -> QueueRead:
    """Where mail goes (a mail server, or only a folder), how much waits, and what failed (no content)."""
    state = notifications.queue_state(session, admin)
    return QueueRead(
        mail_configured=settings.mail_configured,
        smtp_server=f"{settings.smtp_host}:{settings.smtp_port}" if settings.mail_configured else None,
        mail_dir=None if settings.mail_configured else str(settings.mail_dir),
        emails=state.counts,
        jobs=state.job_counts,
        oldest_pending=state.oldest_pending,
        failed=[FailedEmailRead.model_validate(e) for e in state.failed],
        failed_jobs=[FailedJobRead.model_validate(j) for j in state.failed_jobs],
    )


@router.post(
    "/admin/notifications/emails/{email_id}/retry",
    response_model=FailedEmailRead,
    responses=error_responses(401, 403, 404),
)
def retry(email_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep) -> FailedEmailRead:
    """Put a failed email back in the queue (after fixing its cause)."""
    return FailedEmailRead.model_validate(notifications.retry_failed(session, admin, email_id))
