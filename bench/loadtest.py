"""Load and crash tests of acknowledged writes, shared by the test suite and `bench/reliability.py`.

A real server process on a loopback port, many concurrent clients: four in five write diary entries, one in
five books appointments with a few clinicians, all racing for the same free times. Afterwards every write the
server acknowledged (HTTP 200 or 201) must be in the database, unchanged, and no clinician may hold two
booked appointments at overlapping times (a booking that lost the race is answered 409 and stores nothing).
The crash variant kills the server with SIGKILL in the middle of the load. Traffic goes only to 127.0.0.1,
and every loop is bounded in time.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from painrewire.accounts.models import AuthSession, Discipline, Role, User
from painrewire.accounts.security import hash_password, token_digest
from painrewire.db import get_engine, session_scope, utcnow
from painrewire.diary.models import DiaryEntry
from painrewire.patients.models import CareTeamMember, Patient
from painrewire.scheduling.models import (
    Appointment,
    AppointmentStatus,
    AvailabilityMode,
    ClinicianCalendar,
    WorkingHours,
)

#: One client in this many books appointments instead of writing its diary.
BOOKER_EVERY = 5
BOOKING_TYPE = "psychology"
BOOKING_CLINICIANS = 4


@dataclass(frozen=True)
class Client:
    patient_id: uuid.UUID
    token: str


@dataclass(frozen=True)
class Booked:
    clinician_id: uuid.UUID
    starts_at: datetime


@dataclass
class LoadResult:
    label: str
    clients: int
    seconds: float
    acknowledged: dict[tuple[uuid.UUID, date], int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    killed: bool = False
    #: Acknowledged bookings (201) by appointment id, and bookings refused because the time was taken (409).
    bookings: dict[uuid.UUID, Booked] = field(default_factory=dict)
    taken: int = 0
    #: What the unexpected answers were, e.g. ``{"book 422: ...": 1}``, so a failure says why.
    unexpected: dict[str, int] = field(default_factory=dict)

    def note(self, what: str) -> None:
        """Count one error and say what it was."""
        self.errors += 1
        self.unexpected[what] = self.unexpected.get(what, 0) + 1

    def figures(self, lost: int, lost_bookings: int = 0, double_bookings: int = 0) -> dict[str, object]:
        ordered = sorted(self.latencies_ms)
        p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else None
        return {
            "scenario": self.label,
            "clients": self.clients,
            "seconds": round(self.seconds, 2),
            "acknowledged_writes": len(self.acknowledged),
            "requests_per_second": round(len(self.latencies_ms) / self.seconds, 1) if self.seconds else 0.0,
            "p50_ms": round(statistics.median(ordered), 1) if ordered else None,
            "p99_ms": round(p99, 1) if p99 is not None else None,
            "errors": self.errors,
            "lost_writes": lost,
            "acknowledged_bookings": len(self.bookings),
            "bookings_refused_taken": self.taken,
            "lost_bookings": lost_bookings,
            "double_bookings": double_bookings,
            "server_killed": self.killed,
        }


def create_clients(database_url: str, n: int) -> list[Client]:
    """Patients with API tokens, made directly in the database so set-up does not depend on the server."""
    clients: list[Client] = []
    password_hash = hash_password(uuid.uuid4().hex)
    with session_scope(get_engine(database_url)) as session:
        clinician = User(
            email=f"load-clinician-{uuid.uuid4().hex[:8]}@example.org",
            full_name="Load Clinician",
            password_hash=password_hash,
            role=Role.CLINICIAN,
            discipline=None,
        )
        session.add(clinician)
        session.flush()
        for i in range(n):
            user = User(
                email=f"load-{i}-{uuid.uuid4().hex[:8]}@example.org",
                full_name=f"Load Patient {i}",
                password_hash=password_hash,
                role=Role.PATIENT,
            )
            session.add(user)
            session.flush()
            patient = Patient(user_id=user.id, timezone="UTC")
            session.add(patient)
            session.flush()
            session.add(CareTeamMember(patient_id=patient.id, clinician_id=clinician.id))
            token = uuid.uuid4().hex + uuid.uuid4().hex
            session.add(
                AuthSession(
                    token_hash=token_digest(token),
                    user_id=user.id,
                    kind="api",
                    expires_at=utcnow() + timedelta(hours=2),
                )
            )
            clients.append(Client(patient.id, token))
    return clients


def create_booking_clinic(database_url: str, n: int = BOOKING_CLINICIANS) -> list[uuid.UUID]:
    """Psychologists open for online booking every day, 07:00-21:00 UTC: the times the bookers race for."""
    ids: list[uuid.UUID] = []
    with session_scope(get_engine(database_url)) as session:
        for i in range(n):
            clinician = User(
                email=f"load-psychologist-{i}-{uuid.uuid4().hex[:8]}@example.org",
                full_name=f"Load Psychologist {i}",
                password_hash=hash_password(uuid.uuid4().hex),
                role=Role.CLINICIAN,
                discipline=Discipline.PSYCHOLOGIST,
            )
            session.add(clinician)
            session.flush()
            session.add(
                ClinicianCalendar(clinician_id=clinician.id, timezone="UTC", accepts_online_booking=True)
            )
            for weekday in range(7):
                session.add(
                    WorkingHours(
                        clinician_id=clinician.id,
                        weekday=weekday,
                        starts=clock(7),
                        ends=clock(21),
                        mode=AvailabilityMode.EITHER,
                    )
                )
            ids.append(clinician.id)
    return ids


def free_times(url: str, clinician_ids: Sequence[uuid.UUID], *, days: int = 2) -> list[tuple[uuid.UUID, str]]:
    """The free starts each clinician offers over the coming days, as the booking API lists them."""
    first = date.today() + timedelta(days=1)
    found: list[tuple[uuid.UUID, str]] = []
    for clinician_id in clinician_ids:
        response = httpx.get(
            f"{url}/api/v1/booking/slots",
            params={
                "appointment_type": BOOKING_TYPE,
                "clinician_id": str(clinician_id),
                "start": first.isoformat(),
                "days": days,
                "timezone": "UTC",
            },
            timeout=30,
        )
        response.raise_for_status()
        found += [(clinician_id, slot["starts_at"]) for slot in response.json()["slots"]]
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client_limits(connections: int) -> httpx.Limits:
    """Connection limits for an HTTP client of ``start_server``'s server.

    Idle connections are dropped well before the server's keep-alive timeout (uvicorn: 5 s, httpx's own default
    too): a request sent on a connection the server is closing at that moment is reset, and would count as a
    failed request (seen under CI load) or a live session that could not be opened (``ReadError``).
    """
    return httpx.Limits(
        max_connections=connections, max_keepalive_connections=connections, keepalive_expiry=2.0
    )


def start_server(
    database_url: str,
    log: Path,
    *,
    workers: int = 1,
    env: Mapping[str, str | None] | None = None,
    timeout: float = 30.0,
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``painrewire serve`` on a free loopback port and wait until ``/healthz`` answers.

    ``env`` adds settings to the server's environment (a value of None removes one, e.g. the Redis URL).
    Returns the process and its base URL (``http://127.0.0.1:<port>``); the output goes to ``log``.
    """
    port = free_port()
    environment = {
        **os.environ,
        "PAINREWIRE_DATABASE_URL": database_url,
        "PAINREWIRE_ENVIRONMENT": "test",
        # Live recordings beside the log: a test server never leaves them in the working folder.
        "PAINREWIRE_RECORDING_DIR": str(log.parent / f"{log.stem}-recordings"),
        # ... and so is mail, which the worker inside a SQLite server writes to a folder when no SMTP is set.
        "PAINREWIRE_MAIL_DIR": str(log.parent / f"{log.stem}-mail"),
    }
    for name, value in (env or {}).items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "painrewire",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-migrate",
        ],
        env=environment,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"server did not answer /healthz within {timeout:g} s:\n{log.read_text()[-3000:]}")


