"""The worker: sends queued mail, runs due jobs, and runs the periodic sweeps (alert escalation, reminders).

Why a table in our own database and not a queue library: a notification must be written in the same
transaction as the event that causes it (the transactional outbox), so that none is lost and none is sent for
a rolled-back request. A Redis queue (RQ, Dramatiq, Celery) cannot join that transaction, and the PostgreSQL
queue libraries (procrastinate, pgqueuer) do not run on the SQLite demo. The queue itself is small: rows are
claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several workers take disjoint batches
without waiting on each other, then marked with a lease (``claimed_by``/``claimed_until``) by a conditional
update; on SQLite the claim runs under the database's single write lock (``BEGIN IMMEDIATE``). A worker killed
mid-batch leaves its lease to expire, and another worker (or itself, restarted) takes the rows over.

Delivery is at least once, and exactly once unless the process dies in the instant between the mail server
accepting a message and the row being marked sent: each message is marked sent in its own transaction
straight after the server's ``250``, and keeps the Message-ID it was given when queued, so a rare resend after
such a crash is recognisable as the same message.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, or_, select, update
from sqlalchemy.orm import Session

from painrewire.config import Settings
from painrewire.db import session_factory, unit_of_work, utcnow
from painrewire.notifications.mail import Transport, compose, transport_for
from painrewire.notifications.models import JobStatus, OutboundEmail, OutboxStatus, ScheduledJob

log = logging.getLogger("painrewire.worker")

#: A job's work: runs in the transaction that marks the job done, so its effect happens once.
JobHandler = Callable[[Session, ScheduledJob, datetime], None]
#: Periodic work (escalate overdue alerts, plan the day's reminders); returns how many things it did.
Sweep = Callable[[Session, Settings, datetime], int]


@dataclass
class TickResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    jobs_done: int = 0
    jobs_failed: int = 0
    swept: int = 0

    @property
    def busy(self) -> bool:
        return bool(
            self.sent or self.retried or self.failed or self.jobs_done or self.jobs_failed or self.swept
        )


@dataclass
class Worker:
    """One worker; ``run_once`` is one pass over everything due, ``run_forever`` polls until stopped.

    ``sessions`` makes the session of each unit of work (tests pass theirs, joined to the test's transaction);
    ``dialect`` is the database's (``postgresql`` claims with SKIP LOCKED).
    """

    sessions: Callable[[], Session]
    dialect: str
    settings: Settings
    handlers: Mapping[str, JobHandler] = field(default_factory=dict)
    sweeps: Sequence[Sweep] = ()
    transport_factory: Callable[[Settings], Transport] = transport_for
    clock: Callable[[], datetime] = utcnow
    worker_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])

    @classmethod
    def for_engine(cls, engine: Engine, settings: Settings, **kwargs: object) -> Worker:
        return cls(sessions=session_factory(engine), dialect=engine.dialect.name, settings=settings, **kwargs)  # type: ignore[arg-type]

    @property
    def _skip_locked(self) -> bool:
        return self.dialect == "postgresql"

    def _unit(self) -> AbstractContextManager[Session]:
        return unit_of_work(self.sessions)

    # --- one pass -------------------------------------------------------------------------------------

    def run_once(self) -> TickResult:
        result = TickResult()
        now = self.clock()
        for sweep in self.sweeps:
            try:
                with self._unit() as session:
                    result.swept += sweep(session, self.settings, now)
            except Exception:
                log.exception(
                    "sweep %s failed; it runs again on the next pass", getattr(sweep, "__name__", sweep)
                )
        self._run_jobs(now, result)
        self._send_mail(self.clock(), result)
        return result

    def run_forever(self, stop: threading.Event) -> None:
        log.info("notification worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                result = self.run_once()
            except Exception:
                log.exception("worker pass failed; trying again")
                result = TickResult()
            if not result.busy:
                stop.wait(self.settings.worker_poll_seconds)
        log.info("notification worker %s stopped", self.worker_id)

    # --- claiming ---------------------------------------------------------------------------------------

    def _claim(
        self, model: type[OutboundEmail] | type[ScheduledJob], now: datetime
    ) -> tuple[str, list[uuid.UUID]]:
        token = f"{self.worker_id}:{uuid.uuid4().hex[:8]}"
        due = model.send_after if model is OutboundEmail else model.due_at  # type: ignore[union-attr]
        free = or_(model.claimed_until.is_(None), model.claimed_until < now)
        with self._unit() as session:
            stmt = (
                select(model.id)
                .where(model.status == "pending", due <= now, free)
                .order_by(due)
                .limit(self.settings.worker_batch_size)
            )
            if self._skip_locked:
                stmt = stmt.with_for_update(skip_locked=True)
            ids = list(session.scalars(stmt))
            if not ids:
                return token, []
            lease = now + timedelta(seconds=self.settings.worker_lease_seconds)
            session.execute(
                update(model)
                .where(model.id.in_(ids), model.status == "pending", free)
                .values(claimed_by=token, claimed_until=lease)
                .execution_options(synchronize_session=False)
            )
            claimed = list(session.scalars(select(model.id).where(model.claimed_by == token).order_by(due)))
        return token, claimed

    def _backoff(self, attempts: int) -> timedelta:
        seconds = self.settings.notify_retry_base_seconds * (2 ** max(attempts - 1, 0))
        return timedelta(seconds=min(seconds, self.settings.notify_retry_max_seconds))

    # --- mail -------------------------------------------------------------------------------------------

    def _send_mail(self, now: datetime, result: TickResult) -> None:
        while True:
            token, ids = self._claim(OutboundEmail, now)
            if not ids:
                return
            with self.transport_factory(self.settings) as transport:
                for email_id in ids:
                    self._send_one(transport, token, email_id, result)
            if len(ids) < self.settings.worker_batch_size:
                return
            now = self.clock()

    def _send_one(self, transport: Transport, token: str, email_id: uuid.UUID, result: TickResult) -> None:
        with self._unit() as session:
            # Renew the lease before each send, and only while it still holds: a worker slowed past its lease
            # finds the message taken over by another and leaves it, instead of both sending it.
            now = self.clock()
            renewed = session.execute(
                update(OutboundEmail)
                .where(
                    OutboundEmail.id == email_id,
                    OutboundEmail.claimed_by == token,
                    OutboundEmail.status == OutboxStatus.PENDING,
                    OutboundEmail.claimed_until > now,
                )
                .values(claimed_until=now + timedelta(seconds=self.settings.worker_lease_seconds))
                .execution_options(synchronize_session=False)
            )
            if not renewed.rowcount:  # type: ignore[attr-defined]
                return  # taken over, erased with its recipient, or cancelled since it was claimed
            email = session.get(OutboundEmail, email_id)
            if email is None:
                return
            message = compose(email, self.settings)
        try:
            transport.send(message)
        except Exception as exc:
            self._record_failure(token, email_id, exc, result)
            return
        with self._unit() as session:
            session.execute(
                update(OutboundEmail)
                .where(OutboundEmail.id == email_id, OutboundEmail.claimed_by == token)
                .values(
                    status=OutboxStatus.SENT,
                    sent_at=self.clock(),
                    attempts=OutboundEmail.attempts + 1,
                    last_error=None,
                    claimed_by=None,
                    claimed_until=None,
                )
            )
        result.sent += 1

    def _record_failure(self, token: str, email_id: uuid.UUID, exc: Exception, result: TickResult) -> None:
        permanent = isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code >= 500
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            permanent = all(code >= 500 for code, _ in exc.recipients.values())
        reason = f"{type(exc).__name__}: {exc}"[:500]
        with self._unit() as session:
            email = session.get(OutboundEmail, email_id)
            if email is None or email.claimed_by != token:
                return
            email.attempts += 1
            email.last_error = reason
            email.claimed_by = None
            email.claimed_until = None
            if permanent or email.attempts >= self.settings.notify_max_attempts:
                email.status = OutboxStatus.FAILED
                result.failed += 1
                log.warning("email %s failed for good after %d tries", email.id, email.attempts)
            else:
                email.send_after = self.clock() + self._backoff(email.attempts)
                result.retried += 1
                log.info(
                    "email %s not sent (try %d); retrying at %s", email.id, email.attempts, email.send_after
                )

    # --- jobs -------------------------------------------------------------------------------------------

    def _run_jobs(self, now: datetime, result: TickResult) -> None:
        token, ids = self._claim(ScheduledJob, now)
        for job_id in ids:
            try:
                with self._unit() as session:
                    job = session.get(ScheduledJob, job_id)
                    if job is None or job.claimed_by != token or job.status != JobStatus.PENDING:
                        continue
                    handler = self.handlers.get(job.kind)
                    if handler is None:
                        raise LookupError(f"no handler for jobs of kind {job.kind!r}")
                    handler(session, job, now)
                    job.status = JobStatus.DONE
                    job.done_at = self.clock()
                    job.attempts += 1
                    job.claimed_by = None
                    job.claimed_until = None
                result.jobs_done += 1
            except Exception as exc:
                log.exception("job %s failed", job_id)
                self._record_job_failure(token, job_id, exc, result)

    def _record_job_failure(self, token: str, job_id: uuid.UUID, exc: Exception, result: TickResult) -> None:
        with self._unit() as session:
            job = session.get(ScheduledJob, job_id)
            if job is None or job.claimed_by != token:
                return
            job.attempts += 1
            job.last_error = f"{type(exc).__name__}: {exc}"[:500]
            job.claimed_by = None
            job.claimed_until = None
            if job.attempts >= self.settings.notify_max_attempts:
                job.status = JobStatus.FAILED
                result.jobs_failed += 1
            else:
                job.due_at = self.clock() + self._backoff(job.attempts)


class BackgroundWorker:
    """A worker on a daemon thread inside another process (the SQLite demo's server)."""

    def __init__(self, worker: Worker) -> None:
        self.worker = worker
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=worker.run_forever, args=(self._stop,), name="painrewire-worker", daemon=True
        )

    def start(self) -> BackgroundWorker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)


def wait_until_idle(worker: Worker, *, timeout: float = 30.0, poll: float = 0.05) -> TickResult:
    """Run passes until one finds nothing to do (tests and the CLI's ``--once``)."""
    total = TickResult()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = worker.run_once()
        for name in ("sent", "retried", "failed", "jobs_done", "jobs_failed", "swept"):
            setattr(total, name, getattr(total, name) + getattr(result, name))
        if not result.busy:
            return total
        time.sleep(poll)
    return total
