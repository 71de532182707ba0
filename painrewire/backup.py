"""Backups: SQLite's online backup API (safe while the clinic is running), pg_dump/pg_restore for PostgreSQL."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from painrewire.db import get_engine, normalise_url


class BackupError(Exception):
    """A backup or restore could not be done; the message says why in plain words."""


def _sqlite_path(database_url: str) -> Path | None:
    url = make_url(normalise_url(database_url))
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(url.database)


def _libpq_url(database_url: str) -> str:
    url = make_url(normalise_url(database_url)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} was not found; install the PostgreSQL client tools (Debian: postgresql-client)."
        )
    return path


def backup(database_url: str, target: Path) -> Path:
    """Write a consistent copy of the database to ``target`` and return it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    source = _sqlite_path(database_url)
    if source is not None:
        if not source.exists():
            raise BackupError(f"There is no database file at {source}.")
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return target
    result = subprocess.run(
        [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={target}", _libpq_url(database_url)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return target


def restore(database_url: str, source: Path) -> None:
    """Replace the database's contents with a backup made by :func:`backup`."""
    if not source.exists():
        raise BackupError(f"There is no backup file at {source}.")
    target = _sqlite_path(database_url)
    get_engine(database_url).dispose()
    if target is not None:
        try:
            with sqlite3.connect(source) as src:
                src.execute("PRAGMA schema_version").fetchone()
                with sqlite3.connect(target) as dst:
                    src.backup(dst)
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a SQLite backup ({exc}).") from exc
        return
    result = subprocess.run(
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={_libpq_url(database_url)}",
            str(source),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
