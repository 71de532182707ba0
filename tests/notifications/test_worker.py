"""The outbox worker: sends what committed, retries what failed, gives up in the open, survives kill -9."""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from email import policy as email_policy
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import Role, User
from painrewire.config import Settings
from painrewire.db import get_engine, session_scope, utcnow
from painrewire.errors import Forbidden
from painrewire.notifications import service as notifications
from painrewire.notifications.worker import TickResult, Worker, wait_until_idle
from painrewire.outbox.models import Category, OutboundEmail, OutboxStatus
from tests.fixtures.factories import create_user
from tests.fixtures.smtp import SmtpServer, running_smtp_server


def queue(
    session: Session, n: int, *, prefix: str = "test", to: str = "someone@example.org"
) -> list[OutboundEmail]:
    queued = []
    for i in range(n):
        email = notifications.enqueue_email(
            session,
            kind="test",
            category=Category.CLINICAL,
            dedupe_key=f"{prefix}:{i}",
            subject="You have a new message from your care team",
            body="Please sign in to read it.",
            link_path="/patient/messages",
            to_address=to,
        )
        assert email is not None
        queued.append(email)
    return queued


class TestSending:
    def test_mail_arrives_as_text_and_html_with_its_queued_message_id(
        self, session: Session, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        [email] = queue(session, 1)
        result = wait_until_idle(worker)
        assert result.sent == 1
        [received] = smtp_server.mailbox.received
        assert received.message_id == email.message_id
        assert received.rcpt_tos == ["someone@example.org"]
        assert "Please sign in to read it." in received.text and "Please sign in to read it." in received.html
        assert "http://127.0.0.1:8000/patient/messages" in received.text
        session.refresh(email)
        assert email.status == OutboxStatus.SENT and email.sent_at is not None and email.attempts == 1

    def test_the_same_event_queues_its_mail_once(self, session: Session) -> None:
        assert queue(session, 1, prefix="once")
        again = notifications.enqueue_email(
            session,
            kind="test",
            category=Category.CLINICAL,
            dedupe_key="once:0",
            subject="s",
            body="b",
            link_path="/",
            to_address="a@example.org",
        )
        assert again is None
        assert session.scalar(select(func.count()).select_from(OutboundEmail)) == 1

    def test_nothing_is_sent_before_its_time(
        self, session: Session, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        later = utcnow() + timedelta(hours=1)
        notifications.enqueue_email(
            session,
            kind="test",
            category=Category.REMINDER,
            dedupe_key="later",
            subject="A reminder",
            body="b",
            link_path="/",
            to_address="a@example.org",
            send_after=later,
        )
        wait_until_idle(worker)
        assert smtp_server.mailbox.received == []
        worker.clock = lambda: later
        wait_until_idle(worker)
        assert len(smtp_server.mailbox.received) == 1

    def test_without_a_mail_server_mail_is_written_to_the_folder(
        self, session: Session, sessions: object, engine: object, settings: Settings, tmp_path: Path
    ) -> None:
        [email] = queue(session, 1)
        folder_settings = settings.model_copy(update={"smtp_host": None, "mail_dir": tmp_path / "outbox"})
        assert not folder_settings.mail_configured
        worker = Worker(sessions=sessions, dialect=engine.dialect.name, settings=folder_settings)  # type: ignore[arg-type, attr-defined]
        wait_until_idle(worker)
        [written] = list((tmp_path / "outbox").glob("*.eml"))
        parsed = message_from_bytes(written.read_bytes(), policy=email_policy.default)
        assert parsed["Message-ID"] == email.message_id
        assert parsed["Subject"] == "You have a new message from your care team"


class TestFailures:
    def test_a_refusing_server_is_retried_with_growing_waits_then_failed_in_the_open(
        self, session: Session, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        [email] = queue(session, 1)
        smtp_server.mailbox.refuse = "451 4.3.0 Mailbox busy"
        now = utcnow()
        worker.settings = worker.settings.model_copy(update={"notify_max_attempts": 3})
        worker.clock = lambda: now
        wait_until_idle(worker)
        session.refresh(email)
        assert (email.status, email.attempts) == (OutboxStatus.PENDING, 1)
        assert email.send_after == now + timedelta(seconds=30)
        assert "451" in (email.last_error or "")
        worker.clock = lambda: now + timedelta(seconds=30)
        wait_until_idle(worker)
        session.refresh(email)
        assert email.attempts == 2 and email.send_after == now + timedelta(seconds=90)  # then 60 s more
        worker.clock = lambda: now + timedelta(seconds=90)
        wait_until_idle(worker)
        session.refresh(email)
        assert (email.status, email.attempts) == (OutboxStatus.FAILED, 3)
        assert smtp_server.mailbox.received == []

    def test_a_permanent_refusal_fails_at_once(
        self, session: Session, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        [email] = queue(session, 1)
        smtp_server.mailbox.refuse = "550 5.1.1 No such user"
        wait_until_idle(worker)
        session.refresh(email)
        assert (email.status, email.attempts) == (OutboxStatus.FAILED, 1)

    def test_a_server_that_is_down_loses_nothing(
        self, session: Session, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        [email] = queue(session, 1)
        down = worker.settings.model_copy(update={"smtp_port": 1, "smtp_timeout_seconds": 2.0})
        up = worker.settings
        worker.settings = down
        now = utcnow()
        worker.clock = lambda: now
        wait_until_idle(worker)
        session.refresh(email)
        assert email.status == OutboxStatus.PENDING and email.attempts == 1
        worker.settings = up
        worker.clock = lambda: now + timedelta(minutes=1)
        wait_until_idle(worker)
        assert [r.message_id for r in smtp_server.mailbox.received] == [email.message_id]

    def test_the_admin_retries_a_failed_email(
        self, session: Session, worker: Worker, smtp_server: SmtpServer, admin: User, clinician: User
    ) -> None:
        [email] = queue(session, 1)
        smtp_server.mailbox.refuse = "550 5.7.1 Relaying denied"
        wait_until_idle(worker)
        state = notifications.queue_state(session, admin)
        assert [e.id for e in state.failed] == [email.id] and state.counts == {"failed": 1}
        with pytest.raises(Forbidden):
            notifications.queue_state(session, clinician)
        smtp_server.mailbox.refuse = None
        notifications.retry_failed(session, admin, email.id)
        wait_until_idle(worker)
        assert [r.message_id for r in smtp_server.mailbox.received] == [email.message_id]

    def test_mail_of_an_erased_recipient_is_gone_with_them(
        self, session: Session, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        person = create_user(session, role=Role.PATIENT)
        notifications.enqueue_for_users(
            session,
            [person],
            kind="test",
            category=Category.CLINICAL,
            dedupe_key="erased",
            subject="s",
            body="b",
            link_path="/",
        )
        session.delete(person)
        session.flush()
        wait_until_idle(worker)
        assert smtp_server.mailbox.received == []


# --- several processes, and kill -9 ------------------------------------------------------------------------


def _queue_committed(url: str, n: int) -> set[str]:
    with session_scope(get_engine(url)) as session:
        return {e.message_id for e in queue(session, n, prefix="crash")}


def _start_worker(url: str, smtp: SmtpServer, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PAINREWIRE_DATABASE_URL": url,
        "PAINREWIRE_SMTP_HOST": smtp.host,
        "PAINREWIRE_SMTP_PORT": str(smtp.port),
        "PAINREWIRE_SMTP_STARTTLS": "false",
        "PAINREWIRE_WORKER_LEASE_SECONDS": "2",
        "PAINREWIRE_WORKER_POLL_SECONDS": "0.1",
        "PAINREWIRE_WORKER_BATCH_SIZE": "40",
        "PAINREWIRE_ENVIRONMENT": "test",
    }
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "painrewire", "worker"], env=env, stdout=handle, stderr=handle
    )


def _wait(condition: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_a_worker_killed_mid_batch_delivers_everything_once_after_restart(
    committed_database: str, tmp_path: Path
) -> None:
    """kill -9 while the mail server holds the 25th message of a claimed batch of 40; restart; count by Message-ID."""
    expected = _queue_committed(committed_database, 120)
    log = tmp_path / "worker.log"
    with running_smtp_server() as smtp:
        smtp.mailbox.hold_at = 25
        first = _start_worker(committed_database, smtp, log)
        try:
            _wait(smtp.mailbox.held.is_set, 60, "the 25th message to reach the server")
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            _stop(first)
        smtp.mailbox.release.set()  # the held message is refused: the dead worker never got a 250
        assert len(smtp.mailbox.received) == 24
        second = _start_worker(committed_database, smtp, log)
        try:
            _wait(lambda: len(smtp.mailbox.received) >= len(expected), 90, "every message after the restart")
        finally:
            _stop(second)
        ids = Counter(r.message_id for r in smtp.mailbox.received)
    assert set(ids) == expected, log.read_text()[-2000:]
    assert max(ids.values()) == 1, [m for m, n in ids.items() if n > 1]
    with session_scope(get_engine(committed_database)) as session:
        statuses = Counter(session.scalars(select(OutboundEmail.status)))
    assert statuses == {OutboxStatus.SENT: len(expected)}


def test_several_workers_share_the_queue_without_sending_anything_twice(
    committed_database: str, tmp_path: Path
) -> None:
    expected = _queue_committed(committed_database, 300)
    with running_smtp_server() as smtp:
        workers = [_start_worker(committed_database, smtp, tmp_path / f"worker{i}.log") for i in range(3)]
        try:
            _wait(lambda: len(smtp.mailbox.received) >= len(expected), 120, "every message")
            time.sleep(0.5)  # anything sent twice would arrive now
        finally:
            for w in workers:
                _stop(w)
        ids = Counter(r.message_id for r in smtp.mailbox.received)
    assert set(ids) == expected
    assert max(ids.values()) == 1


@pytest.mark.parametrize("bad", ["not an address", "Clinic <@clinic.example>", "clinic@", "a b@c.org"])
def test_a_sender_that_is_not_an_address_is_refused_naming_the_setting(bad: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="mail_from must be an email address"):
        Settings(mail_from=bad)


class TestLeases:
    def test_a_worker_slowed_past_its_lease_sends_nothing_more_and_another_sends_it_once(
        self, session: Session, worker: Worker, smtp_server: SmtpServer
    ) -> None:
        [email] = queue(session, 1)
        start = email.send_after
        lease = timedelta(seconds=worker.settings.worker_lease_seconds)
        slow = dataclasses.replace(worker, clock=lambda: start, worker_id="slow")
        token, claimed = slow._claim(OutboundEmail, start)
        assert claimed == [email.id]

        # The slow worker reaches this message of its batch after its lease ran out. Another worker may take
        # the message over at any moment now, so the slow one must not send it.
        later = start + lease + timedelta(seconds=1)
        slow_back = dataclasses.replace(slow, clock=lambda: later)
        result = TickResult()
        with slow_back.transport_factory(slow_back.settings) as transport:
            slow_back._send_one(transport, token, email.id, result)
        assert result.sent == 0 and smtp_server.mailbox.received == []

        other = dataclasses.replace(worker, clock=lambda: later, worker_id="other")
        assert wait_until_idle(other).sent == 1
        assert len(smtp_server.mailbox.received) == 1
