"""What the clinic's worker runs: the job handlers and periodic sweeps of each domain, listed here.

``painrewire worker`` runs it on its own (production, PostgreSQL: run one or more); on the SQLite demo
``painrewire serve`` and ``painrewire demo`` run it on a thread inside the server (``worker_in_server``).
"""

from __future__ import annotations

from painrewire.accounts import password_reset
from painrewire.assessments import alerts, due_reminders
from painrewire.config import Settings
from painrewire.db import get_engine
from painrewire.diary import reminders as diary_reminders
from painrewire.notifications.worker import BackgroundWorker, JobHandler, Sweep, Worker
from painrewire.plans import follow_ups
from painrewire.scheduling import email_reminders as appointment_reminders


def job_handlers() -> dict[str, JobHandler]:
    """Scheduled work by kind: each runs in the transaction that marks its job done."""
    return {
        appointment_reminders.JOB_KIND: appointment_reminders.send_reminder,
        diary_reminders.JOB_KIND: diary_reminders.send_diary_reminder,
        due_reminders.JOB_KIND: due_reminders.send_questionnaire_due,
    }


def sweeps() -> list[Sweep]:
    """Work looked for on every pass."""
    return [
        alerts.escalate_overdue_alerts,
        diary_reminders.plan_diary_reminders,
        follow_ups.assign_follow_ups,
        due_reminders.plan_questionnaire_reminders,
        password_reset.forget_sent_links,
    ]


def build_worker(settings: Settings) -> Worker:
    return Worker.for_engine(
        get_engine(settings.database_url), settings, handlers=job_handlers(), sweeps=sweeps()
    )


def start_in_server(settings: Settings) -> BackgroundWorker | None:
    """The worker on a thread of the server process, where the settings ask for it (the SQLite demo)."""
    if not settings.runs_worker_in_server:
        return None
    return BackgroundWorker(build_worker(settings)).start()
