"""What the clinic's worker runs: the job handlers and periodic sweeps of each domain, listed here.

``painrewire worker`` runs it on its own (production, PostgreSQL: run one or more); on the SQLite demo
``painrewire serve`` and ``painrewire demo`` run it on a thread inside the server (``worker_in_server``).
"""

from __future__ import annotations

from painrewire.assessments import alerts
from painrewire.config import Settings
from painrewire.db import get_engine
from painrewire.notifications.worker import BackgroundWorker, JobHandler, Sweep, Worker


def job_handlers() -> dict[str, JobHandler]:
    """Scheduled work by kind: each runs in the transaction that marks its job done."""
    return {}


def sweeps() -> list[Sweep]:
    """Work looked for on every pass."""
    return [alerts.escalate_overdue_alerts]


def build_worker(settings: Settings) -> Worker:
    return Worker.for_engine(
        get_engine(settings.database_url), settings, handlers=job_handlers(), sweeps=sweeps()
    )


def start_in_server(settings: Settings) -> BackgroundWorker | None:
    """The worker on a thread of the server process, where the settings ask for it (the SQLite demo)."""
    if not settings.runs_worker_in_server:
        return None
    return BackgroundWorker(build_worker(settings)).start()
