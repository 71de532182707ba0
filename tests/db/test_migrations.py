"""Migrations build the same schema as the models, on an empty SQLite file and on an empty PostgreSQL database."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from painrewire import migrate
from painrewire.db import get_engine
from painrewire.schema import import_all_models
from tests.conftest import drop_database, new_empty_database


def test_upgrade_builds_every_table_on_an_empty_database(tmp_path: Path) -> None:
    url, token = new_empty_database(tmp_path, "migrate")
    try:
        migrate.upgrade(url)
        tables = set(inspect(get_engine(url)).get_table_names())
        assert {"users", "patients", "care_team_members", "audit_events", "auth_sessions"} <= tables
        assert migrate.current_heads(url) == {_head()}
    finally:
        drop_database(url, token)


def test_migrations_match_the_models_exactly(tmp_path: Path) -> None:
    """A model changed without a migration (or the reverse) fails here, naming the difference."""
    url, token = new_empty_database(tmp_path, "compare")
    try:
        migrate.upgrade(url)
        with get_engine(url).connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, import_all_models())
        assert differences == []
    finally:
        drop_database(url, token)


def test_downgrade_to_nothing_and_back_up(tmp_path: Path) -> None:
    url, token = new_empty_database(tmp_path, "roundtrip")
    try:
        migrate.upgrade(url)
        migrate.downgrade(url, "base")
        assert set(inspect(get_engine(url)).get_table_names()) <= {"alembic_version"}
        migrate.upgrade(url)
        assert "patients" in inspect(get_engine(url)).get_table_names()
    finally:
        drop_database(url, token)


def _head() -> str:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_heads()
    assert len(heads) == 1, f"migrations must form one line, found heads {heads}"
    return heads[0]