async def _run_load(
    url: str,
    clients: Sequence[Client],
    *,
    seconds: float,
    result: LoadResult,
    kill: subprocess.Popen[bytes] | None,
    slots: Sequence[tuple[uuid.UUID, str]],
    kill_after_writes: int,
) -> None:
    start = time.monotonic()
    deadline = start + seconds
    today = date.today()
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=client_limits(len(clients))) as http:

        async def send(method: str, path: str, client: Client, body: dict[str, Any]) -> httpx.Response | None:
            """One timed request as ``client``; None when it failed in transit (counted, then a short pause
            unless the server was killed on purpose)."""
            sent = time.perf_counter()
            try:
                response = await http.request(
                    method, path, json=body, headers={"Authorization": f"Bearer {client.token}"}
                )
            except httpx.HTTPError as exc:
                if result.killed:
                    result.errors += 1
                else:
                    result.note(f"{type(exc).__name__} before the server was killed")
                    await asyncio.sleep(0.05)
                return None
            result.latencies_ms.append((time.perf_counter() - sent) * 1000)
            return response

        async def one(client: Client, offset: int) -> None:
            k = 0
            while time.monotonic() < deadline and k < 365:
                day = today - timedelta(days=k)
                value = (offset + k) % 11
                body = {
                    "pain_now": value,
                    "average_pain": value,
                    "interference": 0,
                    "mood": 5,
                    "sleep_quality": 5,
                    "activity_minutes": 0,
                    "triggers": [],
                    "note": "",
                }
                response = await send(
                    "PUT", f"/api/v1/patients/{client.patient_id}/diary/{day.isoformat()}", client, body
                )
                if response is None:
                    if result.killed:
                        return
                    continue
                if response.status_code == 200:
                    result.acknowledged[(client.patient_id, day)] = value
                else:
                    result.note(f"diary {response.status_code}: {response.text[:160]}")
                k += 1

        async def book(client: Client, seed: int) -> None:
            pick = random.Random(seed)
            while time.monotonic() < deadline:
                clinician_id, starts_at = pick.choice(slots)
                body = {
                    "appointment_type": BOOKING_TYPE,
                    "clinician_id": str(clinician_id),
                    "starts_at": starts_at,
                }
                response = await send("POST", "/api/v1/appointments", client, body)
                if response is None:
                    if result.killed:
                        return
                    continue
                if response.status_code == 201:
                    appointment = response.json()["appointment"]
                    result.bookings[uuid.UUID(appointment["id"])] = Booked(
                        clinician_id, datetime.fromisoformat(starts_at)
                    )
                elif response.status_code == 409:
                    result.taken += 1
                else:
                    result.note(f"book {response.status_code}: {response.text[:160]}")

        def work(client: Client, i: int) -> Any:
            if slots and i % BOOKER_EVERY == 0:
                return book(client, i)
            return one(client, i)

        async def killer() -> None:
            if kill is None:
                return
            # Half-way, but never before the load has shown it is writing: on a busy machine the first
            # acknowledgements can take seconds, and a kill before them would prove nothing.
            await asyncio.sleep(seconds / 2)
            while len(result.acknowledged) < kill_after_writes and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            kill.send_signal(signal.SIGKILL)
            result.killed = True

        await asyncio.gather(killer(), *(work(c, i) for i, c in enumerate(clients)))
    result.seconds = time.monotonic() - start


