"""The PDF report's first page lists open and recent safety alerts: kind, urgency, raised, status, action."""

from __future__ import annotations

import io
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments import alerts
from painrewire.assessments.models import AlertKind
from painrewire.config import Settings
from painrewire.db import utcnow
from painrewire.reports import service as reports
from tests.reports.seed import seed_patient
from tests.risk.factories import make_plan, positive_phq9

NOTE = "Phoned her; safe, GP informed today."


def first_page(content: bytes) -> str:
    return " ".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())


def test_the_first_page_names_the_open_self_harm_alert(
    session: Session, clinician: User, settings: Settings
) -> None:
    seeded = seed_patient(session, clinician)
    make_plan(session, clinician, seeded.patient, settings)
    positive_phq9(session, seeded.patient)
    text = first_page(reports.clinician_report(session, clinician, seeded.patient.id, clinic_name="Clinic"))
    assert "Safety alerts" in text
    assert "Self-harm answer" in text and "PHQ-9 item 9" in text
    assert "urgent" in text and "Open: practice goes on" in text
    assert utcnow().strftime("%d %b %Y") in text


def test_a_recent_closed_alert_shows_its_action_and_an_old_one_is_left_out(
    session: Session, clinician: User, settings: Settings
) -> None:
    seeded = seed_patient(session, clinician)
    recent = alerts.raise_alert(
        session,
        seeded.patient,
        kind=AlertKind.RED_FLAG,
        urgency="soon",
        summary="Red flag at intake: fracture",
    )
    alerts.acknowledge_alert(
        session, clinician, recent.id, action="same_day_medical_review", note=NOTE, settings=settings
    )
    old = alerts.raise_alert(
        session,
        seeded.patient,
        kind=AlertKind.RED_FLAG,
        urgency="urgent",
        summary="Red flag at intake: infection",
    )
    alerts.acknowledge_alert(session, clinician, old.id, action="gp_informed", note=NOTE, settings=settings)
    old.raised_at = utcnow() - timedelta(days=120)
    old.acknowledged_at = utcnow() - timedelta(days=91)
    session.flush()
    text = first_page(reports.clinician_report(session, clinician, seeded.patient.id, clinic_name="Clinic"))
    assert "fracture" in text and "Same-day medical review arranged" in text
    assert f"Closed {utcnow().strftime('%d %b %Y')} by {clinician.full_name}" in text
    assert "infection" not in text and "GP or referring doctor informed" not in text


def test_the_patients_copy_lists_the_alert_without_the_clinical_summary(
    session: Session, clinician: User
) -> None:
    seeded = seed_patient(session, clinician)
    positive_phq9(session, seeded.patient)
    text = first_page(reports.own_report(session, seeded.patient.user, clinic_name="Clinic"))
    assert "Self-harm answer" in text and "Open: practice paused" in text
    assert "PHQ-9 item 9" not in text


def test_without_alerts_the_first_page_says_so(session: Session, clinician: User) -> None:
    seeded = seed_patient(session, clinician)
    text = first_page(reports.clinician_report(session, clinician, seeded.patient.id, clinic_name="Clinic"))
    assert "No open safety alerts, and none in the last 90 days." in text


def test_the_report_says_what_was_tried_before_and_what_did_not_help(
    session: Session, clinician: User
) -> None:
    from painrewire.treatment_history import service as treatment_history
    from painrewire.treatment_history.schemas import TreatmentCreate

    seeded = seed_patient(session, clinician)
    for entry in (
        {
            "category": "physiotherapy",
            "name": "Six weeks of back exercises",
            "effect": "none",
            "started_year": 2023,
        },
        {
            "category": "medicine",
            "name": "Co-codamol",
            "medicine_class": "opioid",
            "effect": "none",
            "started_year": 2024,
        },
        {
            "category": "medicine",
            "name": "Naproxen",
            "medicine_class": "nsaid",
            "effect": "some",
            "started_year": 2024,
        },
    ):
        treatment_history.add_entry(
            session, clinician, seeded.patient.id, TreatmentCreate.model_validate(entry)
        )
    content = reports.clinician_report(session, clinician, seeded.patient.id, clinic_name="Clinic")
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(content)).pages)
    assert "Treatment before this clinic" in text
    did_not_help = text.split("Did not help:")[1].split(".")[0]
    assert "physiotherapy" in did_not_help.lower() and "opioid" in did_not_help.lower()
    assert "nsaid" not in did_not_help.lower()
    assert "Helped a little:" in text
