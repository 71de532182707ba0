"""Dates at the ends of what the database can hold never break a page, an export or a report.

The services refuse such dates on input (tests/security/test_date_bounds.py), but a row written before the
rule, by a script or by hand can still hold one. Each test writes the earliest (0001-01-01) or the latest
(9999-12-31) day directly into the record of a patient with a full history, then reads every page and
download that shows that patient, as their clinician, as the patient and as the admin: none may answer 500.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.consent import service as consent
from painrewire.consent.models import ConsentKind
from painrewire.diary.models import DiaryEntry
from painrewire.diary.service import refresh_baseline
from painrewire.patients.models import Patient
from painrewire.practice.models import Module, PracticeLog
from painrewire.programs.cbt.models import PacingActivity, ThoughtRecord
from painrewire.scheduling.models import Appointment, AppointmentStatus
from painrewire.treatment_history.models import Category, TreatmentEntry
from tests.reports.seed import seed_patient
from tests.security.test_authorization_matrix import all_routes

EXTREMES = {"earliest": date.min, "latest": date.max}
#: Routes that need an id this test has no object for, or that end the caller's login.
SKIPPED = re.compile(r"\{(?!patient_id\})[^}]+\}|/logout")


def _extreme_instant(day: date) -> datetime:
    """The instant at noon UTC on ``day``: the furthest a time-zone aware value can sit from overflowing."""
    return datetime.combine(day, time(12), tzinfo=UTC)


def write_extremes(session: Session, patient: Patient, clinician: User, day: date) -> None:
    """One record of each kind that holds a date, dated ``day``, written past every service check."""
    patient.date_of_birth = day
    session.add(
        DiaryEntry(
            patient_id=patient.id,
            day=day,
            pain_now=5,
            average_pain=5,
            interference=5,
            mood=5,
            sleep_quality=5,
            activity_minutes=10,
            triggers=[],
            note="",
        )
    )
    session.add(
        PracticeLog(
            patient_id=patient.id,
            day=day,
            completed_at=_extreme_instant(day),
            module=Module.PRT,
            activity="somatic_tracking",
            title="Somatic tracking",
            minutes=10.0,
        )
    )
    session.add(
        TreatmentEntry(
            patient_id=patient.id,
            category=Category.PHYSIOTHERAPY,
            name="Back class",
            started_on=day,
            ended_on=day,
            created_by_id=clinician.id,
            updated_by_id=clinician.id,
        )
    )
    session.add(
        ThoughtRecord(
            patient_id=patient.id,
            day=day,
            situation="At work",
            automatic_thought="It will never get better",
            feelings=[{"feeling": "worry", "intensity": 60}],
            distortions=[],
        )
    )
    session.add(
        PacingActivity(
            patient_id=patient.id,
            name="Walking",
            unit="minutes",
            baseline=10.0,
            increment_percent=10.0,
            weeks=4,
            starts_on=day,
            measurements=[10.0],
        )
    )
    start = _extreme_instant(day)
    end = start + timedelta(hours=1)
    session.add(
        Appointment(
            patient_id=patient.id,
            clinician_id=clinician.id,
            appointment_type="prt_session",
            starts_at=start,
            ends_at=end,
            blocked_from=start,
            blocked_until=end,
            timezone="Europe/London",
            status=AppointmentStatus.BOOKED,
            cancel_reason="",
        )
    )
    session.flush()
    refresh_baseline(session, patient.id)


@pytest.fixture(params=sorted(EXTREMES))
def extreme_patient(request: pytest.FixtureRequest, session: Session, clinician: User) -> Iterator[Patient]:
    seeded = seed_patient(session, clinician)
    text = consent.consent_texts()[ConsentKind.RESEARCH]
    consent.give_consent(
        session, seeded.patient.user, seeded.patient.id, kind=ConsentKind.RESEARCH, text_version=text.version
    )
    write_extremes(session, seeded.patient, clinician, EXTREMES[request.param])
    session.commit()
    yield seeded.patient


def readable_urls(app: FastAPI, prefixes: tuple[str, ...], patient: Patient) -> list[str]:
    urls = []
    for route in all_routes(app):
        if "GET" not in route.methods or SKIPPED.search(route.path) or not route.path.startswith(prefixes):
            continue
        urls.append(route.path.replace("{patient_id}", str(patient.id)))
    return sorted(set(urls))


def failures(client: TestClient, urls: list[str]) -> list[str]:
    found = []
    for url in urls:
        try:
            response = client.get(url, follow_redirects=False)
        except Exception as exc:  # the test client re-raises the server's error: name it and go on
            found.append(f"{url}: {type(exc).__name__}: {exc}")
            continue
        if response.status_code >= 500:
            found.append(f"{url}: {response.status_code}")
    return found


def test_every_page_of_the_patients_clinician_reads_extreme_dates(
    app: FastAPI, as_user: Callable[..., TestClient], clinician: User, extreme_patient: Patient
) -> None:
    urls = readable_urls(app, ("/clinician", "/api/v1/patients", "/clinic"), extreme_patient)
    urls += [
        "/clinician/outcomes/research.csv",
        f"/api/v1/patients/{extreme_patient.id}/diary?start=0001-01-01&end=0002-12-31",
        f"/api/v1/patients/{extreme_patient.id}/diary?start=9998-01-01&end=9999-12-31",
    ]
    assert f"/clinician/patients/{extreme_patient.id}/report.pdf" in urls
    browser = as_user(clinician, browser=True)
    assert failures(browser, urls) == []
    assert failures(as_user(clinician), [u for u in urls if u.startswith("/api/")]) == []


def test_every_page_of_the_patient_reads_extreme_dates(
    app: FastAPI, as_user: Callable[..., TestClient], extreme_patient: Patient
) -> None:
    urls = readable_urls(app, ("/patient", "/book", "/home"), extreme_patient)
    assert "/patient/report.pdf" in urls and "/patient/diary" in urls
    urls += ["/patient/diary?day=0001-01-01", "/patient/my-data.json"]
    assert failures(as_user(extreme_patient.user, browser=True), urls) == []


def test_the_admins_pages_and_exports_read_extreme_dates(
    app: FastAPI, as_user: Callable[..., TestClient], admin: User, extreme_patient: Patient
) -> None:
    urls = readable_urls(app, ("/admin", "/api/v1/audit", "/api/v1/users"), extreme_patient)
    assert "/admin/outcomes/research.csv" in urls
    assert failures(as_user(admin, browser=True), urls) == []


def test_the_research_export_shifts_extreme_dates_without_failing(
    as_user: Callable[..., TestClient], clinician: User, extreme_patient: Patient
) -> None:
    answer = as_user(clinician, browser=True).get("/clinician/outcomes/research.csv")
    assert answer.status_code == 200
    assert answer.text.count("\n") >= 2  # the header and the patient's row


def test_a_shifted_day_stays_within_the_calendar() -> None:
    from painrewire.interop.research import shifted

    assert shifted(date.min, timedelta(days=-30)) == ""
    assert shifted(date.max, timedelta(days=30)) == ""
    assert shifted(date(2026, 1, 31), timedelta(days=1)) == "2026-02-01"
