"""Load and crash tests of acknowledged writes, shared by the test suite and `bench/reliability.py`.

A real server process on a loopback port, many concurrent clients writing diary entries; afterwards every
write the server acknowledged (HTTP 200) must be in the database. The crash variant kills the server with
SIGKILL in the middle of the load. Traffic goes only to 127.0.0.1, and every loop is bounded in time.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx
from sqlalchemy import select

from painrewire.accounts.models import AuthSession, Role, User
from painrewire.accounts.security import hash_password, token_digest
from painrewire.db import get_engine, session_scope, utcnow
from painrewire.diary.models import DiaryEntry
from painrewire.patients.models import CareTeamMember, Patient


@dataclass(frozen=True)
class Client:
    patient_id: uuid.UUID
    token: str


@dataclass
class LoadResult:
    label: str
    clients: int
    seconds: float
    acknowledged: dict[tuple[uuid.UUID, date], int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    killed: bool = False

    def figures(self, lost: int) -> dict[str, object]:
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(database_url: str, log: Path, *, workers: int = 1) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "PAINREWIRE_DATABASE_URL": database_url, "PAINREWIRE_ENVIRONMENT": "test"}
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
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not answer /healthz within 30 s")


async def _run_load(
    url: str,
    clients: Sequence[Client],
    *,
    seconds: float,
    result: LoadResult,
    kill: subprocess.Popen[bytes] | None,
) -> None:
    start = time.monotonic()
    deadline = start + seconds
    today = date.today()
    limits = httpx.Limits(max_connections=len(clients), max_keepalive_connections=len(clients))
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as http:

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
                sent = time.perf_counter()
                try:
                    response = await http.put(
                        f"/api/v1/patients/{client.patient_id}/diary/{day.isoformat()}",
                        json=body,
                        headers={"Authorization": f"Bearer {client.token}"},
                    )
                except httpx.HTTPError:
                    result.errors += 1
                    if result.killed:
                        return
                    await asyncio.sleep(0.05)
                    continue
                result.latencies_ms.append((time.perf_counter() - sent) * 1000)
                if response.status_code == 200:
                    result.acknowledged[(client.patient_id, day)] = value
                else:
                    result.errors += 1
                k += 1

        async def killer() -> None:
            if kill is None:
                return
            await asyncio.sleep(seconds / 2)
            kill.send_signal(signal.SIGKILL)
            result.killed = True

        await asyncio.gather(killer(), *(one(c, i) for i, c in enumerate(clients)))
    result.seconds = time.monotonic() - start


def run_load(
    url: str,
    clients: Sequence[Client],
    *,
    seconds: float,
    label: str,
    kill: subprocess.Popen[bytes] | None = None,
) -> LoadResult:
    result = LoadResult(label=label, clients=len(clients), seconds=seconds)
    # A thread of its own, so the load runs even where the caller's thread already has an event loop.
    worker = threading.Thread(
        target=asyncio.run, args=(_run_load(url, clients, seconds=seconds, result=result, kill=kill),)
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
