"""Throw-away databases for the benchmarks: a temporary SQLite file, or a database of its own on a server."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from painrewire.db import get_engine, normalise_url


@contextmanager
def postgres_database(server: str, *, prefix: str = "painrewire_bench_") -> Iterator[str]:
    """A database ``<prefix><random>`` on ``server`` for the block, dropped (even while in use) at its end."""
    name = f"{prefix}{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(normalise_url(server)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalise_url(server)).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        get_engine(url).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="painrewire-bench-") as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        try:
            yield url
        finally:
            get_engine(url).dispose()
