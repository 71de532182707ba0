"""`painrewire backup` and `restore`: a round trip brings back exactly what was there, on either database."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from painrewire import migrate
from painrewire.accounts.models import Role, User
from painrewire.cli import app
from painrewire.db import get_engine, session_scope
from tests.conftest import drop_database, new_empty_database
from tests.fixtures.factories import create_patient, create_user

runner = CliRunner()


def emails(url: str) -> set[str]:
    with session_scope(get_engine(url)) as session:
        return set(session.scalars(select(User.email)))


def test_backup_and_restore_round_trip(tmp_path: Path) -> None:
    url, token = new_empty_database(tmp_path, "backup")
    try:
        migrate.upgrade(url)
        with session_scope(get_engine(url)) as session:
            clinician = create_user(session, role=Role.CLINICIAN, email="keep@example.org")
            create_patient(session, care_team=[clinician])
        before = emails(url)
        backup_file = tmp_path / "clinic.backup"
        result = runner.invoke(app, ["backup", str(backup_file), "--database-url", url])
        assert result.exit_code == 0, result.output
        assert backup_file.stat().st_size > 0

        with session_scope(get_engine(url)) as session:
            create_user(session, role=Role.ADMIN, email="added-after@example.org")
            session.delete(session.scalar(select(User).where(User.email == "keep@example.org")))
        assert emails(url) != before

        refused = runner.invoke(app, ["restore", str(backup_file), "--database-url", url])
        assert refused.exit_code == 2 and "--yes" in refused.output
        result = runner.invoke(app, ["restore", str(backup_file), "--database-url", url, "--yes"])
        assert result.exit_code == 0, result.output
        assert emails(url) == before
    finally:
        drop_database(url, token)


def test_restore_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "restore",
            str(tmp_path / "nope.backup"),
            "--database-url",
            f"sqlite:///{tmp_path}/x.sqlite3",
            "--yes",
        ],
    )
    assert result.exit_code == 2
    assert "There is no backup file" in result.output


def test_backup_of_a_missing_sqlite_file_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["backup", str(tmp_path / "b"), "--database-url", f"sqlite:///{tmp_path}/none.sqlite3"]
    )
    assert result.exit_code == 2
    assert "There is no database file" in result.output
