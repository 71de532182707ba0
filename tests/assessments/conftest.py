"""The assessment tests are about the intake itself: their patient starts without one (so is not cleared)."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient
from tests.fixtures.factories import create_patient


@pytest.fixture
def patient(session: Session, clinician: User) -> Patient:
    return create_patient(session, care_team=[clinician])
