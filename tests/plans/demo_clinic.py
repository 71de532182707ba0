"""The demo clinic built once per test module, as `painrewire demo` builds it, for tests of demo stories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire import migrate
from painrewire.accounts.models import User
from painrewire.db import get_engine, session_factory
from painrewire.demo import DOMAIN, create_demo_clinic
from painrewire.patients.models import Patient
from tests.conftest import drop_database, new_empty_database


def demo_session(folder: Path) -> Iterator[Session]:
    url, token = new_empty_database(folder, "demo")
    try:
        migrate.upgrade(url)
        create_demo_clinic(url)
        with session_factory(get_engine(url))() as session:
            yield session
    finally:
        drop_database(url, token)


def demo_patient(session: Session, key: str) -> Patient:
    patient = session.scalar(
        select(Patient).join(User, User.id == Patient.user_id).where(User.email == f"{key}@{DOMAIN}")
    )
    assert patient is not None
    return patient
