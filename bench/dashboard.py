"""Clinician dashboard speed: a caseload of 2,000 patients with 1,000,000 diary entries, on SQLite and PostgreSQL.

Run ``python bench/dashboard.py`` (about two minutes on two cores); it prints one JSON line per database:

* ``dashboard_p50_ms`` / ``dashboard_p95_ms``: ``GET /clinician`` as the clinician with the big caseload, real
  HTTP requests through the whole app (routing, login cookie, CSRF middleware, unit of work, queries, every
  home panel and the template): the complete triage lists and the first page of the rest of the caseload --
  goal: p95 under 150 ms and at most 12 times the baseline page's;
* ``small_dashboard_p95_ms``: the same page for a clinician whose caseload is 200 of those patients;
* ``baseline_p95_ms``: ``GET /clinician/patients/new`` as the same clinician -- a page with the same login and
  layout but no caseload work -- measured in the same run, and ``ratio_vs_baseline`` (dashboard p95 over it);
* ``queries_per_page`` for both caseloads (counted with an SQLAlchemy ``before_cursor_execute`` event, one
  request each): equal, because every part of the dashboard is one query whatever the caseload's size;
* ``patients_listed``: the rows the page shows (triage lists and one page of the table), each audited;
* ``seed_seconds``: time to build the data (core inserts on SQLite, COPY on PostgreSQL, then the diary summaries
  the diary service would have written).

The measurements take turns (dashboard, small dashboard, baseline, ...) so all three see the same machine load.
Each database is created for the run and dropped at its end: a temporary SQLite file, and a PostgreSQL
database ``painrewire_bench_<random>`` on ``--postgres`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``).
``--databases sqlite`` or ``--databases postgresql`` runs one; ``--patients`` and ``--entries`` scale the data.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, insert, text
from throwaway_db import postgres_database, sqlite_database

from painrewire import migrate
from painrewire.accounts import service as accounts
from painrewire.accounts.models import Discipline, Role, User
from painrewire.app import create_app
from painrewire.assessments.models import AlertKind, QuestionnaireResponse, SafetyAlert
from painrewire.config import Settings
from painrewire.db import get_engine, session_scope
from painrewire.diary import service as diary
from painrewire.diary.models import DiaryEntry, PainBaseline
from painrewire.patients.models import CareTeamMember, Patient
from painrewire.practice.models import Module, PracticeLog
from painrewire.web.deps import CSRF_COOKIE, SESSION_COOKIE

#: The clinic's time zone, as the server reads it (PAINREWIRE_CLINIC_TIMEZONE).
ZONE = Settings().clinic_timezone
NOT_A_PASSWORD = "$argon2id$v=19$m=65536,t=3,p=4$bench$not-a-real-hash"
BATCH = 20_000


def _percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def _pain_series(rng: random.Random, days: int, kind: str) -> list[int]:
    """A patient's diary: improving, steady, or worse in the last week."""
    start = rng.uniform(4, 8)
    values = []
    for i in range(days):
        if kind == "improving":
            level = start - 3 * i / days
        elif kind == "worse" and i >= days - 7:
            level = start + 3
        else:
            level = start
        values.append(max(0, min(10, round(level + rng.uniform(-1, 1)))))
    return values