def run_load(
    url: str,
    clients: Sequence[Client],
    *,
    seconds: float,
    label: str,
    kill: subprocess.Popen[bytes] | None = None,
    slots: Sequence[tuple[uuid.UUID, str]] = (),
    kill_after_writes: int = 0,
) -> LoadResult:
    """Run the load; with ``slots`` (from :func:`free_times`) one client in five books instead of writing."""
    result = LoadResult(label=label, clients=len(clients), seconds=seconds)
    # A thread of its own, so the load runs even where the caller's thread already has an event loop.
    worker = threading.Thread(
        target=asyncio.run,
        args=(
            _run_load(
                url,
                clients,
                seconds=seconds,
                result=result,
                kill=kill,
                slots=slots,
                kill_after_writes=kill_after_writes,
            ),
        ),
    )
    worker.start()
    worker.join()
    return result


def lost_writes(database_url: str, result: LoadResult) -> int:
    """Acknowledged writes that are missing or hold another value in the database."""
    get_engine(database_url).dispose()
    patient_ids = {p for p, _ in result.acknowledged}
    stored: dict[tuple[uuid.UUID, date], int] = {}
    with session_scope(get_engine(database_url)) as session:
        for entry in session.scalars(select(DiaryEntry).where(DiaryEntry.patient_id.in_(patient_ids))):
            stored[(entry.patient_id, entry.day)] = entry.average_pain
    return sum(1 for key, value in result.acknowledged.items() if stored.get(key) != value)


def lost_bookings(database_url: str, result: LoadResult) -> int:
    """Acknowledged bookings that are missing, moved or no longer booked."""
    get_engine(database_url).dispose()
    with session_scope(get_engine(database_url)) as session:
        stored = {
            a.id: a
            for a in session.scalars(select(Appointment).where(Appointment.id.in_(list(result.bookings))))
        }
    lost = 0
    for appointment_id, booked in result.bookings.items():
        found = stored.get(appointment_id)
        if (
            found is None
            or found.status != AppointmentStatus.BOOKED
            or found.clinician_id != booked.clinician_id
            or found.starts_at != booked.starts_at
        ):
            lost += 1
    return lost


def double_bookings(database_url: str) -> int:
    """Pairs of booked appointments of one clinician whose times overlap (must be none)."""
    with session_scope(get_engine(database_url)) as session:
        booked = session.scalars(
            select(Appointment)
            .where(Appointment.status == AppointmentStatus.BOOKED)
            .order_by(Appointment.clinician_id, Appointment.starts_at)
        ).all()
    clashes = 0
    latest_end: dict[uuid.UUID, datetime] = {}
    for appointment in booked:
        previous = latest_end.get(appointment.clinician_id)
        if previous is not None and appointment.starts_at < previous:
            clashes += 1
        latest_end[appointment.clinician_id] = max(previous or appointment.ends_at, appointment.ends_at)
    return clashes
