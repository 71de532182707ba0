"""Every view that shows several patients audits a read of each patient it showed.

The log must answer "who saw this patient's data, and where" for the clinician's home, the patient list, the
neurofeedback overview and the schedules too, not only for one patient's own pages.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, User
from painrewire.db import utcnow
from painrewire.patients.models import Patient
from painrewire.scheduling.models import Appointment, AppointmentStatus
from tests.fixtures.factories import create_patient


def reads_of(session: Session, actor: User, patients: list[Patient]) -> dict[uuid.UUID, set[str]]:
    """For each patient, the resource types the actor's read rows about them name."""
    session.expire_all()
    found: dict[uuid.UUID, set[str]] = {p.id: set() for p in patients}
    rows = session.execute(
        select(AuditEvent.patient_id, AuditEvent.resource_type).where(
            AuditEvent.actor_id == actor.id,
            AuditEvent.action == AuditAction.READ,
            AuditEvent.patient_id.in_([p.id for p in patients]),
        )
    )
    for patient_id, resource_type in rows:
        found[patient_id].add(resource_type)
    return found


def caseload(session: Session, clinician: User, n: int = 2) -> list[Patient]:
    patients = [create_patient(session, care_team=[clinician]) for _ in range(n)]
    session.commit()
    return patients


def book(session: Session, patient: Patient, clinician: User) -> None:
    start = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    session.add(
        Appointment(
            patient_id=patient.id,
            clinician_id=clinician.id,
            appointment_type="prt_session",
            starts_at=start,
            ends_at=start + timedelta(minutes=50),
            blocked_from=start,
            blocked_until=start + timedelta(minutes=60),
            timezone="Europe/London",
            status=AppointmentStatus.BOOKED,
        )
    )
    session.commit()


def test_the_patient_list_audits_each_patient_it_lists(
    session: Session, as_user: Callable[..., TestClient], clinician: User
) -> None:
    patients = caseload(session, clinician)
    assert as_user(clinician).get("/api/v1/patients").status_code == 200
    assert all("patient" in kinds for kinds in reads_of(session, clinician, patients).values())


def test_the_clinicians_home_audits_each_patient_of_the_caseload(
    session: Session, as_user: Callable[..., TestClient], clinician: User
) -> None:
    patients = caseload(session, clinician)
    assert as_user(clinician, browser=True).get("/clinician").status_code == 200
    assert all("caseload" in kinds for kinds in reads_of(session, clinician, patients).values())


def test_the_neurofeedback_overview_audits_each_patient_it_shows(
    session: Session, as_user: Callable[..., TestClient], clinician: User
) -> None:
    patients = caseload(session, clinician)
    assert as_user(clinician, browser=True).get("/clinician/neurofeedback").status_code == 200
    assert all(kinds for kinds in reads_of(session, clinician, patients).values())


def test_a_schedule_audits_each_patient_on_it(
    session: Session, as_user: Callable[..., TestClient], clinician: User, admin: User
) -> None:
    patients = caseload(session, clinician)
    book(session, patients[0], clinician)
    assert as_user(clinician, browser=True).get("/clinician").status_code == 200
    assert "clinician_schedule" in reads_of(session, clinician, patients)[patients[0].id]
    assert as_user(admin, browser=True).get("/clinic/schedule").status_code == 200
    assert reads_of(session, admin, patients)[patients[0].id] == {"clinic_schedule"}
    assert reads_of(session, admin, patients)[patients[1].id] == set()  # not on the schedule, not shown
