"""No two bookings of one clinician overlap, even when many requests arrive at the same moment.

Real concurrency, no mocks: threads with their own database connections against a fresh database, and
simultaneous HTTP requests to a real server with two worker processes. Runs on SQLite by default and on
PostgreSQL when PAINREWIRE_TEST_DATABASE_URL is set.

Why it holds: on PostgreSQL bookings of one clinician take turns on an advisory lock, so the second sees the
first and is told "taken", and an exclusion constraint over the held time range refuses any second row however
the writes interleave; on SQLite every transaction begins with BEGIN IMMEDIATE, so a booking's check and
its insert run while it holds the only write lock, and a trigger refuses an overlapping row even if code
skipped the check. Both are shown below with the check skipped.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from bench import loadtest
from painrewire import migrate
from painrewire.accounts import service as accounts
from painrewire.accounts.models import Discipline, Role, User
from painrewire.config import Settings
from painrewire.db import get_engine, session_factory, session_scope
from painrewire.patients.models import Patient
from painrewire.scheduling import service as scheduling
from painrewire.scheduling.errors import SlotTaken
from painrewire.scheduling.models import Appointment, AppointmentStatus
from tests.conftest import drop_database, new_empty_database
from tests.fixtures.factories import create_patient, create_user
from tests.scheduling.builders import london, next_monday, open_calendar

WORKERS = 16
MONDAY = next_monday()


@dataclass
class Clinic:
    url: str
    settings: Settings
    clinician_id: uuid.UUID
    patient_ids: list[uuid.UUID]


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    """A fresh, migrated database with one open calendar and WORKERS patients, all committed."""
    url, token = new_empty_database(tmp_path_factory.mktemp("race"), "race")
    migrate.upgrade(url)
    with session_scope(get_engine(url)) as session:
        clinician = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PAIN_SPECIALIST)
        open_calendar(session, clinician)
        patients = [create_patient(session) for _ in range(WORKERS)]
        ids = (clinician.id, [p.id for p in patients])
    yield Clinic(url, Settings(database_url=url, environment="test"), ids[0], ids[1])
    drop_database(url, token)


def run_together(n: int, work: Callable[[int], str]) -> Counter[str]:
    """Start ``n`` threads at the same instant (a barrier), each running ``work(i)``; count the outcomes."""
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        barrier.wait()
        try:
            result = work(i)
        except Exception as exc:  # any other failure is an outcome the test will show
            result = f"error: {type(exc).__name__}: {exc}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return Counter(outcomes)


def booked_between(clinic: Clinic, clock_from: str, clock_to: str) -> list[Appointment]:
    with session_factory(get_engine(clinic.url))() as session:
        return list(
            session.scalars(
                select(Appointment).where(
                    Appointment.clinician_id == clinic.clinician_id,
                    Appointment.status == AppointmentStatus.BOOKED,
                    Appointment.starts_at < london(MONDAY, clock_to),
                    Appointment.ends_at > london(MONDAY, clock_from),
                )
            )
        )


def user_of(session: Session, clinic: Clinic, index: int) -> User:
    patient = session.get(Patient, clinic.patient_ids[index])
    assert patient is not None
    user = session.get(User, patient.user_id)
    assert user is not None
    return user


def book_as(
    clinic: Clinic, index: int, clock: str, type_key: str = "initial_assessment", day: date = MONDAY
) -> str:
    try:
        with session_scope(get_engine(clinic.url)) as session:
            scheduling.book(
                session,
                user_of(session, clinic, index),
                clinic.settings,
                type_key=type_key,
                clinician_id=clinic.clinician_id,
                starts_at=london(day, clock),
            )
    except SlotTaken:
        return "taken"
    return "booked"


def move_as(clinic: Clinic, index: int, appointment_id: uuid.UUID, starts_at: datetime) -> str:
    try:
        with session_scope(get_engine(clinic.url)) as session:
            scheduling.reschedule(
                session, user_of(session, clinic, index), clinic.settings, appointment_id, starts_at=starts_at
            )
    except SlotTaken:
        return "taken"
    return "moved"


def test_many_threads_booking_one_time_give_exactly_one_booking(clinic: Clinic) -> None:
    outcomes = run_together(WORKERS, lambda i: book_as(clinic, i, "09:00"))
    assert outcomes == Counter({"booked": 1, "taken": WORKERS - 1})
    assert len(booked_between(clinic, "09:00", "10:00")) == 1


def test_overlapping_times_booked_at_once_never_overlap(clinic: Clinic) -> None:
    # Sixty-minute visits starting every half hour from 11:00 to 14:30: each overlaps its neighbours.
    clocks = [f"{11 + i // 2:02d}:{30 * (i % 2):02d}" for i in range(8)]
    outcomes = run_together(WORKERS, lambda i: book_as(clinic, i, clocks[i % len(clocks)]))
    assert set(outcomes) <= {"booked", "taken"}, outcomes
    rows = sorted(booked_between(clinic, "11:00", "16:00"), key=lambda a: a.starts_at)
    assert rows, "at least one booking must win"
    for earlier, later in itertools.pairwise(rows):
        assert earlier.blocked_until <= later.blocked_from


def test_a_move_and_new_bookings_racing_for_one_time_give_one_winner(clinic: Clinic) -> None:
    thursday = MONDAY + timedelta(days=3)
    assert book_as(clinic, 0, "09:00", day=thursday) == "booked"
    with session_factory(get_engine(clinic.url))() as session:
        moving = session.scalar(
            select(Appointment.id).where(
                Appointment.patient_id == clinic.patient_ids[0],
                Appointment.starts_at == london(thursday, "09:00"),
            )
        )
    assert moving is not None
    target = london(thursday, "14:00")

    def work(i: int) -> str:
        return move_as(clinic, 0, moving, target) if i == 0 else book_as(clinic, i, "14:00", day=thursday)

    outcomes = run_together(WORKERS, work)
    assert outcomes["booked"] + outcomes["moved"] == 1 and outcomes["taken"] == WORKERS - 1, outcomes
    with session_factory(get_engine(clinic.url))() as session:
        at_two = session.scalars(
            select(Appointment.patient_id).where(
                Appointment.clinician_id == clinic.clinician_id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at < target + timedelta(hours=1),
                Appointment.ends_at > target,
            )
        ).all()
        moved = session.get(Appointment, moving)
    assert len(at_two) == 1
    assert moved is not None
    assert (moved.starts_at == target) == (
        outcomes["moved"] == 1
    )  # a lost move leaves the visit where it was


def book_course_as(clinic: Clinic, index: int, first_day: date, starts: list[datetime]) -> str:
    try:
        with session_scope(get_engine(clinic.url)) as session:
            scheduling.book_course(
                session,
                user_of(session, clinic, index),
                clinic.settings,
                clinician_id=clinic.clinician_id,
                first_day=first_day,
                starts=starts,
            )
    except SlotTaken:
        return "taken"
    return "booked"


def test_whole_courses_booked_at_once_for_the_same_times_leave_one_whole_course(clinic: Clinic) -> None:
    first_day = MONDAY + timedelta(days=14)
    with session_scope(get_engine(clinic.url)) as session:
        proposal = scheduling.propose_course(
            session,
            user_of(session, clinic, 1),
            clinic.settings,
            first_day=first_day,
            clinician_id=clinic.clinician_id,
        )
    assert len(proposal.starts) == 8
    racers = 6
    outcomes = run_together(racers, lambda i: book_course_as(clinic, 1 + i, first_day, proposal.starts))
    assert outcomes == Counter({"booked": 1, "taken": racers - 1}), outcomes
    with session_factory(get_engine(clinic.url))() as session:
        rows = session.execute(
            select(Appointment.patient_id, Appointment.course_id).where(
                Appointment.clinician_id == clinic.clinician_id,
                Appointment.starts_at >= london(first_day, "00:00"),
                Appointment.status == AppointmentStatus.BOOKED,
            )
        ).all()
    assert len(rows) == 8  # every session of the winner's course, and not one of anybody else's
    assert len({patient for patient, _ in rows}) == 1 and len({course for _, course in rows}) == 1


def insert_directly(clinic: Clinic, index: int, clock: str) -> str:
    """Write a booked row with no check at all in code: only the database can refuse it."""
    start = london(MONDAY + timedelta(days=1), clock)
    try:
        with session_scope(get_engine(clinic.url)) as session:
            session.add(
                Appointment(
                    patient_id=clinic.patient_ids[index], clinician_id=clinic.clinician_id,
                    appointment_type="follow_up",
                    starts_at=start, ends_at=start + timedelta(minutes=30), blocked_from=start,
                    blocked_until=start + timedelta(minutes=40), timezone="Europe/London",
                )
            )  # fmt: skip
    except IntegrityError:
        return "refused"
    except OperationalError as exc:
        # PostgreSQL may also refuse by breaking a wait cycle between two overlapping inserts (deadlock).
        if getattr(exc.orig, "sqlstate", None) == "40P01":
            return "refused"
        raise
    return "inserted"


def test_the_database_alone_refuses_simultaneous_overlapping_rows(clinic: Clinic) -> None:
    clocks = ["09:00", "09:10", "09:20", "09:30"]
    outcomes = run_together(WORKERS, lambda i: insert_directly(clinic, i, clocks[i % len(clocks)]))
    assert set(outcomes) <= {"inserted", "refused"}, outcomes
    with session_factory(get_engine(clinic.url))() as session:
        day = MONDAY + timedelta(days=1)
        rows = session.scalars(
            select(Appointment)
            .where(
                Appointment.clinician_id == clinic.clinician_id,
                Appointment.starts_at >= london(day, "00:00"),
                Appointment.starts_at < london(day, "23:00"),
            )
            .order_by(Appointment.starts_at)
        ).all()
    assert len(rows) == 1  # every one of these held ranges (30 minutes + 10) overlaps every other
    for earlier, later in itertools.pairwise(rows):
        assert earlier.blocked_until <= later.blocked_from


def test_simultaneous_http_requests_to_a_real_server_book_one(clinic: Clinic, tmp_path: Path) -> None:
    with session_scope(get_engine(clinic.url)) as session:
        tokens = []
        for pid in clinic.patient_ids:
            patient = session.get(Patient, pid)
            assert patient is not None
            user = session.get(User, patient.user_id)
            assert user is not None
            tokens.append(accounts.start_session(session, clinic.settings, user, kind="api").token)
    process, url = loadtest.start_server(clinic.url, tmp_path / "server.log", workers=2)
    body = {
        "appointment_type": "initial_assessment",
        "clinician_id": str(clinic.clinician_id),
        "starts_at": london(MONDAY + timedelta(days=2), "10:00").isoformat(),
    }
    try:

        def post(i: int) -> str:
            answer = httpx.post(
                f"{url}/api/v1/appointments",
                json=body,
                headers={"Authorization": f"Bearer {tokens[i]}"},
                timeout=60,
            )
            return str(answer.status_code)

        outcomes = run_together(WORKERS, post)
    finally:
        process.terminate()
        process.wait(timeout=15)
    assert outcomes == Counter({"201": 1, "409": WORKERS - 1}), (tmp_path / "server.log").read_text()[-3000:]
    with session_factory(get_engine(clinic.url))() as session:
        count = session.scalar(
            select(func.count())
            .select_from(Appointment)
            .where(Appointment.starts_at == london(MONDAY + timedelta(days=2), "10:00"))
        )
    assert count == 1
