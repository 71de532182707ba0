"""Rate limits per client: failed logins and sign-ups from one address, counted in the database.

A fixed window per key (``"login_failed:203.0.113.7"``): the first hit opens the window, later hits inside
it count up, and a hit after the window closes starts a new one. The counter is one upserted row, so
concurrent requests on PostgreSQL or SQLite never lose a count. The same rows also remember, for a while,
that something happened at all (`seen`): a login that succeeded from an address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from painrewire.accounts.models import RateLimitBucket
from painrewire.db import utcnow
from painrewire.errors import TooManyRequests


def _retry_after(window_start: datetime, window: timedelta, now: datetime) -> int:
    return max(1, int((window_start + window - now).total_seconds()) + 1)


def check(session: Session, key: str, *, limit: int, window: timedelta, message: str) -> None:
    """Refuse (429) when ``key`` already used up ``limit`` in its open window; counts nothing."""
    now = utcnow()
    row = session.execute(
        select(RateLimitBucket.window_start, RateLimitBucket.count).where(RateLimitBucket.key == key)
    ).first()
    if row is None:
        return
    window_start, count = row
    if window_start > now - window and count >= limit:
        wait = _retry_after(window_start, window, now)
        raise TooManyRequests(f"{message} Try again in {wait} seconds.", retry_after_seconds=wait)


def hit(session: Session, key: str, *, window: timedelta) -> int:
    """Count one use of ``key`` and return the count in its window (a new window starts at 1)."""
    now = utcnow()
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    expired = RateLimitBucket.window_start <= now - window
    stmt = insert(RateLimitBucket).values(key=key, window_start=now, count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=[RateLimitBucket.key],
        set_={
            "count": case((expired, 1), else_=RateLimitBucket.count + 1),
            "window_start": case((expired, now), else_=RateLimitBucket.window_start),
        },
    )
    return int(session.execute(stmt.returning(RateLimitBucket.count)).scalar_one())


def consume(session: Session, key: str, *, limit: int, window: timedelta, message: str) -> None:
    """Check, then count: for actions limited whether or not they succeed (sign-ups)."""
    check(session, key, limit=limit, window=window, message=message)
    hit(session, key, window=window)


def touch(session: Session, key: str) -> None:
    """Note that ``key`` happened now: its window starts again from this moment."""
    now = utcnow()
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(RateLimitBucket).values(key=key, window_start=now, count=1)
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=[RateLimitBucket.key],
            set_={"window_start": now, "count": RateLimitBucket.count + 1},
        )
    )


def seen(session: Session, key: str, *, window: timedelta) -> bool:
    """Whether ``key`` was hit in its open window (the window started less than ``window`` ago)."""
    started = session.scalar(select(RateLimitBucket.window_start).where(RateLimitBucket.key == key))
    return started is not None and started > utcnow() - window


def clear(session: Session, key: str) -> None:
    """Forget ``key``'s count: its next hit starts a new window."""
    session.execute(delete(RateLimitBucket).where(RateLimitBucket.key == key))
