"""The `painrewire` command: database upgrade, account creation and the demo clinic, with clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from painrewire.accounts.models import Role, User
from painrewire.cli import app
from painrewire.db import get_engine, session_scope
from painrewire.diary.models import DiaryEntry
from painrewire.patients.models import CareTeamMember, Patient

runner = CliRunner()


def test_db_upgrade_creates_a_new_sqlite_file(tmp_path: Path) -> None:
    db = tmp_path / "clinic.sqlite3"
    result = runner.invoke(app, ["db", "upgrade", "--database-url", f"sqlite:///{db}"])
    assert result.exit_code == 0, result.output
    assert "Database is at revision" in result.output
    assert db.exists()


def test_create_user_makes_an_admin_who_can_log_in(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    result = runner.invoke(
        app,
        [
            "create-user",
            "--email",
            "Boss@Clinic.org",
            "--name",
            "Boss",
            "--role",
            "admin",
            "--password",
            "long enough pw",
            "--database-url",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    with session_scope(get_engine(url)) as session:
        user = session.scalar(select(User).where(User.email == "boss@clinic.org"))
        assert user is not None and user.role == Role.ADMIN


def test_create_user_refuses_a_clinician_without_discipline(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    result = runner.invoke(
        app,
        [
            "create-user",
            "--email",
            "c@clinic.org",
            "--name",
            "C",
            "--role",
            "clinician",
            "--password",
            "long enough pw",
            "--database-url",
            url,
        ],
    )
    assert result.exit_code == 2
    assert "a clinician needs a discipline" in result.output
    with session_scope(get_engine(url)) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0


def test_create_user_refuses_a_duplicate_email(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    args = [
        "create-user",
        "--email",
        "p@clinic.org",
        "--name",
        "P",
        "--role",
        "patient",
        "--password",
        "long enough pw",
        "--database-url",
        url,
    ]
    assert runner.invoke(app, args).exit_code == 0
    again = runner.invoke(app, args)
    assert again.exit_code == 2
    assert "already exists" in again.output


def test_demo_builds_a_clinic_with_every_role(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["demo", "--no-serve", "--database", str(tmp_path / "demo.sqlite3")])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8000/" in result.output
    assert "admin@demo.painrewire.org" in result.output
    assert "maria@demo.painrewire.org" in result.output
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    with session_scope(get_engine(url)) as session:
        disciplines = {u.discipline for u in session.scalars(select(User).where(User.role == Role.CLINICIAN))}
        assert len(disciplines) == 4
        assert session.scalar(select(func.count()).select_from(Patient)) >= 3
        assert session.scalar(select(func.count()).select_from(CareTeamMember)) > 0
        # Maria's eight weeks of diary, so charts and outcomes have something to show.
        assert session.scalar(select(func.count()).select_from(DiaryEntry)) >= 55 + 34 + 5


@pytest.mark.parametrize("given", ["postgresql://postgres@127.0.0.1/x", "no-such-folder/demo.sqlite3", "."])
def test_demo_refuses_a_database_that_is_not_a_sqlite_file_path(
    given: str, tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["demo", "--no-serve", "--database", given])
    assert result.exit_code == 2
    assert "path of a SQLite file" in result.output
    assert "Traceback" not in result.output
