"""The research CSV: no identifier or free text of a seeded patient anywhere in it, dates shifted by a stable
secret offset per patient, research ids stable and keyed, staff only."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, User
from painrewire.consent import service as consent
from painrewire.consent.models import ConsentKind
from painrewire.dashboard.cohort import CohortFilter
from painrewire.interop import research
from painrewire.patients.models import Patient
from tests.reports.seed import Seeded, seed_patient

SECRET = "test-secret-key-for-research-ids"


def parse(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def agrees_to_research(session: Session, patient: Patient) -> None:
    """Only patients who consent to research are exported (tests/consent covers who is left out)."""
    text = consent.consent_texts()[ConsentKind.RESEARCH]
    consent.give_consent(
        session, patient.user, patient.id, kind=ConsentKind.RESEARCH, text_version=text.version
    )


@pytest.fixture
def seeded(session: Session, clinician: User) -> Seeded:
    found = seed_patient(session, clinician)
    agrees_to_research(session, found.patient)
    return found


def export(session: Session, actor: User, seeded: Seeded, secret: str = SECRET) -> str:
    return research.research_csv(session, actor, CohortFilter(as_of=seeded.today), secret=secret)


def test_no_identifier_or_free_text_of_the_patient_appears_anywhere(
    session: Session, clinician: User, seeded: Seeded
) -> None:
    text = export(session, clinician, seeded)
    patient = seeded.patient
    identifiers = [
        seeded.name,
        *seeded.name.split(),
        seeded.email,
        seeded.email.split("@")[0],
        seeded.phone,
        seeded.phone.replace(" ", ""),
        str(patient.id),
        patient.id.hex,
        str(patient.user_id),
        seeded.date_of_birth.isoformat(),
        "1980",
        seeded.diary_note,
        seeded.clinical_note,
        seeded.intake_text,
        seeded.cancel_reason,
        "Quillfeather",
        "stress",  # a trigger tag
        *(str(r.id) for r in (seeded.phq9_first, seeded.phq9_latest, seeded.bpi_first, seeded.bpi_latest)),
        str(seeded.plan.id),
        *(str(a.id) for a in seeded.appointments),
    ]
    for value in identifiers:
        assert value.lower() not in text.lower(), f"{value!r} is in the research CSV"
    [row] = parse(text)
    first_day = seeded.today - timedelta(days=13)
    real = {
        "diary_start": first_day,
        "treatment_start": seeded.today - timedelta(days=6),
        "baseline_date": seeded.today - timedelta(days=7),
        "end_due": seeded.today + timedelta(days=22),
        "outcome_date": seeded.today,
        "phq9_first_date": first_day,
        "phq9_latest_date": seeded.today,
        "bpi_first_date": first_day,
    }
    for column, day in real.items():
        assert row[column] and row[column] != day.isoformat(), f"{column} is not shifted"


def test_the_row_holds_the_outcome_with_shifted_dates(
    session: Session, clinician: User, seeded: Seeded
) -> None:
    [row] = parse(export(session, clinician, seeded))
    shift = research.date_shift(SECRET, seeded.patient.id)
    assert 1 <= abs(shift.days) <= 182
    first_day = seeded.today - timedelta(days=13)
    assert row["diary_start"] == (first_day + shift).isoformat()
    assert row["outcome_date"] == (seeded.today + shift).isoformat()
    assert row["days_since_start"] == "13"
    assert row["phq9_first_date"] == (first_day + shift).isoformat()
    assert (row["phq9_first"], row["phq9_latest"]) == ("15", "8")
    assert (row["bpi_interference_first"], row["bpi_interference_latest"]) == ("5", "3.4")
    assert "bpi_first" not in row  # the BPI has no total
    # Treatment started 6 days ago (the plan signed); the baseline is the diary's week before it.
    assert row["treatment_start"] == (seeded.today - timedelta(days=6) + shift).isoformat()
    assert (row["treatment_start_source"], row["trial_comparable"]) == ("plan_signed", "1")
    assert (row["baseline_pain"], row["baseline_source"], row["current_pain"], row["change_points"]) == (
        "6",
        "diary",
        "2",
        "-4",
    )
    assert row["baseline_date"] == (seeded.today - timedelta(days=7) + shift).isoformat()
    # The 4-week plan ends in 22 days: every follow-up is still to come, and nothing stands in for it.
    assert row["treatment_end"] == (seeded.today + timedelta(days=22) + shift).isoformat()
    assert (row["end_status"], row["end_pain"], row["month_12_status"]) == ("upcoming", "", "upcoming")
    assert (row["responder_30"], row["responder_50"], row["pain_free_or_nearly"], row["worsening"]) == (
        "1",
        "1",
        "0",
        "0",
    )
    assert row["programs"] == "mindfulness;prt"
    assert row["practice_minutes"] == "30" and row["practice_days"] == "3"
    born = seeded.date_of_birth
    age = seeded.today.year - born.year - ((seeded.today.month, seeded.today.day) < (born.month, born.day))
    low = age - age % 5
    assert row["age_band"] == f"{low}-{low + 4}"
    assert row["research_id"] == research.research_id(SECRET, seeded.patient.id)


def test_ids_and_shifts_are_stable_for_a_patient_and_depend_on_the_key(
    session: Session, clinician: User, seeded: Seeded
) -> None:
    first = parse(export(session, clinician, seeded))
    again = parse(export(session, clinician, seeded))
    assert first == again
    other_key = parse(export(session, clinician, seeded, secret="another-clinic-key"))
    assert other_key[0]["research_id"] != first[0]["research_id"]
    assert research.research_id(SECRET, seeded.patient.id).startswith("R-")
    ids = {uuid.UUID(int=n) for n in range(200)}
    shifts = {research.date_shift(SECRET, i).days for i in ids}
    assert 0 not in shifts and min(shifts) >= -182 and max(shifts) <= 182 and len(shifts) > 100
    assert len({research.research_id(SECRET, i) for i in ids}) == 200


@pytest.mark.parametrize(
    ("born", "on", "band"),
    [
        (date(1980, 2, 29), date(2026, 2, 28), "45-49"),
        (date(1980, 2, 29), date(2025, 2, 28), "40-44"),
        (date(2010, 1, 1), date(2026, 1, 1), "under 18"),
        (date(1930, 6, 1), date(2026, 6, 1), "90+"),
        (None, date(2026, 6, 1), ""),
    ],
)
def test_age_bands(born: date | None, on: date, band: str) -> None:
    assert research.age_band(born, on) == band


def test_a_clinician_exports_only_their_caseload_and_every_patient_is_audited(
    session: Session, clinician: User, other_clinician: User, seeded: Seeded, other_patient: Patient
) -> None:
    agrees_to_research(session, other_patient)
    rows = parse(export(session, clinician, seeded))
    assert [r["research_id"] for r in rows] == [research.research_id(SECRET, seeded.patient.id)]
    audited = session.scalars(
        select(AuditEvent.patient_id).where(
            AuditEvent.action == AuditAction.EXPORT, AuditEvent.resource_type == "research_csv"
        )
    ).all()
    assert sorted(map(str, audited)) == sorted([str(seeded.patient.id), "None"])


def test_download_routes_are_for_staff_only(
    as_user: Callable[..., TestClient], session: Session, clinician: User, admin: User, seeded: Seeded
) -> None:
    session.commit()
    response = as_user(clinician, browser=True).get("/clinician/outcomes/research.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert seeded.name not in response.text and len(parse(response.text)) == 1
    clinic = as_user(admin, browser=True).get("/admin/outcomes/research.csv")
    assert clinic.status_code == 200 and seeded.name not in clinic.text
    assert research.research_id("development-only-secret-change-me", seeded.patient.id) in clinic.text
    patient_client = as_user(seeded.patient.user, browser=True)
    assert patient_client.get("/clinician/outcomes/research.csv").status_code == 403
    assert patient_client.get("/admin/outcomes/research.csv").status_code == 403
    assert as_user(clinician, browser=True).get("/admin/outcomes/research.csv").status_code == 403
    browser = as_user(clinician, browser=True)
    session.expire_all()
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    bad = browser.get("/clinician/outcomes/research.csv", params={"as_of": "never"})
    assert bad.status_code == 422
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
