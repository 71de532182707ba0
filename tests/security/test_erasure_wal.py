"""On SQLite, an erased patient's words are gone from the files on disk once the erasure commits.

SQLite's write-ahead log keeps the pages as they were before each change until a checkpoint copies the newest
ones into the database file; until then, erased text can still be read from the ``-wal`` file. The erasure
empties the log once it has committed, and deleted rows are overwritten (``secure_delete``).
"""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import select

from painrewire import migrate
from painrewire.db import get_engine, session_scope
from painrewire.diary.models import DiaryEntry
from painrewire.interop import erasure
from painrewire.patients.models import Patient
from tests.fixtures.factories import create_patient


def on_disk(database: Path, marker: bytes) -> list[str]:
    """The files of the database (main file, log) that hold ``marker``."""
    files = [database, database.with_name(database.name + "-wal")]
    return [f.name for f in files if f.exists() and marker in f.read_bytes()]


def test_erased_text_is_gone_from_the_database_and_its_log(tmp_path: Path) -> None:
    database = tmp_path / "clinic.sqlite3"
    url = f"sqlite:///{database}"
    migrate.upgrade(url)
    engine = get_engine(url)
    marker = f"ERASE-ME-{uuid.uuid4().hex}"
    with session_scope(engine) as session:
        patient = create_patient(session)
        session.add(
            DiaryEntry(
                patient_id=patient.id,
                day=date(2026, 3, 2),
                pain_now=4,
                average_pain=4,
                interference=3,
                mood=5,
                sleep_quality=5,
                note=marker,
            )
        )
        patient_id = patient.id
    assert on_disk(database, marker.encode())  # written: in the log, or already in the file
    with session_scope(engine) as session:
        found = session.get(Patient, patient_id)
        assert found is not None
        erasure.erase(session, found)
    with session_scope(engine) as session:
        assert session.scalars(select(DiaryEntry).where(DiaryEntry.patient_id == patient_id)).all() == []
    assert on_disk(database, marker.encode()) == []
    engine.dispose()
