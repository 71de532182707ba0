"""Migration 0030 drops users.failed_logins and users.locked_until, keeping every user and what hangs off
them; its downgrade adds the columns back (no failed logins, not locked) and upgrading again works."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from painrewire import migrate
from painrewire.db import get_engine
from tests.conftest import drop_database, new_empty_database
from tests.fixtures.factories import create_patient, create_user

LOCKOUT = {"failed_logins", "locked_until"}


def _user_columns(url: str) -> set[str]:
    get_engine(url).dispose()  # a fresh look at the schema
    return {c["name"] for c in inspect(get_engine(url)).get_columns("users")}


def test_0030_drops_the_lockout_columns_and_its_downgrade_brings_them_back(tmp_path: Path) -> None:
    url, token = new_empty_database(tmp_path, "lockout")
    try:
        migrate.upgrade(url)
        assert not LOCKOUT & _user_columns(url)
        with Session(get_engine(url)) as session:
            clinician = create_user(session, email="dr@example.org")
            patient = create_patient(session, care_team=[clinician], full_name="Pat Kept")
            session.commit()
            patient_id, user_id = patient.id, patient.user_id

        migrate.downgrade(url, "0028")
        assert _user_columns(url) >= LOCKOUT
        engine = get_engine(url)
        with engine.begin() as connection:
            rows = connection.execute(text("SELECT failed_logins, locked_until FROM users")).all()
            assert sorted(rows) == [(0, None), (0, None)]  # back as "no failed logins, not locked"
            connection.execute(
                text(
                    "UPDATE users SET failed_logins = 3, locked_until = :until WHERE email = 'dr@example.org'"
                ),
                {"until": datetime(2026, 1, 1, tzinfo=UTC)},
            )

        migrate.upgrade(url, "0030")
        assert not LOCKOUT & _user_columns(url)
        with get_engine(url).connect() as connection:
            emails = set(connection.execute(text("SELECT email FROM users")).scalars())
            assert "dr@example.org" in emails and len(emails) == 2
            patients = connection.execute(text("SELECT id, user_id FROM patients")).all()
            assert [(str(p), str(u)) for p, u in patients] in (
                [(str(patient_id), str(user_id))],
                [(patient_id.hex, user_id.hex)],  # SQLite stores UUIDs as hex
            )
            teams = connection.execute(text("SELECT count(*) FROM care_team_members")).scalar()
            assert teams == 1  # recreating the users table (SQLite) cascaded nothing
        migrate.upgrade(url)  # and on to the newest revision
        assert not LOCKOUT & _user_columns(url)
    finally:
        drop_database(url, token)
