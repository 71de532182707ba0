"""Test database and app fixtures.

The suite runs on a fresh SQLite file by default, and on PostgreSQL when PAINREWIRE_TEST_DATABASE_URL names a
server: each run (and each xdist worker) creates its own database there, upgrades it with Alembic exactly as
production does, and every test runs inside a transaction that is rolled back at its end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from painrewire import migrate
from painrewire.app import create_app
from painrewire.config import Settings
from painrewire.db import get_engine, normalise_url

pytest_plugins = ["tests.fixtures.factories", "tests.fixtures.smtp"]

POSTGRES_ENV = "PAINREWIRE_TEST_DATABASE_URL"


def _create_postgres_database(server_url: str, name: str) -> str:
    url = make_url(normalise_url(server_url))
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(server_url: str, name: str) -> None:
    admin = create_engine(make_url(normalise_url(server_url)), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def new_empty_database(tmp_dir: Path, label: str) -> tuple[str, object]:
    """An empty database of the kind under test; returns its URL and a token for `drop_database`."""
    server = os.environ.get(POSTGRES_ENV)
    if server:
        name = f"painrewire_test_{label}_{uuid.uuid4().hex[:10]}"
        return _create_postgres_database(server, name), name
    return f"sqlite:///{tmp_dir / f'{label}.sqlite3'}", None


def drop_database(url: str, token: object) -> None:
    get_engine(url).dispose()
    server = os.environ.get(POSTGRES_ENV)
    if server and isinstance(token, str):
        _drop_postgres_database(server, token)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    url, token = new_empty_database(tmp_path_factory.mktemp("db"), f"suite_{worker_id}")
    migrate.upgrade(url)
    yield url
    drop_database(url, token)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Engine:
    return get_engine(database_url)


@pytest.fixture
def connection(engine: Engine) -> Iterator[Connection]:
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn
        finally:
            transaction.rollback()


@pytest.fixture
def sessions(connection: Connection) -> sessionmaker[Session]:
    """Sessions that join the test's transaction: their commits become savepoints, rolled back after the test."""
    return sessionmaker(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as s:
        yield s


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=database_url,
        environment="test",
        recording_dir=tmp_path / "recordings",
        mail_dir=tmp_path / "mail",
    )


@pytest.fixture
def app(settings: Settings, sessions: sessionmaker[Session]) -> FastAPI:
    return create_app(settings, sessions=sessions)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    """The xdist worker name, or "main" without xdist."""
    workerinput = getattr(request.config, "workerinput", None)
    return workerinput["workerid"] if workerinput else "main"


@pytest.fixture
def on_postgres() -> bool:
    return bool(os.environ.get(POSTGRES_ENV))
