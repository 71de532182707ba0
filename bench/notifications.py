"""Notification queue speed: 10,000 emails queued as events would queue them, sent by the real worker over SMTP.

Run ``python bench/notifications.py --database sqlite`` (or ``postgresql``; about a minute each on two cores);
it prints one JSON line:

* ``worker_msgs_per_s``: messages the worker delivered per second, from the first delivery to the last, while
  the events were still being queued (the clinic's worker, ``python -m painrewire worker``, its own process,
  with the default batch size and poll interval unless ``--batch-size``/``--poll-seconds`` say otherwise);
* ``delay_p50_ms`` / ``delay_p99_ms`` / ``delay_max_ms``: from the commit of the transaction that queued a
  message to the SMTP server's acceptance of it. The events come as a burst (as fast as one process can queue
  them, ``--rate`` paces them instead), so most of the delay is waiting behind the messages queued before;
* ``enqueue_per_s``: messages queued per second, ``--batch`` to a transaction (an event's transaction writes
  its row and its mail together; here each holds 100 mails to 500 recipients, with ``enqueue_email`` applying
  each recipient's preferences, a tenth of them with quiet hours set at the other end of the day);
* ``smtplib_msgs_per_s``: the baseline, measured in the same run after the worker: the same 10,000 messages,
  composed the same way beforehand, sent by a plain ``smtplib`` loop over one connection to the same server;
  ``worker_vs_smtplib`` is the worker's rate over it; ``smtplib_composing_msgs_per_s`` is the same loop
  composing each message as it goes, as the worker does (the rest of the difference is what the outbox costs:
  its claims, and reading each message and marking it sent in a transaction of its own);
* ``delivered_once``: every queued Message-ID arrived, none twice;
* ``load_average_1m``: the machine's load before and after the run (other work on a shared machine slows every
  figure here; compare runs made at the same load).

The SMTP server (aiosmtpd, which accepts and drops each message after noting its Message-ID and the time) runs
in a process of its own, as do the worker and this script, so none of the three waits on another's
interpreter lock. Each database is created for the run and dropped at its end: a temporary SQLite file, or a
PostgreSQL database ``painrewire_bench_<random>`` on ``--postgres``
(default ``postgresql://postgres@127.0.0.1:5432/postgres``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.engine import make_url
from throwaway_db import postgres_database, sqlite_database

from painrewire import migrate
from painrewire.accounts.models import Role, User
from painrewire.config import Settings
from painrewire.db import get_engine, session_scope, utcnow
from painrewire.notifications import service as notifications
from painrewire.notifications.mail import compose, sender_address
from painrewire.notifications.models import (
    Category,
    NotificationPreference,
    OutboundEmail,
    ReminderChannel,
)

NOT_A_PASSWORD = "$argon2id$v=19$m=65536,t=3,p=4$bench$not-a-real-hash"
RECIPIENTS = 500
KINDS = [
    ("message", Category.CLINICAL, "A message from your care team is waiting"),
    ("appointment_reminder", Category.REMINDER, "Reminder: your appointment with the clinic"),
    ("questionnaire_due", Category.REMINDER, "A questionnaire from your care team is waiting"),
]
MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>\r\n]+>)", re.MULTILINE | re.IGNORECASE)


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the SMTP server, in its own process --------------------------------------------------------------------


def serve_smtp(port: int, log: Path) -> None:
    """Accept every message, note its Message-ID and arrival time in ``log``; run until SIGTERM."""
    from aiosmtpd.controller import Controller

    out = log.open("a", buffering=1)

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            found = MESSAGE_ID.search(envelope.original_content or envelope.content or b"")
            out.write(f"{time.time():.6f} {found.group(1).decode() if found else '-'}\n")
            return "250 Message accepted for delivery"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    stopped = False

    def stop(*_: object) -> None:
        nonlocal stopped
        stopped = True

    signal.signal(signal.SIGTERM, stop)
    print("ready", flush=True)
    while not stopped:
        time.sleep(0.05)
    controller.stop()
    out.close()


@contextmanager
def smtp_server(folder: Path) -> Iterator[tuple[int, Path]]:
    port, log = _free_port(), folder / "smtp.log"
    log.touch()
    process = subprocess.Popen(
        [sys.executable, __file__, "--serve-smtp", str(port), str(log)], stdout=subprocess.PIPE
    )
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == b"ready"
        yield port, log
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)


def arrivals(log: Path) -> list[tuple[float, str]]:
    found = []
    for line in log.read_text().splitlines():
        stamp, _, message_id = line.partition(" ")
        found.append((float(stamp), message_id))
    return found


# --- the clinic's worker, in its own process ----------------------------------------------------------------


@contextmanager
def worker_process(url: str, port: int, folder: Path, batch_size: int, poll: float) -> Iterator[None]:
    env = {
        **os.environ,
        "PAINREWIRE_DATABASE_URL": url,
        "PAINREWIRE_SMTP_HOST": "127.0.0.1",
        "PAINREWIRE_SMTP_PORT": str(port),
        "PAINREWIRE_SMTP_STARTTLS": "false",
        "PAINREWIRE_WORKER_BATCH_SIZE": str(batch_size),
        "PAINREWIRE_WORKER_POLL_SECONDS": str(poll),
        "PAINREWIRE_MAIL_DIR": str(folder / "mail"),
    }
    log = (folder / "worker.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "painrewire", "worker"], env=env, stdout=log, stderr=log
    )
    try:
        deadline = time.monotonic() + 60
        while b"sending mail to" not in (folder / "worker.log").read_bytes():
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((folder / "worker.log").read_text()[-2000:])
            time.sleep(0.05)
        yield
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


# --- the run ------------------------------------------------------------------------------------------------


def seed_recipients(url: str) -> list[User]:
    """500 people; every tenth has quiet hours, set twelve hours away from now so that none holds mail back."""
    now = utcnow().astimezone(ZoneInfo(Settings().clinic_timezone))
    quiet_start = clock_time((now.hour + 11) % 24, 0)
    quiet_end = clock_time((now.hour + 13) % 24, 0)
    with session_scope(get_engine(url)) as session:
        users = [
            User(
                email=f"person{i}@bench.example",
                full_name=f"Person {i}",
                password_hash=NOT_A_PASSWORD,
                role=Role.PATIENT,
            )
            for i in range(RECIPIENTS)
        ]
        session.add_all(users)
        session.flush()
        for user in users[::10]:
            session.add(
                NotificationPreference(
                    user_id=user.id,
                    appointment_reminders=ReminderChannel.EMAIL,
                    diary_reminders=ReminderChannel.OFF,
                    questionnaire_reminders=ReminderChannel.EMAIL,
                    quiet_start=quiet_start,
                    quiet_end=quiet_end,
                )
            )
    return users


def enqueue_all(url: str, users: list[User], messages: int, batch: int, rate: float) -> dict[str, float]:
    """Queue ``messages`` emails, ``batch`` per transaction; the commit time of each Message-ID."""
    committed: dict[str, float] = {}
    engine = get_engine(url)
    started = time.perf_counter()
    for first in range(0, messages, batch):
        if rate:
            due = started + first / rate
            time.sleep(max(0.0, due - time.perf_counter()))
        ids = []
        with session_scope(engine) as session:
            for n in range(first, min(first + batch, messages)):
                kind, category, subject = KINDS[n % len(KINDS)]
                email = notifications.enqueue_email(
                    session,
                    kind=kind,
                    category=category,
                    dedupe_key=f"bench:{n}",
                    subject=subject,
                    body="Something is waiting for you in the app.",
                    link_path="/patient",
                    recipient=users[n % len(users)],
                )
                assert email is not None
                ids.append(email.message_id)
        stamp = time.time()
        committed.update(dict.fromkeys(ids, stamp))
    return committed


def smtplib_loop(url: str, port: int, settings: Settings) -> tuple[int, float, float]:
    """The baseline: the same messages over one plain smtplib connection, composed beforehand (the first
    time), and composed inside the loop from the rows already read (the second)."""
    with session_scope(get_engine(url)) as session:
        rows = list(session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))
    sender = sender_address(settings)
    messages = [compose(e, settings) for e in rows]
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        for message in messages:
            client.send_message(message, from_addr=sender)
    send_only = time.perf_counter() - started
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        for row in rows:
            client.send_message(compose(row, settings), from_addr=sender)
    return len(rows), send_only, time.perf_counter() - started


def measure(
    url: str, *, messages: int, batch: int, rate: float, batch_size: int, poll: float
) -> dict[str, Any]:
    migrate.upgrade(url)
    load_before = os.getloadavg()[0]
    users = seed_recipients(url)
    settings = Settings(database_url=url, smtp_host="127.0.0.1", smtp_starttls=False)
    with tempfile.TemporaryDirectory(prefix="painrewire-bench-mail-") as tmp:
        folder = Path(tmp)
        with smtp_server(folder) as (port, log):
            with worker_process(url, port, folder, batch_size, poll):
                enqueue_started = time.time()
                committed = enqueue_all(url, users, messages, batch, rate)
                enqueue_seconds = time.time() - enqueue_started
                deadline = time.monotonic() + 600
                while len(arrivals(log)) < messages and time.monotonic() < deadline:
                    time.sleep(0.1)
                time.sleep(0.5)  # anything sent twice would arrive now
            by_worker = arrivals(log)
            baseline_port_settings = settings.model_copy(update={"smtp_port": port})
            sent, baseline_seconds, composing_seconds = smtplib_loop(url, port, baseline_port_settings)
    ids = [message_id for _, message_id in by_worker]
    delays = [(stamp - committed[m]) * 1000 for stamp, m in by_worker if m in committed]
    stamps = [stamp for stamp, _ in by_worker]
    sending = max(stamps) - min(stamps) if stamps else float("nan")
    worker_rate = len(by_worker) / sending if sending else float("nan")
    baseline_rate = sent / baseline_seconds
    return {
        "benchmark": "notifications",
        "database": make_url(url).get_backend_name(),
        "messages": messages,
        "enqueue_batch": batch,
        "enqueue_rate_limit": rate or None,
        "worker_batch_size": batch_size,
        "worker_poll_seconds": poll,
        "enqueue_per_s": round(messages / enqueue_seconds, 1),
        "worker_msgs_per_s": round(worker_rate, 1),
        "delay_p50_ms": round(_percentile(delays, 0.50), 1),
        "delay_p99_ms": round(_percentile(delays, 0.99), 1),
        "delay_max_ms": round(max(delays), 1),
        "first_enqueue_to_last_delivery_s": round(max(stamps) - enqueue_started, 2),
        "smtplib_msgs_per_s": round(baseline_rate, 1),
        "smtplib_composing_msgs_per_s": round(sent / composing_seconds, 1),
        "worker_vs_smtplib": round(worker_rate / baseline_rate, 3),
        "delivered_once": set(ids) == set(committed) and len(ids) == len(set(ids)),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def main(argv: Sequence[str] | None = None) -> None:
    if argv is None and len(sys.argv) == 4 and sys.argv[1] == "--serve-smtp":
        serve_smtp(int(sys.argv[2]), Path(sys.argv[3]))
        return
    defaults = Settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100, help="emails queued per transaction")
    parser.add_argument("--rate", type=float, default=0.0, help="emails queued per second (0: a burst)")
    parser.add_argument("--batch-size", type=int, default=defaults.worker_batch_size)
    parser.add_argument("--poll-seconds", type=float, default=defaults.worker_poll_seconds)
    args = parser.parse_args(argv)
    maker = sqlite_database() if args.database == "sqlite" else postgres_database(args.postgres)
    with maker as url:
        result = measure(
            url,
            messages=args.messages,
            batch=args.batch,
            rate=args.rate,
            batch_size=args.batch_size,
            poll=args.poll_seconds,
        )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