def _copy_rows(engine: Engine, table: str, columns: Sequence[str], rows: Iterator[Sequence[Any]]) -> None:
    """PostgreSQL COPY in text format (the fastest way in)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


def _insert_rows(engine: Engine, table: Any, rows: Iterator[dict[str, Any]]) -> None:
    batch: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for row in rows:
            batch.append(row)
            if len(batch) >= BATCH:
                conn.execute(insert(table), batch)
                batch = []
        if batch:
            conn.execute(insert(table), batch)


def seed(url: str, *, patients: int, entries: int, small: int, today: date) -> dict[str, Any]:
    """The caseload: clinicians, patients with diaries, practice, alerts, BPI answers, appointments."""
    engine = get_engine(url)
    postgres = engine.dialect.name == "postgresql"
    rng = random.Random(20261201)
    now = datetime.now(UTC)
    days = max(7, entries // patients)
    first_day = today - timedelta(days=days - 1)

    with session_scope(engine) as session:
        big = User(
            email="bench-big@example.org",
            full_name="Dr Big Caseload",
            password_hash=NOT_A_PASSWORD,
            role=Role.CLINICIAN,
            discipline=Discipline.PAIN_SPECIALIST,
        )
        little = User(
            email="bench-small@example.org",
            full_name="Dr Small Caseload",
            password_hash=NOT_A_PASSWORD,
            role=Role.CLINICIAN,
            discipline=Discipline.PSYCHOLOGIST,
        )
        session.add_all([big, little])
        session.flush()
        big_id, little_id = big.id, little.id

    users, people, team = [], [], []
    patient_ids = []
    for n in range(patients):
        uid, pid = uuid.uuid4(), uuid.uuid4()
        patient_ids.append(pid)
        users.append(
            {
                "id": uid,
                "email": f"bench-patient-{n}@example.org",
                "full_name": f"Patient {n:04d}",
                "password_hash": NOT_A_PASSWORD,
                "role": Role.PATIENT,
                "discipline": None,
                "is_active": True,
                "failed_logins": 0,
                "created_at": now,
            }
        )
        people.append({"id": pid, "user_id": uid, "timezone": ZONE, "created_at": now})
        team.append({"id": uuid.uuid4(), "patient_id": pid, "clinician_id": big_id, "created_at": now})
        if n < small:
            team.append({"id": uuid.uuid4(), "patient_id": pid, "clinician_id": little_id, "created_at": now})
    started = time.perf_counter()
    _insert_rows(engine, User.__table__, iter(users))
    _insert_rows(engine, Patient.__table__, iter(people))
    _insert_rows(engine, CareTeamMember.__table__, iter(team))

    kinds = ["improving"] * 6 + ["steady"] * 3 + ["worse"]
    baselines = []
    diary_columns = (
        "id",
        "patient_id",
        "day",
        "pain_now",
        "average_pain",
        "interference",
        "mood",
        "sleep_quality",
        "activity_minutes",
        "triggers",
        "note",
        "updated_at",
        "revision",
        "created_at",
    )

    def diary_rows(no_triggers: Any) -> Iterator[tuple[Any, ...]]:
        for pid in patient_ids:
            series = _pain_series(rng, days, rng.choice(kinds))
            baselines.append(
                {
                    "patient_id": pid,
                    "first_day": first_day,
                    "diary_baseline": sum(series[:7]) / 7,
                    "updated_at": now,
                }
            )
            for i, pain in enumerate(series):
                yield (
                    uuid.uuid4(),
                    pid,
                    first_day + timedelta(days=i),
                    pain,
                    pain,
                    3,
                    6,
                    6,
                    20,
                    no_triggers,
                    "",
                    now,
                    1,
                    now,
                )

    if postgres:
        _copy_rows(engine, "diary_entries", diary_columns, diary_rows("[]"))
    else:
        _insert_rows(
            engine,
            DiaryEntry.__table__,
            (dict(zip(diary_columns, row, strict=True)) for row in diary_rows([])),
        )
    _insert_rows(engine, PainBaseline.__table__, iter(baselines))
    # The diary went in without the diary service: write each patient's summary as the migration does.
    with session_scope(engine) as session:
        diary.rebuild_summaries(session)

    practice = []
    for pid in patient_ids:
        if rng.random() < 0.75:
            for back in range(0, 60, rng.choice([1, 2, 3])):
                day = today - timedelta(days=back + rng.choice([0, 0, 8]))
                practice.append(
                    {
                        "id": uuid.uuid4(),
                        "patient_id": pid,
                        "day": day,
                        "completed_at": datetime.combine(day, datetime.min.time(), tzinfo=UTC),
                        "module": Module.PRT,
                        "activity": "somatic_tracking",
                        "title": "Somatic tracking",
                        "minutes": 8.0,
                    }
                )
    _insert_rows(engine, PracticeLog.__table__, iter(practice))
    alerts = [
        {
            "id": uuid.uuid4(),
            "patient_id": pid,
            "kind": AlertKind.SELF_HARM_RISK,
            "urgency": "urgent",
            "summary": "PHQ-9 item 9 above 0",
            "details": {},
            "raised_at": now,
        }
        for pid in rng.sample(patient_ids, max(1, patients // 100))
    ]
    _insert_rows(engine, SafetyAlert.__table__, iter(alerts))
    bpi = [
        {
            "id": uuid.uuid4(),
            "patient_id": pid,
            "instrument_id": "bpi",
            "scoring_version": "bpi/1",
            "completed_at": now - timedelta(days=days),
            "answers": [7, 3, 6, 5, 5, 5, 5, 5, 5, 5, 5],
            "declined_items": [],
            "subscales": {"severity": 5.3, "interference": 5.0},
            "flags": [],
            "valid": True,
            "messages": [],
        }
        for pid in patient_ids[: patients // 5]
    ]
    _insert_rows(engine, QuestionnaireResponse.__table__, iter(bpi))
    appointments = _appointments(patient_ids[: patients // 4], big_id, now)
    if appointments:
        from painrewire.scheduling.models import Appointment

        _insert_rows(engine, Appointment.__table__, iter(appointments))
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return {
        "big": big_id,
        "small": little_id,
        "seed_seconds": round(time.perf_counter() - started, 1),
        "diary_entries": days * patients,
        "days_per_patient": days,
    }


def _appointments(
    patient_ids: Sequence[uuid.UUID], clinician_id: uuid.UUID, now: datetime
) -> list[dict[str, Any]]:
    try:
        from painrewire.scheduling.models import AppointmentMode, AppointmentStatus
    except ImportError:
        return []
    rows = []
    for n, pid in enumerate(patient_ids):
        start = (now + timedelta(days=1 + n // 8, hours=n % 8)).replace(minute=0, second=0, microsecond=0)
        rows.append(
            {
                "id": uuid.uuid4(),
                "patient_id": pid,
                "clinician_id": clinician_id,
                "appointment_type": "follow_up",
                "starts_at": start,
                "ends_at": start + timedelta(minutes=30),
                "blocked_from": start,
                "blocked_until": start + timedelta(minutes=30),
                "timezone": ZONE,
                "status": AppointmentStatus.BOOKED,
                "mode": AppointmentMode.IN_PERSON,
                "sequence": 0,
                "updated_at": now,
                "cancel_reason": "",
                "created_at": now,
            }
        )
    return rows


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _login(client: TestClient, url: str, settings: Settings, user_id: uuid.UUID) -> None:
    with session_scope(get_engine(url)) as session:
        user = session.get(User, user_id)
        assert user is not None
        token = accounts.start_session(session, settings, user, kind="browser").token
    client.cookies.set(SESSION_COOKIE, token)
    client.cookies.set(CSRF_COOKIE, "bench-csrf")


def measure(url: str, *, patients: int, entries: int, small: int, requests: int) -> dict[str, Any]:
    today = datetime.now(ZoneInfo(ZONE)).date()
    migrate.upgrade(url)
    seeded = seed(url, patients=patients, entries=entries, small=small, today=today)
    settings = Settings(database_url=url, environment="test", clinic_timezone=ZONE)
    app = create_app(settings)
    engine = get_engine(url)
    big, little = TestClient(app), TestClient(app)
    _login(big, url, settings, seeded["big"])
    _login(little, url, settings, seeded["small"])
    pages: dict[str, tuple[TestClient, str]] = {
        "dashboard": (big, "/clinician"),
        "small_dashboard": (little, "/clinician"),
        "baseline": (big, "/clinician/patients/new"),
    }
    queries: dict[str, int] = {}
    rows_shown: dict[str, int] = {}
    for name, (client, path) in pages.items():
        with counting(engine) as statements:
            response = client.get(path)
        assert response.status_code == 200, (name, response.status_code, response.text[:300])
        queries[name] = len(statements)
        rows_shown[name] = response.text.count('<tr class="group-')
    for _ in range(3):
        for client, path in pages.values():
            client.get(path)
    times: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(requests):
        for name, (client, path) in pages.items():
            begin = time.perf_counter()
            response = client.get(path)
            times[name].append((time.perf_counter() - begin) * 1000)
            assert response.status_code == 200
    p95 = {name: _percentile(values, 0.95) for name, values in times.items()}
    return {
        "database": engine.dialect.name,
        "patients": patients,
        "small_caseload": small,
        "diary_entries": seeded["diary_entries"],
        "seed_seconds": seeded["seed_seconds"],
        "requests_each": requests,
        "dashboard_p50_ms": round(statistics.median(times["dashboard"]), 1),
        "dashboard_p95_ms": round(p95["dashboard"], 1),
        "small_dashboard_p95_ms": round(p95["small_dashboard"], 1),
        "baseline_p95_ms": round(p95["baseline"], 1),
        "ratio_vs_baseline": round(p95["dashboard"] / p95["baseline"], 2),
        "ratio_big_vs_small": round(p95["dashboard"] / p95["small_dashboard"], 2),
        "queries_per_page": {
            "caseload_" + str(patients): queries["dashboard"],
            "caseload_" + str(small): queries["small_dashboard"],
        },
        "patients_listed": {"big": rows_shown["dashboard"], "small": rows_shown["small_dashboard"]},
        "goal_p95_ms": 150,
        "goal_ratio_vs_baseline": 12,
        "machine": (
            f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
            f"{platform.python_implementation()} {platform.python_version()}"
        ),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args(argv)
    makers: dict[str, Callable[[], Any]] = {
        "sqlite": sqlite_database,
        "postgresql": lambda: postgres_database(args.postgres),
    }
    for name in args.databases.split(","):
        with makers[name.strip()]() as url:
            result = measure(
                url, patients=args.patients, entries=args.entries, small=args.small, requests=args.requests
            )
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
