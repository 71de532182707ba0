"""The database: one engine per URL, one session factory, the declarative Base and shared column types."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, ClassVar

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from painrewire.errors import Unavailable

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back time-zone aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a time-zone aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: Column ``info`` keys for what a patient's own copy of their data leaves out while a clinical blind holds
#: (``interop.personal_data``): ``BLINDED: True`` withholds the whole column, ``BLINDED_KEYS: ("key", ...)``
#: those keys of a JSON column. The care team sees them; the patient's download lists what was left out.
BLINDED = "blinded"
BLINDED_KEYS = "blinded_keys"


def utcnow() -> datetime:
    """The current instant, time-zone aware."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Every table: UUID primary key named ``id``; constraint names follow one convention for Alembic."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Deleted rows are overwritten with zeros, not left in free space: an erased record is gone from the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


#: How long a checkpoint after an erasure waits for other connections' reads to end, per try.
CHECKPOINT_WAIT_SECONDS = 0.5


def checkpoint_sqlite(url: str) -> bool:
    """Copy SQLite's write-ahead log into the database file and empty it (``wal_checkpoint(TRUNCATE)``).

    Until a checkpoint, the log still holds the pages as they were before a change: after an erasure, the
    erased text. Run it once the erasure has committed, on a connection of its own with a short wait (a
    connection still reading an older snapshot makes it report busy, and the next checkpoint finishes the
    job). Returns whether the log was emptied; does nothing (True) on other databases.
    """
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return True
    connection = sqlite3.connect(parsed.database, timeout=CHECKPOINT_WAIT_SECONDS, isolation_level=None)
    try:
        busy, _, _ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not busy
    except sqlite3.Error:
        return False
    finally:
        connection.close()


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` URLs and use the psycopg 3 driver for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


#: How long a unit of work waits for SQLite's one writer before answering "busy, try again" (seconds).
SQLITE_WRITER_WAIT_SECONDS = 10.0
#: The execution option that marks a connection's transactions as reads only: on SQLite they take no write lock.
READ_ONLY = "painrewire_read_only"


_HOLDS_TURN = "painrewire_writer_turn"


class SQLiteWriter:
    """SQLite lets one transaction write at a time; this process's units of work take turns here, in order of
    arrival, instead of polling SQLite's busy handler (which sleeps 1 to 100 ms between tries).

    A transaction takes the turn when it begins (``BEGIN IMMEDIATE``: a unit that reads and then writes must not
    find its snapshot stale) and gives it back when it commits or rolls back, or when its connection goes back to
    the pool or is thrown away. Transactions marked ``READ_ONLY`` begin deferred and take no turn. Other processes
    on the same file still meet SQLite's own lock, with its busy timeout.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def begin(self, conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
            return
        if not self._lock.acquire(timeout=SQLITE_WRITER_WAIT_SECONDS):
            raise Unavailable(
                "The clinic's database is busy; please try again in a moment.", retry_after_seconds=2
            )
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise
        conn.connection.info[_HOLDS_TURN] = True

    def end(self, conn: Any, statement: str) -> None:
        """End the transaction ourselves, then give the turn back (the driver's own call finds nothing to do)."""
        fairy = conn.connection
        try:
            raw = fairy.dbapi_connection
            if raw is not None and raw.in_transaction:
                raw.execute(statement)
        finally:
            self.release(fairy.info)

    def release(self, info: dict[Any, Any]) -> None:
        if info.pop(_HOLDS_TURN, False):
            self._lock.release()


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
    writer = SQLiteWriter()

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, record: Any) -> None:
        _sqlite_pragmas(dbapi_connection, record)
        # pysqlite's own transaction handling defers BEGIN; we emit it ourselves so locks follow our transactions.
        dbapi_connection.isolation_level = None

    event.listen(engine, "begin", writer.begin)
    event.listen(engine, "commit", lambda conn: writer.end(conn, "COMMIT"))
    event.listen(engine, "rollback", lambda conn: writer.end(conn, "ROLLBACK"))

    # A connection going back to the pool (rolled back by the pool's reset) or thrown away gives its turn back.
    for pool_event in ("checkin", "close", "invalidate", "soft_invalidate"):
        event.listen(engine, pool_event, lambda _dbapi, record, *_: writer.release(record.info))

    return engine


@lru_cache(maxsize=16)
def get_engine(url: str) -> Engine:
    """One engine per database URL for the process."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url)
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """The one way sessions are made: no expiry on commit, so objects stay readable after the request commits."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def unit_of_work(factory: Callable[[], Session]) -> Iterator[Session]:
    """One unit of work with a session from ``factory``: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException as exc:
        finish_failed_unit(session, exc)
        raise
    finally:
        session.close()


def session_scope(engine: Engine) -> AbstractContextManager[Session]:
    """A unit of work for the CLI and background jobs: commit on success, roll back on any error."""
    return unit_of_work(session_factory(engine))


def finish_failed_unit(session: Session, exc: BaseException) -> None:
    """Roll back after an error, except a refusal that asks for what it wrote to be kept."""
    if getattr(exc, "keep_changes", False):
        session.commit()
    else:
        session.rollback()
