"""The PDF progress report, turned back into text: names, numbers, headings, bands and the plan are there."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditAction, AuditEvent, User
from painrewire.patients.models import Patient
from painrewire.reports import service as reports
from tests.fixtures.factories import create_patient
from tests.reports.seed import seed_patient


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def flat(text: str) -> str:
    return " ".join(text.split())


class TestContent:
    def test_the_report_holds_the_patient_outcome_scores_and_plan(
        self, session: Session, clinician: User
    ) -> None:
        seeded = seed_patient(session, clinician)
        pdf = reports.clinician_report(
            session, clinician, seeded.patient.id, clinic_name="Harbour Back Clinic"
        )
        assert pdf.startswith(b"%PDF-")
        text = flat(pdf_text(pdf))
        for heading in ("Progress report", "Pain outcome", "Practice", "Questionnaires", "Current plan"):
            assert heading in text
        assert seeded.name in text
        assert "Harbour Back Clinic" in text
        assert "29 February 1980" in text
        assert clinician.full_name in text
        # Baseline 6.0 (the diary's 7 days before treatment started), last 7 days 2.0: -4.00 points, -66.7%.
        assert "6.0 / 10" in text and "2.0 / 10" in text
        assert "-4.00 points (-66.7%)" in text
        start = seeded.today - timedelta(days=6)
        assert f"Treatment started {start.strftime('%d %b %Y')} (plan signed)" in text
        assert "diary mean of 7 days" in text
        assert "Responder: 30% and 2 points less pain yes" in text
        # The plan ends 4 weeks after it started: the end of treatment and its follow-ups are not due yet.
        assert "End of treatment" in text and "not due yet" in text
        # 30 minutes on 3 days, all inside the 28 days.
        assert "30 minutes of practice on 3 of the last 28 days" in text
        # PHQ-9 15 -> 8 with its bands; -7 reaches the MCID of 5.
        assert "moderately severe" in text and "mild" in text
        assert "Total: 15 → 8 (-7.0): improved — minimal important difference 5 points" in text
        assert "Löwe" in text
        # BPI interference 5.0 -> 3.4 against the IMMPACT MCID of 1.
        assert "Pain interference: 5 → 3.4 (-1.6): improved — minimal important difference 1 point." in text
        # The signed plan, in the clinician's words.
        assert "Version 1" in text and "signed by " + clinician.full_name in text
        assert "Pain reprocessing therapy" in text and "Mindfulness" in text
        assert "Chronic primary back pain: PRT core course." in text
        assert "Pain specialist, Psychologist" in text
        assert "PHQ-9 in weeks 0, 2, 4" in text

    def test_the_patients_own_report_gives_reasons_in_the_patients_words(
        self, session: Session, clinician: User
    ) -> None:
        seeded = seed_patient(session, clinician)
        text = flat(pdf_text(reports.own_report(session, seeded.patient.user, clinic_name="Clinic")))
        assert seeded.name in text
        assert "the core course retrains how the brain reads it" in text
        assert "Chronic primary back pain: PRT core course." not in text

    def test_clinical_notes_and_diary_notes_stay_out_of_the_report(
        self, session: Session, clinician: User
    ) -> None:
        seeded = seed_patient(session, clinician)
        text = flat(
            pdf_text(reports.clinician_report(session, clinician, seeded.patient.id, clinic_name="C"))
        )
        assert seeded.clinical_note not in text
        assert seeded.diary_note not in text

    def test_a_new_patient_gets_a_report_that_says_what_is_missing(
        self, session: Session, clinician: User
    ) -> None:
        patient = create_patient(session, care_team=[clinician], full_name="Nell Newcomer")
        text = flat(pdf_text(reports.clinician_report(session, clinician, patient.id, clinic_name="C")))
        assert "Nell Newcomer" in text
        assert "Treatment has not started yet" in text
        assert "No questionnaires completed yet." in text
        assert "No signed plan yet." in text
        assert "No data yet" in text


class TestDownload:
    def test_clinician_downloads_from_the_overview_and_the_export_is_audited(
        self, as_user: Callable[..., TestClient], session: Session, clinician: User
    ) -> None:
        seeded = seed_patient(session, clinician)
        session.commit()
        browser = as_user(clinician, browser=True)
        overview = browser.get(f"/clinician/patients/{seeded.patient.id}")
        assert f"/clinician/patients/{seeded.patient.id}/report.pdf" in overview.text
        response = browser.get(f"/clinician/patients/{seeded.patient.id}/report.pdf")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/pdf"
        assert "no-store" in response.headers["cache-control"]
        assert seeded.name in pdf_text(response.content)
        exported = session.scalars(
            select(AuditEvent).where(
                AuditEvent.action == AuditAction.EXPORT, AuditEvent.resource_type == "progress_report"
            )
        ).all()
        assert [(e.actor_id, e.patient_id) for e in exported] == [(clinician.id, seeded.patient.id)]

    def test_patient_downloads_their_own_from_their_record(
        self, as_user: Callable[..., TestClient], session: Session, clinician: User
    ) -> None:
        seeded = seed_patient(session, clinician)
        session.commit()
        browser = as_user(seeded.patient.user, browser=True)
        assert "/patient/report.pdf" in browser.get("/patient/record").text
        response = browser.get("/patient/report.pdf")
        assert response.status_code == 200
        assert seeded.name in pdf_text(response.content)

    def test_an_outside_clinician_gets_404_and_no_pdf(
        self, as_user: Callable[..., TestClient], patient: Patient, other_clinician: User
    ) -> None:
        response = as_user(other_clinician, browser=True).get(f"/clinician/patients/{patient.id}/report.pdf")
        assert response.status_code == 404
        assert not response.content.startswith(b"%PDF")


class TestAccessibility:
    def test_the_report_is_a_tagged_pdf_screen_readers_can_follow(
        self, session: Session, clinician: User
    ) -> None:
        seeded = seed_patient(session, clinician)
        pdf = reports.clinician_report(
            session, clinician, seeded.patient.id, clinic_name="Harbour Back Clinic"
        )
        catalog: Any = PdfReader(io.BytesIO(pdf)).root_object
        assert catalog["/MarkInfo"]["/Marked"].value is True
        structure = catalog["/StructTreeRoot"].get_object()
        assert structure["/K"]  # the document's structure tree has content
        assert catalog["/Lang"] == "en"
        assert catalog["/ViewerPreferences"]["/DisplayDocTitle"].value is True
