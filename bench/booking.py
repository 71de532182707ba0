"""Booking speed: the free-slot search of a clinic of 50 clinicians over 8 weeks, against a per-day approach.

Run ``python bench/booking.py [--repeats 40]``; it prints one JSON line per database (SQLite, and PostgreSQL
when one answers on 127.0.0.1:5432):

* ``first_available_p50_ms`` / ``first_available_p95_ms`` / ``first_available_queries``: what the public
  "Book now" page asks for with "first available" -- one follow-up for a logged-in patient, every clinician,
  8 weeks (goal: p95 under 25 ms, with the collector running as usual), and the SQL statements one search
  sends (on SQLite one more: the session's ``BEGIN IMMEDIATE``);
* ``every_clinician_*``: the same window listing each clinician's own free times (the course planner's view);
* ``one_clinician_*``: one clinician's 8 weeks, the baseline for how the cost grows with the clinic;
* ``per_day_*``: the straightforward way, three queries per clinician and day (hours, exceptions,
  bookings), the same arithmetic; ``same_slots`` says both found exactly the same free times;
* ``first_available_cpu_p50_ms`` / ``..._cpu_p95_ms``: the same searches in this process's CPU time, which a
  neighbour's load on a shared machine does not stretch;
* ``full_gc_ms``: one full garbage collection of this process (it walks every object the app imported), and
  ``*_p95_ms_gc_frozen``: the p95s again after ``gc.freeze()``, as a server can call once it has started --
  the difference between the two p95s is those collections landing in a search (``--no-freeze`` leaves
  this pass out, so nothing in the run ever freezes the collector);
* ``speedup_vs_per_day``: the per-day median over the every-clinician median;
  ``cost_vs_one_clinician``: the first-available median over the one-clinician median (medians, because
  the ratios should not swing with a neighbour's load).

The clinic: 50 clinicians of the four disciplines, Monday to Friday 09:00-17:00 in Europe/London (the window
crosses the end of summer time), about half of each day booked, a week's holiday for every fifth clinician
and a sick day for every seventh. Every search opens its own session, as a request does, and the searches
take turns round by round (the per-day one every eighth round), so all of them see the same machine load.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import statistics
import tempfile
import time as clock
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select, text

from painrewire import migrate
from painrewire.accounts.models import Discipline, Role, User
from painrewire.accounts.security import hash_password
from painrewire.db import get_engine, session_factory, session_scope
from painrewire.patients.models import Patient
from painrewire.scheduling import service as scheduling
from painrewire.scheduling.core import slots as core
from painrewire.scheduling.core.catalogue import catalogue
from painrewire.scheduling.models import (
    Appointment,
    AppointmentStatus,
    CalendarException,
    ClinicianCalendar,
    ExceptionKind,
    WorkingHours,
)

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
ZONE = "Europe/London"
CLINICIANS = 50
WEEKS = 8
TYPE = "follow_up"
FIRST_MONDAY = date(2027, 10, 4)  # the window holds the last Sunday of October, when summer time ends
NOW = datetime(2027, 10, 1, 12, tzinfo=UTC)
START = core.from_epoch(core.local_instant(FIRST_MONDAY, time(0), ZONE))
END = START + timedelta(weeks=WEEKS)


def databases(tmp: Path) -> list[tuple[str, str, str | None]]:
    found: list[tuple[str, str, str | None]] = [("sqlite", f"sqlite:///{tmp / 'booking.sqlite3'}", None)]
    try:
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        name = f"painrewire_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        found.append(("postgresql", POSTGRES.rsplit("/", 1)[0] + f"/{name}", name))
    except Exception as exc:
        print(json.dumps({"postgresql": f"not reachable: {type(exc).__name__}"}))
    return found


def drop_postgres(name: str) -> None:
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return core.from_epoch(core.local_instant(day, time(hour, minute), ZONE))


def build_clinic(engine: Engine) -> tuple[uuid.UUID, uuid.UUID]:
    """Seed the clinic; return one patient's id and one clinician's id."""
    rng = random.Random(0)
    disciplines = list(Discipline)
    password = hash_password(uuid.uuid4().hex)
    with session_scope(engine) as session:
        patients = []
        for i in range(200):
            user = User(
                email=f"bench-patient-{i}@example.org",
                full_name=f"Patient {i:03d}",
                password_hash=password,
                role=Role.PATIENT,
            )
            session.add(user)
            session.flush()
            patient = Patient(user_id=user.id, timezone=ZONE)
            session.add(patient)
            patients.append(patient)
        session.flush()
        clinicians = []
        for i in range(CLINICIANS):
            clinician = User(
                email=f"bench-clinician-{i}@example.org",
                full_name=f"Clinician {i:02d}",
                password_hash=password,
                role=Role.CLINICIAN,
                discipline=disciplines[i % len(disciplines)],
            )
            session.add(clinician)
            session.flush()
            clinicians.append(clinician)
            session.add(
                ClinicianCalendar(clinician_id=clinician.id, timezone=ZONE, location=f"Room {i % 8 + 1}")
            )
            for weekday in range(5):
                session.add(
                    WorkingHours(clinician_id=clinician.id, weekday=weekday, starts=time(9), ends=time(17))
                )
            if i % 5 == 0:
                holiday = FIRST_MONDAY + timedelta(weeks=1 + i % WEEKS)
                session.add(
                    CalendarException(
                        clinician_id=clinician.id,
                        kind=ExceptionKind.HOLIDAY,
                        starts_at=at(holiday, 0),
                        ends_at=at(holiday + timedelta(days=7), 0),
                    )
                )
            if i % 7 == 0:
                sick = FIRST_MONDAY + timedelta(days=2 + i % 30)
                session.add(
                    CalendarException(
                        clinician_id=clinician.id,
                        kind=ExceptionKind.SICK,
                        starts_at=at(sick, 0),
                        ends_at=at(sick + timedelta(days=1), 0),
                    )
                )
            for day_number in range(WEEKS * 7):
                day = FIRST_MONDAY + timedelta(days=day_number)
                if day.weekday() >= 5:
                    continue
                for hour in range(9, 17):
                    if rng.random() < 0.5:
                        continue
                    starts = at(day, hour, rng.choice((0, 15)))
                    session.add(
                        Appointment(
                            patient_id=patients[i + CLINICIANS * (hour % 4)].id,  # never two at once
                            clinician_id=clinician.id,
                            appointment_type=TYPE,
                            starts_at=starts,
                            ends_at=starts + timedelta(minutes=30),
                            blocked_from=starts,
                            blocked_until=starts + timedelta(minutes=40),
                            timezone=ZONE,
                            status=AppointmentStatus.BOOKED,
                        )
                    )
            session.flush()
        return patients[0].id, clinicians[0].id


@contextmanager
def counting(engine: Engine) -> Iterator[list[int]]:
    """Count the SQL statements sent while the block runs."""
    counter = [0]

    def count(*_: Any) -> None:
        counter[0] += 1

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", count)


def search(engine: Engine, **kw: Any) -> list[scheduling.Slot]:
    with session_factory(engine)() as session:
        return scheduling.find_slots(
            session, type_key=TYPE, start=START, end=END, clinic_zone=ZONE, now=NOW, **kw
        ).slots


def per_day(engine: Engine) -> list[tuple[int, object]]:
    """The straightforward search: for each clinician and each day, ask for that day's hours, exceptions
    and bookings, then run the same arithmetic on that one day."""
    kind = scheduling.appointment_type(TYPE)
    rules = catalogue().booking
    margin = kind.duration + kind.buffer_before + kind.buffer_after
    found: list[tuple[int, object]] = []
    with session_factory(engine)() as session:
        clinicians = scheduling.bookable_clinicians(session, kind, clinic_zone=ZONE)
        for clinician in clinicians:
            day = FIRST_MONDAY
            while day < FIRST_MONDAY + timedelta(weeks=WEEKS):
                day_start, day_end = at(day, 0), at(day + timedelta(days=1), 0)
                blocks = [
                    core.WeeklyBlock(h.weekday, h.starts, h.ends, str(h.mode))
                    for h in session.scalars(
                        select(WorkingHours).where(
                            WorkingHours.clinician_id == clinician.id, WorkingHours.weekday == day.weekday()
                        )
                    )
                ]
                away = [
                    (core.to_epoch(e.starts_at), core.to_epoch(e.ends_at))
                    for e in session.scalars(
                        select(CalendarException).where(
                            CalendarException.clinician_id == clinician.id,
                            CalendarException.starts_at < day_end + margin,
                            CalendarException.ends_at > day_start - margin,
                        )
                    )
                ]
                held = [
                    (core.to_epoch(a.blocked_from), core.to_epoch(a.blocked_until))
                    for a in session.scalars(
                        select(Appointment).where(
                            Appointment.clinician_id == clinician.id,
                            Appointment.status == AppointmentStatus.BOOKED,
                            Appointment.blocked_from < day_end + margin,
                            Appointment.blocked_until > day_start - margin,
                        )
                    )
                ]
                calendar = core.CalendarData(clinician.id, clinician.timezone, blocks, held, away)
                query = core.SlotQuery(
                    duration=int(kind.duration.total_seconds()),
                    buffer_before=int(kind.buffer_before.total_seconds()),
                    buffer_after=int(kind.buffer_after.total_seconds()),
                    step=rules.slot_step_minutes * 60,
                    window_start=core.to_epoch(day_start),
                    window_end=core.to_epoch(day_end),
                    earliest=core.to_epoch(NOW + timedelta(minutes=rules.min_lead_minutes)),
                )
                found += [(f.start, f.clinician_id) for f in core.free_starts(calendar, query)]
                day += timedelta(days=1)
    found.sort(key=lambda f: f[0])
    return found


def percentile(times: list[float], share: float) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def bench(url: str, repeats: int, *, freeze: bool = True) -> dict[str, Any]:
    migrate.upgrade(url)
    engine = get_engine(url)
    patient_id, clinician_id = build_clinic(engine)
    # name -> (search, measured every n-th round): the searches take turns, so each sees the same machine load.
    runs: dict[str, tuple[Callable[[], object], int]] = {
        "first_available": (lambda: search(engine, patient_id=patient_id), 1),
        "every_clinician": (lambda: search(engine, every_clinician=True), 1),
        "one_clinician": (lambda: search(engine, clinician_id=clinician_id), 1),
        "per_day": (lambda: per_day(engine), 8),
    }
    figures: dict[str, Any] = {}
    for name, (run, _) in runs.items():
        run()  # warm: the first search compiles statements and fills the clock-change cache
        with counting(engine) as queries:
            run()
        figures[f"{name}_queries"] = queries[0]
    times: dict[str, list[float]] = {name: [] for name in runs}
    cpu: list[float] = []
    for round_number in range(repeats):
        for name, (run, every) in runs.items():
            if round_number % every:
                continue
            began, began_cpu = clock.perf_counter(), clock.process_time()
            run()
            times[name].append((clock.perf_counter() - began) * 1000)
            if name == "first_available":
                cpu.append((clock.process_time() - began_cpu) * 1000)
    for name, measured in times.items():
        figures[f"{name}_p50_ms"] = round(statistics.median(measured), 2)
        figures[f"{name}_p95_ms"] = round(percentile(measured, 0.95), 2)
    figures["first_available_cpu_p50_ms"] = round(statistics.median(cpu), 2)
    figures["first_available_cpu_p95_ms"] = round(percentile(cpu, 0.95), 2)
    if not freeze:
        return _compare(engine, figures)
    # The tail above is mostly Python's full garbage collection, which walks every object the app imported.
    # Time one, then measure again with those objects frozen, as a server can do once it has started.
    began = clock.perf_counter()
    gc.collect()
    figures["full_gc_ms"] = round((clock.perf_counter() - began) * 1000, 1)
    gc.freeze()
    frozen: dict[str, list[float]] = {"first_available": [], "every_clinician": []}
    for _ in range(repeats):
        for name, measured in frozen.items():
            began = clock.perf_counter()
            runs[name][0]()
            measured.append((clock.perf_counter() - began) * 1000)
    gc.unfreeze()
    for name, measured in frozen.items():
        figures[f"{name}_p95_ms_gc_frozen"] = round(percentile(measured, 0.95), 2)
    return _compare(engine, figures)


def _compare(engine: Engine, figures: dict[str, Any]) -> dict[str, Any]:
    """Check the search against the per-day one, and add the ratios."""
    listed = search(engine, every_clinician=True)
    ours = sorted(
        ((core.to_epoch(s.starts_at), s.clinician_id) for s in listed), key=lambda f: (f[0], str(f[1]))
    )
    theirs = sorted(per_day(engine), key=lambda f: (f[0], str(f[1])))
    figures["free_times_found"] = len(ours)
    figures["same_slots"] = ours == theirs
    figures["speedup_vs_per_day"] = round(figures["per_day_p50_ms"] / figures["every_clinician_p50_ms"], 1)
    figures["cost_vs_one_clinician"] = round(
        figures["first_available_p50_ms"] / figures["one_clinician_p50_ms"], 1
    )
    figures["goal_p95_ms"] = 25
    engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=40)
    parser.add_argument(
        "--no-freeze", action="store_true", help="leave out the pass measured after gc.freeze()"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for label, url, pg_name in databases(Path(folder)):
            try:
                figures = bench(url, args.repeats, freeze=not args.no_freeze)
            finally:
                if pg_name:
                    drop_postgres(pg_name)
            machine = {
                "machine": platform.processor() or platform.machine(),
                "cpus": os.cpu_count(),
                "load_average_1m": round(os.getloadavg()[0], 1),
            }
            print(
                json.dumps(
                    {
                        "database": label,
                        "clinicians": CLINICIANS,
                        "weeks": WEEKS,
                        **figures,
                        **machine,
                    }
                )
            )


if __name__ == "__main__":
    main()
